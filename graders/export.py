"""``grades.csv``: one row per student, a 0/1/2 column per TP, and the TP half of the mark.

Columns: ``student``; for each graded TP ``<TP>`` (0/1/2), ``<TP> reason``,
``<TP> points`` (raw autograded points, ``17/20``); then ``tp_mark``: the TPs' share of
the final mark, ``mean(grade / 2) * TP_WEIGHT * FINAL_SCALE`` (out of 10 with the
defaults: TPs count for half of a mark out of 20), and ``flags``: what the instructor
should look at (integrity notes, overrides, students missing from the class list).
"""
from __future__ import annotations

import csv
from pathlib import Path

from .config import Course
from .policy import format_points
from .results import Result


def table(course: Course, results: list[Result], tp_ids: list[str]) -> list[dict]:
    by_key = {(r.student, r.tp): r for r in results}
    roster = set(course.students)
    students = sorted(roster | {r.student for r in results})
    rows = []
    for student in students:
        row, flags, total = {"student": student}, [], 0
        for tp in tp_ids:
            r = by_key.get((student, tp))
            if r is None:
                row[tp], row[f"{tp} reason"], row[f"{tp} points"] = 0, "no submission", ""
                continue
            total += r.grade
            row[tp], row[f"{tp} reason"] = r.grade, r.reason
            row[f"{tp} points"] = (f"{format_points(r.points)}/{format_points(r.max_points)}"
                                   if r.max_points else "")
            flags += [f"{tp}: {n}" for n in r.integrity]
            if r.override:
                flags.append(f"{tp}: overridden")
        mark = total / (2 * len(tp_ids)) * course.tp_weight * course.final_scale if tp_ids else 0
        row["tp_mark"] = f"{mark:.2f}"
        if roster and student not in roster:
            flags.insert(0, "not on the class list")
        row["flags"] = "; ".join(flags)
        rows.append(row)
    return rows


def write(course: Course, results: list[Result], tp_ids: list[str],
          path: Path | None = None) -> Path:
    path = Path(path or course.grades_csv)
    rows = table(course, results, tp_ids)
    fields = ["student"] + [f"{tp}{s}" for tp in tp_ids for s in ("", " reason", " points")]
    fields += ["tp_mark", "flags"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def summary(course: Course, results: list[Result], tp_ids: list[str]) -> str:
    """The 0/1/2 table as text, for the terminal."""
    rows = table(course, results, tp_ids)
    short = [tp.split("_")[0] for tp in tp_ids]
    width = max([len("student")] + [len(r["student"]) for r in rows])
    lines = ["  ".join([f"{'student':<{width}}", *[f"{s:>4}" for s in short], "tp_mark", " reason"])]
    for r in rows:
        reasons = " | ".join(f"{s}: {r[f'{tp} reason']}" for s, tp in zip(short, tp_ids))
        lines.append("  ".join([f"{r['student']:<{width}}", *[f"{r[tp]:>4}" for tp in tp_ids],
                                f"{r['tp_mark']:>7}", " " + reasons]))
    return "\n".join(lines)
