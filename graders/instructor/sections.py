"""What each section of the class report shows, as data: counts, shares, rows, plots.

One function per section, each returning plain values (dataclasses, lists, numbers,
strings as read) that a template of ``templates/`` lays out; no HTML is written here
except the plots' SVG (``plots``) and the similarity views' marked code
(``similarity.Pair.code_a``), both already HTML. Formatting numbers for the page (``83%``,
``4.3``) is the templates' business; the numbers given are the exact ones (their ``str``
is the sort key a table cell carries).
"""
from __future__ import annotations

import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..course.config import TP, Course
from ..grading.results import Result
from ..publish import export
from . import plots
from .report_data import (REGRADE_REPORT, exercise_order, is_failure, is_late, is_missing,
                          is_timed_out, is_unreadable, regrade_changes, seconds)

if TYPE_CHECKING:
    from .similarity import Pair


def short(tp_id: str) -> str:
    """``TP1`` for ``TP1_mlp``: how tables and anchors name a TP."""
    return tp_id.split("_")[0]


# -- per TP ----------------------------------------------------------------------------
@dataclass
class Exercise:
    """One graded exercise (test cell) of a TP, over the notebooks graded exercise by
    exercise."""
    grade_id: str
    passed: int
    total: int
    messages: list[tuple[str, int]]   # the 3 most frequent failure messages, with counts

    @property
    def share(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def failed(self) -> int:
        return self.total - self.passed


@dataclass
class TPSection:
    """One TP: the overview's row and its own section."""
    tp: TP
    students: int                 # everyone with a result, handed in or not
    handed: int                   # hand-ins (not missing)
    counts: list[int]             # students with grade 0, 1, 2
    mean: float                   # mean grade (0.0 when no student)
    graded: int                   # notebooks graded exercise by exercise
    exercises: list[Exercise]     # in notebook order
    plots: list[str]              # inline SVG


def tp_section(course: Course, tp_id: str, results: list[Result]) -> TPSection:
    """One TP from ``results`` (everyone's, 'no submission' included)."""
    mine = [r for r in results if r.tp == tp_id]
    counts = [sum(1 for r in mine if r.grade == g) for g in (0, 1, 2)]
    graded = [r for r in mine if r.exercises]
    max_points = max((r.max_points for r in mine), default=0.0)
    points = [r.points for r in mine if r.max_points and not is_missing(r)]
    handed = sum(1 for r in mine if not is_missing(r))
    order = exercise_order(course, tp_id, graded)
    exercises = []
    for gid in order:
        outs = [o for r in graded for o in r.exercises if o.grade_id == gid]
        messages = Counter(o.message.strip() or "failed" for o in outs if not o.passed)
        exercises.append(Exercise(gid, sum(1 for o in outs if o.passed), len(outs),
                                  messages.most_common(3)))
    name = short(tp_id)
    svgs = [plots.plot_grades(counts, f"{name}: grades")] if handed else []
    if points:
        svgs.append(plots.plot_points(points, max_points, f"{name}: points"))
    if order and graded:
        svgs.append(plots.plot_exercises(order, [e.share for e in exercises],
                                         f"{name}: exercises passed"))
    # the overview's sort key is this number's str: 0.0, not 0, when nobody has a result
    mean = statistics.mean(r.grade for r in mine) if mine else 0.0
    return TPSection(course.tp(tp_id), len(mine), handed, counts, mean, len(graded),
                     exercises, svgs)


# -- per student -----------------------------------------------------------------------
@dataclass
class GradeCell:
    tp: str
    grade: int
    reason: str
    href: str | None          # the feedback page, relative to the report; None if none
    override: bool


@dataclass
class PointsCell:
    tp: str
    text: str                 # as grades.csv has it: "17/20", or ""
    value: str                # the points alone: "17", or ""


@dataclass
class StudentRow:
    student: str
    grades: list[GradeCell]
    points: list[PointsCell]
    tp_mark: str
    flags: str                # grades.csv's flags column
    notes: list[str]          # the same flags, one per note


@dataclass
class Students:
    tps: list[str]
    rows: list[StudentRow]
    grades_csv: str           # its file name


def students(course: Course, final: list[Result], tp_ids: list[str],
             out_dir: Path) -> Students:
    """The rows of grades.csv, computed by the same code (``export.table``) from the same
    results; the links to feedback pages relative to ``out_dir`` (the report's folder)."""
    notes_of = {row.student: row.flags for row in export.grid(final, tp_ids, course)}
    by_key = {(r.student, r.tp): r for r in final}
    rows = []
    for row in export.table(course, final, tp_ids):
        s = row["student"]
        grades, points = [], []
        for t in tp_ids:
            page = course.feedback_dir / s / t / "feedback.html"
            href = Path(os.path.relpath(page, out_dir)).as_posix() if page.is_file() else None
            r = by_key.get((s, t))
            grades.append(GradeCell(t, row[t], row[f"{t} reason"], href,
                                    r is not None and bool(r.override)))
        for t in tp_ids:
            p = row[f"{t} points"]
            points.append(PointsCell(t, p, p.split("/")[0] if p else ""))
        rows.append(StudentRow(s, grades, points, row["tp_mark"], row["flags"],
                               notes_of.get(s, [])))
    return Students(tp_ids, rows, course.grades_csv.name)


# -- what needs the instructor ---------------------------------------------------------
@dataclass
class Note:
    """A row of "needs a look": one kind, student and TP, with its details."""
    kind: str
    student: str
    tp: str
    details: list[str]


@dataclass
class Attention:
    counts: list[tuple[str, int]]           # notes per kind, by kind
    notes: list[Note]
    regrade_file: str
    regrade_header: list[str]               # [] when no regrade wrote the file
    regrade_rows: list[list[str]]
    regrade_written: str = ""               # the file's date, UTC


def attention(course: Course, final: list[Result], tp_ids: list[str],
              problems: list[str], added: set) -> Attention:
    """What needs the instructor: one row per kind, student and TP (several notes of one
    kind are listed in that row); missing hand-ins one row per TP. ``added``: the 'no
    submission' results made up for the report (no result stored)."""
    roster = set(course.students)
    items: dict[tuple[str, str, str], list[str]] = {}  # (kind, student, TP) -> details

    def note(kind, student, tp, detail):
        items.setdefault((kind, student, tp), []).append(detail)

    missing: dict[str, list[str]] = {}
    unstored: dict[str, list[str]] = {}
    for r in final:
        t = short(r.tp)
        for n in r.integrity:
            note("integrity", r.student, t, n)
        for n in getattr(r, "flags", []) or []:
            note("flag", r.student, t, n)
        if r.override:
            note("override", r.student, t, r.reason)
        if is_late(r):
            note("late", r.student, t, r.reason)
        if is_missing(r) and (not roster or r.student in roster):
            (unstored if (r.student, r.tp) in added else missing).setdefault(
                r.tp, []).append(r.student)
        for n in r.repairs:
            note("repair", r.student, t, n)
        if is_failure(r):
            note("grading failure", r.student, t, r.reason + (
                f" (log: {r.log.strip().splitlines()[-1][:200]})" if r.log.strip() else ""))
        elif is_unreadable(r):
            note("unreadable hand-in", r.student, t, r.reason)
        for o in r.exercises:
            if is_timed_out(o):
                note("timed out", r.student, t, f"{o.grade_id}: {o.message}")
    for tp in tp_ids:
        for table, what in ((missing, "no submission"), (unstored, "no result stored")):
            names = sorted(table.get(tp, []))
            if names:
                note("missing", f"{len(names)} student{'s' if len(names) > 1 else ''}",
                     short(tp), f"{what}: " + ", ".join(names))
    for s in sorted({r.student for r in final} - roster) if roster else []:
        note("not on the class list", s, "", "graded, but not in STUDENTS")
    for p in problems:
        note("unreadable result", "", "", p)
    counts = Counter(k[0] for k, details in items.items() for _ in details)
    header, changes = regrade_changes(course)
    found = Attention(sorted(counts.items()), [Note(*k, d) for k, d in items.items()],
                      REGRADE_REPORT, header, changes)
    if header:
        found.regrade_written = datetime.fromtimestamp(
            (course.root / REGRADE_REPORT).stat().st_mtime, timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
    return found


# -- grading cost ----------------------------------------------------------------------
@dataclass
class TPCost:
    tp: str
    seconds: list[float]      # one per notebook with timings

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)

    @property
    def total(self) -> float:
        return sum(self.seconds)


@dataclass
class Slow:
    result: Result
    seconds: float

    @property
    def steps(self) -> str:
        """The recorded steps with their seconds: ``normalise_s 0.02, autograde_s 4.5``."""
        return ", ".join(f"{k} {v:g}" for k, v in self.result.timings.items())


@dataclass
class Cost:
    tps: list[TPCost]
    slowest: list[Slow]       # the 10 slowest notebooks; [] when no timings were recorded


def cost(final: list[Result], tp_ids: list[str]) -> Cost:
    """Seconds per notebook by TP, and the slowest notebooks."""
    timed = [(r, seconds(r)) for r in final]
    timed = [(r, s) for r, s in timed if s is not None]
    tps = [TPCost(tp, [s for r, s in timed if r.tp == tp]) for tp in tp_ids]
    slow = sorted(timed, key=lambda x: -x[1])[:10]
    return Cost([t for t in tps if t.seconds], [Slow(r, s) for r, s in slow])


# -- similar answers -------------------------------------------------------------------
@dataclass
class Flagged:
    pair: Pair
    anchor: str               # the id of its side-by-side view


@dataclass
class SimilarTP:
    tp: str
    error: str = ""           # "Type: message" when it could not be computed
    pairs: int = 0            # pairs compared
    students: int = 0         # students compared
    flagged: list[Flagged] = field(default_factory=list)


@dataclass
class Similar:
    folder: str               # submitted/'s name
    compared: bool            # False: no such folder, nothing compared
    threshold: float = 0.0
    tps: list[SimilarTP] = field(default_factory=list)


def similar(course: Course, tp_ids: list[str], progress: bool) -> Similar:
    """Per TP the pairs at or above ``SIMILARITY_THRESHOLD``; a TP whose comparison fails
    says so (similarity is evidence: it never stops the report)."""
    from . import similarity

    if not course.submitted_dir.is_dir():
        return Similar(course.submitted_dir.name, False)
    found = Similar(course.submitted_dir.name, True,
                    float(similarity.setting(course, "SIMILARITY_THRESHOLD")))
    for tp in tp_ids:
        try:
            pairs = similarity.rank(course, tp, progress=progress)
        except Exception as e:  # similarity is evidence: never stop the report for it
            found.tps.append(SimilarTP(tp, f"{type(e).__name__}: {str(e)[:200]}"))
            continue
        shown = similarity.flagged(course, pairs)
        found.tps.append(SimilarTP(
            tp, "", len(pairs), len({s for p in pairs for s in (p.a, p.b)}),
            [Flagged(p, f"sim-{short(tp)}-{i}") for i, p in enumerate(shown)]))
    return found
