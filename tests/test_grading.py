"""The grading pipeline end to end on the toy course: real nbgrader, real kernels."""
from __future__ import annotations

import copy
import csv

import nbformat
from graders.course.config import Course
from graders.grade import grade_course
from graders.grading import results

from . import toy_course
from .conftest import answered, submit, toy_release_nb, tree_digest


def grade_all(course):
    graded = grade_course(course, progress=False)
    return {(r.student): r for r in graded}


def test_grades_reasons_and_table(toy_course_copy):
    course = toy_course_copy
    submit(course, "alice", answered(course), timestamp="2026-09-15 15:00:00.000000 UTC")
    submit(course, "bob", answered(course, cube=None))                      # 3/5: a 1
    # due 18:00 in Paris (16:00 UTC), 15 min of grace
    submit(course, "dave", answered(course), timestamp="2026-09-15 18:10:00 +02:00")  # in the grace
    submit(course, "erin", answered(course), timestamp="2026-09-15 16:16:00 UTC")
    submit(course, "frank", answered(course), timestamp="2026-09-15 18:15:01")  # no zone: Paris
    submit(course, "gina", toy_release_nb(course))
    submit(course, "hugo", '{"cells": [', name=toy_course.NOTEBOOK)
    submit(course, "ivan", answered(course, square="return x * 2"))         # visible passes, hidden fails
    before = tree_digest(course.submitted_dir)

    got = grade_all(course)

    assert tree_digest(course.submitted_dir) == before, "grading changed a submitted file"
    expect = {
        "alice": (2, "5/5 points: complete"),
        "bob": (1, "3/5 points: decent (4.5 needed for a 2)"),
        "carol": (0, "no submission"),                   # on the class list, nothing handed in
        "dave": (2, "5/5 points: complete"),
        "erin": (0, "late by 16 min"),
        "frank": (0, "late by 15 min 1 s"),
        "gina": (0, "unmodified release notebook (no answer written)"),
        "ivan": (0, "2/5 points: below the 2.5 needed for a 1"),
    }
    for student, (grade, reason) in expect.items():
        assert (got[student].grade, got[student].reason) == (grade, reason), student
    assert got["hugo"].grade == 0 and got["hugo"].reason.startswith("notebook is not valid JSON")

    square = {o.grade_id: o for o in got["ivan"].exercises}["toy_square"]
    assert not square.passed and \
        square.message == "a hidden test failed (AssertionError): hidden: square(-3)"
    cube = {o.grade_id: o for o in got["bob"].exercises}["toy_cube"]
    assert cube.message.startswith("not answered yet")

    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv.open())}
    assert rows["alice"][toy_course.TP_ID] == "2" and rows["alice"]["tp_mark"] == "10.00"
    assert rows["bob"]["tp_mark"] == "5.00"
    assert rows["carol"][f"{toy_course.TP_ID} reason"] == "no submission"
    assert rows["hugo"]["flags"].startswith("not on the class list")
    assert results.load(results.path_of(course.results_dir, "alice", toy_course.TP_ID)).grade == 2


def test_edited_test_cells_are_restored_and_reported(toy_course_copy):
    course = toy_course_copy
    nb = answered(course, square="return 0", cube="return 0")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "assert True"
    submit(course, "mallory", nb)
    r = grade_all(course)["mallory"]
    assert r.grade == 0 and r.points == 0
    assert "test cell toy_square was edited; the original was restored" in r.integrity


def test_feedback_shows_what_a_hidden_test_checked_never_its_code(toy_course_copy):
    course = toy_course_copy
    submit(course, "ivan", answered(course, square="return x * 2", cube="return x"))
    grade_all(course)
    html = (course.feedback_dir / "ivan" / toy_course.TP_ID / "feedback.html").read_text()
    assert html.count("a hidden test failed") == 2
    # the assertions' own messages: what was checked (HIDDEN_TEST_MESSAGES = "always")
    assert "a hidden test failed (AssertionError): hidden: square(-3)" in html
    assert "a hidden test failed (AssertionError): hidden: cube(2)" in html
    for secret in ("float(square(-3))", "float(cube(2))", "== 9.0", "BEGIN HIDDEN"):
        assert secret not in html, f"the hidden test's source leaks into feedback: {secret!r}"


