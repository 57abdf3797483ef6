"""What was handed in, by whom, and when.

nbgrader's layout: ``submitted/<student>/<TP>/<notebook>.ipynb``, with the time of the
hand-in in ``timestamp.txt`` beside it when the exchange (or the CI) wrote one.

A hand-in is hostile input: its files are listed and read through ``graders.course.handin``
(no link followed, only regular files opened, sizes bounded). What it refused is in
``Submission.refused``; ``Submission.refusal`` is set when the hand-in cannot be graded
at all (its folder, a notebook or its timestamp is a link or a special file).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from ..course import handin
from ..course.config import student_id
from ..course.handin import TIMESTAMP_FILE

#: What a timestamp.txt must hold (nbgrader's format).
TIMESTAMP_FORMAT = "2026-09-15 15:58:03.123 UTC"


@dataclass(frozen=True)
class Submission:
    student: str
    tp: str
    folder: Path
    only: Path | None = None   # grade this notebook alone (the CI's one-file entry point)
    # misfiled work (``prepare.route``): the TP folder this notebook was found in, when it
    # is graded as another TP's; and the notebooks of the folder that belong to other TPs,
    # as (path, their TP id, why it is not graded there: "" when it is)
    found_in: str | None = None
    foreign: tuple[tuple[Path, str, str], ...] = field(default=())
    # how much of a hand-in is read (course_config.py's HANDIN_*); None: the repository's
    limits: handin.Limits | None = field(default=None, compare=False)

    @cached_property
    def listing(self) -> handin.Listing:
        """The hand-in as read: its regular files, and what was refused (links, FIFOs...)."""
        only = None
        if self.only is not None:
            try:
                only = self.only.relative_to(self.folder).as_posix()
            except ValueError:
                only = self.only.name
        return handin.walk(self.folder, self.limits, only=only)

    @property
    def refused(self) -> list[handin.Refused]:
        """What the hand-in holds that was never followed or opened."""
        return self.listing.refused

    @property
    def refusal(self) -> handin.Refused | None:
        """Why the hand-in cannot be graded at all (a notebook, its timestamp or its folder
        is a link or a special file), or None."""
        return self.listing.blocking

    @property
    def notebooks(self) -> list[Path]:
        """The notebooks handed in (regular files only), shallowest first, so that
        micrograd.ipynb wins over old/micrograd.ipynb; no checkpoints, no macOS archive
        debris (__MACOSX/, ._micrograd.ipynb)."""
        found = [self.folder / rel for rel in self.listing.files
                 if handin.is_notebook_name(rel)]
        return sorted(found, key=lambda p: (len(p.parts), str(p)))

    def links(self, path: Path) -> int:
        """How many names the file ``path`` of the hand-in has inside it (hard links)."""
        try:
            rel = path.relative_to(self.folder).as_posix()
        except ValueError:
            return 1
        return self.listing.links.get(rel, 1)

    def read_notebook(self, path: Path):
        """A notebook of the hand-in, read safely (``notebooks.NotebookError`` else)."""
        return handin.read_notebook(path, self.limits, root=self.folder,
                                    links=self.links(path))

    @classmethod
    def at(cls, student: str, tp: str, path: Path, limits: handin.Limits | None = None,
           base: Path | None = None) -> "Submission":
        """A submission from a folder, or from one notebook file (its folder's timestamp.txt
        still counts). ``base``: the folder the hand-in lies under (``submitted/``): a
        folder between it and ``path`` that is a link (``submitted/eve -> bob``) refuses
        the hand-in, as ``find`` does."""
        path = Path(path)
        folder = path.parent if path.suffix == ".ipynb" else path
        if base is not None:
            link = _first_link(Path(base), folder)
            if link is not None:
                return cls(student, tp, link, limits=limits)
        if path.suffix == ".ipynb":
            return cls(student, tp, folder, only=path, limits=limits)
        return cls(student, tp, folder, limits=limits)

    def files(self) -> list[Path]:
        """Every regular file of the hand-in (what its content hash covers), sorted."""
        return [self.folder / rel for rel in self.listing.files]

    def timestamp(self, zone: str) -> datetime | None:
        """When it was handed in (timezone-aware), or None without a timestamp.txt.

        A timestamp without a time zone is read in the course's ``zone``. One that cannot
        be read is a ValueError whose message never quotes the file (it may be anything).
        """
        if TIMESTAMP_FILE not in self.listing.files:
            return None
        path = self.folder / TIMESTAMP_FILE
        limits = self.limits or handin.Limits.of()
        try:
            text = handin.read_text(path, limits.metadata_bytes, root=self.folder,
                                    links=self.links(path)).strip()
        except handin.Unreadable as e:
            raise ValueError(f"{e}: the hand-in time is unknown") from None
        try:
            when = dateparser.parse(text)
        except (ValueError, OverflowError):
            raise ValueError(f"{TIMESTAMP_FILE} does not hold a date (expected like "
                             f"{TIMESTAMP_FORMAT}): the hand-in time is unknown") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(zone))
        return when


def find(submitted_dir: Path, tp_ids: list[str],
         limits: handin.Limits | None = None) -> dict[tuple[str, str], Submission]:
    """Every (student, TP) folder under ``submitted_dir`` for the given TPs.

    Students are keyed by their normalised id (``config.student_id``): a folder named
    ``zoe\u0308`` by macOS is ``zoë``'s. Hidden folders (``.git``) are not students.
    A student's or a TP's folder that is a symbolic link is found (it is refused when
    graded: ``Submission.refusal``), never followed further than to see it is a folder.
    """
    found = {}
    if not submitted_dir.is_dir():
        return found
    for student_dir in _student_dirs(submitted_dir):
        for tp in tp_ids:
            folder = student_dir / tp
            key = (student_id(student_dir.name), tp)
            if key in found or not (folder.is_dir() or _exists(folder)):
                continue   # (a FIFO or a file named like the TP is found, and refused)
            if student_dir.is_symlink():
                # the link is the student's folder: refuse it as the hand-in's own
                folder = student_dir
            found[key] = Submission(key[0], tp, folder, limits=limits)
    return found


def _first_link(base: Path, folder: Path) -> Path | None:
    """The first folder from ``base`` (excluded) down to ``folder`` that is a link."""
    base, folder = Path(os.path.abspath(base)), Path(os.path.abspath(folder))  # no resolve:
    try:                                                                   # it follows links
        parts = folder.relative_to(base).parts
    except ValueError:
        return None
    for i in range(len(parts)):
        here = base.joinpath(*parts[: i + 1])
        if here.is_symlink():
            return here
    return None


def _exists(path: Path) -> bool:
    try:
        path.lstat()
        return True
    except OSError:
        return False


def _student_dirs(submitted_dir: Path) -> list[Path]:
    return sorted(p for p in submitted_dir.iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def students(submitted_dir: Path) -> list[str]:
    """The (normalised) ids of the students with a folder under ``submitted_dir``."""
    if not submitted_dir.is_dir():
        return []
    return sorted({student_id(p.name) for p in _student_dirs(submitted_dir)})


def folder_of(submitted_dir: Path, student: str, tp: str) -> Path:
    """``submitted/<student>/<tp>``, the student's folder found whatever the Unicode form
    of its name (the path as it would be when there is none)."""
    if submitted_dir.is_dir():
        for p in _student_dirs(submitted_dir):
            if student_id(p.name) == student_id(student):
                return p / tp
    return submitted_dir / student_id(student) / tp
