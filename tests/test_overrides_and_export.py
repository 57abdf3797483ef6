"""Instructor overrides and the exported table (no kernel involved)."""
from __future__ import annotations

import csv

import pytest

from graders import export, overrides
from graders.config import Course
from graders.results import Result

from . import toy_course


@pytest.fixture
def course(tmp_path):
    return Course(toy_course.make(tmp_path / "c"))


def write_overrides(course, text):
    course.overrides_csv.write_text(text)


def test_override_wins_and_is_marked(course):
    write_overrides(course, "student,tp,grade,reason\nbob,TP0,2,medical certificate\n")
    table = overrides.load(course)
    r = overrides.apply(Result("bob", toy_course.TP_ID, 0, "late by 2 h"), table)
    assert r.grade == 2 and r.override
    assert r.reason == "instructor override: medical certificate (computed: 0, late by 2 h)"
    untouched = overrides.apply(Result("alice", toy_course.TP_ID, 1, "x"), table)
    assert not untouched.override and untouched.grade == 1


@pytest.mark.parametrize("text, error", [
    ("student,tp,grade\nbob,TP0,2\n", "missing column(s) reason"),
    ("student,tp,grade,reason\nbob,TP9,2,x\n", "line 2: unknown TP 'TP9'"),
    ("student,tp,grade,reason\nbob,TP0,3,x\n", "line 2: grade must be 0, 1 or 2"),
    ("student,tp,grade,reason\nbob,TP0,1,\n", "line 2: an override needs a reason"),
])
def test_bad_override_files_say_where(course, text, error):
    write_overrides(course, text)
    with pytest.raises(overrides.OverrideError, match=error.replace("(", r"\(").replace(")", r"\)")):
        overrides.load(course)


def test_no_override_file_is_fine(course):
    assert overrides.load(course) == {}


def test_table_has_a_row_per_student_and_the_tp_mark(course, tmp_path):
    results = [Result("alice", toy_course.TP_ID, 2, "5/5 points: complete", 5, 5),
               Result("zed", toy_course.TP_ID, 1, "3/5", 3, 5, integrity=["test cell x was edited"])]
    path = export.write(course, results, [toy_course.TP_ID], tmp_path / "g.csv")
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert set(rows) == {"alice", "bob", "carol", "zed"}      # the class list + zed
    assert rows["alice"]["tp_mark"] == "10.00" and rows["alice"][f"{toy_course.TP_ID} points"] == "5/5"
    assert rows["bob"][toy_course.TP_ID] == "0" and rows["bob"]["tp_mark"] == "0.00"
    assert rows["zed"]["flags"] == "not on the class list; TP0_toy: test cell x was edited"
    assert "alice" in export.summary(course, results, [toy_course.TP_ID])


def test_override_of_a_student_with_nothing_graded(course):
    from graders.grade import publish

    write_overrides(course, "student,tp,grade,reason\ncarol,TP0,1,handed in on paper\n")
    final = {r.student: r for r in publish(course)}
    assert final["carol"].grade == 1 and final["carol"].override
    assert "computed: 0, no submission" in final["carol"].reason
    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv.open())}
    assert rows["carol"][toy_course.TP_ID] == "1" and "overridden" in rows["carol"]["flags"]
