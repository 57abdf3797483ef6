"""Recording results in nbgrader's gradebook (``gradebook.db``), from one writer.

The gradebook is SQLite: several processes or threads writing to it at once lock it or
lose updates. Grading never writes it from a kernel's thread: the main thread records each
result once it is decided (``graders.grade``), so the gradebook holds, for every graded
submission, the auto score of each test cell, as nbgrader's formgrader shows them. A
student's kernel cannot reach the file (the sandbox hides the course directory).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from datetime import datetime, timezone

from ..course.config import Course
from ..grading.results import Result


@contextmanager
def _opened(course: Course):
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader 0.9.6's gradebook code trips SQLAlchemy 2's autoflush warnings; harmless.
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_id=course.id) as gb:
            yield gb


def record(course: Course, result: Result, notebook_of: dict[str, str]) -> None:
    """Store ``result``'s points per test cell. ``notebook_of`` maps each grade_id to its
    notebook's name (without .ipynb). A result without exercises (nothing handed in, an
    unreadable notebook) is not a submission for nbgrader: nothing is recorded."""
    if not result.exercises:
        return
    from nbgrader.api import MissingEntry

    when = None
    if result.submitted_at:  # nbgrader stores naive UTC times
        when = datetime.fromisoformat(result.submitted_at).astimezone(timezone.utc)
        when = when.replace(tzinfo=None)
    with _opened(course) as gb:
        gb.update_or_create_student(result.student)
        kwargs = {"timestamp": when} if when else {}
        gb.update_or_create_submission(result.tp, result.student, **kwargs)
        for o in result.exercises:
            try:
                grade = gb.find_grade(o.grade_id, notebook_of[o.grade_id], result.tp,
                                      result.student)
            except (KeyError, MissingEntry):
                continue
            grade.auto_score = o.points
        gb.db.commit()
