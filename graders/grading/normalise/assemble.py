"""The normalised notebook, written once every cell is matched: the release notebook, in
its order, with each solution cell holding its answer, and the student's own cells (those
neither matched nor placed) after the matched cell they follow.

The last step (step 3 of the package's docstring). Read-only cells are copied from the
release; a free cell of the release (neither read-only nor a solution) is not: the
student's copy of it, if any, comes with their own cells. Each of the student's cells
keeps its source and its type (code or markdown; any other becomes raw), loses its
outputs and metadata, and gets an id unique in the notebook.
"""
from __future__ import annotations

import bisect
import json
import re

from nbformat import NotebookNode, from_dict
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from .cells import Cell, key_of
from .matching import Matching

_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def assemble(m: Matching) -> None:
    """Write ``m.out.nb``, and add the solutions answered (in release order) to
    ``m.out.answered``."""
    rel, out = m.rel, m.out
    nb = _copy({k: v for k, v in rel.nb.items() if k != "cells"})
    nb.cells = []
    out.nb = nb
    extras = _student_cells_after(m)
    used_ids = {c.get("id") for r, c in enumerate(rel.cells)
                if r in rel.locked or r in rel.solutions}

    def add_extras(after: int) -> None:
        for c in sorted(extras.get(after, []), key=lambda c: c.pos):
            nb.cells.append(_student_cell(c, used_ids))

    add_extras(-1)
    for r, rcell in enumerate(rel.cells):
        if r in rel.solutions:
            cell = _copy(rcell)
            if r in m.answers:
                cell.source = m.answer_source(r)
                if key_of(cell.source) != rel.keys[r]:
                    out.answered.append(rel.label(r))
            nb.cells.append(cell)
        elif r in rel.locked:
            nb.cells.append(_copy(rcell))
        # a free cell of the release is the student's: it came with their cells
        add_extras(r)
    order = {rel.label(r): i for i, r in enumerate(rel.solutions)}
    out.answered.sort(key=lambda g: order.get(g, 0))


def _student_cells_after(m: Matching) -> dict[int, list[Cell]]:
    """The student's own cells, by the release cell they follow (-1: before the first)."""
    # Anchors of the student's own cells: the skeleton, and answers at their place.
    anchors = list(m.anchors)
    for r, kept in m.answers.items():
        lo, hi = m.between(r - 1, r + 1)
        anchors += [(c.pos, r) for c in kept if lo < c.pos < hi]
    anchors.sort()
    positions = [p for p, _ in anchors]
    extras: dict[int, list[Cell]] = {}
    for c in m.cells:
        if c.claim is None and not c.used and c.key:
            i = bisect.bisect_left(positions, c.pos)
            extras.setdefault(anchors[i - 1][1] if i else -1, []).append(c)
    return extras


def _copy(node) -> NotebookNode:
    """A deep copy of a notebook's JSON (faster than copy.deepcopy)."""
    return from_dict(json.loads(json.dumps(node)))


def _student_cell(c: Cell, used_ids: set) -> NotebookNode:
    """A cell of the student's own, as they wrote it (outputs and metadata left out)."""
    cell_id = c.cell_id if isinstance(c.cell_id, str) and _CELL_ID.match(c.cell_id) \
        and c.cell_id not in used_ids else f"student-{c.pos}"
    while cell_id in used_ids:
        cell_id += "-"
    used_ids.add(cell_id)
    make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(c.cell_type, new_raw_cell)
    return make(c.source, id=cell_id)
