"""The 0/1/2 scale (docs/design.md §5): a grade and its human-readable reason.

Pure functions of what grading found; every boundary is unit-tested in
``tests/test_policy.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..course.config import Policy


@dataclass(frozen=True)
class Grade:
    value: int   # 0, 1 or 2
    reason: str


def format_delay(delta: timedelta) -> str:
    """'2 h 13 min', '1 d 3 h', '45 s': the lateness a student reads."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def lateness(submitted_at: datetime | None, due: datetime, grace: timedelta) -> timedelta | None:
    """How late past the deadline, if the submission is later than due + grace, else None."""
    if submitted_at is None:
        return None
    delay = submitted_at - due
    return delay if delay > grace else None


def format_points(x: float) -> str:
    return f"{x:g}"


def grade(policy: Policy, *, points: float, max_points: float,
          late_by: timedelta | None = None, unreadable: str | None = None,
          unmodified: bool = False) -> Grade:
    """The grade of one submission that exists.

    ``unreadable``: why the notebook could not be graded at all (its reason wins).
    ``unmodified``: no solution cell differs from the release.
    """
    if unreadable:
        return Grade(0, unreadable)
    if late_by is not None:
        return Grade(0, f"late by {format_delay(late_by)}")
    if unmodified:
        return Grade(0, "unmodified release notebook (no answer written)")
    if max_points <= 0:
        raise ValueError("a TP without points cannot be graded")
    score = f"{format_points(points)}/{format_points(max_points)} points"
    fraction = points / max_points
    # Compare with a relative epsilon: 0.9 * 20 is 18.000000000000004 in floats.
    eps = 1e-9
    if fraction + eps >= policy.complete:
        return Grade(2, f"{score}: complete")
    if fraction + eps >= policy.decent:
        need = policy.complete * max_points
        return Grade(1, f"{score}: decent ({format_points(round(need, 2))} needed for a 2)")
    need = policy.decent * max_points
    return Grade(0, f"{score}: below the {format_points(round(need, 2))} needed for a 1")


NO_SUBMISSION = Grade(0, "no submission")          # nothing under submitted/ for it
NO_NOTEBOOK = Grade(0, "no notebook in the folder")  # a folder, but no .ipynb in it


def short(tp_id: str) -> str:
    """``TP2_makemore`` -> ``TP2``: how a reason names a TP."""
    return tp_id.split("_")[0]
