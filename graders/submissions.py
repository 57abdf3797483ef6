"""What was handed in, by whom, and when.

nbgrader's layout: ``submitted/<student>/<TP>/<notebook>.ipynb``, with the time of the
hand-in in ``timestamp.txt`` beside it when the exchange (or the CI) wrote one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from .config import student_id

TIMESTAMP_FILE = "timestamp.txt"


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

    @property
    def notebooks(self) -> list[Path]:
        if self.only is not None:
            return [self.only] if self.only.is_file() else []
        # shallowest first, so that micrograd.ipynb wins over old/micrograd.ipynb; no
        # checkpoints, no macOS archive debris (__MACOSX/, ._micrograd.ipynb)
        found = [p for p in self.folder.rglob("*.ipynb")
                 if not {".ipynb_checkpoints", "__MACOSX"} & set(p.parts)
                 and not p.name.startswith("._")]
        return sorted(found, key=lambda p: (len(p.parts), str(p)))

    @classmethod
    def at(cls, student: str, tp: str, path: Path) -> "Submission":
        """A submission from a folder, or from one notebook file (its folder's timestamp.txt
        still counts)."""
        path = Path(path)
        if path.suffix == ".ipynb":
            return cls(student, tp, path.parent, only=path)
        return cls(student, tp, path)

    def files(self) -> list[Path]:
        """Every file of the hand-in (what its content hash covers), sorted."""
        if self.only is not None:
            stamp = self.folder / TIMESTAMP_FILE
            return [p for p in (self.only, stamp) if p.is_file()]
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.rglob("*") if p.is_file())

    def timestamp(self, zone: str) -> datetime | None:
        """When it was handed in (timezone-aware), or None without a timestamp.txt.

        A timestamp without a time zone is read in the course's ``zone``.
        """
        path = self.folder / TIMESTAMP_FILE
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        try:
            when = dateparser.parse(text)
        except (ValueError, OverflowError) as e:
            raise ValueError(f"unreadable timestamp.txt ({text[:40]!r})") from e
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(zone))
        return when


def find(submitted_dir: Path, tp_ids: list[str]) -> dict[tuple[str, str], Submission]:
    """Every (student, TP) folder under ``submitted_dir`` for the given TPs.

    Students are keyed by their normalised id (``config.student_id``): a folder named
    ``zoe\u0308`` by macOS is ``zoë``'s. Hidden folders (``.git``) are not students.
    """
    found = {}
    if not submitted_dir.is_dir():
        return found
    for student_dir in _student_dirs(submitted_dir):
        for tp in tp_ids:
            folder = student_dir / tp
            key = (student_id(student_dir.name), tp)
            if folder.is_dir() and key not in found:
                found[key] = Submission(key[0], tp, folder)
    return found


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
