"""The 0/1/2 policy on every boundary (docs/design.md §5)."""
from datetime import datetime, timedelta, timezone

import pytest

from graders.course.config import Policy
from graders.grading.policy import NO_SUBMISSION, format_delay, grade, lateness

P = Policy(decent=0.5, complete=0.9, grace=timedelta(minutes=15))
DUE = datetime(2026, 9, 15, 18, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("points, expected", [
    (20, 2), (18, 2),            # exactly at the complete threshold is a 2
    (17.99, 1), (10, 1),         # exactly at the decent threshold is a 1
    (9.99, 0), (0, 0),
])
def test_thresholds(points, expected):
    assert grade(P, points=points, max_points=20).value == expected


def test_thresholds_with_float_fractions():
    # 0.9 * 30 = 27.000000000000004 in floating point: 27/30 must still be a 2
    assert grade(P, points=27, max_points=30).value == 2
    assert grade(P, points=15, max_points=30).value == 1


def test_reasons_say_points_and_what_was_needed():
    assert grade(P, points=20, max_points=20).reason == "20/20 points: complete"
    assert grade(P, points=14, max_points=20).reason == "14/20 points: decent (18 needed for a 2)"
    assert grade(P, points=9.5, max_points=20).reason == "9.5/20 points: below the 10 needed for a 1"


def test_late_wins_over_points():
    g = grade(P, points=20, max_points=20, late_by=timedelta(hours=2, minutes=13))
    assert (g.value, g.reason) == (0, "late by 2 h 13 min")


def test_unreadable_and_unmodified():
    assert grade(P, points=0, max_points=20, unreadable="notebook is not valid JSON").reason \
        == "notebook is not valid JSON"
    g = grade(P, points=0, max_points=20, unmodified=True)
    assert g.value == 0 and "unmodified" in g.reason
    assert NO_SUBMISSION.value == 0 and NO_SUBMISSION.reason == "no submission"


@pytest.mark.parametrize("delta, late", [
    (timedelta(0), False),                               # exactly on time
    (timedelta(minutes=15), False),                      # exactly at the end of the grace
    (timedelta(minutes=15, seconds=1), True),            # one second after it
    (timedelta(seconds=-1), False),
    (timedelta(days=3), True),
])
def test_lateness_boundaries(delta, late):
    assert (lateness(DUE + delta, DUE, P.grace) is not None) == late


def test_no_timestamp_is_on_time():
    assert lateness(None, DUE, P.grace) is None


def test_lateness_across_time_zones():
    paris = timezone(timedelta(hours=2))
    # 19:10 in Paris is 17:10 UTC: before an 18:00 UTC deadline
    assert lateness(datetime(2026, 9, 15, 19, 10, tzinfo=paris), DUE, P.grace) is None


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=1), "1 s"), (timedelta(minutes=16), "16 min"),
    (timedelta(minutes=15, seconds=1), "15 min 1 s"), (timedelta(hours=2, minutes=13), "2 h 13 min"),
    (timedelta(hours=3), "3 h"), (timedelta(days=1, hours=3), "1 d 3 h"), (timedelta(days=2), "2 d"),
])
def test_format_delay(delta, text):
    assert format_delay(delta) == text


def test_no_points_is_an_error():
    with pytest.raises(ValueError):
        grade(P, points=0, max_points=0)
