"""An instructor never loses a grade (issue 16): wrong inputs stop a command before any
work with one line and exit code 2; a stored result obtained from a handed-in notebook is
never replaced by "no submission"; every result written is kept in its history; student
ids are normalised. No kernel here: where a run grades, ``Grader.grade`` is replaced by a
fake (``fake_grading``)."""
from __future__ import annotations

import json
import unicodedata

import pytest

from graders import grade
from graders.cli import main
from graders.course.config import Course
from graders.grading import results, submissions
from graders.grading.outcomes import Outcome
from graders.grading.results import Result
from graders.publish import export, overrides

from . import toy_course
from .conftest import answered, submit, tree_digest

TP = toy_course.TP_ID


# -- a fake grader: no kernel, the points written in the notebook's metadata -----------------
@pytest.fixture
def fake_grading(monkeypatch):
    """``Grader.grade`` reads the points from the notebook's metadata ({"fake": 3}); the
    release and the gradebook are left alone. Returns the list of graded (student, TP)."""
    from graders.grading import policy
    from graders.grading.autograde import Grader

    calls = []

    def fake_grade(self, sub, tp, student):
        calls.append((student, tp.id))
        if sub is None:
            return Result(student, tp.id, 0, policy.NO_SUBMISSION.reason)
        if not sub.notebooks:
            return Result(student, tp.id, 0, policy.NO_NOTEBOOK.reason, flags=["empty"])
        points = json.loads(sub.notebooks[0].read_text())["metadata"].get("fake", 0)
        ex = [Outcome("toy_square", min(points, 3), 3, points >= 3),
              Outcome("toy_cube", max(points - 3, 0), 2, points >= 5)]
        g = policy.grade(self.course.policy, points=points, max_points=5)
        return Result(student, tp.id, g.value, g.reason, points, 5, ex)

    monkeypatch.setattr(Grader, "grade", fake_grade)
    monkeypatch.setattr(Grader, "pristine", lambda self, tp: (None, {}, {}))
    monkeypatch.setattr(grade.gradebook, "record", lambda *a, **k: None)
    return calls


def hand_in(course, student, points, name=toy_course.NOTEBOOK, folder_name=None):
    nb = answered(course)
    nb.metadata["fake"] = points
    folder = submit(course, folder_name or student, nb, name=name)
    return folder


def run_cli(course, *argv):
    return main(["--root", str(course.root), *argv])


def latest_digest(course) -> dict:
    """The latest results (not the history), byte for byte."""
    return {str(p.relative_to(course.results_dir)): p.read_bytes()
            for p in sorted(course.results_dir.glob("*/*.json"))}


def one_line_error(capsys, expected: str) -> None:
    captured = capsys.readouterr()
    assert captured.err == f"error: {expected}\n"
    assert "Traceback" not in captured.out + captured.err


# -- make grade with nothing to grade ----------------------------------------------------
def test_grade_without_submitted_folder_stops_before_any_work(toy_course_copy, capsys):
    course = toy_course_copy
    assert run_cli(course, "grade") == 2
    one_line_error(capsys, "no submitted/ folder: expected "
                   "submitted/<student>/<TP id>/<notebook>.ipynb; nothing graded")
    assert not course.results_dir.exists() and not course.grades_csv.exists()
    assert not course.feedback_dir.exists()


def test_grade_with_an_empty_submitted_folder_keeps_every_stored_result(toy_course_copy,
                                                                         capsys):
    course = toy_course_copy
    results.save(Result("bob", TP, 1, "3/5 points: decent", 3, 5), course.results_dir)
    before = tree_digest(course.results_dir)
    course.submitted_dir.mkdir()
    (course.submitted_dir / "bob").mkdir()      # a student folder, but no TP folder in it
    assert run_cli(course, "grade") == 2
    one_line_error(capsys, f"submitted/ holds no hand-in of {TP}: expected "
                   "submitted/<student>/<TP id>/<notebook>.ipynb; nothing graded")
    assert tree_digest(course.results_dir) == before
    assert not course.grades_csv.exists()


# -- grade-one's inputs --------------------------------------------------------------------
@pytest.fixture
def course3(toy_course_copy):
    """The toy course with TP3 listed in the configuration but not released."""
    path = toy_course_copy.root / "course_config.py"
    path.write_text(path.read_text() + "TPS.append(dict(id='TP3_later', title='later', "
                    "due='2026-12-15 18:00', cell_timeout=10, notebook_timeout=60))\n")
    return Course(toy_course_copy.root)


