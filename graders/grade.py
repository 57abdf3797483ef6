"""``make grade``: every submission of every released TP, into results, feedback and
``grades.csv``.

Students come from the class list in ``course_config.py`` and from ``submitted/``; a
student on the list who handed nothing in gets 0, ``no submission``. One submission
that breaks the grader is recorded as such and never stops the others.
"""
from __future__ import annotations

import traceback

from tqdm import tqdm

from . import export, feedback, overrides, policy, results, submissions
from .autograde import Grader
from .config import Course
from .results import Result


def grade_course(course: Course, tp_ids: list[str] | None = None,
                 only_students: list[str] | None = None, progress: bool = True) -> list[Result]:
    tps = [course.tp(t) for t in tp_ids] if tp_ids else course.released_tps
    found = submissions.find(course.submitted_dir, [tp.id for tp in tps])
    students = sorted(set(course.students) | {s for s, _ in found})
    if only_students:
        students = [s for s in students if s in only_students]
    grader = Grader(course)
    todo = [(s, tp) for tp in tps for s in students]
    out = []
    for student, tp in tqdm(todo, desc="grading", unit="submission", disable=not progress):
        try:
            result = grader.grade(found.get((student, tp.id)), tp, student)
        except Exception as e:  # one broken submission must not stop the batch
            result = Result(student, tp.id, 0, f"grading failed ({type(e).__name__}: {e}); "
                            "see the log and regrade", log=traceback.format_exc(limit=3))
        results.save(result, course.results_dir)
        out.append(result)
    publish(course)  # every released TP: a regrade of one TP keeps the others' columns
    return out


def publish(course: Course, tp_ids: list[str] | None = None) -> list[Result]:
    """Feedback pages and grades.csv from the stored results, with the overrides applied."""
    tp_ids = tp_ids or [tp.id for tp in course.released_tps]
    table = overrides.load(course)
    stored = {(r.student, r.tp): r for r in results.load_all(course.results_dir)
              if r.tp in tp_ids}
    # an override may concern a student with nothing graded (nothing handed in, or a
    # CI run that graded others): it needs a result to apply to
    for student, tp in table:
        if tp in tp_ids and (student, tp) not in stored:
            g = policy.NO_SUBMISSION
            stored[(student, tp)] = Result(student, tp, g.value, g.reason)
    final = [overrides.apply(r, table) for _, r in sorted(stored.items())]
    for r in final:
        feedback.write(course, r)
    export.write(course, final, tp_ids)
    return final
