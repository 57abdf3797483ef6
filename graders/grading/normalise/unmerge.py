"""Matching by content, first of all: read-only cells merged into another cell, cut out.

Runs once, on the student's cells as read, before any cell is claimed: every later step
sees the pieces as cells of their own (the piece that is the read-only cell is then
claimed by content like any verbatim copy, and noted as separated).
"""
from __future__ import annotations

from .cells import Cell
from .index import Release


def unmerge(cells: list[Cell], rel: Release) -> list[Cell]:
    """Cut the read-only cells that were merged into another cell (Shift+M) back out.

    A read-only cell (of 40 characters or more) of which the student's notebook holds no
    verbatim copy, found whole, line for line, inside another cell (or inside its own
    copy, beside an answer: other lines added to a test cell are an edit). The cell
    splits into the text before it, it, and the text after; as in Jupyter, the first
    piece keeps the merged cell's metadata and id, and every piece its type. Each cell
    returned has its index in the list as its ``pos``.
    """
    have = {c.key for c in cells}
    wanted = [r for r in sorted(rel.locked) if rel.keys[r] not in have and len(rel.keys[r]) >= 40]
    if not wanted:
        return cells
    out: list[Cell] = []
    todo = list(cells)
    while todo:
        c = todo.pop(0)
        pieces, r = None, None
        for r in wanted:
            if f"\n{rel.keys[r]}\n" in f"\n{c.key}\n":
                pieces = cut(c.source, rel.keys[r])
                own = c.grade_id == rel.gid[r] or c.cell_id == rel.cells[r].get("id")
                rest = [Cell(0, c.cell_type, text, None, None)
                        for k, text in enumerate(pieces or []) if k != 1]
                if pieces and (not own or any(rel.is_answer_like(p) for p in rest)):
                    break
                pieces = None
        if not pieces:
            out.append(c)
            continue
        first = next(k for k, text in enumerate(pieces) if text.strip())
        made = []
        for k, text in enumerate(pieces):
            if text.strip():
                piece = Cell(c.pos, c.cell_type, text, c.cell_id if k == first else None,
                             c.grade_id if k == first else None)
                piece.merged_from = r if k == 1 else c.merged_from
                made.append(piece)
        todo[:0] = made
    for pos, c in enumerate(out):
        c.pos = pos
    return out


def cut(source: str, key: str) -> list[str] | None:
    """``source`` as [the text before ``key``'s lines, them, the text after], or None."""
    lines = source.splitlines()
    full = [i for i, line in enumerate(lines) if line.strip()]
    target = key.split("\n")
    for k in range(len(full) - len(target) + 1):
        if [lines[i].rstrip() for i in full[k:k + len(target)]] == target:
            start, end = full[k], full[k + len(target) - 1] + 1
            if start == 0 and end == len(lines):
                return None
            return ["\n".join(lines[:start]).strip("\n"), "\n".join(lines[start:end]),
                    "\n".join(lines[end:]).strip("\n")]
    return None
