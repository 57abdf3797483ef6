"""The one way a notebook is run: in a fresh kernel, under the grader's limits.

Every path that executes a notebook goes through :class:`Engine`: ``make grade``,
``grade-one`` and the CI shards (``graders.grading.autograde``), the student's ``make check``
(``graders.check``), the mutant suites (``tests/mutation.py``), the contract test and the
benchmarks. So a self-check, a mutant and a grade see the same kernel:

- the kernel environment, defined once here (:func:`kernel_env`): grading mode
  (``NBGRADER_EXECUTION=autograde``), a fixed hash seed, warnings off (nbgrader scores a
  test cell that wrote to stderr 0), a non-interactive matplotlib;
- the sandbox (``graders/grading/sandbox.py``: bubblewrap, cgroups, rlimits), wherever the
  machine allows it; :attr:`Engine.protections` says what was in force;
- the TP's per-cell timeout and notebook deadline, the output budget, and the guard
  before each test cell (``graders.grading.preprocessors.LimitedExecute``, nbgrader's Execute);
- scoring: nbgrader's ``IgnorePattern`` and ``LimitOutput`` on the executed notebook, then
  points and messages per test cell, computed once (``graders.grading.outcomes``).

It is thread-safe: each run has its own kernel manager, its own socket names and an
explicit environment (``os.environ`` is never changed), so ``make grade JOBS=N`` runs N
kernels from N threads of one process.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from . import outcomes, sandbox
from ..course.config import ROOT, TP, Course

#: The only variables a kernel inherits from the grader's environment (the grader's
#: tokens and paths are none of a student's business).
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OMP_NUM_THREADS",
                  "CUDA_VISIBLE_DEVICES", "SYSTEMROOT")

#: The variables every kernel gets.
KERNEL_VARIABLES = {
    "PYTHONHASHSEED": "0",
    # Warnings go to stderr, and nbgrader scores any test cell with stderr output 0.
    "PYTHONWARNINGS": "ignore",
    "MPLBACKEND": "Agg",
}


def kernel_env(mode: str = "autograde") -> dict[str, str]:
    """The environment of a kernel started by the engine (the only definition of it).

    ``mode`` is ``NBGRADER_EXECUTION``: "autograde" shrinks training cells to the grading
    budget; anything else (the full-size benchmarks) trains for real. The kernel spec
    ``python3`` starts ``python`` from PATH, and nbgrader shells out to ``alembic``: both
    must be this interpreter's, whatever the caller's PATH says.
    """
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.update(KERNEL_VARIABLES)
    env["NBGRADER_EXECUTION"] = mode
    return env


#: Seconds to wait for a cell's outputs once it has finished.
IOPUB_TIMEOUT = 10


@dataclass(frozen=True)
class Limits:
    """What one notebook may take (seconds, bytes); from ``course_config.py``."""
    cell_timeout: int = 60
    notebook_timeout: int = 300
    max_output_bytes: int = 2_000_000

    @classmethod
    def of(cls, course: Course, tp: TP) -> "Limits":
        return cls(tp.cell_timeout, tp.notebook_timeout, int(course.module.MAX_OUTPUT_BYTES))


@dataclass
class Run:
    """One executed notebook and what it cost."""
    nb: NotebookNode
    outcomes: list[outcomes.Outcome]
    seconds: float
    notes: list[str] = field(default_factory=list)  # the grader's own events (kernel died...)
    kernel_start_s: float | None = None  # of ``seconds``: the sandbox and kernel start


class Engine:
    """Runs notebooks under one course's sandbox settings.

    ``sandboxed=None`` follows ``SANDBOX`` in ``course_config.py``. Where the machine
    cannot sandbox (no bubblewrap, no cgroups, not Linux), the engine applies what it can
    and :attr:`protections` says which; on a machine without ``resource`` (Windows) it
    runs the plain ``python3`` kernel, with the timeouts and the guard only.
    """

    def __init__(self, course: Course, work_dir: Path | None = None,
                 sandboxed: bool | None = None, mode: str = "autograde"):
        self.course = course
        self.mode = mode
        self.work_dir = Path(work_dir or course.work_dir)
        m = course.module
        self.sandboxed = bool(m.SANDBOX if sandboxed is None else sandboxed)
        # Socket paths must stay under ~100 characters (AF_UNIX): a short folder of our own
        self.ipc_dir = Path(tempfile.mkdtemp(prefix="dl-ipc-"))
        weakref.finalize(self, shutil.rmtree, self.ipc_dir, True)
        self.kernel_name, self.kernel_dirs = "python3", None
        self.protections = ["none: SANDBOX is off in course_config.py"] if not self.sandboxed \
            else ["none: this system cannot run the sandbox (timeouts and the guard only)"]
        if self.sandboxed and sandbox.supported():
            spec_root, settings = sandbox.prepare(
                self.work_dir, hide=[course.root, ROOT],
                memory_bytes=m.KERNEL_MEMORY_MB * 2**20, max_processes=m.KERNEL_MAX_PROCESSES,
                max_file_bytes=m.KERNEL_MAX_FILE_MB * 2**20, ipc_dir=self.ipc_dir)
            self.kernel_name = sandbox.SPEC_NAME
            self.kernel_dirs = [str(spec_root / "kernels")]
            self.protections = sandbox.protections(settings)
        self._ignore = self._limit = None

    # -- running -------------------------------------------------------------------
    def run(self, nb: NotebookNode, cwd: Path, limits: Limits) -> Run:
        """Execute ``nb`` (in place) in a fresh kernel started in ``cwd``; score it.

        Errors never stop the run: a failing cell keeps its error output, as under
        nbgrader; a cell past its timeout is interrupted; past the notebook's deadline or
        after the kernel died, the remaining cells fail without running.
        """
        from .preprocessors import LimitedExecute

        t0, m0 = time.perf_counter(), time.monotonic()
        ipc = ""
        if os.name == "posix":
            # Unix sockets: they cross the sandbox's network namespace, and nothing listens
            # on TCP (ipykernel warns about unencrypted TCP); names of its own per run
            ipc = str(self.ipc_dir / f"k{uuid.uuid4().hex[:12]}")
        executor = LimitedExecute(
            timeout=limits.cell_timeout, notebook_timeout=limits.notebook_timeout,
            max_output_bytes=limits.max_output_bytes, kernel_name=self.kernel_name,
            kernel_dirs=self.kernel_dirs or [], ipc_address=ipc,
            kernel_env=kernel_env(self.mode), record_timing=False,
            # a loaded machine can be slow to deliver a cell's last outputs: wait for them
            # (a missing output is no reason to abort the notebook)
            iopub_timeout=IOPUB_TIMEOUT, raise_on_iopub_timeout=False)
        executor.preprocess(nb, {"metadata": {"path": str(cwd)}})
        if self.kernel_name == sandbox.SPEC_NAME:
            sandbox.cleanup_cgroups()
        self._filters(nb)
        found = outcomes.of_notebook(nb)
        ready = executor.kernel_ready_at
        return Run(nb, found, round(time.perf_counter() - t0, 3), _notes(found, limits),
                   kernel_start_s=round(ready - m0, 3) if ready else None)

    def _filters(self, nb: NotebookNode) -> None:
        """nbgrader's output filters, configured by course_config.py, as autograde runs them."""
        if self._ignore is None:
            from nbgrader.preprocessors import IgnorePattern, LimitOutput

            config = self.course.nbgrader_config()
            self._ignore, self._limit = IgnorePattern(config=config), LimitOutput(config=config)
        self._ignore.preprocess(nb, {})
        self._limit.preprocess(nb, {})


def _notes(found: list[outcomes.Outcome], limits: Limits) -> list[str]:
    """The grader's own events of a run, for the instructor."""
    notes = []
    for kind, note in (("KernelDied", "the kernel died (memory limit, os._exit, a signal?): "
                                      "the cells after it were not run"),
                       ("NotebookDeadlineExceeded", f"the notebook ran past its "
                        f"{limits.notebook_timeout} s budget: the cells after it were not run")):
        if any(o.message.startswith(kind) for o in found):
            notes.append(note)
    return notes
