"""Matching the answers: for each solution cell of the release, the student's cells that
hold its answer, by metadata, by the names its stub defines, and by position.

Runs after the read-only cells are matched and the skeleton drawn (an answer's place is
between the anchors of the previous exercise's tests and its own first test), once per
solution cell in release order: a cell placed (``used``) for one is not a candidate for
the next. The rule, as a run from top to bottom would see it, is the package's docstring
(step 2). An answer found is in ``m.answers`` and its repairs in ``m.out``; one that
cannot be told is noted as unrecovered, and its cells stay the student's own.
"""
from __future__ import annotations

from .cells import Cell, join, key_of, parse
from .fragments import with_fragments
from .matching import Matching


def region(m: Matching, r: int) -> tuple[int, int]:
    """Where the answer of solution r belongs in the student's notebook: after the
    previous exercise's tests, before its own first test (exclusive positions)."""
    nxt = m.rel.next_test(r)
    return m.between(m.rel.prev_test(r), len(m.rel.cells) if nxt is None else nxt)


def place(m: Matching, r: int) -> None:
    """Find, join and note the answer of solution r (see the module's docstring)."""
    gid, stub = m.rel.label(r), m.rel.keys[r]
    lo, hi = region(m, r)

    def side(c):  # -1: before its place, 0: at it, 1: after its first test
        return -1 if c.pos <= lo else 1 if c.pos >= hi else 0

    found, stubs = _found(m, r, lo, hi, side)
    kept, copies = [], []
    for c in found:
        (copies if any(k.key == c.key for k in kept) else kept).append(c)
    if not kept:
        return  # nothing written: the release stub stays
    why = _ambiguity(m, kept, side, r)
    if why:
        for c in kept + copies:
            c.used, c.claim = False, None  # the student's cells, run where they are
        note = f"answer of {gid} not recovered: {why}; that exercise scores 0"
        m.out.unrecovered.append(note)
        m.out.repairs.append(note)
        m.out.answered.append(gid)
        return
    m.answers[r] = kept
    if key_of(m.answer_source(r)) == stub:
        return  # the unanswered stub, found in pieces or elsewhere: nothing to report
    _note_repairs(m, r, kept, copies, stubs, side)


def _found(m: Matching, r: int, lo: int, hi: int, side) -> tuple[list[Cell], list[Cell]]:
    """The cells of solution r's answer (copies included), in notebook order, and the
    untouched copies of its stub; all of them marked ``used``, with their ``how``."""
    rel = m.rel
    stub, names = rel.keys[r], rel.names(r)
    strong = [c for c in m.cells if c.claim == r]
    loose = [c for c in m.cells if c.claim is None and not c.used and c.key]
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
    elif not found and not names and not stubs and _alone_in_region(m, r):
        # a stub that defines no name: the code cells at its place are the answer
        found = [c for c in loose if c.cell_type == "code" and lo < c.pos < hi
                 and c.key not in rel.free_keys]
        for c in found:
            c.how = "position"
    found = with_fragments(sorted(found, key=lambda c: c.pos), loose)
    for c in found + stubs:
        c.used = True
        c.how = c.how or "position"  # a fragment, found beside the answer
    for c in strong:
        if not c.used:
            c.claim = None  # a copy of its cell after its test: it runs there, as written
    return found, stubs


def _alone_in_region(m: Matching, r: int) -> bool:
    """Whether r is the only solution cell between the previous test and its own."""
    nxt = m.rel.next_test(r)
    stop = len(m.rel.cells) if nxt is None else nxt
    return [s for s in m.rel.solutions if m.rel.prev_test(r) < s < stop] == [r]


def _ambiguity(m: Matching, kept: list[Cell], side, r: int) -> str:
    """Why the answer cannot be told, or ''."""
    rcell = m.rel.cells[r]
    if rcell.cell_type == "code" and any(c.cell_type != "code" for c in kept) \
            and parse(join(kept))[0] is None:
        c = next(c for c in kept if c.cell_type != "code")
        return (f"the {c.cell_type} cell that holds it is not Python "
                f"({c.error or 'with the rest'}), so it may be prose")
    if all(side(c) == 1 for c in kept):  # moved after its test: which version?
        for name in sorted(m.rel.names(r)):
            versions = {c.version(name) for c in kept if name in c.names}
            if len(versions) > 1:
                return (f"{len(versions)} different cells after its test cell "
                        f"{m.rel.label(m.rel.next_test(r))} define {name}, and none "
                        "before it, so which one is the answer is ambiguous")
    return ""


def _note_repairs(m: Matching, r: int, kept: list[Cell], copies: list[Cell],
                  stubs: list[Cell], side) -> None:
    """The repairs that placing the answer of solution r made, in ``m.out.repairs``."""
    rel, gid, notes = m.rel, m.rel.label(r), m.out.repairs
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
