"""Instructor overrides and the exported table (no kernel involved)."""
from __future__ import annotations

import csv

import pytest

from graders.course.config import Course
from graders.grading.results import Result
from graders.publish import export, overrides

from . import toy_course
from .test_safety import fake_grading, hand_in  # noqa: F401  (a fixture)


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


# -- a student the course does not know ------------------------------------------------
def test_an_unknown_student_is_refused_like_an_unknown_tp(course):
    write_overrides(course, "student,tp,grade,reason\nbob,TP0,2,x\npartail,TP0,2,typo of partial\n")
    with pytest.raises(overrides.OverrideError) as e:
        overrides.load(course)
    assert str(e.value) == ("overrides.csv line 3: unknown student 'partail': not on the class "
                            "list (STUDENTS in course_config.py), no folder submitted/partail/ "
                            "and no result in results/")


def test_students_known_by_a_folder_or_a_result_may_be_overridden(course):
    from graders.grading import results

    (course.submitted_dir / "dave" / toy_course.TP_ID).mkdir(parents=True)
    results.save(Result("erin", toy_course.TP_ID, 1, "3/5"), course.results_dir)
    write_overrides(course, "student,tp,grade,reason\ndave,TP0,2,x\nerin,TP0,2,y\n")
    assert set(overrides.load(course)) == {("dave", toy_course.TP_ID), ("erin", toy_course.TP_ID)}


def test_feedback_with_an_unknown_student_writes_nothing(course, capsys):
    from graders import cli
    from graders.grading import results

    results.save(Result("alice", toy_course.TP_ID, 1, "3/5 points", 3, 5), course.results_dir)
    assert cli.main(["--root", str(course.root), "feedback"]) == 0
    before = course.grades_csv.read_bytes()
    capsys.readouterr()
    write_overrides(course, "student,tp,grade,reason\npartail,TP0,2,typo\n")
    assert cli.main(["--root", str(course.root), "feedback"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown student 'partail'" in err, err
    assert course.grades_csv.read_bytes() == before
    assert not (course.feedback_dir / "partail").exists()


def test_a_feedback_page_no_result_backs_is_removed(course, capsys):
    """A phantom's page (written before unknown students were refused), or one whose
    student left the class: `feedback` removes it and says so; the others stay."""
    from graders import cli
    from graders.grading import results

    results.save(Result("alice", toy_course.TP_ID, 1, "3/5 points", 3, 5), course.results_dir)
    phantom = course.feedback_dir / "partail" / toy_course.TP_ID / "feedback.html"
    phantom.parent.mkdir(parents=True)
    phantom.write_text("<p>2 / 2</p>")
    assert cli.main(["--root", str(course.root), "feedback"]) == 0
    out = capsys.readouterr().out
    assert not phantom.exists() and not (course.feedback_dir / "partail").exists()
    assert f"removed feedback/partail/{toy_course.TP_ID}/feedback.html: no result backs it" in out
    assert (course.feedback_dir / "alice" / toy_course.TP_ID / "feedback.html").is_file()
    rows = {r["student"] for r in csv.DictReader(course.grades_csv.open())}
    assert "partail" not in rows


def test_make_grade_removes_a_page_no_result_backs(toy_course_copy, fake_grading, capsys):
    """`make grade` publishes too: a stale page goes there as with `make feedback`."""
    from graders import cli

    course = toy_course_copy
    hand_in(course, "alice", 5)
    phantom = course.feedback_dir / "partail" / toy_course.TP_ID / "feedback.html"
    phantom.parent.mkdir(parents=True)
    phantom.write_text("<p>2 / 2</p>")
    assert cli.main(["--root", str(course.root), "grade"]) == 0
    assert not phantom.exists()
    assert "removed feedback/partail/" in capsys.readouterr().out
    assert (course.feedback_dir / "alice" / toy_course.TP_ID / "feedback.html").is_file()
