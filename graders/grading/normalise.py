"""The normalised submission: the student's answers transplanted into the release.

Grading never runs a submitted notebook as it is (docs/design.md §1). It runs the pristine
release notebook of the TP, in which each solution cell holds the student's answer and
the student's own cells stay where they were; read-only cells (instructions, setup,
tests) always come from the release. Every repair made on the way is a note.

What arrives in the wild (nbgrader issues #424, #1398, #1546, #1941): editors that drop
the nbgrader metadata (Colab) or the cell ids (nbformat < 4.5), students who change a
cell's type, split, duplicate or move a cell, delete and retype it, or edit, delete or
move a test cell. A student's cell is therefore matched to the release in three steps.

1. **Read-only cells**, whose text is known exactly: by nbgrader ``grade_id``, else by
   cell id, else by content (verbatim; or, for a copy the student edited, the most
   similar cell at that place; or found whole inside another cell, merged with it by
   Shift+M, and cut back out). The longest chain of them in release order is the
   skeleton every other cell is placed against; one out of that order was moved, and is
   graded at its place in the release. Each runs as the release has it.
2. **Answers**, for each solution cell of the release. Its candidates are the cells that
   carry its ``grade_id`` or cell id (each part of a split or duplicated cell does), and
   the unmatched cells that define a name its stub defines (``def numerical_grad``): an
   answer that lost its metadata and id, or a code cell turned into markdown (markdown
   counts as code only when it parses as Python and defines such a name; prose stays
   prose). What runs before the exercise's first test cell, as in a run from top to
   bottom, is the answer: the candidates that carry its metadata, else those at its
   place (after the previous exercise's tests), else those further up; at its place, a
   cell that defines the stub's other names is the other half of a split cell. When no
   candidate comes before the test, the answer was moved below it and is moved back.
   For a stub that defines no name, the unmatched code cells at its place are the
   answer. A neighbour that does not parse alone but does with the answer is the rest of
   a cell split in the middle of a function. Exact copies are kept once, untouched
   copies of the stub are dropped, and the cells found are joined, in notebook order,
   into the solution cell; the other candidates are the student's own cells and run
   where they are.
   When the answer cannot be told (different versions below the test and none above;
   a markdown cell that is not Python), that exercise keeps the release stub and scores
   0, with a note saying why; the student's cells stay where they were, so the rest of
   the notebook is graded as written.
3. **The student's own cells** (helpers, experiments, notes) are kept, in order, after
   the matched cell they follow: so before the next test cell.
"""
from __future__ import annotations

import ast
import bisect
import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from nbformat import NotebookNode, from_dict
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from ..course import notebooks

#: How alike (difflib ratio) a student's copy of a read-only cell must still be to it,
#: to be taken for an edited copy when it lost its metadata and id.
SIMILAR = 0.6

#: A code block in a markdown cell (```python ... ```), as a code cell turned into
#: markdown sometimes gets.
_FENCE = re.compile(r"\A\s*```[\w+-]*[ \t]*\n(.*?)\n[ \t]*```\s*\Z", re.S)
#: IPython-only lines (%magic, !shell), read as ``pass`` to parse the rest as Python.
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.M)
_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


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


def normalise(student: NotebookNode, release: NotebookNode) -> Normalised:
    """Build the notebook that grading runs; ``student`` is not modified."""
    return _Matcher(student, release).run()


# -- reading cells -----------------------------------------------------------------------
def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else (source or "")


def _key(source: str) -> str:
    """A cell's text, blind to trailing spaces and blank lines."""
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def _parse(code: str) -> tuple[ast.Module | None, str]:
    """The module, or None and why it does not parse."""
    try:
        return ast.parse(_MAGIC.sub(r"\1pass", code)), ""
    except SyntaxError as e:
        return None, f"line {e.lineno}: {e.msg}"
    except (ValueError, RecursionError, MemoryError) as e:
        return None, type(e).__name__