def test_feedback_hides_hidden_messages_when_the_course_says_so(toy_course_copy):
    config = toy_course_copy.root / "course_config.py"
    config.write_text(config.read_text() + 'HIDDEN_TEST_MESSAGES = "never"\n')
    course = Course(toy_course_copy.root)
    submit(course, "ivan", answered(course, square="return x * 2", cube="return x"))
    grade_all(course)
    html = (course.feedback_dir / "ivan" / toy_course.TP_ID / "feedback.html").read_text()
    assert html.count("a hidden test failed (AssertionError)") == 2
    for secret in ("square(-3)", "cube(2)", "BEGIN HIDDEN", "hidden: "):
        assert secret not in html
    # the instructor's result keeps the message
    r = results.load(results.path_of(course.results_dir, "ivan", toy_course.TP_ID))
    assert any(o.message.endswith("hidden: square(-3)") for o in r.exercises)


def test_an_error_raised_in_student_code_under_a_hidden_test_shows_only_its_name(
        toy_course_copy):
    course = toy_course_copy
    leak = "if x < 0: raise ValueError('LEAKED ' + str(x))\n    return x * x"
    submit(course, "mallory", answered(course, square=leak))
    square = {o.grade_id: o for o in grade_all(course)["mallory"].exercises}["toy_square"]
    assert square.message == "a hidden test failed (ValueError)", square.message


def test_hidden_messages_after_due(toy):
    from datetime import timedelta

    from graders.publish.feedback import shows_hidden_messages

    tp = toy.tp(toy_course.TP_ID)
    toy.module.HIDDEN_TEST_MESSAGES = "after_due"
    try:
        assert not shows_hidden_messages(toy, tp, now=tp.due)
        assert not shows_hidden_messages(toy, tp, now=tp.due + toy.policy.grace)
        assert shows_hidden_messages(toy, tp, now=tp.due + toy.policy.grace
                                     + timedelta(seconds=1))
    finally:
        toy.module.HIDDEN_TEST_MESSAGES = "always"


