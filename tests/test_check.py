"""`make check`: the student's self-check, on the toy course."""
from __future__ import annotations

from graders.cli import main
from graders.course import notebooks
from graders.course.config import Course
from graders.student.check import check, format_report, released_tps

from . import toy_course
from .conftest import answered, toy_release_nb


def test_check_reports_each_exercise(toy, tmp_path):
    nb = answered(toy, cube="return x * x")
    path = tmp_path / toy_course.NOTEBOOK
    notebooks.write(nb, path)
    report = check(toy, path)
    assert report.ok and report.tp == toy_course.TP_ID
    outcome = {o.grade_id: o for o in report.exercises}
    assert outcome["toy_square"].passed
    # cube(1) == 1 passes the visible test: only the hidden test would catch x * x
    assert outcome["toy_cube"].passed
    text = format_report(report, path)
    assert "pass  toy_square" in text and "upper bound" in text


def test_check_warns_about_edited_tests_and_errors(toy, tmp_path):
    nb = answered(toy, square="return x +", cube=None)
    notebooks.cell_by_grade_id(nb, "toy_cube").source = "assert True"
    path = tmp_path / "renamed copy.ipynb"
    notebooks.write(nb, path)
    report = check(toy, path)
    outcome = {o.grade_id: o for o in report.exercises}
    assert outcome["toy_square"].message.startswith("NameError")
    assert outcome["toy_cube"].message.startswith("not answered yet")
    text = "\n".join(report.warnings)
    assert "test cell toy_cube was edited" in text
    assert "toy_square_solution raised SyntaxError" in text


def test_check_rejects_what_grading_cannot_read(toy, tmp_path, capsys):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [')
    assert main(["--root", str(toy.root), "check", str(bad)]) == 1
    assert "PROBLEM  notebook is not valid JSON" in capsys.readouterr().out
    path = tmp_path / toy_course.NOTEBOOK
    notebooks.write(toy_release_nb(toy), path)
    report = check(toy, path)
    assert not report.ok and "unmodified" in report.problems[0]


def test_check_needs_the_release_only(toy, tmp_path):
    """A course folder with release/ and no source/ (what a student has): the TP is found
    from the release, the check runs, and its output has no kernel warning about TCP
    (the engine talks to its kernels over Unix sockets)."""
    import re
    import shutil
    import subprocess
    import sys

    root = tmp_path / "student"
    shutil.copytree(toy.release_dir, root / "release")
    shutil.copy(toy.root / "course_config.py", root)
    assert not (root / "source").exists()
    student = Course(root)
    assert student.released_tps == []          # graders.course.config looks at source/ ...
    assert [tp.id for tp in released_tps(student)] == [toy_course.TP_ID]  # ... check does not
    path = tmp_path / "mine.ipynb"
    notebooks.write(answered(toy, cube=None), path)
    proc = subprocess.run([sys.executable, "-m", "graders", "--root", str(root), "check",
                           str(path)], capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "matches no TP" not in output
    assert re.search(r"pass  toy_square\s+3 pt", output)
    assert re.search(r"FAIL  toy_cube\s+2 pt", output) and "-> Write `cube`" in output
    assert not re.search(r"without encryption|unencrypted|TCP", output, re.I), output
