"""The instructor's overrides: a CSV of ``student,tp,grade,reason`` whose grades win.

A TP may be named by its id (``TP1_micrograd``) or its short name (``TP1``). The
overridden result keeps its points and notes and says it was overridden. Every command
that grades or publishes reads the file first: a malformed line stops it before any work,
with ``overrides.csv line N: what is wrong``.
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from .config import Course, InputError, student_id
from .results import Result

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


def apply(result: Result, table: dict) -> Result:
    """``result`` with the instructor's grade, if there is one for it."""
    entry = table.get((student_id(result.student), result.tp))
    if entry is None:
        return result
    grade, reason = entry
    return dataclasses.replace(result, grade=grade, override=True,
                               reason=f"instructor override: {reason} (computed: "
                                      f"{result.grade}, {result.reason})")
