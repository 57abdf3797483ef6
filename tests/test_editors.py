"""Grading reads the student's answers, not the notebook's structure.

Every transformation of ``tests/editors.py`` (what Colab, VS Code, JupyterLab, old
nbformats and students do to a notebook), alone and combined two by two, is applied to
the complete example (the release with every answer) and to the blank one (the release
untouched) of the toy course, TP1 and TP2. Then:

- the complete one normalises to the same code in every solution cell as the untouched
  complete example (compared as Python ASTs, so a split cell joined back compares
  equal), and to the same definitions of the exercises' names before each test cell;
  every read-only cell is the release's; the repairs and integrity notes are those the
  transformation calls for, and nothing is left unrecovered;
- the blank one stays ``unmodified``.

Grading is deterministic given the normalised notebook (nbgrader runs it, in a fresh
kernel), so the same normalised code is the same grade; the slow tests at the end check
it with real grading on TP1.
"""
from __future__ import annotations

import ast
import copy
import functools
import itertools
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from graders.course import examples, notebooks, release
from graders.course.config import ROOT, Course
from graders.grading.normalise import normalise

from . import editors, toy_course

COURSE = Course(ROOT)
TPS = ["TP1_micrograd", "TP2_makemore"]
CASES = ["toy"] + TPS

# -- the cases -----------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    release: nbformat.NotebookNode
    complete: nbformat.NotebookNode
    blank: nbformat.NotebookNode

    def transform(self, name: str):
        if name == "answers_pasted_into_a_fresh_copy":
            return editors.paste_into_fresh_release(self.release)
        return next(f for f in editors.ALL if f.__name__ == name)

    @property
    def baseline(self):
        if not hasattr(self, "_baseline"):
            self._baseline = normalise(self.complete, self.release)
        return self._baseline


def _case(name: str, course: Course, release_dir: Path, tp_id: str) -> Case:
    src = notebooks.notebooks_in(course.source_dir / tp_id)[0]
    release_nb = notebooks.read(release_dir / tp_id / src.name)
    source_nb = notebooks.read(src)
    return Case(name, release_nb,
                examples.build("complete", release_nb, source_nb, course),
                examples.build("unmodified", release_nb, source_nb, course))


@pytest.fixture(scope="session")
def tp_releases(tmp_path_factory) -> Path | None:
    """TP1 and TP2 released into a scratch folder (the ones whose source is there)."""
    present = [t for t in TPS if (COURSE.source_dir / t).is_dir()]
    if not present:
        return None
    tmp = tmp_path_factory.mktemp("editors")
    release.generate(COURSE, present, release_dir=tmp / "release", db_url=f"sqlite:///{tmp}/gb.db")
    return tmp / "release"


_cases: dict[str, Case] = {}


@pytest.fixture
def case(request, toy, tp_releases) -> Case:
    name = request.param
    if name not in _cases:
        if name == "toy":
            _cases[name] = _case(name, toy, toy.release_dir, toy_course.TP_ID)
        elif tp_releases is None or not (tp_releases / name).is_dir():
            pytest.skip(f"{name} has no source notebook yet")
        else:
            _cases[name] = _case(name, COURSE, tp_releases, name)
    return _cases[name]


# -- what a transformation should change ------------------------------------------------------

NAMES = [f.__name__ for f in editors.ALL] + ["answers_pasted_into_a_fresh_copy"]
METADATA_LOST = {"colab_resave", "strip_nbgrader_metadata"}

#: The notes each student transformation calls for, from its target (regular expressions
#: in which {gid} and {test} stand for its solution and test cell): (repairs, integrity).
#: Notes that name a solution are due only when it has an answer (not in the blank one).
NOTES = {
    "solution_to_markdown": ([r"answer of {gid} recovered from a markdown cell"], []),
    "split_solution": ([r"answer of {gid} found in \d cells; all kept, in order"], []),
    "split_solution_inside_a_function": (
        [r"answer of {gid} found in \d cells; all kept, in order"], []),
    "duplicate_solution": ([r"answer of {gid} found twice, identical; kept once"], []),
    "move_solution_after_its_test": (
        [r"answer of {gid} was after its test cell {test}; moved back before it"], []),
    "recreate_solution_cell": ([r"answer of {gid} matched by position( and content)? "
                                r"\(its nbgrader metadata and cell id were lost\)"], []),
    "delete_a_test_cell": ([], ["test cell {test} was missing; restored from the release"]),
    "edit_a_test_cell": ([], ["test cell {test} was edited; the original was restored"]),
    "reorder_test_cells": (
        [r"test cell {test} was moved; it runs at its place in the release"], []),
    "answers_pasted_into_a_fresh_copy": (
        [r"answer of {gid} found beside an unanswered copy of its cell, which was dropped"], []),
    "merge_solution_with_its_test": (
        [r"test cell {test} had been merged with another cell; separated"], []),
    "merge_instructions_into_solution": (
        [r"{what} {above} had been merged with another cell; separated",
         r"answer of {gid} matched by position and content "
         r"\(its nbgrader metadata and cell id were lost\)"], []),
}


