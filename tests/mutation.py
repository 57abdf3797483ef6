"""The mutant suite's machinery: does each exercise's tests catch the bugs students make?

A :class:`Mutant` is one edit of one solution cell of a source notebook (the notebook
with solutions and hidden tests). Executing the edited notebook as grading executes it
(``graders.grading.engine``: a fresh sandboxed kernel, the guard, the TP's limits) must make the
named test cell fail; an *alternative correct* solution (``caught_by=None``) must pass
every test. Each TP's ``tests/test_tpN_mutants.py`` lists its mutants and subclasses
:class:`MutantSuite`, whose tests every suite shares.

Where the time goes: a fresh kernel with ``import torch`` costs about 4 s on 2 cores, the
rest is the notebook itself. So wrong mutants run in rounds (:func:`wrong_rounds`), one
notebook per round, up to the last test cell concerned (the cells after it cannot change
that cell's outcome); correct alternatives too (:func:`alternative_rounds`).
"""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from graders.course import notebooks
from graders.course.config import Course
from graders.grading import outcomes
from graders.grading.engine import Engine, Limits

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str              # the bug, as a student would make it
    cell: str              # grade_id of the solution cell to edit
    old: str               # text found exactly once in the reference solution
    new: str               # what replaces it
    caught_by: str | None  # grade_id of the test cell that must fail; None: all must pass
    kind: str | None = None  # the kind of bug students really make (CI runs every tagged one)

    def __str__(self) -> str:
        return self.name


def apply(nb, mutant: Mutant):
    """A copy of ``nb`` with the mutant's edit; fails loudly if the edit does not apply."""
    nb = copy.deepcopy(nb)
    cell = notebooks.cell_by_grade_id(nb, mutant.cell)
    count = cell.source.count(mutant.old)
    assert count == 1, f"{mutant.name}: {mutant.old!r} occurs {count} times in {mutant.cell}"
    cell.source = cell.source.replace(mutant.old, mutant.new)
    return nb


def truncate_after(nb, gid: str):
    """Drop the cells after test cell ``gid``: they cannot change its outcome."""
    nb = copy.deepcopy(nb)
    idx = next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == gid)
    nb.cells = nb.cells[: idx + 1]
    return nb


_engine: Engine | None = None


def engine() -> Engine:
    """The grading engine of the repository's course, shared by the suite's tests."""
    global _engine
    if _engine is None:
        _engine = Engine(Course(ROOT), work_dir=Path(tempfile.mkdtemp(prefix="mutants-")))
    return _engine


def run(nb, tp_folder: str, tmp_path: Path,
        timeout: int | None = None) -> dict[str, outcomes.Outcome]:
    """Execute ``nb`` (the source notebook or any full notebook) as grading does, next to a
    copy of the TP's files; outcomes by test grade_id."""
    return run_executed(nb, tp_folder, tmp_path, timeout)[0]


