"""Reading notebooks and telling their nbgrader cells apart.

nbgrader marks its cells in ``cell.metadata.nbgrader``: a *solution* cell holds the
student's answer, a *test* cell (``grade: true``) holds the tests and the points, a
*locked* cell is read-only. Everything here reads that metadata and nothing else.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import handin

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


#: A file that cannot be read as a notebook; the message is the grade's reason (one line,
#: with what to do next).
NotebookError = handin.Unreadable


def read(path: Path | str, limits: "handin.Limits | None" = None, **kw) -> NotebookNode:
    """Read a notebook as nbformat 4, raising NotebookError with a readable reason.

    Every notebook may be a student's, so it is read as a hand-in file (``graders.course.handin``):
    a link, a FIFO or a device is refused unopened, the size and the JSON's depth are
    bounded. ``kw``: ``root`` and ``links``, from the hand-in's listing.
    """
    return handin.read_notebook(Path(path), limits, **kw)


def write(nb: NotebookNode, path: Path | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell: NotebookNode) -> bool:
    """An autograded test cell: code, graded, not a solution."""
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_locked(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("locked"))


def test_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [c for c in nb.cells if is_test(c)]


def solution_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [c for c in nb.cells if is_solution(c)]


def points(cell: NotebookNode) -> float:
    return float(meta(cell).get("points", 0) or 0)


def is_optional(cell: NotebookNode) -> bool:
    """A bonus exercise (``"dl_course": {"optional": true}``): its points add to a
    score, never to the maximum the 0/1/2 thresholds are taken of."""
    return bool((cell.get("metadata", {}).get("dl_course") or {}).get("optional"))


def total_points(nb: NotebookNode) -> float:
    """The points a TP is graded out of: its core test cells' (optional ones excluded)."""
    return sum(points(c) for c in test_cells(nb) if not is_optional(c))


def bonus_points(nb: NotebookNode) -> float:
    """The points of a TP's optional test cells."""
    return sum(points(c) for c in test_cells(nb) if is_optional(c))


def visible_lines(cell: NotebookNode) -> int:
    """How many leading lines of a test cell a student sees (those before the hidden tests)."""
    lines = cell.source.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == HIDDEN_BEGIN:
            return i
    return len(lines)


def cell_by_grade_id(nb: NotebookNode, gid: str) -> NotebookNode:
    for c in nb.cells:
        if grade_id(c) == gid:
            return c
    raise KeyError(f"no cell with grade_id {gid!r}")


def notebooks_in(folder: Path) -> list[Path]:
    """The notebooks of a TP folder, sorted; checkpoints excluded."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if p.is_file())
