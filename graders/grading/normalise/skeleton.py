"""Matching by position: the skeleton, the read-only cells every other cell is placed
against.

Runs once the claims by metadata and by content are made, before the edited copies and
the answers are looked for (both search between anchors). Of the claimed cells, the
heaviest chain in both notebook and release order is kept; its read-only cells are the
anchors. A claimed read-only cell out of that order was moved: it is graded at its place
in the release (``notes``).
"""
from __future__ import annotations

from .matching import Matching


def find(m: Matching) -> None:
    """Set ``m.anchors``: (student position, release index) of the chain's read-only cells.

    Read-only cells weigh 2 and solution cells 1: a test moved to the end of the notebook
    leaves the chain, and a solution moved after its test does, rather than the test.
    """
    seq = [c for c in m.cells if c.claim is not None]
    weight = [2 if c.claim in m.rel.locked else 1 for c in seq]
    best, prev = [], []
    for i, c in enumerate(seq):
        b, p = weight[i], -1
        for k in range(i):
            if seq[k].claim < c.claim and best[k] + weight[i] > b:
                b, p = best[k] + weight[i], k
        best.append(b)
        prev.append(p)
    i = max(range(len(seq)), key=lambda k: best[k], default=-1)
    while i >= 0:
        if seq[i].claim in m.rel.locked:
            m.anchors.append((seq[i].pos, seq[i].claim))
        i = prev[i]
    m.anchors.reverse()