def run_executed(nb, tp_folder: str, tmp_path: Path, timeout: int | None = None):
    """:func:`run`, and the executed notebook."""
    work = Path(tempfile.mkdtemp(prefix="tp-", dir=tmp_path))
    shutil.copytree(ROOT / "source" / tp_folder, work, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    course = engine().course
    limits = Limits.of(course, course.tp(tp_folder))
    if timeout is not None:
        limits = Limits(timeout, limits.notebook_timeout, limits.max_output_bytes)
    result = engine().run(nb, work, limits)
    shutil.rmtree(work, ignore_errors=True)
    return {o.grade_id: o for o in result.outcomes}, result.nb


#: Failures that prove nothing about a test's power: the test never got to check the bug.
WRONG_REASONS = ("NameError", "not answered yet", "interrupted", *outcomes.OWN_ERRORS)


def wrong_reason(message: str) -> str | None:
    """Why a failed test cell's message does not count as catching a bug, if it does not."""
    return next((r for r in WRONG_REASONS if r in message), None)


def cell_error(executed_nb, gid: str) -> str | None:
    """The error an executed cell raised, if any (a mutated answer must itself run)."""
    cell = notebooks.cell_by_grade_id(executed_nb, gid)
    err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    return None if err is None else f"{err.get('ename')}: {str(err.get('evalue'))[:200]}"


def assert_caught(mutant: Mutant, results: dict, executed_nb):
    """The mutant's test cell failed, for the right reason: its answer cell ran, and the
    test checked the answer (an assertion, or the error the answer raised), rather than
    meeting an undefined name, a timeout, a dead kernel or the notebook's deadline."""
    ran = cell_error(executed_nb, mutant.cell)
    assert ran is None, f"mutant {mutant.name!r}: its answer cell {mutant.cell} raised {ran}"
    outcome = results[mutant.caught_by]
    assert not outcome.passed, f"mutant {mutant.name!r} is not caught by {mutant.caught_by}"
    why = wrong_reason(outcome.message)
    assert why is None, (f"mutant {mutant.name!r} fails {mutant.caught_by} for the wrong "
                         f"reason ({why}): {outcome.message}")


def deps(nb, test_gid: str) -> set[str]:
    """The solution cells test cell ``test_gid`` may use: its own and its declared
    ``dl_course.requires`` (the contract test proves it uses no other)."""
    cell = notebooks.cell_by_grade_id(nb, test_gid)
    return {f"{test_gid}_solution", *cell.metadata.get("dl_course", {}).get("requires", [])}


def check_mutant(source_nb, tp_folder: str, mutant: Mutant, tmp_path: Path,
                 timeout: int | None = None):
    """Assert the mutant is caught by its test cell (or, if correct, passes everything)."""
    nb = apply(source_nb, mutant)
    if mutant.caught_by is not None:
        nb = truncate_after(nb, mutant.caught_by)
    results, executed = run_executed(nb, tp_folder, tmp_path, timeout)
    if mutant.caught_by is None:
        failed = {g: o.message for g, o in results.items() if not o.passed}
        assert not failed, f"correct alternative {mutant.name!r} fails: {failed}"
    else:
        # the round's controls, a round of one too: what the mutant cannot reach still passes
        broken = {g: o.message for g, o in results.items() if g != mutant.caught_by
                  and mutant.cell not in deps(source_nb, g) and not o.passed}
        assert not broken, (f"mutant {mutant.name!r}: test cells that do not use "
                            f"{mutant.cell} fail too, so the run proves nothing: {broken}")
        assert_caught(mutant, results, executed)


#: CI runs the first PER_CELL wrong mutants of each test cell (the contract's minimum is 3)
#: and, for each test cell, one mutant of every ``kind`` tagged there (the realistic bugs:
#: an argument never varied, an edge value, aliasing, a second call...): every kind of bug
#: runs in CI, within its time budget; ``make test-mutants-all``
#: (DL_COURSE_ALL_MUTANTS=1) runs every one. Every mutant's edit is checked to apply by the
#: fast suite either way.
PER_CELL = 3


def wrong(mutants: list[Mutant]) -> list[Mutant]:
    """The mutants that a test cell must catch: the first PER_CELL of each test cell and
    the first of each kind tagged on it, or all of them with DL_COURSE_ALL_MUTANTS=1."""
    everything = os.environ.get("DL_COURSE_ALL_MUTANTS") == "1"
    taken: dict[str, int] = {}
    kinds: set[tuple[str, str]] = set()
    out = []
    for m in mutants:
        if m.caught_by is None:
            continue
        taken[m.caught_by] = taken.get(m.caught_by, 0) + 1
        new_kind = m.kind is not None and (m.kind, m.caught_by) not in kinds
        if everything or new_kind or taken[m.caught_by] <= PER_CELL:
            out.append(m)
            if m.kind:
                kinds.add((m.kind, m.caught_by))
    return out


def wrong_rounds(mutants: list[Mutant], nb) -> list[list[Mutant]]:
    """The wrong mutants CI runs (:func:`wrong`), dealt into rounds that run as one notebook
    each: a student who made all of a round's bugs at once.

    Two mutants share a round only if they edit different solution cells and neither's test
    cell may use the other's cell (:func:`deps`). Exercise independence (proven by the
    contract test) then makes each test cell's outcome in the round the same as with its
    own mutant alone. The most-edited cells are dealt first, so there are about as many
    rounds as the most mutants of one cell. A round of one runs truncated after its test.
    """
    pending = wrong(mutants)
    load: dict[str, int] = {}
    for m in pending:
        load[m.cell] = load.get(m.cell, 0) + 1
    rounds: list[list[Mutant]] = []
    for m in sorted(pending, key=lambda m: -load[m.cell]):   # stable: the suite's order within
        for r in rounds:
            if all(o.cell != m.cell and o.cell not in deps(nb, m.caught_by)
                   and m.cell not in deps(nb, o.caught_by) for o in r):
                r.append(m)
                break
        else:
            rounds.append([m])
    return rounds


def round_id(round_: list[Mutant]) -> str:
    return f"{len(round_)} wrong: " + "; ".join(m.name for m in round_)[:80]


def check_wrong_round(source_nb, tp_folder: str, round_: list[Mutant], tmp_path: Path):
    """Assert each mutant of a round is caught by its test cell, the round run as one
    notebook; the test cells that use no mutated cell must still pass (the round's
    controls: a failing one, or a kernel that died, means the round proves nothing, and
    each mutant is then run on its own)."""
    if len(round_) == 1:
        return check_mutant(source_nb, tp_folder, round_[0], tmp_path)
    nb = source_nb
    for m in round_:
        nb = apply(nb, m)
    targets = {m.caught_by for m in round_}
    last = max(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) in targets)
    nb = truncate_after(nb, notebooks.grade_id(nb.cells[last]))
    results, executed = run_executed(nb, tp_folder, tmp_path)
    mutated = {m.cell for m in round_}
    broken = {g: o.message for g, o in results.items()
              if g not in targets and not (deps(source_nb, g) & mutated) and not o.passed}
    broken.update({g: o.message for g, o in results.items()
                   if o.message.startswith(outcomes.OWN_ERRORS)})
    if broken:   # not a fair round: the verdict of each mutant on its own
        for m in round_:
            check_mutant(source_nb, tp_folder, m, tmp_path)
        return
    missed = [m for m in round_ if results[m.caught_by].passed
              or wrong_reason(results[m.caught_by].message) or cell_error(executed, m.cell)]
    for m in missed:   # confirmed on its own, so that the failure names one bug
        check_mutant(source_nb, tp_folder, m, tmp_path)


