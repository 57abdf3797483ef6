"""Misfiled work is recognised and explained (issue 16): another TP's notebook in a TP's
folder (known by its grade_ids), several notebooks in one folder, a folder without a
notebook. Stage 1 (``prepare``) needs no kernel; one end-to-end run is marked slow."""
from __future__ import annotations

import copy
import csv

import nbformat
import pytest

from graders.course import notebooks
from graders.course.config import Course
from graders.grading import policy, submissions
from graders.grading.autograde import Grader
from graders.grading.prepare import fingerprints, identify, prepare, route
from graders.grading.results import Result
from graders.publish import export

from . import toy_course
from .conftest import answered, submit, toy_release_nb

TP0, TP8, NB8 = toy_course.TP_ID, "TP8_two", "two.ipynb"


def as_tp8(nb):
    """The same notebook as TP8's: every grade_id prefixed (another TP's exercises)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        m = cell.metadata.get("nbgrader")
        if m:
            m["grade_id"] = "two_" + m["grade_id"]
    return nb


def add_tp8(root) -> Course:
    path = root / "course_config.py"
    path.write_text(path.read_text() + f"TPS.append(dict(id={TP8!r}, title='two', "
                    "due='2026-09-15 18:00', cell_timeout=10, notebook_timeout=60))\n")
    (root / "source" / TP8).mkdir(parents=True, exist_ok=True)
    nbformat.write(as_tp8(toy_course.source_notebook()), str(root / "source" / TP8 / NB8))
    return Course(root)


@pytest.fixture
def course(toy_course_copy) -> Course:
    return add_tp8(toy_course_copy.root)


def hand(course, student, tp, nb, name):
    folder = course.submitted_dir / student / tp
    folder.mkdir(parents=True, exist_ok=True)
    notebooks.write(nb, folder / name)
    return folder / name


def pristine(course, tp):
    release = toy_release_nb(course)
    source = toy_course.source_notebook()
    if tp == TP0:
        return {toy_course.NOTEBOOK: release}, {toy_course.NOTEBOOK: source}
    return {NB8: as_tp8(release)}, {NB8: as_tp8(source)}


def prep(course, tp, sub):
    return prepare(course, course.tp(tp), sub, *pristine(course, tp))


# -- which TP a notebook is -------------------------------------------------------------
def test_a_notebook_is_known_by_its_grade_ids(course, tmp_path):
    prints = fingerprints(course)
    assert set(prints) == {TP0, TP8} and "toy_square" in prints[TP0]
    mine = hand(course, "x", TP0, answered(course), "whatever.ipynb")
    other = hand(course, "x", TP0, as_tp8(answered(course)), "b.ipynb")
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    bare = hand(course, "x", TP0, plain, "c.ipynb")
    (tmp_path / "bad.ipynb").write_text("{")
    assert identify(mine, prints) == TP0 and identify(other, prints) == TP8
    assert identify(bare, prints) is None and identify(tmp_path / "bad.ipynb", prints) is None


# -- another TP's notebook -----------------------------------------------------------------
def test_another_tps_notebook_is_graded_as_that_tp_when_unambiguous(course):
    path = hand(course, "bob", TP0, as_tp8(answered(course)), NB8)
    found = submissions.find(course.submitted_dir, [TP0, TP8])
    routed = route(found, fingerprints(course), [TP0, TP8])
    assert set(routed) == {("bob", TP0), ("bob", TP8)}
    as8 = routed[("bob", TP8)]
    assert (as8.only, as8.found_in, as8.folder) == (path, TP0, path.parent)

    p0 = prep(course, TP0, routed[("bob", TP0)])
    assert p0.decided == policy.Grade(0, "this is TP8's notebook (graded as TP8)")
    assert p0.flags == ["two.ipynb is TP8's notebook: graded as TP8_two"]
    assert p0.flags[0] in p0.repairs                       # in the student's notes too

    p8 = prep(course, TP8, as8)
    assert p8.decided is None and p8.answered and len(p8.to_run) == 1
    assert p8.flags == ["two.ipynb was handed in as TP0_toy: its exercises are TP8's, so it "
                        "is graded as TP8_two"]


def test_another_tps_notebook_is_refused_when_that_tp_has_its_own(course):
    hand(course, "bob", TP0, as_tp8(answered(course)), NB8)
    hand(course, "bob", TP8, as_tp8(answered(course, cube=None)), NB8)
    found = submissions.find(course.submitted_dir, [TP0, TP8])
    routed = route(found, fingerprints(course), [TP0, TP8])
    assert routed[("bob", TP8)] == found[("bob", TP8)]       # its own hand-in is graded
    p0 = prep(course, TP0, routed[("bob", TP0)])
    assert p0.decided == policy.Grade(0, "this is TP8's notebook")
    assert p0.flags == ["two.ipynb is TP8's notebook: not graded (TP8_two has its own hand-in)"]
    # grading TP0 alone: TP8 is not graded in this run
    alone = route(submissions.find(course.submitted_dir, [TP0]), fingerprints(course), [TP0])
    assert prep(course, TP0, alone[("bob", TP0)]).flags == [
        "two.ipynb is TP8's notebook: not graded (TP8_two is not graded in this run)"]


def test_a_foreign_notebook_beside_the_right_one_is_only_noted(course):
    hand(course, "bob", TP0, answered(course), toy_course.NOTEBOOK)
    hand(course, "bob", TP0, as_tp8(answered(course)), NB8)
    routed = route(submissions.find(course.submitted_dir, [TP0, TP8]), fingerprints(course),
                   [TP0, TP8])
    p0 = prep(course, TP0, routed[("bob", TP0)])
    assert p0.decided is None and p0.answered
    assert p0.flags == ["two.ipynb is TP8's notebook: graded as TP8_two"]
    assert routed[("bob", TP8)].found_in == TP0


def test_grade_one_refuses_another_tps_notebook(course, capsys):
    from graders.cli import main

    from .conftest import tree_digest

    path = hand(course, "bob", TP0, as_tp8(answered(course)), NB8)
    before = tree_digest(course.root)
    assert main(["--root", str(course.root), "grade-one", "--student", "bob", "--tp", "TP0",
                 "--path", str(path)]) == 2
    assert capsys.readouterr().err == (
        "error: this is TP8's notebook, not TP0's (by its exercises' grade_ids): grade it "
        "with --tp TP8; nothing graded\n")
    assert tree_digest(course.root) == before


# -- several notebooks in one folder ----------------------------------------------------------
def test_several_notebooks_the_one_with_answers_is_graded(course):
    folder = submit(course, "amy", toy_release_nb(course))                   # untouched
    submit(course, "amy", answered(course), name="toy-Copy1.ipynb")          # the real work
    sub = submissions.Submission("amy", TP0, folder)
    p = prep(course, TP0, sub)
    assert p.decided is None and p.answered
    assert p.flags == ["2 notebooks in the folder: toy-Copy1.ipynb graded (2 exercises "
                       "answered: the one with answers); not graded: toy.ipynb (no answer)"]
    assert "notebook 'toy-Copy1.ipynb' graded as 'toy.ipynb' (renamed)" in p.repairs


def test_several_notebooks_with_answers_the_best_is_graded(course):
    folder = submit(course, "amy", answered(course, cube=None), name="a.ipynb")
    submit(course, "amy", answered(course), name="b.ipynb")
    (folder / "old").mkdir()
    (folder / "old" / toy_course.NOTEBOOK).write_text('{"broken": ')
    p = prep(course, TP0, submissions.Submission("amy", TP0, folder))
    assert p.flags == ["3 notebooks in the folder: b.ipynb graded (2 exercises answered: the "
                       "most answers); not graded: a.ipynb (1 exercise answered); "
                       "old/toy.ipynb (unreadable)"]
    (_, nb), = p.to_run
    cube = notebooks.cell_by_grade_id(nb, "toy_cube_solution")
    assert "x ** 3" in cube.source                                 # b's answer


# -- a folder without a notebook ---------------------------------------------------------
def test_a_folder_without_a_notebook_is_not_an_absent_student(course):
    folder = course.submitted_dir / "tim" / TP0
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-09-15 15:00:00 UTC")
    grader = Grader(course)
    r = grader.grade(submissions.Submission("tim", TP0, folder), course.tp(TP0), "tim")
    assert (r.grade, r.reason) == (0, "no notebook in the folder")
    assert r.flags == [f"no notebook in submitted/tim/{TP0}/ (it holds: timestamp.txt)"]
    absent = grader.grade(None, course.tp(TP0), "ann")
    assert (absent.reason, absent.flags) == ("no submission", [])
    assert r.handed_in is False and absent.handed_in is False


def test_flags_reach_grades_csv_and_the_printed_table(course, tmp_path):
    r = Result("bob", TP0, 0, "this is TP8's notebook (graded as TP8)",
               flags=["two.ipynb is TP8's notebook: graded as TP8_two"])
    path = export.write(course, [r], [TP0], tmp_path / "g.csv")
    rows = {row["student"]: row for row in csv.DictReader(path.open())}
    assert rows["bob"]["flags"] == "TP0_toy: two.ipynb is TP8's notebook: graded as TP8_two"
    assert "[1 flag]" in export.summary(course, [r], [TP0])


# -- end to end: real kernels -----------------------------------------------------------
@pytest.mark.slow
def test_misfiled_work_end_to_end(course):
    from graders.grade import grade_course

    hand(course, "bob", TP0, as_tp8(answered(course)), NB8)             # TP8 in the TP0 folder
    submit(course, "amy", toy_release_nb(course))                         # untouched ...
    submit(course, "amy", answered(course), name="toy-Copy1.ipynb")       # ... and the work
    stamp = course.submitted_dir / "tim" / TP0
    stamp.mkdir(parents=True)
    (stamp / "timestamp.txt").write_text("2026-09-15 15:00:00 UTC")
    got = {(r.student, r.tp): r for r in grade_course(course, progress=False)}
    assert (got[("bob", TP8)].grade, got[("bob", TP8)].reason) == (2, "5/5 points: complete")
    assert got[("bob", TP0)].reason == "this is TP8's notebook (graded as TP8)"
    assert (got[("amy", TP0)].grade, got[("amy", TP0)].points) == (2, 5)
    assert got[("tim", TP0)].reason == "no notebook in the folder"
    assert got[("carol", TP0)].reason == "no submission"
    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv.open())}
    assert "TP0_toy: two.ipynb is TP8's notebook: graded as TP8_two" in rows["bob"]["flags"]
    assert "TP8_two: two.ipynb was handed in as TP0_toy" in rows["bob"]["flags"]
    assert "toy-Copy1.ipynb graded" in rows["amy"]["flags"]
    assert "no notebook in submitted/tim/TP0_toy/" in rows["tim"]["flags"]
    assert rows["carol"]["flags"] == ""
