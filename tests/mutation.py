"""The mutant suite's machinery: does each exercise's tests catch the bugs students make?

A :class:`Mutant` is one edit of one solution cell of a source notebook (the notebook
with solutions and hidden tests). Executing the edited notebook in a real kernel, in
grading mode, must make the named test cell fail; an *alternative correct* solution
(``caught_by=None``) must pass every test. Each TP's ``tests/test_tpN_mutants.py``
lists its mutants and calls :func:`check_mutant`.

Starting a kernel and importing torch costs more than running most notebooks, so the
mutants of a TP share one kernel: before each mutant, ``%reset -f`` empties the user
namespace and the notebook runs again from its first cell (modules stay imported; the
notebook's own setup cell re-seeds the random generators). The reference solution is
checked in a fresh kernel of its own (:func:`run_source`).
"""
from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from graders import execute, notebooks, outcomes

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str              # the bug, as a student would make it
    cell: str              # grade_id of the solution cell to edit
    old: str               # text found exactly once in the reference solution
    new: str               # what replaces it
    caught_by: str | None  # grade_id of the test cell that must fail; None: all must pass

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


def run_source(nb, tp_folder: str, tmp_path: Path, timeout: int = 60) -> dict[str, outcomes.Outcome]:
    """Execute ``nb`` next to a copy of the TP's files; outcomes by test grade_id."""
    work = tmp_path / "tp"
    shutil.copytree(ROOT / "source" / tp_folder, work, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    execute.run_notebook(nb, cwd=work, timeout=timeout)
    return {o.grade_id: o for o in outcomes.of_notebook(nb)}


class KernelSession:
    """One grading-mode kernel in a copy of a TP's folder, reused notebook after notebook."""

    RESET = "%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt"

    def __init__(self, tp_folder: str, timeout: int = 60):
        self.tmp = Path(tempfile.mkdtemp(prefix=f"mutants-{tp_folder}-"))
        work = self.tmp / "tp"
        shutil.copytree(ROOT / "source" / tp_folder, work,
                        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        self.client = NotebookClient(new_notebook(), timeout=timeout, kernel_name="python3",
                                     allow_errors=True, interrupt_on_timeout=True,
                                     resources={"metadata": {"path": str(work)}})
        self.client.km = self.client.create_kernel_manager()
        with execute.grading_environment():
            self.client.start_new_kernel()
            self.client.start_new_kernel_client()

    def run(self, nb) -> dict[str, outcomes.Outcome]:
        """Execute every code cell of ``nb`` from a clean namespace; outcomes by test grade_id."""
        self.client.nb = nb
        self.client.execute_cell(new_code_cell(self.RESET), 0)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                self.client.execute_cell(cell, index)
        return {o.grade_id: o for o in outcomes.of_notebook(nb)}

    def close(self) -> None:
        try:
            self.client._cleanup_kernel()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


_sessions: dict[str, KernelSession] = {}


def _session(tp_folder: str) -> KernelSession:
    if tp_folder not in _sessions:
        _sessions[tp_folder] = KernelSession(tp_folder)
    return _sessions[tp_folder]


@atexit.register
def _close_sessions() -> None:
    for session in _sessions.values():
        session.close()
    _sessions.clear()


def check_mutant(source_nb, tp_folder: str, mutant: Mutant, tmp_path: Path, timeout: int = 60):
    """Assert the mutant is caught by its test cell (or, if correct, passes everything)."""
    nb = apply(source_nb, mutant)
    if mutant.caught_by is not None:
        nb = truncate_after(nb, mutant.caught_by)
    try:
        results = _session(tp_folder).run(nb)
    except DeadKernelError:  # a mutant that kills its kernel: start afresh, and say so
        _sessions.pop(tp_folder).close()
        raise
    if mutant.caught_by is None:
        failed = {g: o.message for g, o in results.items() if not o.passed}
        assert not failed, f"correct alternative {mutant.name!r} fails: {failed}"
    else:
        outcome = results[mutant.caught_by]
        assert not outcome.passed, f"mutant {mutant.name!r} is not caught by {mutant.caught_by}"