def _definitions(tree: ast.Module | None) -> dict[str, ast.stmt]:
    """The names a module defines at top level (def, class, assignment), each with the
    statement that defines it last."""
    found: dict[str, ast.stmt] = {}

    def visit(body):
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[stmt.name] = stmt
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for n in (n for t in targets for n in ast.walk(t)):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        found[n.id] = stmt
            elif isinstance(stmt, (ast.If, ast.With, ast.Try)):
                visit(stmt.body)
                visit(getattr(stmt, "orelse", []))
                visit(getattr(stmt, "finalbody", []))
                for handler in getattr(stmt, "handlers", []):
                    visit(handler.body)

    if tree is not None:
        visit(tree.body)
    return found


class _Cell:
    """One cell of the student's notebook (or a piece of a merged one), as matching sees it."""

    def __init__(self, pos: int, cell_type: str, source: str, cell_id, grade_id):
        self.pos = pos
        self.cell_type = cell_type
        self.source = source
        self.cell_id = cell_id
        self.grade_id = grade_id
        self.key = _key(source)
        self.claim: int | None = None  # the release cell this one is a copy of
        self.how = ""                  # how it was found: "grade_id", "cell id", "content", ...
        self.used = False              # placed, or dropped, already
        self.merged_from: int | None = None  # the read-only cell cut out of it, for a piece

    @classmethod
    def of(cls, pos: int, cell: NotebookNode) -> "_Cell":
        meta = cell.get("metadata")
        return cls(pos, cell.get("cell_type", "code"), _text(cell.get("source", "")),
                   cell.get("id"), notebooks.grade_id(cell) if isinstance(meta, dict) else None)

    @cached_property
    def code(self) -> str:
        """The source read as Python: a markdown cell's code block unwrapped."""
        if self.cell_type != "code":
            m = _FENCE.match(self.source)
            if m:
                return m.group(1)
        return self.source

    @cached_property
    def _parsed(self):
        return _parse(self.code)

    @property
    def tree(self) -> ast.Module | None:
        return self._parsed[0]

    @property
    def error(self) -> str:
        return self._parsed[1]

    @cached_property
    def definitions(self) -> dict[str, ast.stmt]:
        return _definitions(self.tree) if self.cell_type in ("code", "markdown", "raw") else {}

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.definitions)

    def version(self, name: str) -> str:
        """How this cell defines ``name`` (blind to comments and layout)."""
        return ast.dump(self.definitions[name])

    def __repr__(self):
        return f"<cell {self.pos} {self.cell_type} {self.key[:30]!r}>"


class _Release:
    """The release notebook, indexed."""

    def __init__(self, nb: NotebookNode):
        self.nb = nb
        self.cells = nb.cells
        self.gid = [notebooks.grade_id(c) for c in self.cells]
        self.solutions = [r for r, c in enumerate(self.cells) if notebooks.is_solution(c)]
        self.locked = {r for r, c in enumerate(self.cells)
                       if notebooks.is_locked(c) and not notebooks.is_solution(c)}
        self.tests = [r for r, c in enumerate(self.cells) if notebooks.is_test(c)]
        self.keys = [_key(_text(c.source)) for c in self.cells]
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
            self._names[r] = frozenset(_definitions(_parse(self.keys[r])[0]))
        return self._names[r]

    def is_answer_like(self, c: _Cell) -> bool:
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


