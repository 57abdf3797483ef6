"""What the matching of one submission knows so far, shared by its steps (``steps``).

``Normalised`` is the result, built up by the steps; ``Matching`` holds it with the
student's cells (each step records on them what it found), the release indexed, the
anchors (the skeleton) and the answers placed.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from nbformat import NotebookNode

from .cells import Cell, join
from .index import Release
from .unmerge import unmerge


@dataclass
class Normalised:
    nb: NotebookNode
    repairs: list[str] = field(default_factory=list)      # structure fixed on the way
    integrity: list[str] = field(default_factory=list)    # read-only cells that had been changed
    answered: list[str] = field(default_factory=list)     # solution grade_ids with an answer
    unrecovered: list[str] = field(default_factory=list)  # why an answer could not be placed
    #                                                       (also in repairs, which results show)

    @property
    def unmodified(self) -> bool:
        return not self.answered


class Matching:
    """One student's notebook being matched to one release notebook."""

    def __init__(self, student: NotebookNode, release: NotebookNode):
        self.rel = Release(release)
        self.cells = unmerge([Cell.of(j, c) for j, c in enumerate(student.get("cells", []))],
                             self.rel)
        self.out = Normalised(nb=NotebookNode())
        self.answers: dict[int, list[Cell]] = {}     # solution -> the cells joined into it
        self.anchors: list[tuple[int, int]] = []     # (student pos, release index), increasing

    def between(self, r_before: int, r_after: int) -> tuple[int, int]:
        """Student positions of the nearest anchors at or before r_before, at or after r_after."""
        rs = [r for _, r in self.anchors]
        i = bisect.bisect_right(rs, r_before)
        lo = self.anchors[i - 1][0] if i else -1
        k = bisect.bisect_left(rs, r_after)
        hi = self.anchors[k][0] if k < len(self.anchors) else len(self.cells)
        return lo, hi

    def answer_source(self, r: int) -> str:
        """The source of solution r's cell: its answer's cells joined (r must have one)."""
        kept = self.answers[r]
        return kept[0].code if len(kept) == 1 else join(kept)
