"""``make export FORMAT=moodle|canvas|csv``: the grades in a gradebook's import format.

Besides ``grades.csv`` (one row per student, our own layout), three files an LMS or a
spreadsheet takes as they are. Each holds the published grades: the stored results with
the instructor's overrides applied, the numbers of ``grades.csv``. A TP with nothing
stored for a student is a 0 ("no submission"), as in ``grades.csv``.

- ``moodle`` (``grades-moodle.csv``): for Moodle's gradebook "Import > CSV file". Moodle
  takes any columns and asks, on its preview page, which one identifies the user ("Map
  from" a column, "Map to" userid, username, useridnumber or useremail) and which grade
  item each other column goes to (an existing item, a new one, or an item's feedback).
  Sources: MoodleDocs, "Grade import" (docs.moodle.org/311/en/Grade_import: "Preview the
  grade import and choose the column mapping ... Change both dropdowns to: 'Email
  Address' to 'useremail', or to 'Id Number' to 'useridnumber'"; importing feedback
  overwrites the grade it belongs to, so both are given), and Moodle's importer,
  ``grade/import/csv/classes/load_data.php`` (``map_user_data_with_value``: the identity
  fields userid / useridnumber / useremail / username; a grade of '' or '-' is no grade;
  anything else must be a number). Columns: the identity (``Username``, ``Email address``
  or ``ID number``, Moodle's own export headers), then per TP the 0/1/2 grade
  (``<TP>``) and its reason (``<TP> feedback``), then with ``--with-mark`` the TP mark.
  A Moodle grade item for a TP should have "Maximum grade" 2.
- ``canvas`` (``grades-canvas.csv``): for Canvas's "Gradebook > Import". Canvas's importer,
  ``app/models/gradebook_importer.rb`` in instructure/canvas-lms, wants a header row that
  starts ``Student,ID`` and may go on with ``SIS User ID,SIS Login ID``, the student
  columns ending with ``Section`` (``header?``, ``update_column_count``); every later
  column is an assignment, matched by ``Title (id)``, else by its title, else created
  (``parse_assignments``); a row whose first cell says ``Points Possible`` gives the new
  assignments' points (``process_pp``); a student is found by Canvas ID, else SIS User
  ID, else SIS Login ID, else name (``process_student``). Canvas's own export
  (``Course#gradebook_to_csv``) writes the same layout, which is the one the Ohio State
  guide to CSV grade import lists (teaching.resources.osu.edu, "Import a CSV file into
  Carmen Grades": a name or ID or SIS User ID, SIS Login ID, Section, then assignments).
  Here: ``Student`` and the SIS column chosen by ``LMS_STUDENT_ID`` hold the student id,
  ``ID`` and ``Section`` are empty, one column per TP (named by ``LMS_COLUMNS`` or the TP
  id), a ``Points Possible`` row of 2s.
- ``csv`` (``grades-long.csv``): one row per student and TP (``student, tp, grade, out_of,
  points, max_points, reason, override, submitted_at``), for a spreadsheet or pandas.

Settings (``course_config.py``; defaults here when absent): ``LMS_STUDENT_ID``, what the
student ids of this course are in the LMS: ``"username"`` (Moodle username, Canvas SIS
Login ID), ``"email"`` (Moodle email, Canvas SIS Login ID), ``"idnumber"`` (Moodle ID
number, Canvas SIS User ID); ``LMS_EMAIL_DOMAIN``, appended as ``@domain`` to an id
without "@" when ``LMS_STUDENT_ID = "email"``; ``LMS_COLUMNS``, TP id -> the LMS's column
name (``"TP1 micrograd (4211)"`` to hit an existing Canvas assignment by id).

``python -m graders.instructor.lms --format moodle [--root DIR] [--out FILE] [--with-mark]``: writes
only that file (never grades.csv, overrides.csv or anything under results/).
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from pathlib import Path

from ..course.config import Course
from ..grading.policy import format_points
from ..publish import export
from .report import ReportError, final_results, load_results, report_tps, with_missing

FORMATS = {"moodle": "grades-moodle.csv", "canvas": "grades-canvas.csv",
           "csv": "grades-long.csv"}
ID_FIELDS = ("username", "email", "idnumber")
DEFAULTS = dict(LMS_STUDENT_ID="username", LMS_EMAIL_DOMAIN="", LMS_COLUMNS={})


class ExportError(Exception):
    """Bad input; the message is the one-line error."""


def setting(course: Course, name: str):
    return getattr(course.module, name, DEFAULTS[name])


def identity(course: Course, student: str) -> str:
    """The student's id as the LMS knows it."""
    if setting(course, "LMS_STUDENT_ID") == "email" and "@" not in student:
        domain = str(setting(course, "LMS_EMAIL_DOMAIN")).lstrip("@")
        return f"{student}@{domain}" if domain else student
    return student


def column(course: Course, tp_id: str) -> str:
    return dict(setting(course, "LMS_COLUMNS")).get(tp_id, tp_id)


