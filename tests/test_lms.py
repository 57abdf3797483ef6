"""``make export FORMAT=moodle|canvas|csv`` (graders/instructor/lms.py): the documented import
layouts, the numbers of grades.csv, one-line errors, nothing else written."""
from __future__ import annotations

import csv
import io
import re

import pytest

from graders.course.config import Course
from graders.instructor import lms

from . import class_course as cc
from .conftest import tree_digest


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return cc.published(tmp_path_factory.mktemp("lms"))


@pytest.fixture
def own_course(course, tmp_path) -> Course:
    """A private copy, for a test that writes into the course or changes its settings."""
    return cc.private_copy(course, tmp_path)


def grades_csv(course: Course) -> dict[str, dict]:
    with course.grades_csv.open(newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def configured(course: Course, settings: str) -> Course:
    with (course.root / "course_config.py").open("a") as f:
        f.write(settings)
    return Course(course.root)


def test_moodle_columns_and_numbers(course):
    table = parse(lms.build(course, "moodle"))
    header, rows = table[0], table[1:]
    assert header == ["Username", "TP1_class", "TP1_class feedback", "TP2_class",
                      "TP2_class feedback"]
    want = grades_csv(course)
    assert [r[0] for r in rows] == sorted(want)
    for r in rows:
        row = dict(zip(header, r))
        for tp in cc.TPS:
            # Moodle's importer takes a number ('' or '-' would be "no grade")
            assert row[tp] == want[r[0]][tp] and row[tp] in ("0", "1", "2")
            assert row[f"{tp} feedback"] == want[r[0]][f"{tp} reason"]
    gina = dict(zip(header, next(r for r in rows if r[0] == "gina")))
    assert gina["TP1_class"] == "1" and "instructor override" in gina["TP1_class feedback"]


def canvas_layout(table: list[list[str]]) -> tuple[int, dict]:
    """What Canvas's GradebookImporter (app/models/gradebook_importer.rb) checks: the header
    (Student, ID, [SIS User ID, SIS Login ID,] ... Section), the Points Possible row."""
    header = table[0]
    assert re.search("Student", header[0]) and re.search("ID", header[1])
    student_columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        student_columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    assert re.search("Section", header[student_columns - 1])
    assert re.search("Points Possible", table[1][0])
    assignments = header[student_columns:]
    return student_columns, dict(zip(assignments, table[1][student_columns:]))


def test_canvas_layout_and_numbers(course):
    table = parse(lms.build(course, "canvas"))
    n, possible = canvas_layout(table)
    assert table[0][:n] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert possible == {"TP1_class": "2", "TP2_class": "2"}
    want = grades_csv(course)
    rows = table[2:]
    assert sorted(r[0] for r in rows) == sorted(want)
    for r in rows:
        assert r[3] == r[0]  # username as SIS Login ID (the default LMS_STUDENT_ID)
        assert r[1] == r[2] == r[4] == ""
        assert dict(zip(table[0][n:], r[n:])) == {tp: want[r[0]][tp] for tp in cc.TPS}


def test_identity_and_columns_from_course_config(own_course):
    course = configured(own_course, "LMS_STUDENT_ID = 'email'\nLMS_EMAIL_DOMAIN = 'univ.fr'\n"
                                    "LMS_COLUMNS = {'TP1_class': 'TP1 class (4211)'}\n")
    moodle = parse(lms.build(course, "moodle"))
    assert moodle[0][:2] == ["Email address", "TP1 class (4211)"]
    assert {r[0] for r in moodle[1:]} == {f"{s}@univ.fr" for s in cc.STUDENTS}
    canvas = parse(lms.build(course, "canvas"))
    assert "TP1 class (4211)" in canvas[0]
    assert canvas[2][3].endswith("@univ.fr")
    course = configured(own_course, "LMS_STUDENT_ID = 'idnumber'\n")
    canvas = parse(lms.build(course, "canvas"))
    assert canvas[2][2] == canvas[2][0] and canvas[2][3] == ""  # the SIS User ID column
    assert parse(lms.build(course, "moodle"))[0][0] == "ID number"


def test_mark_column_on_request(course):
    want = grades_csv(course)
    table = parse(lms.build(course, "canvas", with_mark=True))
    assert table[0][-1] == "TP mark (out of 10)" and table[1][-1] == "10"
    assert {r[0]: r[-1] for r in table[2:]} == {s: row["tp_mark"] for s, row in want.items()}
    assert parse(lms.build(course, "moodle", with_mark=True))[0][-1] == "TP mark (out of 10)"


def test_long_csv(course):
    table = parse(lms.build(course, "csv"))
    assert table[0] == ["student", "tp", "grade", "out_of", "points", "max_points", "reason",
                        "override", "submitted_at"]
    want = grades_csv(course)
    rows = table[1:]
    assert len(rows) == len(want) * len(cc.TPS)
    for r in rows:
        assert r[2] == want[r[0]][r[1]] and r[6] == want[r[0]][f"{r[1]} reason"]
    alice = next(r for r in rows if r[:2] == ["alice", "TP1_class"])
    assert alice[4:6] == ["6", "6"] and alice[8] == "2026-09-15T15:00:00+00:00"


def test_writes_only_the_export_file(own_course, capsys):
    before = tree_digest(own_course.root)
    assert lms.main(["--format", "Moodle", "--root", str(own_course.root)]) == 0
    after = tree_digest(own_course.root)
    assert set(after) - set(before) == {"grades-moodle.csv"}
    assert all(after[k] == v for k, v in before.items())
    assert "grades-moodle.csv" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--format", "blackboard"], "unknown FORMAT 'blackboard'"),
    (["--format", "canvas", "--out", "grades.csv"], "refusing to overwrite"),
    (["--format", "canvas", "--out", "overrides.csv"], "refusing to overwrite"),
    (["--format", "canvas", "--out", "nowhere/g.csv"], "no folder"),
])
def test_bad_input_is_one_line_and_writes_nothing(own_course, capsys, argv, message):
    root = own_course.root
    argv = [a if not a.endswith(".csv") else str(root / a) for a in argv]
    before = tree_digest(root)
    assert lms.main(argv + ["--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert tree_digest(root) == before


def test_missing_results_folder(tmp_path, capsys):
    course = cc.make(tmp_path / "c")
    assert lms.main(["--format", "csv", "--root", str(course.root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no results folder") and err.count("\n") == 1
    assert not (course.root / "grades-long.csv").exists()


def test_unreadable_result_stops_the_export(own_course, capsys):
    (own_course.results_dir / "bob" / "TP2_class.json").write_text("{ not json")
    assert lms.main(["--format", "canvas", "--root", str(own_course.root)]) == 2
    assert "unreadable" in capsys.readouterr().err