@pytest.mark.parametrize("argv, error", [
    (["--student", "bob", "--tp", "TP0", "--path", "nowhere/x.ipynb"],
     "no notebook or folder at nowhere/x.ipynb: nothing graded"),
    (["--student", "bob", "--tp", "TP3"],
     "TP3_later is not released (no folder source/TP3_later/); released: TP0_toy"),
    (["--student", "bob", "--tp", "TP9"],
     "unknown TP 'TP9'; course_config.py lists TP0_toy, TP3_later"),
    (["--student", "bobb", "--tp", "TP0"],
     "unknown student 'bobb': not on the class list (STUDENTS in course_config.py) and no "
     "folder submitted/bobb/"),
    (["--student", "carol", "--tp", "TP0"],
     "no folder submitted/carol/TP0_toy/ (expected submitted/carol/TP0_toy/<notebook>.ipynb, "
     "or give --path): nothing graded"),
])
def test_grade_one_refuses_wrong_inputs_and_writes_nothing(course3, capsys, argv, error):
    course = course3
    hand_in(course, "bob", 3)
    results.save(Result("bob", TP, 1, "3/5 points: decent", 3, 5), course.results_dir)
    before = tree_digest(course.root)
    assert run_cli(course, "grade-one", *argv) == 2
    one_line_error(capsys, error)
    assert tree_digest(course.root) == before


def test_grade_one_on_an_emptied_folder_keeps_the_stored_result(toy_course_copy, capsys):
    course = toy_course_copy
    folder = hand_in(course, "bob", 3)
    (folder / toy_course.NOTEBOOK).unlink()
    results.save(Result("bob", TP, 1, "3/5 points: decent", 3, 5), course.results_dir)
    before = tree_digest(course.root)
    assert run_cli(course, "grade-one", "--student", "bob", "--tp", "TP0") == 2
    one_line_error(capsys, "no notebook in " + str(folder)
                   + ": the stored result (1, 3/5 points: decent) is kept")
    assert tree_digest(course.root) == before


def test_make_grade_keeps_a_handed_in_result_whose_folder_went(toy_course_copy, fake_grading):
    """alice's folder vanished (moved, a typo); bob's is unchanged; dave's is emptied."""
    course = toy_course_copy
    for s in ("alice", "bob", "dave"):
        hand_in(course, s, 5)
    grade.run_course(course, progress=False)
    assert sorted(fake_grading) == [("alice", TP), ("bob", TP), ("carol", TP), ("dave", TP)]
    import shutil

    shutil.rmtree(course.submitted_dir / "alice")
    (course.submitted_dir / "dave" / TP / toy_course.NOTEBOOK).unlink()
    before = latest_digest(course)
    fake_grading.clear()
    run = grade.run_course(course, progress=False)
    assert fake_grading == []                    # bob unchanged, carol still absent: skipped
    assert run.skipped == 2 and run.graded == 0
    assert run.kept == [
        f"alice {TP}: nothing under submitted/ now; the stored result "
        "(2, 5/5 points: complete) is kept",
        f"dave {TP}: a folder without a notebook under submitted/ now; the stored result "
        "(2, 5/5 points: complete) is kept"]
    assert latest_digest(course) == before
    final = {r.student: r.grade for r in run.final}
    assert final == {"alice": 2, "bob": 2, "carol": 0, "dave": 2}


def test_no_sequence_of_wrong_commands_changes_a_stored_result(toy_course_copy, capsys,
                                                               fake_grading):
    course = toy_course_copy
    hand_in(course, "bob", 3)
    assert run_cli(course, "grade", "--jobs", "1") == 0
    before = latest_digest(course)
    assert json.loads(before[f"bob/{TP}.json"])["reason"] == "3/5 points: decent (4.5 needed for a 2)"
    empty = course.root / "empty"
    empty.mkdir()
    (course.root / "odd.txt").write_text("x")
    wrong = [["grade-one", "--student", "bob", "--tp", "TP0", "--path", "nowhere/x.ipynb"],
             ["grade-one", "--student", "bob", "--tp", "TP0", "--path", str(empty)],
             ["grade-one", "--student", "bob", "--tp", "TP0", "--path",
              str(course.root / "odd.txt")],
             ["grade-one", "--student", "bob", "--tp", "TP9"],
             ["grade", "--tp", "TP9"], ["grade", "--student", "nobody"]]
    for argv in wrong:
        assert run_cli(course, *argv) == 2, argv
    course.overrides_csv.write_text("student,tp,grade,reason\nbob,TP0,3,typo\n")
    for argv in (["grade"], ["feedback"], ["grade-one", "--student", "bob", "--tp", "TP0"]):
        assert run_cli(course, *argv) == 2, argv
    course.overrides_csv.unlink()
    import shutil

    shutil.rmtree(course.submitted_dir / "bob" / TP)
    (course.submitted_dir / "bob" / TP).mkdir()           # bob's folder emptied
    assert run_cli(course, "grade") == 0
    assert run_cli(course, "feedback") == 0
    assert latest_digest(course) == before
    rows = {r["student"]: r for r in __import__("csv").DictReader(course.grades_csv.open())}
    assert rows["bob"][TP] == "1"