def alternative_rounds(mutants: list[Mutant]) -> list[list[Mutant]]:
    """The correct alternatives dealt into rounds of at most one per solution cell.

    A correct alternative runs the whole notebook: running one round per notebook (a
    student who wrote all these alternatives) checks them all in a few runs instead of one
    run each. A round that fails names its alternatives; each still has to pass."""
    rounds: list[list[Mutant]] = []
    for m in mutants:
        if m.caught_by is not None:
            continue
        for r in rounds:
            if all(o.cell != m.cell for o in r):
                r.append(m)
                break
        else:
            rounds.append([m])
    return rounds


def check_alternatives(source_nb, tp_folder: str, round_: list[Mutant], tmp_path: Path):
    """Assert a round of correct alternatives, applied together, passes every test cell."""
    nb = source_nb
    for m in round_:
        nb = apply(nb, m)
    results = run(nb, tp_folder, tmp_path)
    failed = {g: o.message for g, o in results.items() if not o.passed}
    assert not failed, (f"correct alternatives {[m.name for m in round_]} fail together: "
                        f"{failed}")


#: The fewest wrong mutants a test cell may have (the contract's minimum: test_tp_contract).
MIN_WRONG = 3
#: At most this many graded test cells count towards the grade: one 3-hour session.
CORE_CAP = 14


def solutions_of(nb) -> set[str]:
    """The grade_ids of the notebook's solution cells."""
    return {notebooks.grade_id(c) for c in notebooks.solution_cells(nb)}


def tests_of(nb) -> set[str]:
    """The grade_ids of the notebook's test cells."""
    return {notebooks.grade_id(c) for c in notebooks.test_cells(nb)}


