"""Matching by position and syntax: the rest of an answer cell split in the middle of a
function (or a statement), which does not parse alone.

Runs within the placement of each answer (``answers``), on the cells found for it.
"""
from __future__ import annotations

from .cells import Cell, join, parse


def with_fragments(found: list[Cell], loose: list[Cell]) -> list[Cell]:
    """``found`` (in notebook order) with the unmatched code cells beside it that do not
    parse alone: a run of up to 3 of them on either side joins it when, with them, the
    answer parses; again, until none does. In notebook order."""
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
                if parse(join(trial))[0] is not None:
                    found, run, grown = trial, [], True
                pos += step
            for c in run:
                free[c.pos] = c
    return found