# -- matching ------------------------------------------------------------------------------
class _Matcher:
    def __init__(self, student: NotebookNode, release: NotebookNode):
        self.rel = _Release(release)
        self.cells = _unmerge([_Cell.of(j, c) for j, c in enumerate(student.get("cells", []))],
                              self.rel)
        self.out = Normalised(nb=NotebookNode())
        self.answers: dict[int, list[_Cell]] = {}     # solution -> the cells joined into it
        self.anchors: list[tuple[int, int]] = []      # (student pos, release index), increasing

    def run(self) -> Normalised:
        self.claim_by_metadata()
        self.claim_by_content()
        self.find_skeleton()
        self.claim_edited_copies()
        for r in self.rel.solutions:
            self.place_answer(r)
        self.note_read_only_cells()
        self.assemble()
        return self.out

    # 1. read-only cells --------------------------------------------------------------
    def claim_by_metadata(self) -> None:
        for c in self.cells:
            if c.grade_id in self.rel.by_gid:
                c.claim, c.how = self.rel.by_gid[c.grade_id], "grade_id"
            elif not c.grade_id and c.cell_id in self.rel.by_id:
                c.claim, c.how = self.rel.by_id[c.cell_id], "cell id"
            if c.claim is not None and c.claim not in self.rel.locked \
                    and c.claim not in self.rel.solutions:
                c.claim, c.how = None, ""  # a free cell of the release: the student's own

    def claim_by_content(self) -> None:
        """A verbatim copy of a read-only cell; the k-th copy of a text claims its k-th cell."""
        seen: dict[str, int] = {}
        for c in self.cells:
            if c.claim is None and c.key in self.rel.by_key:
                targets = self.rel.by_key[c.key]
                k = seen.get(c.key, 0)
                seen[c.key] = k + 1
                c.claim, c.how = targets[min(k, len(targets) - 1)], "content"

    def find_skeleton(self) -> None:
        """The heaviest chain of claimed cells in both notebook and release order.

        Read-only cells weigh 2 and solution cells 1: a test moved to the end of the
        notebook leaves the chain, and a solution moved after its test does, rather than
        the test. Only the read-only cells of the chain are anchors.
        """
        seq = [c for c in self.cells if c.claim is not None]
        weight = [2 if c.claim in self.rel.locked else 1 for c in seq]
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
            if seq[i].claim in self.rel.locked:
                self.anchors.append((seq[i].pos, seq[i].claim))
            i = prev[i]
        self.anchors.reverse()

    def claim_edited_copies(self) -> None:
        """A read-only cell found nowhere: an unclaimed cell at its place much like it."""
        claimed = {c.claim for c in self.cells if c.claim is not None}
        for r in sorted(self.rel.locked - claimed):
            lo, hi = self.between(r - 1, r + 1)
            best, best_ratio = None, SIMILAR
            for c in self.cells[lo + 1:hi]:
                if c.claim is not None or c.cell_type != self.rel.cells[r].cell_type \
                        or not c.key or self.rel.is_answer_like(c):
                    continue
                m = difflib.SequenceMatcher(None, c.key, self.rel.keys[r], autojunk=False)
                if m.real_quick_ratio() >= best_ratio and m.quick_ratio() >= best_ratio \
                        and m.ratio() >= best_ratio:
                    best, best_ratio = c, m.ratio()
            if best is not None:
                best.claim, best.how = r, "similar content"
                bisect.insort(self.anchors, (best.pos, r))

    def between(self, r_before: int, r_after: int) -> tuple[int, int]:
        """Student positions of the nearest anchors at or before r_before, at or after r_after."""
        rs = [r for _, r in self.anchors]
        i = bisect.bisect_right(rs, r_before)
        lo = self.anchors[i - 1][0] if i else -1
        k = bisect.bisect_left(rs, r_after)
        hi = self.anchors[k][0] if k < len(self.anchors) else len(self.cells)
        return lo, hi

    # 2. answers ------------------------------------------------------------------------
    def region(self, r: int) -> tuple[int, int]:
        """Where the answer of solution r belongs in the student's notebook: after the
        previous exercise's tests, before its own first test (exclusive positions)."""
        nxt = self.rel.next_test(r)
        return self.between(self.rel.prev_test(r), len(self.rel.cells) if nxt is None else nxt)

    def place_answer(self, r: int) -> None:
        rel, gid = self.rel, self.rel.label(r)
        stub, names = rel.keys[r], rel.names(r)
        lo, hi = self.region(r)

        def side(c):  # -1: before its place, 0: at it, 1: after its first test
            return -1 if c.pos <= lo else 1 if c.pos >= hi else 0

        strong = [c for c in self.cells if c.claim == r]
        loose = [c for c in self.cells if c.claim is None and not c.used and c.key]
        stubs = [c for c in strong + loose if c.key == stub]
        found = [c for c in strong if c.key != stub] + \
                [c for c in loose if c.key != stub and c.names & names]
        for c in found:
            if c.claim != r:
                c.how = "position and content" if side(c) == 0 else "content"
        before = [c for c in found if side(c) < 1]
        if before:
            # what runs before the test, as in a run from top to bottom: the solution's
            # own cells, else the cells at its place, else those further up
            core = [c for c in before if c.claim == r] or \
                [c for c in before if side(c) == 0] or before
            others = [c for c in before if c not in core and side(c) == 0]
            if others:  # copies of the answer, or the other half of a split cell
                have = frozenset().union(*(c.names for c in core))
                keys = {c.key for c in core}
                others = [c for c in others if c.key in keys or not c.names & have]
            found = core + others
        elif not found and not names and not stubs and self.alone_in_region(r):
            found = [c for c in loose if c.cell_type == "code" and lo < c.pos < hi
                     and c.key not in rel.free_keys]
            for c in found:
                c.how = "position"
        found = self.with_fragments(sorted(found, key=lambda c: c.pos), loose)
        for c in found + stubs:
            c.used = True
            c.how = c.how or "position"  # a fragment, found beside the answer
        for c in strong:
            if not c.used:
                c.claim = None  # a copy of its cell after its test: it runs there, as written

        kept, copies = [], []
        for c in found:
            (copies if any(k.key == c.key for k in kept) else kept).append(c)
        if not kept:
            return  # nothing written: the release stub stays
        why = self.ambiguity(kept, side, r)
        if why:
            for c in kept + copies:
                c.used, c.claim = False, None  # the student's cells, run where they are
            note = f"answer of {gid} not recovered: {why}; that exercise scores 0"
            self.out.unrecovered.append(note)
            self.out.repairs.append(note)
            self.out.answered.append(gid)
            return
        self.answers[r] = kept
        if _key(self.answer_source(r)) == stub:
            return  # the unanswered stub, found in pieces or elsewhere: nothing to report

        notes = self.out.repairs
        for how in ("cell id", "position and content", "content", "position"):
            if any(c.how == how for c in kept + copies):
                lost = "its nbgrader metadata was lost" if how == "cell id" \
                    else "its nbgrader metadata and cell id were lost"
                notes.append(f"answer of {gid} matched by {how} ({lost})")
        if any(side(c) == 1 for c in kept):
            notes.append(f"answer of {gid} was after its test cell {rel.label(rel.next_test(r))}; "
                         "moved back before it")
        elif any(side(c) == -1 for c in kept):
            notes.append(f"answer of {gid} was before the test cell {rel.label(rel.prev_test(r))} "
                         "of the previous exercise; moved back to its place")
        for kind in sorted({c.cell_type for c in kept} - {rel.cells[r].cell_type}):
            notes.append(f"answer of {gid} recovered from a {kind} cell")
        if len(kept) > 1:
            notes.append(f"answer of {gid} found in {len(kept)} cells; all kept, in order")
        if copies:
            times = "twice" if len(copies) == 1 else f"{len(copies) + 1} times"
            notes.append(f"answer of {gid} found {times}, identical; kept once")
        if stubs:
            notes.append(f"answer of {gid} found beside an unanswered copy of its cell, "
                         "which was dropped")

    def with_fragments(self, found: list[_Cell], loose: list[_Cell]) -> list[_Cell]:
        """Add the unmatched neighbours that do not parse alone but do with the answer
        (a cell split in the middle of a function)."""
        if not found:
            return found
        free = {c.pos: c for c in loose if c.cell_type == "code" and not c.used
                and c not in found and c.tree is None}
        grown = True
        while grown:
            grown = False
            for edge, step in ((found[0].pos, -1), (found[-1].pos, 1)):
                run, pos = [], edge + step
                while pos in free and len(run) < 3:
                    run.append(free.pop(pos))
                    trial = sorted(found + run, key=lambda c: c.pos)
                    if _parse(_join(trial))[0] is not None:
                        found, run, grown = trial, [], True
                    pos += step
                for c in run:
                    free[c.pos] = c
        return found

    def alone_in_region(self, r: int) -> bool:
        nxt = self.rel.next_test(r)
        stop = len(self.rel.cells) if nxt is None else nxt
        return [s for s in self.rel.solutions if self.rel.prev_test(r) < s < stop] == [r]

    def ambiguity(self, kept: list[_Cell], side, r: int) -> str:
        """Why the answer cannot be told, or ''."""
        rcell = self.rel.cells[r]
        if rcell.cell_type == "code" and any(c.cell_type != "code" for c in kept) \
                and _parse(_join(kept))[0] is None:
            c = next(c for c in kept if c.cell_type != "code")
            return (f"the {c.cell_type} cell that holds it is not Python "
                    f"({c.error or 'with the rest'}), so it may be prose")
        if all(side(c) == 1 for c in kept):  # moved after its test: which version?
            for name in sorted(self.rel.names(r)):
                versions = {c.version(name) for c in kept if name in c.names}
                if len(versions) > 1:
                    return (f"{len(versions)} different cells after its test cell "
                            f"{self.rel.label(self.rel.next_test(r))} define {name}, and none "
                            "before it, so which one is the answer is ambiguous")
        return ""

    def answer_source(self, r: int) -> str:
        kept = self.answers[r]
        return kept[0].code if len(kept) == 1 else _join(kept)

    # notes on the read-only cells -------------------------------------------------------
    def note_read_only_cells(self) -> None:
        rel, anchored = self.rel, {r for _, r in self.anchors}
        lost = 0
        for r in range(len(rel.cells)):
            if r not in rel.locked:
                continue
            label, what = rel.label(r), rel.what(r)
            copies = [c for c in self.cells if c.claim == r]
            if not copies:
                if r in rel.tests:
                    self.out.integrity.append(f"test cell {label} was missing; "
                                              "restored from the release")
                continue
            lost += any(c.how != "grade_id" and c.merged_from != r for c in copies)
            if any(c.merged_from == r for c in copies):
                self.out.repairs.append(f"{what} {label} had been merged with another cell; "
                                        "separated")
            if r not in anchored:
                self.out.repairs.append(f"{what} {label} was moved; "
                                        "it runs at its place in the release")
            if len(copies) > 1:
                self.out.repairs.append(f"{what} {label} appeared {len(copies)} times; "
                                        "kept once, at its place in the release")
            if any(c.key != rel.keys[r] or c.cell_type != rel.cells[r].cell_type for c in copies):
                self.out.integrity.append(f"{what} {label} was edited; the original was restored")
        if lost:
            self.out.repairs.append(f"nbgrader metadata missing from {lost} read-only cells "
                                    "(an editor dropped it); matched by cell id or content")

    # 3. the normalised notebook ----------------------------------------------------------
    def assemble(self) -> None:
        rel, out = self.rel, self.out
        nb = _copy({k: v for k, v in rel.nb.items() if k != "cells"})
        nb.cells = []
        out.nb = nb

        # Anchors of the student's own cells: the skeleton, and answers at their place.
        anchors = list(self.anchors)
        for r, kept in self.answers.items():
            lo, hi = self.between(r - 1, r + 1)
            anchors += [(c.pos, r) for c in kept if lo < c.pos < hi]
        anchors.sort()
        positions = [p for p, _ in anchors]
        extras: dict[int, list[_Cell]] = {}
        for c in self.cells:
            if c.claim is None and not c.used and c.key:
                i = bisect.bisect_left(positions, c.pos)
                extras.setdefault(anchors[i - 1][1] if i else -1, []).append(c)

        used_ids = {c.get("id") for r, c in enumerate(rel.cells)
                    if r in rel.locked or r in rel.solutions}

        def add_extras(after: int) -> None:
            for c in sorted(extras.get(after, []), key=lambda c: c.pos):
                nb.cells.append(_student_cell(c, used_ids))

        add_extras(-1)
        for r, rcell in enumerate(rel.cells):
            if r in rel.solutions:
                cell = _copy(rcell)
                if r in self.answers:
                    cell.source = self.answer_source(r)
                    if _key(cell.source) != rel.keys[r]:
                        out.answered.append(rel.label(r))
                nb.cells.append(cell)
            elif r in rel.locked:
                nb.cells.append(_copy(rcell))
            # a free cell of the release is the student's: it came with their cells
            add_extras(r)
        order = {rel.label(r): i for i, r in enumerate(rel.solutions)}
        out.answered.sort(key=lambda g: order.get(g, 0))


