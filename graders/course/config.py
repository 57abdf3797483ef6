"""The course configuration (``course_config.py``) as Python objects.

``course_config.py`` is both a Python module of settings and nbgrader's configuration
file; this module loads it once and offers typed views of it. Nothing here holds a
setting of its own.
"""
from __future__ import annotations

import importlib.util
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = "course_config.py"


HIDDEN_TEST_MESSAGES = ("always", "after_due", "never")

#: The demo course `make demo` builds: what a fresh clone can grade, report on and export.
DEMO = ROOT / "demo"


def course_root(explicit: str | None) -> tuple[Path, str | None]:
    """The course a verb works on, and a note to print when it was not the one asked for.

    ``--root`` (the Makefile's ``COURSE=``) when given; else the repository, unless it
    holds no course data (no submitted/, no results/) and the demo course does: then the
    demo (a fresh clone after ``make demo``). Every verb resolves its course here."""
    if explicit is not None:
        return Path(explicit), None
    if (not (ROOT / "submitted").is_dir() and not (ROOT / "results").is_dir()
            and (DEMO / "course_config.py").is_file()):
        return DEMO, (f"no submitted/ nor results/ in {ROOT}: using the demo course "
                      f"({DEMO}); COURSE=folder (--root) chooses another")
    return ROOT, None


def announced_course(explicit: str | None) -> Path | None:
    """``course_root`` for a verb that parses its own options (report, export): the
    fallback's note said on stderr; None, after a one-line error, when the folder is not
    there."""
    root, note = course_root(explicit)
    if note:
        print(note, file=sys.stderr)
    if not root.is_dir():
        print(f"error: no course folder at {root}", file=sys.stderr)
        return None
    return root


class InputError(ValueError):
    """An input a command cannot work from (a TP, a student, a path, a CSV): its message
    is one line for the instructor, and the command stops before doing anything (exit 2)."""


def student_id(name: str) -> str:
    """A student id as the grader compares it: Unicode NFC (macOS writes file names
    decomposed: ``zoe\u0308``), without surrounding spaces."""
    return unicodedata.normalize("NFC", str(name)).strip()


@dataclass(frozen=True)
class TP:
    id: str
    title: str
    due: datetime          # timezone-aware
    cell_timeout: int      # seconds
    notebook_timeout: int  # seconds


@dataclass(frozen=True)
class Policy:
    decent: float     # fraction of points for a 1
    complete: float   # fraction of points for a 2
    grace: timedelta  # allowed lateness


class Course:
    """A course directory (the repository root, or a demo copy) and its configuration.

    ``root`` is where source/, release/, submitted/... live; the configuration is
    read from ``root/course_config.py`` when there is one, else from the repository's.
    """

    def __init__(self, root: Path | str = ROOT):
        self.root = Path(root).resolve()
        path = self.root / CONFIG_FILE
        if not path.exists():
            path = ROOT / CONFIG_FILE
        self.config_path = path
        spec = importlib.util.spec_from_file_location("course_config", path)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.hidden_test_messages  # a wrong value stops every verb before it does anything

    # -- settings ------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.module.COURSE_ID

    @cached_property
    def tps(self) -> list[TP]:
        """Every TP of the configuration, in course order."""
        zone = ZoneInfo(self.module.TIME_ZONE)
        return [TP(id=t["id"], title=t["title"],
                   due=datetime.strptime(t["due"], "%Y-%m-%d %H:%M").replace(tzinfo=zone),
                   cell_timeout=int(t["cell_timeout"]),
                   notebook_timeout=int(t["notebook_timeout"]))
                for t in self.module.TPS]

    @property
    def released_tps(self) -> list[TP]:
        """The TPs that exist (have a folder under source/); the others are not graded."""
        return [tp for tp in self.tps if (self.source_dir / tp.id).is_dir()]

    def tp(self, tp_id: str) -> TP:
        for tp in self.tps:
            if tp.id == tp_id or tp.id.split("_")[0] == tp_id:
                return tp
        raise KeyError(f"unknown TP {tp_id!r}; course_config.py lists "
                       + ", ".join(t.id for t in self.tps))

    def released_tp(self, tp_id: str) -> TP:
        """The TP named ``tp_id`` (id or short name), if it is released; else InputError."""
        try:
            tp = self.tp(str(tp_id).strip())
        except KeyError as e:
            raise InputError(e.args[0]) from None
        if tp not in self.released_tps:
            released = ", ".join(t.id for t in self.released_tps) or "none"
            raise InputError(f"{tp.id} is not released (no folder source/{tp.id}/); "
                             f"released: {released}")
        return tp

    @property
    def students(self) -> list[str]:
        """The class list (``STUDENTS``), ids normalised (:func:`student_id`)."""
        return list(dict.fromkeys(student_id(s) for s in self.module.STUDENTS))

    @property
    def policy(self) -> Policy:
        m = self.module
        return Policy(decent=m.DECENT_FRACTION, complete=m.COMPLETE_FRACTION, grace=m.GRACE)

    @property
    def hidden_test_messages(self) -> str:
        """``HIDDEN_TEST_MESSAGES``: "always", "after_due" or "never"."""
        value = getattr(self.module, "HIDDEN_TEST_MESSAGES", "always")
        if value not in HIDDEN_TEST_MESSAGES:
            raise InputError(f"HIDDEN_TEST_MESSAGES in {self.config_path.name} is {value!r}: "
                             f"expected one of {', '.join(map(repr, HIDDEN_TEST_MESSAGES))}")
        return value

    @property
    def handin_limits(self):
        """How much of a hand-in is read (``HANDIN_MAX_*``): ``graders.course.handin.Limits``."""
        from .handin import Limits

        return Limits.of(self.module)

    @property
    def tp_weight(self) -> float:
        return self.module.TP_WEIGHT

    @property
    def final_scale(self) -> float:
        return self.module.FINAL_SCALE

    def nbgrader_config(self):
        """nbgrader's Config, as ``course_config.py`` sets it, rooted at this course."""
        from traitlets.config import Config

        config = Config()
        config.merge(self.module.c)
        config.CourseDirectory.root = str(self.root)
        return config

    # -- paths ---------------------------------------------------------------------
    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def release_dir(self) -> Path:
        return self.root / "release"

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded_dir(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback_dir(self) -> Path:
        return self.root / "feedback"

    @property
    def work_dir(self) -> Path:
        """Scratch space of the grader (normalised submissions, the grading gradebook)."""
        return self.root / ".work"

    @property
    def results_dir(self) -> Path:
        return self.root / self.module.RESULTS_DIRECTORY

    @property
    def grades_csv(self) -> Path:
        return self.root / self.module.GRADES_CSV

    @property
    def overrides_csv(self) -> Path:
        return self.root / self.module.OVERRIDES_CSV
