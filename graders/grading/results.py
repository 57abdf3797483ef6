"""The result of grading one submission: what ``make grade``, the CI entry point, the
feedback and ``grades.csv`` all read. Stored as ``results/<student>/<TP>.json`` (the
latest), and every result ever written also as
``results/<student>/<TP>.history/<UTC time>.json``: an earlier grade can always be
recovered and compared (``history``). Everything that reads results reads the latest
(``load_all`` globs ``*/*.json``, which the history folders never match).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .outcomes import Outcome
from .policy import NO_NOTEBOOK, NO_SUBMISSION

HISTORY_SUFFIX = ".history"


@dataclass
class Result:
    student: str
    tp: str
    grade: int
    reason: str
    points: float = 0.0
    max_points: float = 0.0
    exercises: list[Outcome] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)    # structure the normaliser fixed
    integrity: list[str] = field(default_factory=list)  # for the instructor to review
    submitted_at: str | None = None                     # ISO 8601, from timestamp.txt
    override: bool = False                              # grade set by the instructor
    sandbox: list[str] = field(default_factory=list)    # the isolation grading ran under
    log: str = ""                                       # grader errors, for the instructor only
    timings: dict[str, float] = field(default_factory=dict)  # seconds, by step
    flags: list[str] = field(default_factory=list)      # for the instructor: misfiled work...
    input_hash: str = ""                                # what was graded (grade.input_hash)

    @property
    def handed_in(self) -> bool:
        """Obtained from a notebook a student handed in (not "no submission", not an empty
        folder): a result that a later run finding nothing must never replace."""
        return self.reason not in (NO_SUBMISSION.reason, NO_NOTEBOOK.reason)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        """Tolerant of fields it does not know (a result written by a newer grader)."""
        known = {f.name for f in fields(cls)}
        known_outcome = {f.name for f in fields(Outcome)}
        d = {k: v for k, v in d.items() if k in known}
        d["exercises"] = [Outcome(**{k: v for k, v in o.items() if k in known_outcome})
                          for o in d.get("exercises", [])]
        return cls(**d)


def path_of(results_dir: Path, student: str, tp: str) -> Path:
    return Path(results_dir) / student / f"{tp}.json"


def history_dir(results_dir: Path, student: str, tp: str) -> Path:
    return Path(results_dir) / student / f"{tp}{HISTORY_SUFFIX}"


def save(result: Result, results_dir: Path) -> Path:
    """Write ``result`` as the latest, and into its history; returns the latest's path."""
    path = path_of(results_dir, result.student, result.tp)
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    folder = history_dir(results_dir, result.student, result.tp)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    kept, n = folder / f"{stamp}.json", 1
    while kept.exists():   # two saves in the same microsecond: never overwrite one
        kept, n = folder / f"{stamp}-{n}.json", n + 1
    kept.write_text(text, encoding="utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)   # atomic: a reader never sees half a result
    return path


def load(path: Path) -> Result:
    return Result.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_all(results_dir: Path) -> list[Result]:
    """The latest result of every (student, TP); never the history."""
    return [load(p) for p in sorted(Path(results_dir).glob("*/*.json"))
            if not p.name.startswith(".")]


def stored(results_dir: Path, student: str, tp: str) -> Result | None:
    """The latest stored result of (student, TP), or None (none, or unreadable)."""
    path = path_of(results_dir, student, tp)
    try:
        return load(path) if path.is_file() else None
    except (OSError, ValueError, TypeError):
        return None


def history(results_dir: Path, student: str, tp: str) -> list[tuple[str, Result]]:
    """Every result written for (student, TP), oldest first, with its UTC time
    (``2026-12-03T11-55-06.123456Z``)."""
    folder = history_dir(results_dir, student, tp)
    return [(p.stem, load(p)) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
