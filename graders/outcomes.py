"""Per graded exercise: points, pass / fail, and the message a student may see.

An executed notebook's test cell passed when it has no error output (nbgrader's own
rule, ``nbgrader.utils.determine_grade``, which also fails a cell that wrote to
stderr). The message shown for a failure comes from the error output, but only when
the failing line is among the cell's *visible* lines: a failure inside the hidden
tests is reported as such, without its source or its message.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from nbformat import NotebookNode

from . import notebooks

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# IPython >= 8 names the executing cell in a traceback as "Cell In[12], line 3".
CELL_FRAME = re.compile(r"Cell In\s*\[(\d*)\],?\s*line (\d+)")


@dataclass
class Outcome:
    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""   # empty when passed; never a hidden test's source

    def to_dict(self) -> dict:
        return asdict(self)


def failure_message(cell: NotebookNode, max_len: int = 600) -> str:
    """What a student may see of why a test cell failed."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "the cell wrote to stderr (a warning?): nbgrader gives such a cell 0 points"
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is None:
        return "failed"
    ename, evalue = error.get("ename", "Error"), ANSI.sub("", str(error.get("evalue", "")))
    if ename in ("KeyboardInterrupt", "CellTimeoutError") or "timeout" in ename.lower():
        return "interrupted: the cell did not finish in time (an infinite loop?)"
    if ename == "NotImplementedError":
        return "not answered yet (a `raise NotImplementedError()` is still there)"
    line = _failing_line(cell, error)
    if line is not None and line > notebooks.visible_lines(cell):
        return f"a hidden test failed ({ename})"
    text = f"{ename}: {evalue}" if evalue else ename
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def _failing_line(cell: NotebookNode, error: dict) -> int | None:
    """Line (1-based) of the test cell where the error was raised, if the traceback says.

    The first frame naming a cell is the test cell itself: the cell being executed is
    always the outermost frame.
    """
    for entry in error.get("traceback", []):
        m = CELL_FRAME.search(ANSI.sub("", entry))
        if m:
            return int(m.group(2))
    return None


def of_notebook(nb: NotebookNode) -> list[Outcome]:
    """Outcomes of every test cell of an executed notebook, in notebook order."""
    from nbgrader.utils import determine_grade

    result = []
    for cell in notebooks.test_cells(nb):
        score, max_score = determine_grade(cell)
        passed = score is not None and score >= max_score
        result.append(Outcome(
            grade_id=notebooks.grade_id(cell), points=float(score or 0),
            max_points=float(max_score), passed=passed,
            message="" if passed else failure_message(cell)))
    return result
