"""Incremental regrading and the regrade report (issue 16): ``make grade`` grades only what
changed since the stored result, ``FORCE=1`` everything; a run that changes a grade
writes ``regrade-report.csv``; the printed table is the published one. The fake grader
of test_safety keeps these tests free of kernels; one end-to-end test is marked slow."""
from __future__ import annotations

import csv
import subprocess

import nbformat
import pytest

from graders import grade
from graders.cli import main
from graders.course.config import Course
from graders.grading import results
from graders.grading.outcomes import Outcome
from graders.grading.results import Result

from . import toy_course
from .conftest import answered, submit
from .test_safety import fake_grading, hand_in  # noqa: F401  (a fixture)

TP = toy_course.TP_ID


def run(course, **kw):
    return grade.run_course(course, progress=False, **kw)


def test_only_what_changed_is_regraded(toy_course_copy, fake_grading, monkeypatch):
    course = toy_course_copy
    for s, points in (("alice", 5), ("bob", 3)):
        hand_in(course, s, points)
    first = run(course)
    assert (first.graded, first.skipped) == (3, 0)            # alice, bob, carol (absent)
    assert all(r.input_hash for r in first.results)

    fake_grading.clear()
    again = run(course)
    assert (again.graded, again.skipped, fake_grading) == (0, 3, [])
    assert [r.grade for r in again.results] == [r.grade for r in first.results]

    # the submission's content, its hand-in time
    hand_in(course, "bob", 4)
    (course.submitted_dir / "alice" / TP / "timestamp.txt").write_text("2026-09-15 15:00 UTC")
    assert (run(course).graded, sorted(fake_grading)) == (2, [("alice", TP), ("bob", TP)])

    def regraded():
        fake_grading.clear()
        r = run(course)
        return r.graded, r.skipped

    # the TP's source (a test cell fixed), its settings, the grader's version, FORCE
    path = course.source_dir / TP / toy_course.NOTEBOOK
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("square(-3)", "square(-4)").replace("9.0", "16.0")
    nbformat.write(nb, str(path))
    assert regraded() == (2, 1)                     # carol's "no submission" does not depend on it
    config = course.root / "course_config.py"
    config.write_text(config.read_text().replace("2026-09-15 18:00", "2026-09-16 18:00"))
    course = Course(course.root)
    assert regraded() == (2, 1)
    monkeypatch.setattr(grade, "grader_version", lambda: "a newer grader")
    assert regraded() == (3, 0)
    fake_grading.clear()
    assert run(course).graded == 0
    assert run(course, force=True).graded == 3


