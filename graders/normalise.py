"""The normalised submission: the student's answers transplanted into the release.

Grading never runs a submitted notebook as it is (DESIGN.md §1). It runs the pristine
release notebook of the TP, in which each solution cell holds the student's answer and
the student's own extra cells stay where they were; locked cells (instructions, setup,
tests) always come from the release. Every repair made on the way is a note.

Matching a student's cell to a release cell, in this order:

1. by nbgrader ``grade_id`` (the metadata nbgrader writes);
2. by cell id, for a cell whose nbgrader metadata an editor dropped;
3. by content, for a locked cell copied verbatim;
4. by position, for an answer that lost both: the unmatched code cells between the two
   matched cells that surround exactly one solution cell in the release.

A solution cell found several times (duplicated) keeps every copy, in notebook order,
as the kernel would have run them top to bottom; a solution cell turned into markdown
is turned back into code. Cells that match nothing are the student's own and are kept
after the cell that precedes them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from . import notebooks


@dataclass
class Normalised:
    nb: NotebookNode
    repairs: list[str] = field(default_factory=list)    # structure fixed on the way
    integrity: list[str] = field(default_factory=list)  # locked cells that had been changed
    answered: list[str] = field(default_factory=list)   # solution grade_ids with an answer

    @property
    def unmodified(self) -> bool:
        return not self.answered


def _key(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _match(student: NotebookNode, release: NotebookNode) -> dict[int, list[int]]:
    """Release cell index -> the indices of the student cells that stand for it."""
    by_gid = {notebooks.grade_id(c): i for i, c in enumerate(release.cells)
              if notebooks.grade_id(c)}
    by_id = {c.get("id"): i for i, c in enumerate(release.cells) if c.get("id")}
    by_content = {}
    for i, c in enumerate(release.cells):
        if notebooks.is_locked(c) and _key(c.source):
            by_content.setdefault(_key(c.source), i)

    matched: dict[int, list[int]] = {}
    taken: set[int] = set()
    for j, cell in enumerate(student.cells):
        gid = notebooks.grade_id(cell)
        target = by_gid.get(gid) if gid else None
        if target is None and not gid and cell.get("id") in by_id:
            target = by_id[cell.get("id")]
            if target in matched and not notebooks.is_solution(release.cells[target]):
                target = None  # a locked cell matched once is enough
        if target is None:
            target = by_content.get(_key(cell.get("source", "")))
            if target is not None and target in matched:
                target = None
        if target is not None:
            matched.setdefault(target, []).append(j)
            taken.add(j)
    _match_by_position(student, release, matched, taken)
    return matched


def _match_by_position(student, release, matched, taken) -> None:
    """Give each unanswered solution cell the unmatched code cells of its gap, if unique."""
    student_pos = {r: js[0] for r, js in matched.items()}
    for r, cell in enumerate(release.cells):
        if not notebooks.is_solution(cell) or r in matched:
            continue
        before = max((a for a in student_pos if a < r), default=None)
        after = min((b for b in student_pos if b > r), default=None)
        lo = -1 if before is None else student_pos[before]
        hi = len(student.cells) if after is None else student_pos[after]
        gap_lo = -1 if before is None else before
        gap_hi = len(release.cells) if after is None else after
        solutions_in_gap = [k for k in range(gap_lo + 1, gap_hi)
                            if notebooks.is_solution(release.cells[k])]
        if solutions_in_gap != [r]:
            continue
        candidates = [j for j in range(lo + 1, hi) if j not in taken
                      and student.cells[j].cell_type == "code"
                      and _key(student.cells[j].source)]
        if candidates:
            matched[r] = candidates
            taken.update(candidates)


def normalise(student: NotebookNode, release: NotebookNode) -> Normalised:
    """Build the notebook that grading runs; ``student`` is not modified."""
    matched = _match(student, release)
    owner = {j: r for r, js in matched.items() for j in js}
    out = Normalised(nb=copy.deepcopy(release))
    out.nb.cells = []

    # The student's own cells, attached after the release cell they follow.
    extras: dict[int, list[NotebookNode]] = {}
    anchor = -1
    for j, cell in enumerate(student.cells):
        if j in owner:
            anchor = owner[j]
        elif cell.get("cell_type") in ("code", "markdown"):
            extras.setdefault(anchor, []).append(cell)

    def add_extras(after: int) -> None:
        for cell in extras.get(after, []):
            make = new_code_cell if cell.cell_type == "code" else new_markdown_cell
            out.nb.cells.append(make(cell.source))

    add_extras(-1)
    for r, rcell in enumerate(release.cells):
        cell = copy.deepcopy(rcell)
        gid = notebooks.grade_id(rcell) or f"cell {r + 1}"
        copies = [student.cells[j] for j in matched.get(r, [])]
        if notebooks.is_solution(rcell):
            if copies:
                cell.source = "\n\n".join(c.source for c in copies)
                _note_solution_repairs(out, gid, rcell, copies)
            if _key(cell.source) != _key(rcell.source):
                out.answered.append(gid)
        elif not notebooks.is_locked(rcell):
            # A free cell of the release (no nbgrader metadata) is the student's to edit.
            for c in copies:
                make = new_code_cell if c.cell_type == "code" else new_markdown_cell
                out.nb.cells.append(make(c.source))
            add_extras(r)
            continue
        else:
            if not copies:
                if notebooks.is_test(rcell):
                    out.integrity.append(f"test cell {gid} was missing; restored from the release")
            elif any(_key(c.source) != _key(rcell.source) for c in copies):
                what = "test cell" if notebooks.is_test(rcell) else "read-only cell"
                out.integrity.append(f"{what} {gid} was edited; the original was restored")
        out.nb.cells.append(cell)
        add_extras(r)
    return out


def _note_solution_repairs(out: Normalised, gid: str, rcell, copies) -> None:
    if len(copies) > 1:
        out.repairs.append(f"answer of {gid} found in {len(copies)} cells; all kept, in order")
    for c in copies:
        if c.cell_type == "markdown" and rcell.cell_type == "code":
            out.repairs.append(f"answer of {gid} recovered from a markdown cell")
        elif c.cell_type == "raw":
            out.repairs.append(f"answer of {gid} recovered from a raw cell")
    if copies and not any(notebooks.grade_id(c) == notebooks.grade_id(rcell) for c in copies):
        how = "cell id" if any(c.get("id") == rcell.get("id") for c in copies) else "position"
        out.repairs.append(f"answer of {gid} matched by {how} (its nbgrader metadata was lost)")
