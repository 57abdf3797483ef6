"""``make report`` (graders/instructor/report.py): the class report, its numbers against grades.csv,
and the page in a real browser (headless Chromium, Debian's package).

The class (tests/class_course.py) is graded without a kernel: its results are written as
grading would have stored them, then published (feedback pages, grades.csv) by the
grader's own ``publish``. The browser test runs on it, and on a copy of the demo course
when ``make demo`` has been run.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graders.course import config
from graders.course.config import Course
from graders.instructor import report

from . import class_course as cc
from .conftest import tree_digest


# -- reading the page --------------------------------------------------------------------
class Page(HTMLParser):
    """The tables of a report page: {table id: [row]}, a row being {"attrs": tr attributes,
    "cells": [(td attributes, text)]}; and the body's attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.body: dict = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = {"attrs": attrs, "cells": []}
            self._table.append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = [attrs, ""]

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            if not self._row["cells"]:  # a header row
                self._table.remove(self._row)
            self._row = None
        if tag == "td" and self._cell is not None:
            self._row["cells"].append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def students(self) -> dict[str, dict[str, tuple[str, str]]]:
        """student -> column -> (data-value, text shown)."""
        return {row["attrs"]["data-student"]:
                {a["data-col"]: (a.get("data-value", ""), text) for a, text in row["cells"]}
                for row in self.tables["students"] if "data-student" in row["attrs"]}


def grades_csv(course: Course) -> list[dict]:
    with course.grades_csv.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_numbers_equal_grades_csv(page: Page, course: Course):
    """Every number of grades.csv is on the page, shown as it is there."""
    shown = page.students()
    rows = grades_csv(course)
    assert sorted(shown) == sorted(r["student"] for r in rows)
    tps = [c for c in rows[0] if c in {t.id for t in course.tps}]
    assert tps
    for row in rows:
        mine = shown[row["student"]]
        for tp in tps:
            value, text = mine[tp]
            assert value == row[tp] and text.rstrip("*") == row[tp], (row["student"], tp)
            value, text = mine[f"{tp} points"]
            assert text == row[f"{tp} points"], (row["student"], tp)
        assert mine["tp_mark"] == (row["tp_mark"], row["tp_mark"])
        assert mine["flags"][0] == row["flags"]


# -- the class ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return cc.published(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page_html(course) -> str:
    return report.write(course, progress=False).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(page_html) -> Page:
    return Page(page_html)


@pytest.fixture
def own_course(course, tmp_path) -> Course:
    return cc.private_copy(course, tmp_path)


def test_numbers_equal_grades_csv(page, course):
    assert_numbers_equal_grades_csv(page, course)
    gina = page.students()["gina"]["TP1_class"]
    assert gina == ("1", "1*")  # the override, marked


def test_grade_links_to_feedback(page_html, course):
    href = re.search(r"<a href='([^']+)'>2</a>", page_html).group(1)
    assert (course.root / "report" / href).resolve().is_file()
    assert href.startswith("../feedback/") and href.endswith("/feedback.html")


def test_per_tp(page, page_html):
    overview = {r["attrs"]["data-tp"]: [t for _, t in r["cells"]]
                for r in page.tables["overview"]}
    # TP1: 8 students, 7 hand-ins; grades 0: dave erin frank absent; 1: carol gina; 2: alice bob
    assert overview["TP1_class"][1:5] == ["7", "4", "2", "2"]
    exercises = {r["attrs"]["data-exercise"]: [t for _, t in r["cells"]]
                 for r in page.tables["exercises-TP1"]}
    assert list(exercises) == [f"tp1_{ex}" for ex in cc.EXERCISES]  # notebook order
    # graded exercise by exercise: alice bob carol dave erin gina (frank's grading failed)
    assert exercises["tp1_normalize"][1:3] == ["5/6", "83%"]
    assert exercises["tp1_moving_average"][1] == "3/6"
    # carol and gina failed with the visible test's message, erin did not answer
    assert "2× assert failed: expected 3, got 2" in exercises["tp1_moving_average"][3]
    assert "1× not answered yet" in exercises["tp1_moving_average"][3]
    assert "1× not answered yet" in exercises["tp1_normalize"][3]
    assert page_html.count("<svg") >= 4  # grades, points, exercises for TP1; grades for TP2


def test_page_is_self_contained(page_html):
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page_html)
    assert not re.search(r"\ssrc=", page_html)
    assert not re.search(r"(href|url)\s*[=(]\s*['\"]?(https?:)?//", page_html)
    assert "Content-Security-Policy" in page_html and "default-src 'none'" in page_html


def test_needs_a_look(page):
    rows = [(r["attrs"]["data-kind"], [t for _, t in r["cells"]])
            for r in page.tables["attention"]]
    kinds = {(k, cells[1], cells[2]) for k, cells in rows}
    assert {("integrity", "carol", "TP1"), ("late", "dave", "TP1"),
            ("override", "gina", "TP1"), ("repair", "bob", "TP1"),
            ("grading failure", "frank", "TP1")} <= kinds
    failure = next(c for k, c in rows if k == "grading failure")
    assert "kernel died" in failure[3]
    missing = {cells[2]: cells[3] for k, cells in rows if k == "missing"}
    assert missing["TP1"] == "no submission: absent"
    assert missing["TP2"].startswith("no result stored: absent, bob, carol")


