"""The instructor's overrides: a CSV of ``student,tp,grade,reason`` whose grades win.

A TP may be named by its id (``TP1_micrograd``) or its short name (``TP1``). The
overridden result keeps its points and notes and says it was overridden.
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from .config import Course
from .results import Result

COLUMNS = ("student", "tp", "grade", "reason")


class OverrideError(ValueError):
    pass


def load(course: Course, path: Path | None = None) -> dict[tuple[str, str], tuple[int, str]]:
    """(student, TP id) -> (grade, reason); empty when the file does not exist."""
    path = Path(path or course.overrides_csv)
    if not path.is_file():
        return {}
    table = {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise OverrideError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}; "
                                f"expected {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                tp = course.tp(row["tp"].strip()).id
            except KeyError as e:
                raise OverrideError(f"{path.name}, line {line}: {e.args[0]}") from None
            grade = row["grade"].strip()
            if grade not in ("0", "1", "2"):
                raise OverrideError(f"{path.name}, line {line}: grade must be 0, 1 or 2, "
                                    f"got {grade!r}")
            reason = row["reason"].strip()
            if not reason:
                raise OverrideError(f"{path.name}, line {line}: an override needs a reason")
            table[(row["student"].strip(), tp)] = (int(grade), reason)
    return table


def apply(result: Result, table: dict) -> Result:
    """``result`` with the instructor's grade, if there is one for it."""
    entry = table.get((result.student, result.tp))
    if entry is None:
        return result
    grade, reason = entry
    return dataclasses.replace(result, grade=grade, override=True,
                               reason=f"instructor override: {reason} (computed: "
                                      f"{result.grade}, {result.reason})")
