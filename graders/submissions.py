"""What was handed in, by whom, and when.

nbgrader's layout: ``submitted/<student>/<TP>/<notebook>.ipynb``, with the time of the
hand-in in ``timestamp.txt`` beside it when the exchange (or the CI) wrote one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

TIMESTAMP_FILE = "timestamp.txt"


@dataclass(frozen=True)
class Submission:
    student: str
    tp: str
    folder: Path
    only: Path | None = None   # grade this notebook alone (the CI's one-file entry point)

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
    """Every (student, TP) folder under ``submitted_dir`` for the given TPs."""
    found = {}
    if not submitted_dir.is_dir():
        return found
    for student_dir in sorted(p for p in submitted_dir.iterdir() if p.is_dir()):
        for tp in tp_ids:
            folder = student_dir / tp
            if folder.is_dir():
                found[(student_dir.name, tp)] = Submission(student_dir.name, tp, folder)
    return found


def students(submitted_dir: Path) -> list[str]:
    if not submitted_dir.is_dir():
        return []
    return sorted(p.name for p in submitted_dir.iterdir() if p.is_dir())
