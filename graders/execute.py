"""Running a notebook in a fresh kernel, the way the grader does.

Used by ``make check`` (the student's self-check) and by the test suite (the release
runs, the mutant suite). nbgrader's own autograde runs kernels the same way: a fresh
``python3`` kernel whose working directory is the notebook's folder, with
``NBGRADER_EXECUTION=autograde`` so that training cells shrink to the grading budget.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from nbclient import NotebookClient
from nbformat import NotebookNode


@contextmanager
def grading_environment(mode: str = "autograde", **extra: str):
    """Environment for a kernel started from here.

    The kernel spec ``python3`` starts ``python`` from PATH, and nbgrader shells out
    to ``alembic``: both must be the ones of this interpreter's environment, whatever
    the caller's PATH says.
    """
    saved = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + saved.get("PATH", "")
    os.environ["NBGRADER_EXECUTION"] = mode
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # Warnings go to stderr, and nbgrader scores any test cell with stderr output 0.
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_notebook(nb: NotebookNode, cwd: Path | str, timeout: int = 60,
                 mode: str = "autograde") -> NotebookNode:
    """Execute every cell of ``nb`` (in place) in a fresh kernel started in ``cwd``.

    Errors do not stop the run: each failing cell keeps its error output, as under
    nbgrader. A cell running longer than ``timeout`` seconds is interrupted and gets
    an error output too. Returns the executed notebook.
    """
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    with grading_environment(mode):
        client.execute()
    return nb