def _unmerge(cells: list[_Cell], rel: _Release) -> list[_Cell]:
    """Cut the read-only cells that were merged into another cell (Shift+M) back out.

    A read-only cell (of 40 characters or more) of which the student's notebook holds no
    verbatim copy, found whole, line for line, inside another cell (or inside its own
    copy, beside an answer: other lines added to a test cell are an edit). The cell
    splits into the text before it, it, and the text after; as in Jupyter, the first
    piece keeps the merged cell's metadata and id, and every piece its type.
    """
    have = {c.key for c in cells}
    wanted = [r for r in sorted(rel.locked) if rel.keys[r] not in have and len(rel.keys[r]) >= 40]
    if not wanted:
        return cells
    out: list[_Cell] = []
    todo = list(cells)
    while todo:
        c = todo.pop(0)
        pieces, r = None, None
        for r in wanted:
            if f"\n{rel.keys[r]}\n" in f"\n{c.key}\n":
                pieces = _cut(c.source, rel.keys[r])
                own = c.grade_id == rel.gid[r] or c.cell_id == rel.cells[r].get("id")
                rest = [_Cell(0, c.cell_type, text, None, None)
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
                piece = _Cell(c.pos, c.cell_type, text, c.cell_id if k == first else None,
                              c.grade_id if k == first else None)
                piece.merged_from = r if k == 1 else c.merged_from
                made.append(piece)
        todo[:0] = made
    for pos, c in enumerate(out):
        c.pos = pos
    return out


def _cut(source: str, key: str) -> list[str] | None:
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


def _copy(node) -> NotebookNode:
    """A deep copy of a notebook's JSON (faster than copy.deepcopy)."""
    return from_dict(json.loads(json.dumps(node)))


def _join(cells: list[_Cell]) -> str:
    """The cells' code, in order: one cell's parts, or whole cells, one after the other."""
    whole = all(c.tree is not None for c in cells)
    return ("\n\n" if whole else "\n").join(c.code.strip("\n") for c in cells)


def _student_cell(c: _Cell, used_ids: set) -> NotebookNode:
    """A cell of the student's own, as they wrote it (outputs and metadata left out)."""
    cell_id = c.cell_id if isinstance(c.cell_id, str) and _CELL_ID.match(c.cell_id) \
        and c.cell_id not in used_ids else f"student-{c.pos}"
    while cell_id in used_ids:
        cell_id += "-"
    used_ids.add(cell_id)
    make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(c.cell_type, new_raw_cell)
    return make(c.source, id=cell_id)


#: The lines of a student's in-notebook self-check (the kit's README suggests them): they
#: are for working in Jupyter, and do nothing useful where the notebook is run whole.
SELF_CHECK_LINE = re.compile(
    r"^\s*(?:from\s+graders(?:\.check)?\s+import\s+check_exercise\b.*"
    r"|(?:graders\.check\.)?check_exercise\s*\(.*\)\s*;?\s*(?:#.*)?"
    r"|import\s+sys\s*;\s*sys\.path\.insert\(\s*0\s*,\s*[\"']\.\.[\"']\s*\).*)$")


def without_self_checks(nb):
    """``nb`` with the self-check lines of its code cells (not the test cells) turned into
    ``pass``: run whole (``make check``, grading), a notebook never imports the kit's
    graders, which the sandbox hides. Returns the number of lines replaced."""
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or notebooks.is_test(cell):
            continue
        lines = cell.source.splitlines()
        kept = []
        for line in lines:
            if SELF_CHECK_LINE.match(line):
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}pass  # check_exercise: run in Jupyter only")
                replaced += 1
            else:
                kept.append(line)
        if kept != lines:
            cell.source = "\n".join(kept)
    return replaced
