"""One place that builds nbgrader's API object for a course, with overrides.

nbgrader is driven in-process through ``NbGraderAPI`` (no CLI start-up per call, see
docs/design.md §7) with the configuration of ``course_config.py``; callers add the few
settings that vary per call (a TP's timeout, a scratch directory).
"""
from __future__ import annotations

import logging
import warnings

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from .config import Course


@contextmanager
def _tools_on_path(extra: dict | None = None):
    """nbgrader shells out to ``alembic`` when it creates a gradebook: this
    interpreter's, whatever the caller's PATH says."""
    saved = dict(os.environ)
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + saved.get("PATH", "")
    os.environ.update(extra or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def make_api(course: Course, **settings):
    """``NbGraderAPI`` for ``course``; ``settings`` like ``{"Execute.timeout": 60}``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course.nbgrader_config()
    for dotted, value in settings.items():
        section, name = dotted.split(".")
        setattr(config[section], name, value)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    # nbgrader warns about every test cell it restores (the release's checksum is not the
    # source's, by design); the notes that matter come from graders.grading.normalise instead.
    api.log.setLevel(logging.ERROR)
    return api


def run(call, *args, env: dict | None = None, **kwargs) -> dict:
    """Run an API call in the grading environment (plus ``env``); nbgrader's result dict."""
    from sqlalchemy.exc import SAWarning

    with _tools_on_path(env), warnings.catch_warnings():
        # nbgrader 0.9.6's gradebook code trips SQLAlchemy 2's autoflush warnings; harmless.
        warnings.simplefilter("ignore", SAWarning)
        result = call(*args, **kwargs)
    return result
