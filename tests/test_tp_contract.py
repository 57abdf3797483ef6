"""The TP contract, as code: what every practical must satisfy (docs/design.md §3).

Runs over every released TP. The fast checks read the notebooks; the slow one
(exercise independence) runs each TP once per solution cell through the grading engine.

- grade_ids are ``tpN_<skill>``, unique; a solution cell's is its test's plus ``_solution``
  where it has a test of its own;
- solution markers lie only inside function or method bodies (the release keeps the
  ``def`` and its docstring, the contract);
- each test cell has visible tests, then a hidden block;
- every ``assert`` has a message and every ``assert_close`` a ``msg=`` (expected vs got);
- the points stated in the intro cell and in the README are the notebook's;
- each test cell has a mutant it catches, each solution cell an accepted alternative, in
  the TP's mutant suite (``tests/test_tpN_mutants.py``);
- no visible test contains a line of an exercise's answer;
- **exercise independence**: with any one solution cell left as released, the only test
  cells that lose points are its own and those that declare it as a prerequisite in
  their metadata (``dl_course.requires``: grade_ids of solution cells).
"""
from __future__ import annotations

import ast
import copy
import importlib
import re

import pytest

from graders import notebooks
from graders.config import ROOT, Course

from . import mutation

COURSE = Course(ROOT)
TPS = [tp.id for tp in COURSE.released_tps]
GRADE_ID = re.compile(r"^tp(\d+)_[a-z0-9_]+$")
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def source_notebooks(tp_id):
    return [(p, notebooks.read(p)) for p in notebooks.notebooks_in(COURSE.source_dir / tp_id)]


def requires(cell) -> list[str]:
    return list(cell.metadata.get("dl_course", {}).get("requires", []))


def answer_lines(cell) -> set[str]:
    """The lines between a solution cell's markers, long enough to be telling."""
    lines, inside = set(), False
    for line in cell.source.splitlines():
        if MARKER.match(line):
            inside = "BEGIN" in line
            continue
        s = line.strip()
        if inside and len(s) > 12 and not s.startswith("#"):
            lines.add(s)
    return lines


def mutants_of(tp_id):
    number = tp_id.split("_")[0][2:]
    try:
        return importlib.import_module(f"tests.test_tp{number}_mutants").MUTANTS
    except ModuleNotFoundError:
        return None


@pytest.mark.parametrize("tp_id", TPS)
def test_grade_ids_are_named_for_the_skill_and_unique(tp_id):
    number = tp_id.split("_")[0][2:]
    seen = set()
    for path, nb in source_notebooks(tp_id):
        for cell in nb.cells:
            gid = notebooks.grade_id(cell)
            if gid is None:
                continue
            m = GRADE_ID.match(gid)
            assert m and m.group(1) == number, f"{path.name}: grade_id {gid!r} is not tp{number}_<skill>"
            assert gid not in seen, f"grade_id {gid!r} appears twice"
            seen.add(gid)


@pytest.mark.parametrize("tp_id", TPS)
def test_solutions_are_inside_function_bodies(tp_id):
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.solution_cells(nb):
            lines = cell.source.splitlines()
            markers = [i + 1 for i, line in enumerate(lines) if MARKER.match(line)]
            assert markers, f"{notebooks.grade_id(cell)}: a solution cell without markers"
            tree = ast.parse(cell.source)
            bodies = [(f.body[0].lineno, f.end_lineno) for f in ast.walk(tree)
                      if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for line in markers:
                assert any(start - 1 <= line <= end + 1 for start, end in bodies), (
                    f"{notebooks.grade_id(cell)} line {line}: solution markers must lie inside "
                    "a function or method body (the release keeps the def and its docstring)")


@pytest.mark.parametrize("tp_id", TPS)
def test_each_test_cell_has_visible_tests_then_a_hidden_block(tp_id):
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.test_cells(nb):
            gid = notebooks.grade_id(cell)
            assert notebooks.HIDDEN_BEGIN in cell.source, f"{gid}: no hidden tests"
            visible = cell.source.split(notebooks.HIDDEN_BEGIN)[0]
            code = [s for s in (line.strip() for line in visible.splitlines())
                    if s and not s.startswith("#")]
            assert code, f"{gid}: no visible test before the hidden block"


@pytest.mark.parametrize("tp_id", TPS)
def test_every_assertion_says_expected_versus_got(tp_id):
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.test_cells(nb):
            gid = notebooks.grade_id(cell)
            tree = ast.parse(cell.source)
            for node in ast.walk(tree):
                if isinstance(node, ast.Assert):
                    assert node.msg is not None, f"{gid} line {node.lineno}: assert without a message"
                if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                        node.func, "id", None)) == "assert_close":
                    assert any(k.arg == "msg" for k in node.keywords), \
                        f"{gid} line {node.lineno}: assert_close without msg="


