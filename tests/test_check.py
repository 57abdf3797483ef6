"""`make check`: the student's self-check, on the toy course."""
from __future__ import annotations

from graders import notebooks
from graders.check import check, format_report
from graders.cli import main

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