def mark_header(course: Course) -> str:
    return f"TP mark (out of {format_points(course.tp_weight * course.final_scale)})"


# -- the tables ------------------------------------------------------------------------
def moodle(course: Course, rows: list[dict], tp_ids: list[str], with_mark: bool) -> list[list]:
    id_header = {"username": "Username", "email": "Email address",
                 "idnumber": "ID number"}[setting(course, "LMS_STUDENT_ID")]
    header = [id_header]
    for tp in tp_ids:
        header += [column(course, tp), f"{column(course, tp)} feedback"]
    if with_mark:
        header.append(mark_header(course))
    table = [header]
    for row in rows:
        line = [identity(course, row["student"])]
        for tp in tp_ids:
            line += [row[tp], row[f"{tp} reason"]]
        if with_mark:
            line.append(row["tp_mark"])
        table.append(line)
    return table


def canvas(course: Course, rows: list[dict], tp_ids: list[str], with_mark: bool) -> list[list]:
    sis = setting(course, "LMS_STUDENT_ID") == "idnumber"
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += [column(course, tp) for tp in tp_ids]
    possible = ["Points Possible", "", "", "", ""] + [2] * len(tp_ids)
    if with_mark:
        header.append(mark_header(course))
        possible.append(format_points(course.tp_weight * course.final_scale))
    table = [header, possible]
    for row in rows:
        who = identity(course, row["student"])
        line = [row["student"], "", who if sis else "", "" if sis else who, ""]
        line += [row[tp] for tp in tp_ids]
        if with_mark:
            line.append(row["tp_mark"])
        table.append(line)
    return table


def long(course: Course, everyone, tp_ids: list[str]) -> list[list]:
    order = {tp: i for i, tp in enumerate(tp_ids)}
    table = [["student", "tp", "grade", "out_of", "points", "max_points", "reason",
              "override", "submitted_at"]]
    for r in sorted(everyone, key=lambda r: (r.student, order.get(r.tp, 99))):
        graded = bool(r.max_points)
        table.append([r.student, r.tp, r.grade, 2,
                      format_points(r.points) if graded else "",
                      format_points(r.max_points) if graded else "",
                      r.reason, "yes" if r.override else "", r.submitted_at or ""])
    return table


def build(course: Course, fmt: str, with_mark: bool = False) -> str:
    """The export file's text."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown FORMAT {fmt!r}: choose one of {', '.join(FORMATS)}")
    if setting(course, "LMS_STUDENT_ID") not in ID_FIELDS:
        raise ExportError(f"LMS_STUDENT_ID in course_config.py must be one of "
                          f"{', '.join(ID_FIELDS)}, not {setting(course, 'LMS_STUDENT_ID')!r}")
    try:
        stored, problems = load_results(course)
    except ReportError as e:
        raise ExportError(str(e)) from None
    tp_ids = report_tps(course, stored)
    final = final_results(course, stored, tp_ids, problems)
    if problems:
        raise ExportError("; ".join(problems[:3]) + ": fix these before exporting grades")
    rows = export.table(course, final, tp_ids)
    if fmt == "moodle":
        table = moodle(course, rows, tp_ids, with_mark)
    elif fmt == "canvas":
        table = canvas(course, rows, tp_ids, with_mark)
    else:
        table = long(course, with_missing(course, final, tp_ids)[0], tp_ids)
    buf = io.StringIO()
    csv.writer(buf).writerows(table)  # RFC 4180: quoted as needed, CRLF line ends
    return buf.getvalue()


def protected(course: Course) -> list[Path]:
    """Files an export must never overwrite."""
    return [course.grades_csv.resolve(), course.overrides_csv.resolve()]


def write(course: Course, fmt: str, out: Path | None = None, with_mark: bool = False) -> Path:
    target = Path(out) if out else course.root / FORMATS.get(fmt, "grades-export.csv")
    text = build(course, fmt, with_mark)
    resolved = target.resolve()
    if resolved in protected(course) or course.results_dir.resolve() in resolved.parents:
        raise ExportError(f"refusing to overwrite {target}: choose another --out")
    if not target.parent.is_dir():
        raise ExportError(f"no folder {target.parent} to write {target.name} into")
    if target.is_dir():
        raise ExportError(f"{target} is a folder: --out takes a file name")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.instructor.lms",
                                     description="write the grades in an LMS gradebook's "
                                                 "import format")
    parser.add_argument("--format", required=True, help="moodle, canvas or csv")
    parser.add_argument("--root", help="the course directory (default: the repository; "
                                       "the demo course when only it has results)")
    parser.add_argument("--out", help="the file to write (default: <root>/grades-<format>.csv)")
    parser.add_argument("--with-mark", action="store_true",
                        help="add the TP mark column (the LMS may count it in its total)")
    args = parser.parse_args(argv)
    from ..course.config import announced_course

    root = announced_course(args.root)   # `make demo && make export` on a fresh clone
    if root is None:
        return 2
    try:
        path = write(Course(root), args.format.strip().lower(),
                     Path(args.out) if args.out else None, args.with_mark)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.format} grades written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
