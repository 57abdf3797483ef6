"""The release notebook, indexed for matching: which cells are read-only, solutions, tests;
each cell by grade_id, by cell id, by text; the names each solution's stub defines.

Built once per submission, before any matching, and never changed after.
"""
from __future__ import annotations

import bisect

from nbformat import NotebookNode

from ...course import notebooks
from .cells import Cell, definitions_of, key_of, parse, text_of


class Release:
    """The release notebook, indexed."""

    def __init__(self, nb: NotebookNode):
        self.nb = nb
        self.cells = nb.cells
        self.gid = [notebooks.grade_id(c) for c in self.cells]
        self.solutions = [r for r, c in enumerate(self.cells) if notebooks.is_solution(c)]
        self.locked = {r for r, c in enumerate(self.cells)
                       if notebooks.is_locked(c) and not notebooks.is_solution(c)}
        self.tests = [r for r, c in enumerate(self.cells) if notebooks.is_test(c)]
        self.keys = [key_of(text_of(c.source)) for c in self.cells]
        self.by_gid = {g: r for r, g in enumerate(self.gid) if g}
        self.by_id = {c.get("id"): r for r, c in enumerate(self.cells) if c.get("id")}
        self.by_key: dict[str, list[int]] = {}
        for r in sorted(self.locked):
            if self.keys[r]:
                self.by_key.setdefault(self.keys[r], []).append(r)
        self.stub_of = {self.keys[r]: r for r in self.solutions}
        self._names: dict[int, frozenset[str]] = {}
        self.free_keys = {self.keys[r] for r in range(len(self.cells))
                          if r not in self.locked and r not in self.solutions}

    def names(self, r: int) -> frozenset[str]:
        """The names the stub of solution r defines."""
        if r not in self._names:
            self._names[r] = frozenset(definitions_of(parse(self.keys[r])[0]))
        return self._names[r]

    def is_answer_like(self, c: Cell) -> bool:
        """A stub, or a cell that defines a name a stub defines."""
        return c.key in self.stub_of or any(c.names & self.names(s) for s in self.solutions)

    def label(self, r: int) -> str:
        return self.gid[r] or f"cell {r + 1}"

    def what(self, r: int) -> str:
        return "test cell" if r in self.tests else "read-only cell"

    def prev_test(self, r: int) -> int:
        i = bisect.bisect_left(self.tests, r)
        return self.tests[i - 1] if i else -1

    def next_test(self, r: int) -> int | None:
        i = bisect.bisect_right(self.tests, r)
        return self.tests[i] if i < len(self.tests) else None