# -- overrides.csv, validated before any work ----------------------------------------------
@pytest.mark.parametrize("text, error", [
    ("student,tp,grade\nbob,TP0,2\n",
     "overrides.csv line 1: missing column(s) reason; expected the header "
     "student,tp,grade,reason"),
    ("student,tp,grade,reason\nbob,TP0,2,ok\nbob,TP0,3,x\n",
     "overrides.csv line 3: grade must be 0, 1 or 2, got '3'"),
    ("student,tp,grade,reason\nbob,TP9,2,x\n",
     "overrides.csv line 2: unknown TP 'TP9'; course_config.py lists TP0_toy"),
    ("student,tp,grade,reason\n  ,TP0,2,x\n", "overrides.csv line 2: empty student"),
    ("student,tp,grade,reason\nbob,TP0,1,\n", "overrides.csv line 2: an override needs a reason"),
    ("student,tp,grade,reason\nbob,TP0,1,a, b\n",
     "overrides.csv line 2: 5 fields for 4 columns (quote a reason that has a comma)"),
    ("student,tp,grade,reason\nbob,TP0,1,a\nbob,TP0_toy,2,b\n",
     "overrides.csv line 3: bob TP0_toy is already overridden on line 2"),
])
def test_a_malformed_overrides_file_stops_grading_before_any_work(toy_course_copy, capsys,
                                                                  fake_grading, text, error):
    course = toy_course_copy
    hand_in(course, "bob", 3)
    course.overrides_csv.write_text(text)
    with pytest.raises(overrides.OverrideError) as e:
        overrides.load(course)
    assert str(e.value) == error
    assert run_cli(course, "grade") == 2
    one_line_error(capsys, error)
    assert fake_grading == [] and not course.results_dir.exists()
    assert not course.grades_csv.exists()


# -- student ids --------------------------------------------------------------------------
def test_student_ids_are_normalised_everywhere(toy_course_copy, capsys, fake_grading):
    course = toy_course_copy
    nfc, nfd = "zo\u00eb", unicodedata.normalize("NFD", "zo\u00eb")
    assert nfc != nfd
    path = course.root / "course_config.py"
    path.write_text(path.read_text() + f"STUDENTS = ['alice', ' {nfc} ']\n")
    course = Course(course.root)
    assert course.students == ["alice", nfc]
    hand_in(course, nfd, 5)                               # macOS wrote the folder's name
    assert set(submissions.find(course.submitted_dir, [TP])) == {(nfc, TP)}
    course.overrides_csv.write_text(f"student,tp,grade,reason\n{nfd} ,TP0,1,agreed\n")
    assert set(overrides.load(course)) == {(nfc, TP)}
    assert run_cli(course, "grade", "--student", f" {nfd}") == 0
    out = capsys.readouterr().out
    rows = export.table(course, results.load_all(course.results_dir), [TP])
    assert [r["student"] for r in rows] == ["alice", nfc]            # once, not twice
    assert rows[1][TP] == 2 and results.load_all(course.results_dir)[0].student == nfc
    assert nfc in out and nfd not in out
    assert run_cli(course, "grade-one", "--student", nfd, "--tp", "TP0") == 0
    assert [p.name for p in course.results_dir.iterdir()] == [nfc]


# -- the history of results --------------------------------------------------------------
def test_every_result_written_is_kept_and_only_the_latest_is_read(tmp_path):
    from graders.instructor import report

    folder = tmp_path / "results"
    for points in (2, 3, 5):
        results.save(Result("bob", TP, 0, f"{points} points", points, 5), folder)
    results.save(Result("amy", TP, 2, "ok", 5, 5), folder)
    assert [r.points for r in results.load_all(folder)] == [5, 5]           # amy, bob
    history = results.history(folder, "bob", TP)
    assert [r.points for _, r in history] == [2, 3, 5]
    assert all(stamp.endswith("Z") for stamp, _ in history)
    assert results.stored(folder, "bob", TP).points == 5
    assert (folder / "bob" / f"{TP}.history").is_dir()
    # the class report reads the results the same way
    course = Course(toy_course.make(tmp_path / "c"))
    import shutil

    shutil.copytree(folder, course.results_dir)
    got, problems = report.load_results(course)
    assert sorted((r.student, r.points) for r in got) == [("amy", 5), ("bob", 5)]
    assert problems == []


def test_the_shards_merge_reads_the_latest_and_keeps_handed_in_results(tmp_path):
    from graders import shards

    course = Course(toy_course.make(tmp_path / "c"))
    results.save(Result("bob", TP, 1, "3/5 points", 3, 5), course.results_dir)
    shard = tmp_path / "shard"
    results.save(Result("bob", TP, 0, "no submission"), shard / "results")
    results.save(Result("amy", TP, 0, "1/5"), shard / "results")
    results.save(Result("amy", TP, 2, "5/5"), shard / "results")
    merged = shards.merge(course, [shard])
    assert [(r.student, r.grade) for r in merged] == [("amy", 2), ("bob", 0)]
    assert results.stored(course.results_dir, "bob", TP).grade == 1        # kept
    assert results.stored(course.results_dir, "amy", TP).grade == 2
