"""Matching by position and likeness: a copy of a read-only cell the student edited, and
which lost its metadata and id.

Runs after the skeleton, for each read-only cell still unclaimed: the most similar
unclaimed cell of its type between its neighbours' anchors claims it, if it is alike
enough (``SIMILAR``) and is not an answer (a stub, or a cell that defines a stub's name).
It becomes an anchor too, so the answers are looked for around it.
"""
from __future__ import annotations

import bisect
import difflib

from .matching import Matching

#: How alike (difflib ratio) a student's copy of a read-only cell must still be to it,
#: to be taken for an edited copy when it lost its metadata and id.
SIMILAR = 0.6


def claim(m: Matching) -> None:
    """Set ``claim`` and ``how`` ("similar content") on each edited copy found, and add it
    to ``m.anchors``."""
    claimed = {c.claim for c in m.cells if c.claim is not None}
    for r in sorted(m.rel.locked - claimed):
        lo, hi = m.between(r - 1, r + 1)
        best, best_ratio = None, SIMILAR
        for c in m.cells[lo + 1:hi]:
            if c.claim is not None or c.cell_type != m.rel.cells[r].cell_type \
                    or not c.key or m.rel.is_answer_like(c):
                continue
            sm = difflib.SequenceMatcher(None, c.key, m.rel.keys[r], autojunk=False)
            if sm.real_quick_ratio() >= best_ratio and sm.quick_ratio() >= best_ratio \
                    and sm.ratio() >= best_ratio:
                best, best_ratio = c, sm.ratio()
        if best is not None:
            best.claim, best.how = r, "similar content"
            bisect.insort(m.anchors, (best.pos, r))