def notes_for(name: str, target: dict) -> tuple[list[str], list[str]]:
    repairs, integrity = NOTES[name]
    if name == "merge_instructions_into_solution" and target["type"] == "markdown":
        repairs = repairs + [r"answer of {gid} recovered from a markdown cell"]
    return repairs, integrity


def expected_notes(parts, nb, answered: bool) -> tuple[list[re.Pattern], set[str]]:
    """The repairs (as patterns) and the integrity notes that applying ``parts`` in turn
    to ``nb`` calls for."""
    repairs, integrity = [], set()
    for f in parts:
        if f.__name__ in METADATA_LOST:
            repairs.append(re.compile(r"nbgrader metadata missing from \d+ read-only cells "
                                      r"\(an editor dropped it\); matched by cell id or content"))
            if answered:
                repairs.append(re.compile(r"answer of \w+ matched by .+"))
        if f.__name__ in NOTES and f.target(nb):
            target = f.target(nb)
            want_repairs, want_integrity = notes_for(f.__name__, target)
            for gid in target.get("gids") or [target.get("gid")]:
                values = {**target, "gid": gid}
                for note in want_repairs:
                    if answered or "{gid}" not in note:
                        repairs.append(re.compile(note.format(
                            **{k: re.escape(str(v)) for k, v in values.items()})))
                integrity |= {n.format(**values) for n in want_integrity}
        nb = f(nb)
    return repairs, integrity


def check_notes(out, parts, nb, answered: bool) -> None:
    patterns, integrity = expected_notes(parts, nb, answered)
    assert not out.unrecovered, out.unrecovered
    assert set(out.integrity) == integrity
    unexpected = [r for r in out.repairs if not any(p.fullmatch(r) for p in patterns)]
    missing = [p.pattern for p in patterns if not any(p.fullmatch(r) for r in out.repairs)]
    assert not unexpected and not missing, f"unexpected {unexpected}, missing {missing}"


# -- what grading would see -------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def canonical(source: str) -> str:
    """Code as Python sees it (an AST dump), else its non-blank lines."""
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def solution_code(nb) -> dict[str, str]:
    return {notebooks.grade_id(c): canonical(c.source)
            for c in nb.cells if notebooks.is_solution(c)}


def definitions_at_tests(nb, names: frozenset[str]) -> dict[str, dict[str, str]]:
    """Before each test cell: the last definition of each of ``names`` by the cells the
    student wrote (solutions and their own cells)."""
    seen: dict[str, str] = {}
    at = {}
    for c in nb.cells:
        if notebooks.is_test(c):
            at[notebooks.grade_id(c)] = dict(seen)
        elif c.cell_type == "code" and not notebooks.is_locked(c):
            seen.update(_definitions(c.source, names))
    return at


@functools.lru_cache(maxsize=None)
def _definitions(source: str, names: frozenset[str]) -> dict[str, str]:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return {}
    return {s.name: ast.dump(s) for s in body
            if isinstance(s, (ast.FunctionDef, ast.ClassDef)) and s.name in names}