@pytest.mark.parametrize("tp_id", TPS)
def test_stated_points_are_the_notebooks(tp_id):
    readme = (ROOT / "README.md").read_text()
    for path, nb in source_notebooks(tp_id):
        total = notebooks.total_points(nb)
        intro = nb.cells[0].source
        assert re.search(rf"\b{total:g} points\b", intro), \
            f"{path.name}: the intro cell should state the {total:g} points"
        row = next((line for line in readme.splitlines() if f"`{tp_id}/{path.name}`" in line), "")
        assert re.search(rf"\|\s*{total:g}\s*\|", row), \
            f"README's TP table should give {tp_id}/{path.name} its {total:g} points"


@pytest.mark.parametrize("tp_id", TPS)
def test_the_mutant_suite_covers_every_cell(tp_id):
    mutants = mutants_of(tp_id)
    assert mutants is not None, f"{tp_id} has no mutant suite (tests/test_tpN_mutants.py)"
    caught = {m.caught_by for m in mutants}
    alternatives = {m.cell for m in mutants if m.caught_by is None}
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.test_cells(nb):
            assert notebooks.grade_id(cell) in caught, \
                f"no mutant is caught by {notebooks.grade_id(cell)}"
        for cell in notebooks.solution_cells(nb):
            assert notebooks.grade_id(cell) in alternatives, \
                f"no correct alternative for {notebooks.grade_id(cell)}"


@pytest.mark.parametrize("tp_id", TPS)
def test_no_visible_test_gives_an_answer_away(tp_id):
    for path, nb in source_notebooks(tp_id):
        answers = {line: notebooks.grade_id(c) for c in notebooks.solution_cells(nb)
                   for line in answer_lines(c)}
        for cell in notebooks.test_cells(nb):
            visible = cell.source.split(notebooks.HIDDEN_BEGIN)[0]
            for line in visible.splitlines():
                assert line.strip() not in answers, (
                    f"the visible test {notebooks.grade_id(cell)} contains a line of the answer "
                    f"to {answers.get(line.strip())}: {line.strip()!r}")


@pytest.mark.parametrize("tp_id", TPS)
def test_requirements_name_solution_cells(tp_id):
    for path, nb in source_notebooks(tp_id):
        solutions = {notebooks.grade_id(c) for c in notebooks.solution_cells(nb)}
        for cell in notebooks.test_cells(nb):
            unknown = set(requires(cell)) - solutions
            assert not unknown, f"{notebooks.grade_id(cell)} requires unknown cells {unknown}"


def _independence_cases():
    for tp_id in TPS:
        for path, nb in source_notebooks(tp_id):
            for cell in notebooks.solution_cells(nb):
                yield pytest.param(tp_id, path.name, notebooks.grade_id(cell),
                                   id=f"{tp_id}-{notebooks.grade_id(cell)}")


@pytest.mark.slow
@pytest.mark.parametrize("tp_id,name,solution", list(_independence_cases()))
def test_an_unanswered_exercise_costs_only_its_own_points(tp_id, name, solution, tmp_path):
    """The source notebook with one solution cell as released: only that exercise's test
    cells and those declaring it in ``requires`` may fail, and at least one must."""
    nb = notebooks.read(COURSE.source_dir / tp_id / name)
    released = notebooks.read(COURSE.release_dir / tp_id / name)
    nb = copy.deepcopy(nb)
    notebooks.cell_by_grade_id(nb, solution).source = \
        notebooks.cell_by_grade_id(released, solution).source
    outcomes = mutation.run(nb, tp_id, tmp_path)
    failed = {gid for gid, o in outcomes.items() if not o.passed}
    allowed = {notebooks.grade_id(c) for c in notebooks.test_cells(nb)
               if notebooks.grade_id(c) + "_solution" == solution or solution in requires(c)}
    assert failed, f"with {solution} unanswered, no test cell fails: the exercise is untested"
    assert failed <= allowed, (
        f"with {solution} unanswered, {sorted(failed - allowed)} lose points too: make them "
        f"independent, or declare {solution} in their metadata's dl_course.requires")
