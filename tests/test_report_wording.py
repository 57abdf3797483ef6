"""What a newcomer read wrong on the class report and the console (issue: "What a newcomer
tripped on"): counts that say what they count, and nothing the instructor must look at
left out of "needs a look"."""
from __future__ import annotations

import os
import re
import shutil
import time

import pytest

from graders import cli
from graders.course.config import Course
from graders.grade import Run
from graders.grading.outcomes import Outcome
from graders.grading.results import Result, save
from graders.instructor import report

from . import class_course as cc
from .test_report import Page

TP1, TP2 = cc.TPS


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Course:
    return cc.published(tmp_path_factory.mktemp("wording"))


@pytest.fixture
def course(base, tmp_path) -> Course:
    return cc.private_copy(base, tmp_path)


def render(course) -> tuple[str, Page]:
    html = report.write(course).read_text(encoding="utf-8")
    return html, Page(html)


def attention(page: Page) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for row in page.tables["attention"]:
        out.setdefault(row["attrs"]["data-kind"], []).append([t for _, t in row["cells"]])
    return out


def test_unreadable_hand_ins_and_timed_out_cells_need_a_look(course):
    save(Result("harry", TP1, 0, "notebook is not valid JSON (line 1, column 2): open it in "
                "Jupyter, save it, and hand it in again", submitted_at="2026-09-15T15:00:00+00:00"),
         course.results_dir)
    timed = cc._outcomes(TP2, [1, 1, 1])
    timed[1] = Outcome(timed[1].grade_id, 0.0, 2.0, False,
                       "interrupted: the cell did not finish in time (an infinite loop?)")
    save(Result("alice", TP2, 1, "4/6 points: decent (5.4 needed for a 2)", 4, 6, timed),
         course.results_dir)
    kinds = attention(render(course)[1])
    assert [r[1:3] for r in kinds["unreadable hand-in"]] == [["harry", "TP1"]]
    assert "not valid JSON" in kinds["unreadable hand-in"][0][3]
    assert [r[1:3] for r in kinds["timed out"]] == [["alice", "TP2"]]
    assert kinds["timed out"][0][3].startswith(f"{timed[1].grade_id}: interrupted")
    # neither a late, an unmodified, a missing nor a failed grading is called unreadable
    for who in ("dave", "erin", "absent", "frank"):
        assert who not in [r[1] for r in kinds["unreadable hand-in"]]


def test_the_notes_of_a_student_are_counted_as_notes(course):
    notes = [f"test cell tp1_{i} was edited; the original was restored" for i in range(11)]
    save(Result("carol", TP1, 1, "4/6 points: decent (5.4 needed for a 2)", 4, 6,
                cc._outcomes(TP1, [1, 0, 1]), integrity=notes), course.results_dir)
    html, page = render(course)
    cell = next(c for c in page.tables["students"] if c["attrs"].get("data-student") == "carol")
    flags = [t for _, t in cell["cells"]][-1]
    assert flags.startswith("11 notes"), flags
    assert "22 notes" not in html


def test_counts_are_singular_when_one(course, tmp_path):
    shutil.rmtree(course.submitted_dir)
    for student in ("alice", "bob"):
        cc.submit(course, student, cc.ANSWERS[student])
    html, _ = render(course)
    assert "<p>1 pair of 2 students compared;" in html
    assert "1 pairs" not in html


def test_count_axes_have_whole_ticks():
    svg = report.plot_grades([0, 1, 0], "TP1: grades")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg) or re.findall(r"<!-- ([\d.]+) -->", svg)
    ticks = [t for t in labels if re.fullmatch(r"\d+(\.\d+)?", t.strip())]
    assert ticks and all("." not in t for t in ticks), ticks
    svg = report.plot_points([3.0, 4.0], 6.0, "TP1: points")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg) or re.findall(r"<!-- ([\d.]+) -->", svg)
    y_ticks = [t for t in labels if re.fullmatch(r"\d+\.\d+", t.strip())]
    assert not y_ticks, y_ticks


def test_the_header_names_the_results_folder_it_read(tmp_path, monkeypatch):
    """Reporting on demo/ says demo/results, not results/."""
    from graders.course import config

    repo = tmp_path / "repo"
    repo.mkdir()
    demo = cc.published(repo / "demo")
    monkeypatch.setattr(config, "ROOT", repo)
    html, _ = render(demo)
    assert "<code data-stat=results-dir>demo/results/</code>" in html


def test_an_old_regrade_report_shows_its_date(course):
    path = course.root / "regrade-report.csv"
    path.write_text("student,tp,old_grade,new_grade\ncarol,TP1_class,0,1\n")
    when = time.mktime((2026, 9, 16, 10, 30, 0, 0, 0, -1))
    os.utime(path, (when, when))
    html, _ = render(course)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))
    assert f"written <span data-stat=regrade-date>{stamp}</span>" in html


# -- the console of `make grade` --------------------------------------------------------
def test_grade_summary_counts_what_it_says(tmp_path):
    course = Course(cc.make(tmp_path / "c").root)
    run = Run(graded=18, changes=[
        {"student": "a", "tp": TP1, "old_grade": 0, "new_grade": 1, "old_points": "2",
         "new_points": "4", "exercises": ""},
        {"student": "b", "tp": TP1, "old_grade": 2, "new_grade": 2, "old_points": "5.5",
         "new_points": "6", "exercises": ""},
        {"student": "c", "tp": TP1, "old_grade": 1, "new_grade": 1, "old_points": "4",
         "new_points": "3.5", "exercises": ""}])
    run.absent = 15
    text = cli.run_summary(course, run, 12.34)
    assert "3 submissions graded in 12.3 s (and 15 with nothing handed in)" in text, text
    assert "1 grade changed and 2 results changed points only (same grade)" in text, text
    assert "grade(s)" not in text and "18 submission" not in text
