"""`make demo`: the example submissions of every TP get their expected grade and reason
(the complete ones every point: the source's answers in the release, graded end to end),
and no submitted file is changed by grading. (Each TP's mutant suite runs its source
notebook through the engine too: it must score full marks.)"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from graders import cli
from graders.course import examples
from graders.course.config import ROOT, Course
from graders.grade import grade_course

from . import demo_snapshot
from .conftest import tree_digest
from .test_report import check_in_browser, chromium  # noqa: F401 (a fixture)

COURSE = Course(ROOT)
SNAPSHOT = Path(__file__).parent / "snapshots" / "demo.json"

REASONS = {
    "complete": r"^(\d+)/\1 points: complete$",
    "partial": r"^[\d.]+/\d+ points: decent \([\d.]+ needed for a 2\)$",
    "unmodified": r"^unmodified release notebook \(no answer written\)$",
    "late": r"^late by 2 h 13 min$",
    "invalid-json": r"^notebook is not valid JSON \(line \d+: .+\)$",
    "tampered-tests": r"^[\d.]+/\d+ points: decent",
    "infinite-loop": r"^[\d.]+/\d+ points: ",
    "absent": r"^no submission$",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not COURSE.released_tps:
        pytest.skip("no TP released yet")
    root = tmp_path_factory.mktemp("demo") / "demo"
    course, expected = cli.make_demo_course(root)
    before = tree_digest(course.submitted_dir)
    graded = grade_course(course, progress=False)
    return course, expected, {(r.student, r.tp): r for r in graded}, before


@pytest.mark.slow
def test_examples_get_their_expected_grade_and_reason(demo):
    course, expected, got, _ = demo
    for student, tp, grade in expected + [(examples.ABSENT, t.id, 0) for t in course.released_tps]:
        r = got[(student, tp)]
        assert r.grade == grade, f"{student} {tp}: expected {grade}, got {r.grade} ({r.reason})"
        assert re.match(REASONS[student], r.reason), f"{student} {tp}: reason {r.reason!r}"


@pytest.mark.slow
def test_complete_examples_pass_every_exercise_and_notes_are_right(demo):
    course, _, got, _ = demo
    tp1 = course.released_tps[0].id
    assert all(o.passed for o in got[("complete", tp1)].exercises)
    tampered = got[("tampered-tests", tp1)]
    assert tampered.integrity and all("was edited; the original was restored" in n
                                      for n in tampered.integrity)
    loop = got[("infinite-loop", tp1)]
    interrupted = [o for o in loop.exercises if "did not finish in time" in o.message]
    assert interrupted, "the infinite loop should be interrupted by the cell timeout"


@pytest.mark.slow
def test_grading_leaves_submitted_files_byte_identical(demo):
    course, _, _, before = demo
    assert tree_digest(course.submitted_dir) == before


@pytest.mark.slow
def test_demo_report_in_browser(demo, chromium, tmp_path):
    """`make demo`, then `make report`: the demo course's report works in a real browser
    (its numbers are grades.csv's, its tables sort)."""
    course, _, _, _ = demo
    check_in_browser(chromium, course, tmp_path / "profile")


@pytest.mark.slow
def test_what_users_see_of_the_demo_matches_the_snapshot(demo, tmp_path):
    """The demo's results, feedback pages, report, grade files and gradebook scores are the
    ones stored in tests/snapshots/demo.json (timings and the grader's hash pinned): a
    change to graders/ that is not meant to be seen changes none of them."""
    course, _, _, _ = demo
    got = demo_snapshot.snapshot(course.root, tmp_path / "snapshot")
    if os.environ.get("DL_COURSE_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = sorted(f for f in want.keys() | got.keys() if want.get(f) != got.get(f))
    assert not changed, (f"{len(changed)} of {len(want)} files differ from {SNAPSHOT.name} "
                         f"(rebuilt in {tmp_path / 'snapshot'}): {', '.join(changed[:8])}; "
                         "DL_COURSE_UPDATE_SNAPSHOT=1 rewrites it if the change is meant")
