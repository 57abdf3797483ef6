"""Matching by content: a verbatim copy of a read-only cell (blind to trailing spaces and
blank lines) claims it, when its metadata did not already claim something.

Runs after ``by_metadata``, before the skeleton is drawn: it is how read-only cells that
lost their metadata and id (Colab, an old nbformat) are found. The k-th copy of a text
claims the k-th read-only cell with that text (the last one, past their number).
"""
from __future__ import annotations

from .matching import Matching


def claim(m: Matching) -> None:
    """Set ``claim`` and ``how`` ("content") on each unclaimed verbatim copy."""
    seen: dict[str, int] = {}
    for c in m.cells:
        if c.claim is None and c.key in m.rel.by_key:
            targets = m.rel.by_key[c.key]
            k = seen.get(c.key, 0)
            seen[c.key] = k + 1
            c.claim, c.how = targets[min(k, len(targets) - 1)], "content"
