"""One ``COURSE=`` for every verb, and one fallback: a fresh clone after ``make demo`` has
only the demo course's data, and every verb that reads a course finds it there
(``graders.course.config.course_root``)."""
from __future__ import annotations

import csv
import subprocess

import pytest

from graders import cli
from graders.course import config
from graders.course.config import ROOT
from graders.grading import results
from graders.grading.results import Result

from . import toy_course


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """A repository with no submitted/ nor results/, and a demo course with one result."""
    repo = tmp_path / "repo"
    repo.mkdir()
    demo = toy_course.make(repo / "demo")
    results.save(Result("alice", toy_course.TP_ID, 2, "5/5 points: complete", 5, 5),
                 demo / "results")
    monkeypatch.setattr(config, "ROOT", repo)
    monkeypatch.setattr(config, "DEMO", demo)
    return repo, demo


def test_export_right_after_the_demo_exports_the_demo(fresh_clone, capsys):
    repo, demo = fresh_clone
    assert cli.main(["export", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "using the demo course" in err and str(demo) in err
    target = demo / "grades-long.csv"
    assert f"csv grades written to {target}" in out
    rows = list(csv.DictReader(target.open()))
    assert {r["student"]: r["grade"] for r in rows if r["tp"] == toy_course.TP_ID} \
        == {"alice": "2", "bob": "0", "carol": "0"}, rows


def test_feedback_and_grade_one_fall_back_to_the_demo_too(fresh_clone, capsys):
    repo, demo = fresh_clone
    assert cli.main(["feedback"]) == 0
    assert (demo / "feedback" / "alice" / toy_course.TP_ID / "feedback.html").is_file()
    assert (demo / "grades.csv").is_file() and not (repo / "grades.csv").exists()
    # grade-one reads the demo's class list: an unknown student is refused there
    assert cli.main(["grade-one", "--student", "nobody", "--tp", "TP0"]) == 2
    assert "unknown student 'nobody'" in capsys.readouterr().err


def test_the_repository_wins_once_it_has_course_data(fresh_clone):
    repo, demo = fresh_clone
    assert config.course_root(None)[0] == demo
    (repo / "submitted").mkdir()
    assert config.course_root(None) == (repo, None)
    assert config.course_root(str(demo)) == (demo, None)   # COURSE= always wins


def test_a_missing_course_folder_is_one_line(tmp_path, capsys):
    assert cli.main(["--root", str(tmp_path / "nowhere"), "feedback"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: no course folder at {tmp_path / 'nowhere'}\n"


VERBS = {  # verb -> the variables it needs besides COURSE
    "grade": "", "grade-one": "STUDENT=a TP=TP1", "feedback": "", "report": "",
    "export": "FORMAT=csv", "check": "NB=x.ipynb", "grade-plan": "", "grade-shard": "SHARD=0",
    "grade-merge": "DIRS=d",
}


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_of_the_makefile_takes_course(verb):
    cmd = ["make", "-n", "--no-print-directory", verb, "COURSE=demo", *VERBS[verb].split()]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if "-m graders" in ln)
    assert '-m graders --root "demo" ' in line, line


def test_make_help_documents_course():
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "COURSE=folder works with every verb" in out and "demo/" in out
