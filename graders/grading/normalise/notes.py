"""The notes on the read-only cells, once every cell is matched: which were missing,
edited, merged, moved or repeated, and how many had lost their nbgrader metadata.

Runs after the answers are placed (its notes follow theirs in ``repairs``), before the
notebook is assembled. Matches nothing: it reads what the matching steps recorded on the
cells and the anchors.
"""
from __future__ import annotations

from .matching import Matching


def note_read_only_cells(m: Matching) -> None:
    """Append the notes to ``m.out.repairs`` and ``m.out.integrity``, in release order."""
    rel, anchored = m.rel, {r for _, r in m.anchors}
    lost = 0
    for r in range(len(rel.cells)):
        if r not in rel.locked:
            continue
        label, what = rel.label(r), rel.what(r)
        copies = [c for c in m.cells if c.claim == r]
        if not copies:
            if r in rel.tests:
                m.out.integrity.append(f"test cell {label} was missing; "
                                       "restored from the release")
            continue
        lost += any(c.how != "grade_id" and c.merged_from != r for c in copies)
        if any(c.merged_from == r for c in copies):
            m.out.repairs.append(f"{what} {label} had been merged with another cell; "
                                 "separated")
        if r not in anchored:
            m.out.repairs.append(f"{what} {label} was moved; "
                                 "it runs at its place in the release")
        if len(copies) > 1:
            m.out.repairs.append(f"{what} {label} appeared {len(copies)} times; "
                                 "kept once, at its place in the release")
        if any(c.key != rel.keys[r] or c.cell_type != rel.cells[r].cell_type for c in copies):
            m.out.integrity.append(f"{what} {label} was edited; the original was restored")
    if lost:
        m.out.repairs.append(f"nbgrader metadata missing from {lost} read-only cells "
                             "(an editor dropped it); matched by cell id or content")
