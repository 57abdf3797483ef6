"""The mutant suite's machinery: does each exercise's tests catch the bugs students make?

A :class:`Mutant` is one edit of one solution cell of a source notebook (the notebook
with solutions and hidden tests). Executing the edited notebook as grading executes it
(``graders.grading.engine``: a fresh sandboxed kernel, the guard, the TP's limits) must make the
named test cell fail; an *alternative correct* solution (``caught_by=None``) must pass
every test. Each TP's ``tests/test_tpN_mutants.py`` lists its mutants and calls
:func:`check_mutant`.

Where the time goes: a fresh kernel with ``import torch`` costs about 4 s on 2 cores, the
rest is the notebook itself. So wrong mutants run in rounds (:func:`wrong_rounds`), one
notebook per round, up to the last test cell concerned (the cells after it cannot change
that cell's outcome); correct alternatives too (:func:`alternative_rounds`).
"""
from __future__ import annotations

import copy
import shutil
import tempfile
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


def run(nb, tp_folder: str, tmp_path: Path, timeout: int | None = None) -> dict[str, outcomes.Outcome]:
    """Execute ``nb`` as grading does, next to a copy of the TP's files; outcomes by
    test grade_id."""
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


def run_source(nb, tp_folder: str, tmp_path: Path, timeout: int | None = None) -> dict[str, outcomes.Outcome]:
    """The source notebook (or any full notebook), run as grading runs it."""
    return run(nb, tp_folder, tmp_path, timeout)


def deps(nb, test_gid: str) -> set[str]:
    """The solution cells test cell ``test_gid`` may use: its own and its declared
    ``dl_course.requires`` (the contract test proves it uses no other)."""
    cell = notebooks.cell_by_grade_id(nb, test_gid)
    return {f"{test_gid}_solution", *cell.metadata.get("dl_course", {}).get("requires", [])}


def check_mutant(source_nb, tp_folder: str, mutant: Mutant, tmp_path: Path, timeout: int | None = None):
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
    import os

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


def wrong_rounds_test(tp_folder: str, source: Path, mutants: list[Mutant]):
    """The suite's slow test of its wrong mutants, one case per round (see
    :func:`wrong_rounds`); a module binds it as ``test_wrong_mutants_are_caught``."""
    @pytest.mark.slow
    @pytest.mark.parametrize("round_", wrong_rounds(mutants, notebooks.read(source)), ids=round_id)
    def test_wrong_mutants_are_caught(source_nb, round_, tmp_path):
        check_wrong_round(source_nb, tp_folder, round_, tmp_path)
    return test_wrong_mutants_are_caught


def alternatives_test(tp_folder: str, mutants: list[Mutant]):
    """The suite's slow test of its correct alternatives, one case per round (see
    :func:`alternative_rounds`); a module binds it as ``test_correct_alternatives``."""
    @pytest.mark.slow
    @pytest.mark.parametrize("round_", alternative_rounds(mutants),
                             ids=lambda r: f"{len(r)} alternatives")
    def test_correct_alternatives(source_nb, round_, tmp_path):
        check_alternatives(source_nb, tp_folder, round_, tmp_path)
    return test_correct_alternatives
