"""``grades.csv``: one row per student, a 0/1/2 column per TP, and the TP half of the mark.

Columns: ``student``; for each graded TP ``<TP>`` (0/1/2), ``<TP> reason``,
``<TP> points`` (raw autograded points, ``17/20``); then ``tp_mark``: the TPs' share of
the final mark, ``mean(grade / 2) * TP_WEIGHT * FINAL_SCALE`` (out of 10 with the
defaults: TPs count for half of a mark out of 20), and ``flags``: what the instructor
should look at (integrity notes, misfiled work, overrides, students missing from the
class list).

The grade table is built once (``grid``: one model) and rendered three ways: grades.csv
(``table``, ``write``), the terminal (``summary``, what ``make grade`` prints) and
Markdown (``as_markdown``, CI's job summary, ``shards.summary_markdown``).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..course.config import Course
from ..grading.policy import NO_SUBMISSION, format_points, short
from ..grading.results import Result


# -- the table model: one for grades.csv, the terminal and CI's job summary -------------
@dataclass
class Cell:
    """One student's one TP."""
    grade: int
    reason: str
    points: str = ""          # "17/20", "" when nothing was autograded
    notes: int = 0            # integrity notes and flags, for the instructor
    override: bool = False


@dataclass
class Row:
    student: str
    cells: dict[str, Cell | None]   # by TP id; None: not in this table (CI: not graded)
    tp_mark: str = ""
    flags: list[str] = field(default_factory=list)


def grid(results: list[Result], tp_ids: list[str], course: Course | None = None,
         students: list[str] | None = None) -> list[Row]:
    """The grade table's rows, from results (overrides already applied).

    With ``course``: a row for everyone on the class list and everyone with a result, a
    missing result read as "no submission" (as grades.csv counts it), and the tp_mark.
    Without: a row per student of ``students`` (default: those with a result), a missing
    result left empty (None), no mark.
    """
    by_key = {(r.student, r.tp): r for r in results}
    roster = set(course.students) if course else set()
    if students is None:
        students = sorted(roster | {r.student for r in results})
    rows = []
    for student in students:
        row = Row(student, {})
        total = 0
        for tp in tp_ids:
            r = by_key.get((student, tp))
            if r is None:
                row.cells[tp] = Cell(NO_SUBMISSION.value, NO_SUBMISSION.reason) if course else None
                continue
            total += r.grade
            row.cells[tp] = Cell(r.grade, r.reason,
                                 f"{format_points(r.points)}/{format_points(r.max_points)}"
                                 if r.max_points else "",
                                 len(r.integrity) + len(r.flags), r.override)
            row.flags += [f"{tp}: {n}" for n in [*r.integrity, *r.flags]]
            if r.override:
                row.flags.append(f"{tp}: overridden")
        if course is not None:
            mark = (total / (2 * len(tp_ids)) * course.tp_weight * course.final_scale
                    if tp_ids else 0)
            row.tp_mark = f"{mark:.2f}"
            if roster and student not in roster:
                row.flags.insert(0, "not on the class list")
        rows.append(row)
    return rows


# -- format 1: grades.csv ----------------------------------------------------------------
def table(course: Course, results: list[Result], tp_ids: list[str]) -> list[dict]:
    """grades.csv's rows."""
    rows = []
    for g in grid(results, tp_ids, course):
        row = {"student": g.student}
        for tp, cell in g.cells.items():
            row[tp], row[f"{tp} reason"], row[f"{tp} points"] = cell.grade, cell.reason, cell.points
        row["tp_mark"], row["flags"] = g.tp_mark, "; ".join(g.flags)
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


# -- format 2: text, for the terminal ----------------------------------------------------
def as_text(rows: list[Row], tp_ids: list[str]) -> str:
    shorts = [short(tp) for tp in tp_ids]
    width = max([len("student")] + [len(r.student) for r in rows])
    lines = ["  ".join([f"{'student':<{width}}", *[f"{s:>4}" for s in shorts], "tp_mark",
                        " reason"])]
    for r in rows:
        cells = [r.cells.get(tp) for tp in tp_ids]
        reasons = " | ".join(f"{s}: {c.reason}" + (f" [{c.notes} flag{'s' * (c.notes != 1)}]"
                                                   if c.notes else "")
                             for s, c in zip(shorts, cells) if c is not None)
        lines.append("  ".join([f"{r.student:<{width}}",
                                *[f"{'' if c is None else c.grade:>4}" for c in cells],
                                f"{r.tp_mark:>7}", " " + reasons]))
    return "\n".join(lines)


def summary(course: Course, results: list[Result], tp_ids: list[str]) -> str:
    """The 0/1/2 table as text, for the terminal: grades.csv's rows (pass the published
    results, overrides applied)."""
    return as_text(grid(results, tp_ids, course), tp_ids)


# -- format 3: Markdown, for CI's job summary ------------------------------------------------
def as_markdown(rows: list[Row], tp_ids: list[str]) -> str:
    """A Markdown table: a row per student, a column per TP, each cell the 0/1/2 grade and
    its reason ("" where the row has none), with the count of notes for the instructor."""
    lines = ["| student | " + " | ".join(short(tp) for tp in tp_ids) + " |",
             "|---|" + "---|" * len(tp_ids)]
    for r in rows:
        cells = []
        for tp in tp_ids:
            c = r.cells.get(tp)
            text = "" if c is None else f"**{c.grade}** {c.reason}"
            if c is not None and c.notes:
                text += f" ⚠ {c.notes} note{'s' * (c.notes != 1)}"
            cells.append(_md_cell(text))
        lines.append(f"| {_md_cell(r.student)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    """One line, with the characters that would break a table row or read as HTML escaped."""
    text = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|")
