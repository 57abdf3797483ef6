"""Running one notebook outside a grading batch: a thin door into ``graders.grading.engine``.

The test suite (the release runs), the benchmarks (full-size training) and scripts call
:func:`run_notebook`; it builds an :class:`~graders.grading.engine.Engine` for the repository's
course, so they run notebooks exactly as grading does (same kernel environment, guard,
limits, sandbox), except where a full-size run needs no deadline.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from nbformat import NotebookNode

from ..course.config import ROOT, Course
from .engine import Engine, Limits

#: A full-size run (mode other than "autograde") may take a day; grading never does.
FULL_RUN_SECONDS = 24 * 3600


def run_notebook(nb: NotebookNode, cwd: Path | str, timeout: int = 60,
                 mode: str = "autograde", sandboxed: bool | None = None,
                 course: Course | None = None) -> NotebookNode:
    """Execute every cell of ``nb`` (in place) in a fresh kernel started in ``cwd``.

    Errors do not stop the run: each failing cell keeps its error output, as under
    grading. A cell running longer than ``timeout`` seconds is interrupted. ``mode``
    other than "autograde" runs the notebook at full size: no notebook deadline, and no
    sandbox unless asked (its memory limit is a grading limit). Returns the executed
    notebook.
    """
    course = course or Course(ROOT)
    grading = mode == "autograde"
    if sandboxed is None:
        sandboxed = None if grading else False
    limits = Limits(cell_timeout=timeout,
                    notebook_timeout=300 if grading else FULL_RUN_SECONDS,
                    max_output_bytes=int(course.module.MAX_OUTPUT_BYTES))
    with tempfile.TemporaryDirectory(prefix="dl-engine-") as tmp:
        engine = Engine(course, work_dir=Path(tmp), sandboxed=sandboxed, mode=mode)
        return engine.run(nb, Path(cwd), limits).nb
