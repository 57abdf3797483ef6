"""What the class report reads, and the facts it states about one result.

Reading: the stored results (leniently: fields this version does not know are ignored, so
a newer grader's results still make a report), the instructor's overrides applied as
``make feedback`` publishes them, a "no submission" for each student and TP without a
result (as grades.csv counts them), and ``regrade-report.csv``. Facts: missing, late,
failed, unreadable, timed out, seconds spent, the exercises in notebook order.
Nothing here writes or formats HTML (``sections`` and the templates do).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from ..course.config import Course
from ..grading import policy
from ..grading.results import Result
from ..publish import overrides

REGRADE_REPORT = "regrade-report.csv"


class ReportError(Exception):
    """Nothing to report on; the message is the one-line error."""


# -- reading ---------------------------------------------------------------------------
def load_results(course: Course, progress: bool = False) -> tuple[list[Result], list[str]]:
    """Every stored result, and a note for each file that could not be read."""
    from tqdm import tqdm

    folder = course.results_dir
    if not folder.is_dir():
        raise ReportError(f"no results folder at {folder}: run `make grade` (or `make demo`) "
                          "first")
    paths = sorted(folder.glob("*/*.json"))
    if not paths:
        raise ReportError(f"no results in {folder}: run `make grade` (or `make demo`) first")
    results, problems = [], []
    for path in tqdm(paths, desc="reading results", unit="result", disable=not progress,
                     leave=False):
        try:
            results.append(Result.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError) as e:
            problems.append(f"{path.relative_to(course.root)}: unreadable ({type(e).__name__}: "
                            f"{str(e)[:120]})")
    return results, problems


def final_results(course: Course, stored: list[Result], tp_ids: list[str],
                  problems: list[str]) -> list[Result]:
    """The results with the instructor's overrides applied, as ``make feedback`` publishes
    them (``grade.publish``): so the page's numbers are those of grades.csv."""
    try:
        table = overrides.load(course)
    except overrides.OverrideError as e:
        problems.append(f"overrides not applied: {e}")
        table = {}
    by_key = {(r.student, r.tp): r for r in stored if r.tp in tp_ids}
    for student, tp in table:
        if tp in tp_ids and (student, tp) not in by_key:
            g = policy.NO_SUBMISSION
            by_key[(student, tp)] = Result(student, tp, g.value, g.reason)
    return [overrides.apply(r, table) for _, r in sorted(by_key.items())]


def with_missing(course: Course, final: list[Result],
                 tp_ids: list[str]) -> tuple[list[Result], set]:
    """``final`` plus a 'no submission' result for each student (class list, or anyone
    graded) and TP without one, as grades.csv counts them; and the keys added."""
    have = {(r.student, r.tp) for r in final}
    students = sorted(set(course.students) | {r.student for r in final})
    added = {(s, tp) for s in students for tp in tp_ids if (s, tp) not in have}
    g = policy.NO_SUBMISSION
    return final + [Result(s, tp, g.value, g.reason) for s, tp in sorted(added)], added


def report_tps(course: Course, results: list[Result]) -> list[str]:
    """The released TPs (the columns of grades.csv) and any other TP with results."""
    order = [t.id for t in course.tps]
    ids = {t.id for t in course.released_tps} | {r.tp for r in results if r.tp in order}
    return sorted(ids, key=order.index)


def regrade_changes(course: Course) -> tuple[list[str], list[list[str]]]:
    """The header and rows of ``regrade-report.csv``; ([], []) when there is none."""
    path = course.root / REGRADE_REPORT
    if not path.is_file():
        return [], []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return (rows[0], rows[1:]) if rows else ([], [])


# -- facts -----------------------------------------------------------------------------
def is_missing(r: Result) -> bool:
    """Nothing to grade: nothing handed in, or a folder without a notebook."""
    return r.reason in (policy.NO_SUBMISSION.reason, policy.NO_NOTEBOOK.reason)


def is_late(r: Result) -> bool:
    return r.reason.startswith("late by") or "(computed: 0, late by" in r.reason


def is_failure(r: Result) -> bool:
    return r.reason.startswith("grading failed") or bool(r.log.strip())


def is_unreadable(r: Result) -> bool:
    """Handed in, but nothing of it could be run: an unreadable notebook (not valid JSON,
    no cells, refused), as opposed to a late, unmodified, misfiled or missing one."""
    return (r.handed_in and not r.exercises and not r.override and not is_late(r)
            and not r.reason.startswith(("unmodified", "grading failed", "this is "))
            and "points" not in r.reason)


def is_timed_out(o) -> bool:
    """An exercise whose cell was interrupted at its time limit (graders.grading.outcomes)."""
    return not o.passed and (o.message or "").startswith("interrupted")


def shown_path(path: Path) -> str:
    """``path`` as the instructor would type it: relative to the repository when inside it
    (``demo/results``), else whole."""
    from ..course.config import ROOT

    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def seconds(r: Result) -> float | None:
    """Seconds grading this submission took (every step recorded), None if not graded."""
    steps = [v for v in (r.timings or {}).values() if isinstance(v, (int, float))]
    return float(sum(steps)) if steps else None


def exercise_order(course: Course, tp_id: str, results: list[Result]) -> list[str]:
    """The graded exercises (test cells' grade ids) in notebook order: the release's, then
    any other found in results, in the order results list them."""
    from ..course import notebooks

    order = []
    for path in notebooks.notebooks_in(course.release_dir / tp_id):
        try:
            order += [notebooks.grade_id(c) for c in notebooks.test_cells(notebooks.read(path))]
        except notebooks.NotebookError:
            pass
    for r in results:
        for o in r.exercises:
            if o.grade_id not in order:
                order.append(o.grade_id)
    return order
