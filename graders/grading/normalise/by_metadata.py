"""Matching by metadata: a student's cell claims the release cell with its nbgrader
``grade_id``, else (a cell with no grade_id) the one with its cell id.

The first step of the matching, after ``unmerge``: the metadata, where an editor kept it,
is the surest sign. A claim of a free release cell (one that is neither read-only nor a
solution: the student may change it at will) is dropped: that cell is the student's own.
"""
from __future__ import annotations

from .matching import Matching


def claim(m: Matching) -> None:
    """Set ``claim`` and ``how`` ("grade_id" or "cell id") on each cell so matched."""
    for c in m.cells:
        if c.grade_id in m.rel.by_gid:
            c.claim, c.how = m.rel.by_gid[c.grade_id], "grade_id"
        elif not c.grade_id and c.cell_id in m.rel.by_id:
            c.claim, c.how = m.rel.by_id[c.cell_id], "cell id"
        if c.claim is not None and c.claim not in m.rel.locked \
                and c.claim not in m.rel.solutions:
            c.claim, c.how = None, ""  # a free cell of the release: the student's own
