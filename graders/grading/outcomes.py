"""Per graded exercise: points, pass / fail, and the message a student may see.

An executed notebook's test cell passed when it has no error output (nbgrader's own
rule, ``nbgrader.utils.determine_grade``, which also fails a cell that wrote to
stderr). The message shown for a failure comes from the error output: a visible line's
error as it is; a hidden test's own assertion as "a hidden test failed (...): <its
message>" (what it checked, expected, got), never its source; an error raised in the
student's code under a hidden test as its exception's name only (it could carry anything
the kernel can read). Whether students see hidden messages is the course's
``HIDDEN_TEST_MESSAGES`` setting, applied where feedback is written.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from nbformat import NotebookNode

from ..course import notebooks

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
    optional: bool = False  # a bonus exercise: not in the maximum the grade is taken of

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.optional:   # results of TPs without bonus exercises stay as they were
            del d["optional"]
        return d


OWN_ERRORS = ("KernelDied", "NotebookDeadlineExceeded", "GuardFailed")  # the grader's own


def failure_message(cell: NotebookNode, max_len: int = 600,
                    secrets: frozenset[str] = frozenset()) -> str:
    """What a student may see of why a test cell failed.

    The exception's message is shown only when the test cell itself raised it: a visible
    line (an assert's message, or a library's error on that line) or a hidden test's own
    assertion (prefixed ``a hidden test failed (...)``). An error raised in the student's
    code could carry anything the kernel can read, hidden tests included, and a traceback
    without frames (``%xmode Minimal``) cannot tell visible from hidden: only the
    exception's name is shown for those. ``secrets`` (the notebook's hidden test lines)
    are redacted from what is shown.
    """
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "the cell wrote to stderr (a warning?): nbgrader gives such a cell 0 points"
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is None:
        return "failed"
    ename, evalue = str(error.get("ename", "Error"))[:80], ANSI.sub("", str(error.get("evalue", "")))
    if ename in ("KeyboardInterrupt", "CellTimeoutError") or "timeout" in ename.lower():
        return "interrupted: the cell did not finish in time (an infinite loop?)"
    if ename == "NotImplementedError" and not evalue.strip():   # the release's stub
        return "not answered yet (a `raise NotImplementedError()` is still there)"
    if ename not in OWN_ERRORS:
        frames = _cell_frames(error)
        has_hidden = notebooks.visible_lines(cell) < len(cell.source.splitlines())
        in_student_code = any(n != frames[0][0] for n, _ in frames[1:])
        if not frames:
            if has_hidden:
                return f"a test failed ({ename})"
        elif frames[0][1] > notebooks.visible_lines(cell):
            if in_student_code or not evalue:
                return f"a hidden test failed ({ename})"
            # the hidden test's own assertion: its message says what it checked
            return _shorten(f"{HIDDEN_FAILED} ({ename}): {_redact(evalue, secrets)}", max_len)
        elif in_student_code:
            return f"{ename} raised in your code, called from line {frames[0][1]} of the test"
    evalue = _redact(evalue, secrets)
    return _shorten(f"{ename}: {evalue}" if evalue else ename, max_len)


HIDDEN_FAILED = "a hidden test failed"


def without_hidden_detail(message: str) -> str:
    """``message`` with a hidden assertion's own text removed (HIDDEN_TEST_MESSAGES)."""
    if message.startswith(HIDDEN_FAILED + " ("):
        head, sep, _ = message.partition("): ")
        return head + ")" if sep else message
    return message


def _redact(text: str, secrets: frozenset[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[hidden]")
    return text


def _shorten(text: str, max_len: int) -> str:
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def _cell_frames(error: dict) -> list[tuple[str, int]]:
    """(cell number, line) of each traceback frame in a notebook cell, outermost first:
    the first is the test cell being executed."""
    frames = []
    for entry in error.get("traceback", []):
        for m in CELL_FRAME.finditer(ANSI.sub("", str(entry))):
            frames.append((m.group(1), int(m.group(2))))
    return frames


def hidden_lines(nb: NotebookNode, min_len: int = 12) -> frozenset[str]:
    """The lines of the hidden tests of a notebook (those long enough to be telling)."""
    found = set()
    for cell in notebooks.test_cells(nb):
        lines = cell.source.splitlines()
        for line in lines[notebooks.visible_lines(cell):]:
            if len(line.strip()) >= min_len and "HIDDEN TESTS" not in line:
                found.add(line.strip())
    return frozenset(found)


def of_notebook(nb: NotebookNode) -> list[Outcome]:
    """Outcomes of every test cell of an executed notebook, in notebook order."""
    from nbgrader.utils import determine_grade

    secrets = hidden_lines(nb)
    result = []
    for cell in notebooks.test_cells(nb):
        score, max_score = determine_grade(cell)
        passed = score is not None and score >= max_score
        result.append(Outcome(
            grade_id=notebooks.grade_id(cell), points=float(score or 0),
            max_points=float(max_score), passed=passed,
            message="" if passed else failure_message(cell, secrets=secrets),
            optional=notebooks.is_optional(cell)))
    return result