def test_grading_cost(page):
    cost = {r["cells"][0][1]: [t for _, t in r["cells"]] for r in page.tables["cost"]}
    # TP1 seconds: 4.52 5.53 12.27 4.02 2.01 3.52 (frank: none recorded)
    assert cost["TP1"][1:4] == ["6", "4.3", "12.3"]
    slowest = page.tables["slowest"][0]["cells"]
    assert [t for _, t in slowest[:3]] == ["carol", "TP1", "12.3"]


def test_similar_answers(page, page_html):
    pairs = [r["attrs"]["data-pair"] for r in page.tables["similar-TP1"]]
    assert pairs == ["alice|bob"]
    assert "<mark>" in page_html and "side by side" in page_html


def test_fields_of_a_newer_grader_are_ignored(page):
    assert page.students()["alice"]["TP1_class"][0] == "2"


def test_unreadable_result_and_regrade_report(own_course):
    (own_course.results_dir / "bob" / "TP2_class.json").write_text("{ not json")
    (own_course.root / "regrade-report.csv").write_text(
        "student,tp,old,new,exercise\ncarol,TP1_class,0,1,tp1_stack\n")
    page = Page(report.write(own_course).read_text(encoding="utf-8"))
    kinds = [r["attrs"]["data-kind"] for r in page.tables["attention"]]
    assert "unreadable result" in kinds
    assert [t for _, t in page.tables["regrade"][0]["cells"]] == [
        "carol", "TP1_class", "0", "1", "tp1_stack"]


def test_writes_only_the_report(own_course, capsys):
    shutil.rmtree(own_course.root / "report", ignore_errors=True)   # there if another test wrote it
    before = tree_digest(own_course.root)
    assert report.main(["--root", str(own_course.root)]) == 0
    after = tree_digest(own_course.root)
    assert {k for k in after if after[k] != before.get(k)} == {"report/index.html"}
    assert set(before) <= set(after)
    captured = capsys.readouterr()
    assert "report written to" in captured.out
    assert "report:" in captured.err and "100%" in captured.err  # the progress bar


def test_missing_results_is_one_line(tmp_path, capsys):
    course = cc.make(tmp_path / "c")
    assert report.main(["--root", str(course.root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no results folder") and err.count("\n") == 1
    assert not (course.root / "report").exists()
    assert report.main(["--root", str(tmp_path / "nowhere")]) == 2


# -- in a browser ------------------------------------------------------------------------
def find_chromium() -> str | None:
    for path in ("/usr/lib/chromium/chromium",):  # Debian's binary, without the wrapper
        if os.access(path, os.X_OK):
            return path
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium (`.ci/run` installs Debian's package when it can)."""
    path = find_chromium()
    if path is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium; "
                    "`.ci/run` installs it where apt can reach Debian)")
    return path


def browse(chromium: str, url: str, profile: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and the console messages it logged."""
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--user-data-dir={profile}", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=3000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_console_errors_are_seen(chromium, tmp_path):
    """The check below is not vacuous: a page with an error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><body><script>noSuchFunction();</script></body>")
    _, console = browse(chromium, bad.as_uri(), tmp_path / "profile")
    assert any("Uncaught ReferenceError" in line for line in console)


def check_in_browser(chromium: str, course: Course, profile: Path):
    index = report.write(course)
    dom, console = browse(chromium, index.as_uri(), profile)
    assert console == [], console
    page = Page(dom)
    assert page.body.get("data-ready", "").startswith("sortable:")  # the script ran
    assert_numbers_equal_grades_csv(page, course)
    # sorting, in the browser: by tp_mark, descending
    column = next(i for i, (a, _) in enumerate(page.tables["students"][1]["cells"])
                  if a.get("data-col") == "tp_mark")
    dom, console = browse(chromium, f"{index.as_uri()}#sort=students/{column}/descending",
                          profile)
    assert console == [], console
    marks = [float(r["tp_mark"][0]) for r in Page(dom).students().values()]
    assert marks == sorted(marks, reverse=True)
    assert len(set(marks)) > 1


def test_report_in_browser(chromium, course, tmp_path):
    check_in_browser(chromium, course, tmp_path / "profile")


def test_make_demo_then_make_report(course, tmp_path, monkeypatch, capsys):
    """`make demo && make report` on a fresh clone: only the demo has results."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(course.root, repo / "demo", symlinks=True)
    shutil.rmtree(repo / "demo" / "report", ignore_errors=True)
    monkeypatch.setattr(config, "ROOT", repo)
    monkeypatch.setattr(config, "DEMO", repo / "demo")
    assert report.main(["--quiet"]) == 0
    assert (repo / "demo" / "report" / "index.html").is_file()
    assert "using the demo course" in capsys.readouterr().err