def test_a_wrong_hidden_messages_setting_stops_before_any_work(toy_course_copy, capsys):
    from graders.cli import main

    config = toy_course_copy.root / "course_config.py"
    config.write_text(config.read_text() + 'HIDDEN_TEST_MESSAGES = "alwys"\n')
    submit(toy_course_copy, "alice", answered(toy_course_copy))
    assert main(["--root", str(toy_course_copy.root), "grade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "HIDDEN_TEST_MESSAGES" in err and "'alwys'" in err, err
    assert not (toy_course_copy.root / "results").exists()


def test_infinite_loop_is_interrupted(toy_course_copy):
    course = toy_course_copy
    submit(course, "loop", answered(course, square="while True: pass"))
    r = grade_all(course)["loop"]
    square = {o.grade_id: o for o in r.exercises}["toy_square"]
    assert not square.passed and "did not finish in time" in square.message
    assert r.points == 2 and r.grade == 0     # cube still graded after the interrupt


def test_grade_one_writes_the_json_that_grade_aggregates(toy_course_copy, capsys):
    import json

    from graders.cli import main

    course = toy_course_copy
    folder = submit(course, "alice", answered(course, cube=None))
    assert main(["--root", str(course.root), "grade-one", "--student", "alice", "--tp", "TP0",
                 "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["grade"], shown["points"], shown["max_points"]) == (1, 3.0, 5.0)
    assert [e["passed"] for e in shown["exercises"]] == [True, False]
    assert (course.feedback_dir / "alice" / toy_course.TP_ID / "feedback.html").is_file()
    # a broken notebook is a grade, not a grader failure
    (folder / "other.ipynb").write_text("not json")
    assert main(["--root", str(course.root), "grade-one", "--student", "bob", "--tp", "TP0",
                 "--path", str(folder / "other.ipynb"), "--json"]) == 0
    bob = json.loads(capsys.readouterr().out)
    assert bob["grade"] == 0 and bob["reason"].startswith("notebook is not valid JSON")
    # make grade aggregates the same stored results
    from graders.grade import publish
    assert {(r.student, r.grade) for r in publish(course)} == {("alice", 1), ("bob", 0)}


def test_which_notebook_is_graded(toy_course_copy):
    course = toy_course_copy
    folder = submit(course, "nested", answered(course))
    old = folder / "old"
    old.mkdir()
    (old / toy_course.NOTEBOOK).write_text('{"broken": ')           # an older copy, deeper
    mac = folder / "__MACOSX"
    mac.mkdir()
    (mac / f"._{toy_course.NOTEBOOK}").write_bytes(b"\x00\x05\x16\x07")  # archive debris
    two = submit(course, "two-unknown", answered(course), name="a.ipynb")
    (two / "b.ipynb").write_text((two / "a.ipynb").read_text())
    got = grade_all(course)
    assert got["nested"].grade == 2, got["nested"].reason
    assert any("old/" in n for n in got["nested"].repairs)
    # two copies under other names: one is graded, the other noted (issue 16)
    assert (got["two-unknown"].grade, got["two-unknown"].reason) == (2, "5/5 points: complete")
    assert got["two-unknown"].flags == [
        "2 notebooks in the folder: a.ipynb graded (2 exercises answered: the most answers); "
        "not graded: b.ipynb (2 exercises answered)"]


def test_regrading_one_tp_keeps_the_other_columns(toy_course_copy):
    from graders.grading import results as stored
    from graders.grade import publish
    from graders.grading.results import Result

    course = toy_course_copy
    stored.save(Result("alice", "TP9_other", 2, "kept"), course.results_dir)
    (course.root / "course_config.py").write_text(
        (course.root / "course_config.py").read_text()
        + "TPS.append(dict(id='TP9_other', title='other', due='2026-09-15 18:00', "
          "cell_timeout=10, notebook_timeout=60))\n")
    (course.source_dir / "TP9_other").mkdir()
    from graders.course.config import Course

    course = Course(course.root)
    submit(course, "alice", answered(course))
    grade_course(course, ["TP0_toy"], progress=False)
    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv.open())}
    assert rows["alice"]["TP0_toy"] == "2" and rows["alice"]["TP9_other"] == "2"
    assert rows["alice"]["tp_mark"] == "10.00"
    assert {r.tp for r in publish(course)} == {"TP0_toy", "TP9_other"}


def test_a_notebook_with_no_answer_runs_once_per_grading_run(toy_course_copy):
    """Unanswered hand-ins whose rebuilt notebooks are the same run once; each gets the
    same exercises and 0. One with an extra cell of its own is run for itself."""
    from graders.grading.autograde import Grader
    from graders.grading.engine import Engine

    course = toy_course_copy
    release_nb = toy_release_nb(course)
    for student in ("gina", "hana", "iris"):
        submit(course, student, release_nb)
    extra = copy.deepcopy(release_nb)
    extra.cells.append(nbformat.v4.new_code_cell("print('my own scratch cell')"))
    submit(course, "jade", extra)
    runs = []
    engine = Engine(course)
    real_run = engine.run
    engine.run = lambda nb, *a, **k: runs.append(nb) or real_run(nb, *a, **k)
    grader = Grader(course, engine)
    tp = course.tp(toy_course.TP_ID)
    from graders.grading.submissions import find
    found = find(course.submitted_dir, [tp.id])
    got = {s: grader.grade(found[(s, tp.id)], tp, s) for s in ("gina", "hana", "iris", "jade")}
    assert len(runs) == 2, f"expected 2 kernel runs (one shared, jade's own), got {len(runs)}"
    assert any("my own scratch cell" in c.source for c in runs[1].cells)
    for s, r in got.items():
        assert (r.grade, r.points) == (0, 0), (s, r.grade, r.points)
        assert [(o.grade_id, o.passed, o.message) for o in r.exercises] == \
            [(o.grade_id, o.passed, o.message) for o in got["gina"].exercises], s
    assert "kernel_start_s" not in got["hana"].timings     # a copy: no kernel of its own
    assert (course.autograded_dir / "iris" / tp.id / toy_course.NOTEBOOK).is_file()


def test_submissions_are_prepared_one_at_a_time(toy_course_copy, monkeypatch):
    """Parallel grading prepares one submission at a time (ast.parse is not thread-safe
    in CPython 3.11: two at once fail now and then with "AST constructor recursion depth
    mismatch"); the kernels still run in parallel."""
    import threading
    import time

    from graders.grading import autograde

    course = toy_course_copy
    for i, student in enumerate(("alice", "bob", "carol", "dave")):
        submit(course, student, answered(course, square=f"return x * x + {i} * 0"))
    inside, overlaps, real = [0], [], autograde.prepare
    lock = threading.Lock()

    def slow_prepare(*a, **k):
        with lock:
            inside[0] += 1
            overlaps.append(inside[0])
        time.sleep(0.3)   # a wide window for another thread to come in
        try:
            return real(*a, **k)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(autograde, "prepare", slow_prepare)
    got = grade_course(course, progress=False, jobs=2)
    assert all(r.grade == 2 for r in got if r.handed_in), [(r.student, r.reason) for r in got]
    assert max(overlaps) == 1, f"{max(overlaps)} submissions were prepared at once"
