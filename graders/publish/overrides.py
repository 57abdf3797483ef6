"""The instructor's overrides: a CSV of ``student,tp,grade,reason`` whose grades win.

A TP may be named by its id (``TP1_micrograd``) or its short name (``TP1``). The
overridden result keeps its points and notes and says it was overridden. Every command
that grades or publishes reads the file first: a malformed line stops it before any work,
with ``overrides.csv line N: what is wrong``; so does a student the course does not know
(not on the class list, no folder under submitted/, no stored result): a typo would
otherwise publish a phantom student and leave the real one's grade as it was.
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from ..course.config import Course, InputError, student_id
from ..grading.results import Result
from ..grading.submissions import students as submitted_students

COLUMNS = ("student", "tp", "grade", "reason")


class OverrideError(InputError):
    pass


def load(course: Course, path: Path | None = None) -> dict[tuple[str, str], tuple[int, str]]:
    """(student, TP id) -> (grade, reason); empty when the file does not exist.

    OverrideError, one line naming the line, for anything malformed.
    """
    path = Path(path or course.overrides_csv)
    if not path.is_file():
        return {}
    table, where = {}, {}
    known = None   # the course's students, read at the first line that names one
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, csv.Error) as e:
        raise OverrideError(f"{path.name}: unreadable ({e})") from None
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise OverrideError(f"{path.name} line 1: missing column(s) {', '.join(missing)}; "
                            f"expected the header {','.join(COLUMNS)}")
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue   # a blank line
        if len(cells) > len(header):
            raise OverrideError(f"{path.name} line {line}: {len(cells)} fields for "
                                f"{len(header)} columns (quote a reason that has a comma)")
        row = dict(zip(header, [c.strip() for c in cells]))
        bad = f"{path.name} line {line}:"
        student = student_id(row.get("student") or "")
        if not student:
            raise OverrideError(f"{bad} empty student")
        if known is None:
            known = known_students(course)
        if student not in known:
            raise OverrideError(
                f"{bad} unknown student {student!r}: not on the class list (STUDENTS in "
                f"{course.config_path.name}), no folder submitted/{student}/ and no result "
                f"in {course.results_dir.name}/")
        try:
            tp = course.tp(row.get("tp") or "").id
        except KeyError as e:
            raise OverrideError(f"{bad} {e.args[0]}") from None
        grade = row.get("grade") or ""
        if grade not in ("0", "1", "2"):
            raise OverrideError(f"{bad} grade must be 0, 1 or 2, got {grade!r}")
        reason = row.get("reason") or ""
        if not reason:
            raise OverrideError(f"{bad} an override needs a reason")
        if (student, tp) in where:
            raise OverrideError(f"{bad} {student} {tp} is already overridden on line "
                                f"{where[(student, tp)]}")
        where[(student, tp)] = line
        table[(student, tp)] = (int(grade), reason)
    return table


def known_students(course: Course) -> set[str]:
    """Everyone an override may name: the class list, the students with a folder under
    submitted/, and those with a stored result (graded by CI, then removed from the list)."""
    graded = (student_id(p.name) for p in course.results_dir.iterdir() if p.is_dir()) \
        if course.results_dir.is_dir() else ()
    return set(course.students) | set(submitted_students(course.submitted_dir)) | set(graded)


def apply(result: Result, table: dict) -> Result:
    """``result`` with the instructor's grade, if there is one for it."""
    entry = table.get((student_id(result.student), result.tp))
    if entry is None:
        return result
    grade, reason = entry
    return dataclasses.replace(result, grade=grade, override=True,
                               reason=f"instructor override: {reason} (computed: "
                                      f"{result.grade}, {result.reason})")
