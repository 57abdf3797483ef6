"""The TP contract, as code: what every practical must satisfy (docs/design.md §3).

Runs over every released TP. The fast checks read the notebooks; the slow one
(exercise independence) runs each TP once per solution cell through the grading engine.

- grade_ids are ``tpN_<skill>``, unique; a solution cell's is its test's plus ``_solution``
  where it has a test of its own;
- solution markers lie only inside function or method bodies (the release keeps the
  ``def`` and its docstring, the contract);
- each test cell has visible tests, then a hidden block;
- every ``assert`` has a message and every ``assert_close`` a ``msg=`` (expected vs got);
- the points stated in the intro cell and in the README are the notebook's (its core: an
  optional test cell's points are a bonus);
- at most 14 graded test cells count towards the grade (one 3-hour session);
- each test cell has at least 3 mutants it catches, each solution cell an accepted alternative, in
  the TP's mutant suite (``tests/test_tpN_mutants.py``);
- no visible test contains a line of an exercise's answer;
- no test compares how an answer is built (a layer's ``padding``, ``stride``... or a count
  of ``modules()``) rather than what it does;
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

from graders.course import notebooks
from graders.course.config import ROOT, Course

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


CORE_CAP = 14   # graded test cells a median student finishes in one 3-hour session


@pytest.mark.parametrize("tp_id", TPS)
def test_the_core_fits_one_session(tp_id):
    """At most CORE_CAP graded test cells count towards the grade; the rest are optional
    (``"dl_course": {"optional": true}``: bonus points) and the notebook says so."""
    for path, nb in source_notebooks(tp_id):
        cells = notebooks.test_cells(nb)
        core = [c for c in cells if not notebooks.is_optional(c)]
        assert len(core) <= CORE_CAP, (
            f"{path.name}: {len(core)} graded test cells count towards the grade, at most "
            f"{CORE_CAP} fit one session: make the others optional (dl_course.optional)")
        if len(core) < len(cells):
            text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
            assert "optional" in text and "bonus" in text, \
                f"{path.name} has optional exercises: its text should say they are optional (bonus)"


@pytest.mark.parametrize("tp_id", TPS)
def test_the_mutant_suite_covers_every_cell(tp_id):
    mutants = mutants_of(tp_id)
    assert mutants is not None, f"{tp_id} has no mutant suite (tests/test_tpN_mutants.py)"
    alternatives = {m.cell for m in mutants if m.caught_by is None}
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.test_cells(nb):
            n = sum(m.caught_by == notebooks.grade_id(cell) for m in mutants)
            assert n >= 3, f"{notebooks.grade_id(cell)} has {n} wrong mutants, at least 3 expected"
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


#: How an answer was built, rather than what it does: a test that compares these rejects
#: correct answers written another way (``padding="same"`` for ``padding=1``).
BUILT_NOT_BEHAVIOUR = re.compile(
    r"\.(padding|stride|kernel_size|dilation|padding_mode|in_features|out_features|"
    r"in_channels|out_channels|negative_slope|inplace|num_features|normalized_shape)\b\s*"
    r"(==|!=|\bin\b|\bis\b)|len\(\s*list\(\s*[\w.]+\.(modules|children)\(\)")


@pytest.mark.parametrize("tp_id", TPS)
def test_tests_check_behaviour_not_how_an_answer_is_built(tp_id):
    for path, nb in source_notebooks(tp_id):
        for cell in notebooks.test_cells(nb):
            for line in cell.source.splitlines():
                assert not BUILT_NOT_BEHAVIOUR.search(line.split("#")[0]), (
                    f"{notebooks.grade_id(cell)} checks how the answer is built, not what it "
                    f"does (a correct answer written otherwise fails): {line.strip()}")


@pytest.mark.parametrize("line", ["assert conv.padding == (1, 1)", "assert m.stride in (1, (1, 1))",
                                  "assert len(list(model.modules())) == 7",
                                  "assert lin.in_features == 3, 'x'"])
def test_building_checks_are_recognised(line):
    assert BUILT_NOT_BEHAVIOUR.search(line), line


@pytest.mark.parametrize("tp_id", TPS)
def test_requirements_name_solution_cells(tp_id):
    for path, nb in source_notebooks(tp_id):
        solutions = {notebooks.grade_id(c) for c in notebooks.solution_cells(nb)}
        for cell in notebooks.test_cells(nb):
            unknown = set(requires(cell)) - solutions
            assert not unknown, f"{notebooks.grade_id(cell)} requires unknown cells {unknown}"


def deps(cell) -> frozenset[str]:
    """The solution cells a test cell may use: its own and those it declares."""
    return frozenset({notebooks.grade_id(cell) + "_solution", *requires(cell)})


def independence_rounds(nb) -> list[list[str]]:
    """Solution cells to leave unanswered together, one notebook run per round.

    Exercise independence is a set of claims: test cell T passes with solution cell S
    unanswered whenever S is not among T's deps, and each S is tested (some T fails without
    it). One run with the cells R unanswered checks the first claim for every S in R and
    every T whose deps R does not touch, and the second for every S in R that is the only
    cell of R some T uses. Rounds are chosen greedily until every claim is checked by
    one: about half as many runs as one per solution cell (and the runs are shorter).
    Leaving more cells unanswered never makes a dependent test pass again, so a round's
    verdict on a claim is the verdict of the run with S alone unanswered."""
    sols = [notebooks.grade_id(c) for c in notebooks.solution_cells(nb)]
    tests = [(notebooks.grade_id(c), deps(c)) for c in notebooks.test_cells(nb)]

    def claims(R):
        out = {(t, s) for t, d in tests for s in R if s not in d and not d & R}
        return out | {("tested", s) for s in R if any(d & R == {s} for _, d in tests)}

    todo = {(t, s) for t, d in tests for s in sols if s not in d} | {("tested", s) for s in sols}
    rounds = []
    while todo:
        R: set[str] = set()
        while True:
            gains = [(len(claims(R | {s}) & todo) - len(claims(R) & todo), -i, s)
                     for i, s in enumerate(sols) if s not in R]
            best = max(gains, default=None)
            if best is None or best[0] <= 0:
                break
            R.add(best[2])
        covered = claims(R) & todo
        assert covered, f"no round checks {sorted(todo)}"
        todo -= covered
        rounds.append([s for s in sols if s in R])
    return rounds


def _unanswered(source_nb, released_nb, cells):
    nb = copy.deepcopy(source_nb)
    for gid in cells:
        notebooks.cell_by_grade_id(nb, gid).source = \
            notebooks.cell_by_grade_id(released_nb, gid).source
    return nb


def _check_independence(tp_id, source_nb, released_nb, solution, tmp_path):
    """The source notebook with one solution cell as released: only that exercise's test
    cells and those declaring it in ``requires`` may fail, and at least one must."""
    nb = _unanswered(source_nb, released_nb, [solution])
    outcomes = mutation.run(nb, tp_id, tmp_path)
    failed = {gid for gid, o in outcomes.items() if not o.passed}
    allowed = {notebooks.grade_id(c) for c in notebooks.test_cells(nb) if solution in deps(c)}
    assert failed, f"with {solution} unanswered, no test cell fails: the exercise is untested"
    assert failed <= allowed, (
        f"with {solution} unanswered, {sorted(failed - allowed)} lose points too: make them "
        f"independent, or declare {solution} in their metadata's dl_course.requires")


def check_round(tp_id, source_nb, released_nb, cells, tmp_path):
    """One round of :func:`independence_rounds`; on a failure, each of its cells alone
    names the exercise at fault."""
    nb = _unanswered(source_nb, released_nb, cells)
    outcomes = mutation.run(nb, tp_id, tmp_path)
    R = set(cells)
    tests = {notebooks.grade_id(c): deps(c) for c in notebooks.test_cells(nb)}
    failed = {gid for gid, o in outcomes.items() if not o.passed}
    unexpected = {t for t in failed if not tests[t] & R}
    untested = [s for s in cells if (users := {t for t, d in tests.items() if d & R == {s}})
                and not users & failed]
    if unexpected or untested:
        for gid in cells:
            _check_independence(tp_id, source_nb, released_nb, gid, tmp_path)
        pytest.fail(f"with {cells} unanswered together, {sorted(unexpected)} lose points "
                    f"and {untested} seem untested, though each alone is fine")


def _independence_cases(tp_id):
    for path, nb in source_notebooks(tp_id):
        for cells in independence_rounds(nb):
            yield pytest.param(path.name, cells, id="+".join(
                c.removeprefix(tp_id.split("_")[0].lower() + "_").removesuffix("_solution")
                for c in cells))


def _independence_class(tp_id):
    """One class per TP, so that `--dist loadscope` spreads the TPs over the workers."""
    @pytest.mark.slow
    @pytest.mark.parametrize("name,cells", list(_independence_cases(tp_id)))
    def test_an_unanswered_exercise_costs_only_its_own_points(self, name, cells, tmp_path):
        check_round(tp_id, notebooks.read(COURSE.source_dir / tp_id / name),
                    notebooks.read(COURSE.release_dir / tp_id / name), cells, tmp_path)

    return type(f"TestIndependence_{tp_id}", (),
                {"test_an_unanswered_exercise_costs_only_its_own_points":
                 test_an_unanswered_exercise_costs_only_its_own_points})


for _tp_id in TPS:
    _cls = _independence_class(_tp_id)
    globals()[_cls.__name__] = _cls


@pytest.mark.parametrize("tp_id", TPS)
def test_the_rounds_check_every_claim(tp_id):
    """Every (test cell, solution cell it does not use) pair is checked by a round that
    leaves the solution unanswered and the test's own cells answered; every solution cell
    is, in some round, the only unanswered cell of a test that uses it."""
    for path, nb in source_notebooks(tp_id):
        rounds = [set(r) for r in independence_rounds(nb)]
        sols = [notebooks.grade_id(c) for c in notebooks.solution_cells(nb)]
        for cell in notebooks.test_cells(nb):
            for s in sols:
                if s not in deps(cell):
                    assert any(s in R and not deps(cell) & R for R in rounds), \
                        (notebooks.grade_id(cell), s)
        for s in sols:
            assert any(deps(c) & R == {s} for R in rounds for c in notebooks.test_cells(nb)), s
        assert len(rounds) < len(sols) or len(sols) <= 2, "no fewer runs than one per cell"


@pytest.mark.slow
def test_an_undeclared_prerequisite_is_found(tmp_path):
    """The check can fail: TP1's MLP test declares that it uses Value and Neuron; with the
    declaration of Neuron removed, the round that leaves Neuron unanswered fails and names
    the exercise."""
    tp_id = "TP1_micrograd"
    source = notebooks.read(COURSE.source_dir / tp_id / "micrograd.ipynb")
    released = notebooks.read(COURSE.release_dir / tp_id / "micrograd.ipynb")
    mlp = notebooks.cell_by_grade_id(source, "tp1_mlp")
    assert "tp1_neuron_solution" in requires(mlp)
    mlp.metadata["dl_course"]["requires"] = ["tp1_value_solution"]
    with pytest.raises(AssertionError, match=r"with tp1_neuron_solution unanswered, "
                                             r"\['tp1_mlp'\] lose points too"):
        check_round(tp_id, source, released, ["tp1_neuron_solution"], tmp_path)