class SuiteChecks:
    """The checks every TP's mutant suite runs on its own data. A suite is a class
    ``TestTPn`` of :class:`MutantSuite` (or of this class, if it runs its mutants its own
    way) that sets the attributes below and adds only what its TP needs.

    Fast: the source notebook is one the suite can mutate (no kernel), its points and test
    cells are the stated ones, every test cell has at least :data:`MIN_WRONG` wrong mutants,
    every solution cell a correct alternative, mutant names are unique, every edit applies
    once to a solution cell. Slow: the source notebook scores full marks as grading runs it.
    """
    tp: str                          # the TP's folder under source/
    source: Path                     # its source notebook
    mutants: list[Mutant]            # the module's MUTANTS (the README and the contract read it)
    points: int                      # the core's points
    bonus: int = 0                   # the optional exercises' points
    test_cells: int                  # how many test cells the notebook has
    own_solution_cells: bool = False  # each test cell gid has a solution cell gid_solution

    def pytest_generate_tests(self, metafunc):
        """The suite's own cases (pytest asks the class): a test that takes ``mutant`` runs
        once per mutant; ``wrong_round`` and ``alternative_round`` once per round."""
        args = metafunc.fixturenames
        if "mutant" in args:
            metafunc.parametrize("mutant", self.mutants, ids=str)
        if "wrong_round" in args:
            rounds = wrong_rounds(self.mutants, notebooks.read(self.source))
            metafunc.parametrize("wrong_round", rounds, ids=round_id)
        if "alternative_round" in args:
            metafunc.parametrize("alternative_round", alternative_rounds(self.mutants),
                                 ids=lambda r: f"{len(r)} alternatives")

    @pytest.fixture(scope="class")
    def source_nb(self):
        return notebooks.read(self.source)

    def test_notebook_contract(self, source_nb):
        assert source_nb.metadata.kernelspec.name == "python3"
        gids = [g for g in map(notebooks.grade_id, source_nb.cells) if g]
        assert len(gids) == len(set(gids)), "grade_ids must be unique"
        ids = [c.id for c in source_nb.cells]
        assert all(ids) and len(ids) == len(set(ids)), "every cell needs a unique id"
        solutions = solutions_of(source_nb)
        for cell in source_nb.cells:
            gid = notebooks.grade_id(cell)
            assert cell.get("execution_count") is None and not cell.get("outputs"), \
                f"{cell.id} stored with outputs"
            if notebooks.is_solution(cell):
                assert "### BEGIN SOLUTION" in cell.source, gid
                assert "### END SOLUTION" in cell.source, gid
                assert gid.endswith("_solution"), gid
            if notebooks.is_test(cell):
                assert notebooks.visible_lines(cell) < len(cell.source.splitlines()), \
                    f"{gid} has no hidden tests"
                requires = set(cell.metadata.get("dl_course", {}).get("requires", []))
                assert requires <= solutions, f"{gid} requires unknown cells {requires - solutions}"
                assert not self.own_solution_cells or f"{gid}_solution" in solutions, \
                    f"{gid} has no solution cell {gid}_solution"

    def test_points(self, source_nb):
        assert notebooks.total_points(source_nb) == self.points
        assert notebooks.bonus_points(source_nb) == self.bonus
        cells = notebooks.test_cells(source_nb)
        assert len(cells) == self.test_cells, f"{len(cells)} test cells, {self.test_cells} stated"
        core = [c for c in cells if not notebooks.is_optional(c)]
        assert len(core) <= CORE_CAP, f"{len(core)} graded test cells in the core (> {CORE_CAP})"

    def test_mutant_names_are_unique(self):
        twice = [n for n, k in Counter(m.name for m in self.mutants).items() if k > 1]
        assert not twice, f"mutants that share a name: {twice}"

    def test_every_test_cell_has_three_mutants(self, source_nb):
        tests = tests_of(source_nb)
        counts = Counter(m.caught_by for m in self.mutants if m.caught_by)
        assert set(counts) <= tests, f"mutants name unknown test cells: {set(counts) - tests}"
        few = {t: counts[t] for t in tests if counts[t] < MIN_WRONG}
        assert not few, f"test cells with fewer than {MIN_WRONG} mutants: {few}"

    def test_every_solution_cell_has_a_correct_alternative(self, source_nb):
        missing = solutions_of(source_nb) - {m.cell for m in self.mutants if m.caught_by is None}
        assert not missing, f"solution cells without a correct alternative: {missing}"

    def test_mutant_applies(self, source_nb, mutant):
        cell = notebooks.cell_by_grade_id(source_nb, mutant.cell)
        assert notebooks.is_solution(cell), f"{mutant.name}: {mutant.cell} is not a solution cell"
        nb = apply(source_nb, mutant)  # asserts the edited text occurs exactly once
        assert notebooks.cell_by_grade_id(nb, mutant.cell).source != cell.source

    @pytest.mark.slow
    def test_source_passes(self, source_nb, tmp_path):
        start = time.perf_counter()
        results = run(copy.deepcopy(source_nb), self.tp, tmp_path)
        wall = time.perf_counter() - start
        assert set(results) == tests_of(source_nb)
        failed = {g: o.message for g, o in results.items() if not o.passed}
        assert not failed, f"the reference solution fails: {failed}"
        assert sum(o.points for o in results.values()) == self.points + self.bonus
        # a figure for the README's table, not a test: shared CI machines are noisy
        print(f"\n{self.tp.split('_')[0]} source notebook, grading mode: {wall:.1f} s")


class MutantSuite(SuiteChecks):
    """:class:`SuiteChecks`, and the mutants run in rounds: one case per round of wrong
    mutants (:func:`wrong_rounds`), one per round of correct alternatives
    (:func:`alternative_rounds`)."""

    @pytest.mark.slow
    def test_wrong_mutants_are_caught(self, source_nb, wrong_round, tmp_path):
        check_wrong_round(source_nb, self.tp, wrong_round, tmp_path)

    @pytest.mark.slow
    def test_correct_alternatives(self, source_nb, alternative_round, tmp_path):
        check_alternatives(source_nb, self.tp, alternative_round, tmp_path)