def test_grade_says_what_it_skipped_and_prints_the_published_table(toy_course_copy, capsys,
                                                                   fake_grading):
    course = toy_course_copy
    hand_in(course, "bob", 3)
    hand_in(course, "zed", 0)                                      # not on the class list
    course.overrides_csv.write_text("student,tp,grade,reason\n"
                                    "bob,TP0,2,oral exam\ncarol,TP0,1,on paper\n")
    assert main(["--root", str(course.root), "grade"]) == 0
    out = capsys.readouterr().out
    table = out.split("\n\n")[0].splitlines()
    assert [line.split()[:2] for line in table[1:]] == [
        ["alice", "0"], ["bob", "2"], ["carol", "1"], ["zed", "0"]]   # overrides applied
    assert "instructor override: oral exam" in out
    assert "2 submissions graded" in out and "(and 2 with nothing handed in)" in out

    assert main(["--root", str(course.root), "grade", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert ("0 submissions graded" in out and "; 4 unchanged since their stored result, "
            "not regraded (FORCE=1 regrades them)" in out)
    table = out.split("\n\n")[0].splitlines()                   # still the published table
    assert [line.split()[:2] for line in table[1:]][1] == ["bob", "2"]
    assert main(["--root", str(course.root), "grade", "--force", "--student", "bob"]) == 0
    assert "1 submission graded" in capsys.readouterr().out


def test_a_run_that_changes_grades_writes_the_regrade_report(toy_course_copy, capsys,
                                                             fake_grading):
    from graders.instructor import report

    course = toy_course_copy
    hand_in(course, "alice", 5)
    hand_in(course, "bob", 3)
    assert main(["--root", str(course.root), "grade"]) == 0
    assert not (course.root / "regrade-report.csv").exists()       # first grading: no change
    capsys.readouterr()
    hand_in(course, "bob", 5)
    assert main(["--root", str(course.root), "grade"]) == 0
    out = capsys.readouterr().out
    with (course.root / "regrade-report.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"student": "bob", "tp": TP, "old_grade": "1", "new_grade": "2",
                     "old_points": "3", "new_points": "5", "exercises": "toy_cube 0->2"}]
    assert out.rstrip().endswith(
        "1 grade changed by this run (also in regrade-report.csv):\n"
        f"  bob {TP}: 1 -> 2 (3 -> 5 points): toy_cube 0->2")
    header, changes = report.regrade_changes(course)              # the class report reads it
    assert tuple(header) == grade.REGRADE_COLUMNS and changes[0][:2] == ["bob", TP]
    # the earlier grade is still there, in the history
    assert [r.points for _, r in results.history(course.results_dir, "bob", TP)] == [3, 5]


def test_change_names_the_exercises_responsible():
    old = Result("a", TP, 1, "x", 3, 5, [Outcome("toy_square", 3, 3, True),
                                         Outcome("toy_cube", 0, 2, False)])
    new = Result("a", TP, 0, "y", 2, 5, [Outcome("toy_square", 0, 3, False),
                                         Outcome("toy_cube", 2, 2, True)])
    assert grade.change(old, new)["exercises"] == "toy_square 3->0; toy_cube 0->2"
    assert grade.change(old, old) is None and grade.change(None, new) is None
    absent = Result("a", TP, 0, "no submission")
    assert grade.change(absent, new)["exercises"] == "toy_square -->0; toy_cube -->2"


def test_make_passes_tp_student_and_force():
    out = subprocess.run(["make", "-n", "grade", "TP=TP1 TP2", "STUDENT=bob", "FORCE=1"],
                         cwd=toy_course.ROOT, capture_output=True, text=True).stdout
    assert '--tp "TP1" --tp "TP2" --student "bob" --force' in out
    out = subprocess.run(["make", "-n", "grade"], cwd=toy_course.ROOT,
                         capture_output=True, text=True).stdout
    assert "--force" not in out and "--tp" not in out


@pytest.mark.slow
def test_fixing_a_test_cell_and_regrading_reports_who_changed(toy_course_copy, capsys):
    """A hidden test expected square(-3) == -9: alice's correct answer failed it. Fixed in
    source/, the class is regraded (only the TP's submissions), with a report."""
    course = toy_course_copy
    path = course.source_dir / TP / toy_course.NOTEBOOK
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("== 9.0", "== -9.0")
    nbformat.write(nb, str(path))
    submit(course, "alice", answered(course))
    assert main(["--root", str(course.root), "grade", "--jobs", "1"]) == 0
    assert results.stored(course.results_dir, "alice", TP).points == 2
    capsys.readouterr()
    nb.cells[3].source = nb.cells[3].source.replace("== -9.0", "== 9.0")
    nbformat.write(nb, str(path))
    assert main(["--root", str(course.root), "grade", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"  alice {TP}: 0 -> 2 (2 -> 5 points): toy_square 0->3" in out
    assert "2 unchanged since their stored result" in out           # bob, carol: absent
    rows = list(csv.DictReader((course.root / "regrade-report.csv").open()))
    assert [(r["student"], r["old_grade"], r["new_grade"], r["exercises"]) for r in rows] == [
        ("alice", "0", "2", "toy_square 0->3")]