def stub_names(release_nb) -> frozenset[str]:
    names = set()
    for c in notebooks.solution_cells(release_nb):
        names |= {s.name for s in ast.parse(c.source).body
                  if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    return frozenset(names)


def check_same_answers(case: Case, out) -> None:
    """The normalised complete notebook runs the code the untouched one runs."""
    base = case.baseline
    assert solution_code(out.nb) == solution_code(base.nb)
    names = stub_names(case.release)
    assert definitions_at_tests(out.nb, names) == definitions_at_tests(base.nb, names)
    assert out.answered == base.answered
    check_release_cells(case, out)


def check_release_cells(case: Case, out) -> None:
    """Every read-only cell of the release, in order, exactly; one cell per solution."""
    locked = [c for c in out.nb.cells if notebooks.is_locked(c)]
    assert locked == [c for c in case.release.cells if notebooks.is_locked(c)]
    gids = [notebooks.grade_id(c) for c in out.nb.cells if notebooks.grade_id(c)]
    assert len(gids) == len(set(gids))
    nbformat.validate(out.nb)


def check_blank(case: Case, out) -> None:
    assert out.unmodified, out.answered
    stubs = {notebooks.grade_id(c): canonical(c.source)
             for c in notebooks.solution_cells(case.release)}
    assert solution_code(out.nb) == stubs
    check_release_cells(case, out)


def run(case: Case, fn) -> None:
    parts = getattr(fn, "parts", (fn,))
    out = normalise(fn(case.complete), case.release)
    check_same_answers(case, out)
    check_notes(out, parts, case.complete, answered=True)
    blank = normalise(fn(case.blank), case.release)
    check_blank(case, blank)
    check_notes(blank, parts, case.blank, answered=False)


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_baseline_needs_no_repair(case):
    assert not case.baseline.repairs and not case.baseline.integrity
    assert len(case.baseline.answered) == len(notebooks.solution_cells(case.release))
    assert normalise(case.blank, case.release).unmodified


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_transformation_writes_a_valid_notebook(case, name):
    fn = case.transform(name)
    for nb in (case.complete, case.blank):
        before = copy.deepcopy(nb)
        changed = fn(nb)
        assert nb == before, "a transformation must not modify its argument"
        nbformat.validate(changed)
        again = nbformat.reads(json.dumps(changed), as_version=4)
        assert [c.source for c in again.cells] == [c.source for c in changed.cells]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_one_transformation(case, name):
    run(case, case.transform(name))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_normalising_twice_changes_nothing(case, name):
    once = normalise(case.transform(name)(case.complete), case.release)
    twice = normalise(once.nb, case.release)
    assert twice.nb == once.nb
    assert not twice.repairs and not twice.integrity and twice.answered == once.answered


PAIRS = list(itertools.combinations(NAMES, 2))


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_two_transformations(case, pair):
    f, g = (case.transform(n) for n in pair)
    run(case, editors.ordered(f, g))


# -- what cannot be told apart: that exercise alone scores 0 ------------------------------------


@pytest.mark.parametrize("case", ["toy"], indirect=True)
def test_answer_written_before_its_test_wins_as_in_a_run_from_the_top(case):
    """Another version of an answer below its test (a later try) runs there, as written;
    with or without the nbgrader metadata, the test sees the version above it."""
    for keep_metadata in (True, False):
        nb = copy.deepcopy(case.complete)
        square = notebooks.cell_by_grade_id(nb, "toy_square_solution")
        later = copy.deepcopy(square)
        later.source = "def square(x):\n    return x + x  # a later try"
        later["id"] = "later-try"
        nb.cells.insert(nb.cells.index(notebooks.cell_by_grade_id(nb, "toy_square")) + 1, later)
        if not keep_metadata:
            nb = editors.colab_resave(nb)
        out = normalise(nb, case.release)
        assert not out.unrecovered
        assert solution_code(out.nb) == solution_code(case.baseline.nb)
        sources = [c.source for c in out.nb.cells]
        test = sources.index(notebooks.cell_by_grade_id(case.release, "toy_square").source)
        assert sources[test + 1] == later.source


@pytest.mark.parametrize("case", ["toy"], indirect=True)
def test_different_answers_below_the_test_and_none_above_are_ambiguous(case):
    for keep_metadata in (True, False):
        nb = editors.move_solution_after_its_test(case.complete, which=0)
        square = notebooks.cell_by_grade_id(nb, "toy_square_solution")
        other = copy.deepcopy(square)
        other.source = "def square(x):\n    return x + x  # a second try"
        other["id"] = "second-try"
        nb.cells.insert(nb.cells.index(square) + 1, other)
        if not keep_metadata:
            nb = editors.colab_resave(nb)
        out = normalise(nb, case.release)
        assert out.unrecovered == [
            "answer of toy_square_solution not recovered: 2 different cells after its test "
            "cell toy_square define square, and none before it, so which one is the answer "
            "is ambiguous; that exercise scores 0"]
        assert out.unrecovered[0] in out.repairs
        # the exercise keeps the stub; both tries run where they were, after its test
        stub = notebooks.cell_by_grade_id(case.release, "toy_square_solution").source
        assert notebooks.cell_by_grade_id(out.nb, "toy_square_solution").source == stub
        sources = [c.source for c in out.nb.cells]
        test = sources.index(notebooks.cell_by_grade_id(case.release, "toy_square").source)
        assert sources[test + 1:test + 3] == [square.source, other.source]
        # the rest of the notebook is graded as written
        assert notebooks.cell_by_grade_id(out.nb, "toy_cube_solution").source.endswith("x ** 3")
        assert out.answered == ["toy_square_solution", "toy_cube_solution"]


@pytest.mark.parametrize("case", ["toy"], indirect=True)
def test_prose_in_a_solution_cell_turned_markdown_is_not_run(case):
    nb = copy.deepcopy(case.complete)
    square = notebooks.cell_by_grade_id(nb, "toy_square_solution")
    i = nb.cells.index(square)
    nb.cells[i] = new_markdown_cell("I could not do this one: **square** is x times x, but how?",
                                    metadata=square.metadata)
    out = normalise(nb, case.release)
    assert out.unrecovered and "toy_square_solution" in out.unrecovered[0]
    assert "is not Python" in out.unrecovered[0]
    assert any(c.cell_type == "markdown" and "could not do" in c.source for c in out.nb.cells)
    assert notebooks.cell_by_grade_id(out.nb, "toy_cube_solution").source.endswith("x ** 3")


@pytest.mark.parametrize("case", ["toy"], indirect=True)
def test_markdown_prose_near_an_answer_stays_prose(case):
    nb = editors.colab_resave(case.blank)
    nb.cells.insert(3, new_markdown_cell("square(x) should return x * x; def square is above"))
    nb.cells.insert(3, new_markdown_cell("```python\nsquare_table = [1, 4, 9]\n```"))
    out = normalise(nb, case.release)
    assert out.unmodified and not out.unrecovered
    assert [c.cell_type for c in out.nb.cells].count("markdown") == 3


@pytest.mark.parametrize("case", ["TP1_micrograd"], indirect=True)
def test_answers_moved_to_the_top_are_found(case):
    nb = editors.colab_resave(case.complete)
    gid = "tp1_hinge_loss_solution"
    key = canonical(notebooks.cell_by_grade_id(case.complete, gid).source)
    i = next(i for i, c in enumerate(nb.cells) if canonical(c.source) == key)
    nb.cells.insert(1, nb.cells.pop(i))
    out = normalise(nb, case.release)
    assert not out.unrecovered
    cells = case.release.cells
    here = next(i for i, c in enumerate(cells) if notebooks.grade_id(c) == gid)
    previous = [notebooks.grade_id(c) for c in cells[:here] if notebooks.is_test(c)][-1]
    assert f"answer of {gid} was before the test cell {previous} of the previous exercise; " \
           "moved back to its place" in out.repairs
    check_same_answers(case, out)


@pytest.mark.parametrize("case", ["toy"], indirect=True)
def test_helpers_above_an_answer_that_lost_its_metadata_still_come_before_its_test(case):
    nb = copy.deepcopy(case.complete)
    square = notebooks.cell_by_grade_id(nb, "toy_square_solution")
    square.source = "def square(x):\n    return times(x, x)"
    nb.cells.insert(nb.cells.index(square), new_code_cell("def times(a, b):\n    return a * b"))
    out = normalise(editors.colab_resave(nb), case.release)
    sources = [c.source for c in out.nb.cells]
    helper = sources.index("def times(a, b):\n    return a * b")
    answer = sources.index("def square(x):\n    return times(x, x)")
    test = sources.index(notebooks.cell_by_grade_id(case.release, "toy_square").source)
    assert helper < answer < test and not out.unrecovered


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_the_source_notebook_handed_in_is_graded_on_its_answers(case, toy, tp_releases):
    """Hidden tests in the test cells are an edit (restored), not cells merged into them."""
    course, tp_id = (toy, toy_course.TP_ID) if case.name == "toy" else (COURSE, case.name)
    source_nb = notebooks.read(notebooks.notebooks_in(course.source_dir / tp_id)[0])
    out = normalise(source_nb, case.release)
    assert len(out.answered) == len(case.baseline.answered) and not out.unrecovered
    assert not out.repairs
    assert all(n.endswith("was edited; the original was restored") for n in out.integrity)
    check_release_cells(case, out)
    assert not any(notebooks.HIDDEN_BEGIN in c.source for c in out.nb.cells
                   if not notebooks.is_locked(c))


# -- the time normalisation adds -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_normalisation_is_cheap_next_to_a_kernel_start(case):
    """A kernel start is 1-3 s; normalising a TP notebook, a few milliseconds."""
    nb = editors.colab_resave(editors.split_solution(case.complete))
    best = min(_timed(normalise, nb, case.release) for _ in range(5))
    assert best < 0.25, f"normalise took {best:.3f} s"


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


# -- end to end: real grading of transformed TP1 hand-ins -----------------------------------------

@pytest.fixture(scope="module", params=["TP1_micrograd", "TP2_makemore"])
def graded_e2e(request, tmp_path_factory):
    """A scratch course with one of the repository's TPs; the complete example as handed
    in, and three transformed hand-ins, graded by graders.grading.autograde.Grader (~10 s each)."""
    E2E_TP = request.param
    if not (COURSE.source_dir / E2E_TP).is_dir():
        pytest.skip(f"{E2E_TP} has no source notebook yet")
    from graders.grading.autograde import Grader
    from graders.grading.submissions import Submission

    root = tmp_path_factory.mktemp("e2e") / "course"
    root.mkdir()
    (root / "source").mkdir()
    shutil.copytree(COURSE.source_dir / E2E_TP, root / "source" / E2E_TP)
    (root / "course_config.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(ROOT / 'course_config.py')!r}))\n"
        "STUDENTS = []\n")
    course = Course(root)
    tp = course.tp(E2E_TP)
    grader = Grader(course)
    folder, release_nbs, _ = grader.pristine(tp)
    release_path = folder / next(iter(release_nbs))
    release_nb = notebooks.read(release_path)
    source_nb = notebooks.read(course.source_dir / E2E_TP / release_path.name)
    complete = examples.build("complete", release_nb, source_nb, course)
    blank = examples.build("unmodified", release_nb, source_nb, course)
    every_cells_metadata_lost = editors.combine(editors.strip_nbgrader_metadata,
                                                editors.downgrade_to_nbformat_4_0)
    hand_ins = {
        "complete": complete,
        "metadata-lost": every_cells_metadata_lost(complete),
        "colab-markdown": editors.ordered(editors.colab_resave,
                                          editors.solution_to_markdown)(complete),
        "blank-colab": editors.ordered(editors.colab_resave, editors.split_solution)(blank),
    }
    results = {}
    for student, nb in hand_ins.items():
        folder = course.submitted_dir / student / E2E_TP
        folder.mkdir(parents=True)
        (folder / release_path.name).write_text(json.dumps(nb), encoding="utf-8")
        results[student] = grader.grade(Submission(student, E2E_TP, folder), tp, student)
    return results, release_nb


def _outcomes(result):
    return [(o.grade_id, o.points, o.passed) for o in result.exercises]


def _expect_2(r, control):
    """A 2, as the untouched complete example gets."""
    assert control.grade == 2, control.reason
    assert r.grade == 2, r.reason


@pytest.mark.slow
def test_complete_hand_in_that_lost_every_cells_metadata_gets_2(graded_e2e):
    results, release_nb = graded_e2e
    r, control = results["metadata-lost"], results["complete"]
    assert _outcomes(r) == _outcomes(control) and r.grade == control.grade
    assert not r.integrity
    for gid in editors.solution_gids(release_nb):
        assert f"answer of {gid} matched by position and content (its nbgrader metadata " \
               "and cell id were lost)" in r.repairs
    _expect_2(r, control)


@pytest.mark.slow
def test_colab_hand_in_with_an_answer_turned_markdown_gets_2(graded_e2e):
    results, release_nb = graded_e2e
    r, control = results["colab-markdown"], results["complete"]
    assert _outcomes(r) == _outcomes(control) and r.grade == control.grade
    gid = editors.solution_gids(release_nb)[1]
    assert f"answer of {gid} recovered from a markdown cell" in r.repairs
    _expect_2(r, control)


@pytest.mark.slow
def test_blank_hand_in_transformed_is_still_unmodified(graded_e2e):
    results, _ = graded_e2e
    r = results["blank-colab"]
    assert (r.grade, r.reason) == (0, "unmodified release notebook (no answer written)")
