"""The result of grading one submission: what ``make grade``, the CI entry point, the
feedback and ``grades.csv`` all read. Stored as ``results/<student>/<TP>.json``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .outcomes import Outcome


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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        d = dict(d)
        d["exercises"] = [Outcome(**o) for o in d.get("exercises", [])]
        return cls(**d)


def path_of(results_dir: Path, student: str, tp: str) -> Path:
    return Path(results_dir) / student / f"{tp}.json"


def save(result: Result, results_dir: Path) -> Path:
    path = path_of(results_dir, result.student, result.tp)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def load(path: Path) -> Result:
    return Result.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_all(results_dir: Path) -> list[Result]:
    return [load(p) for p in sorted(Path(results_dir).glob("*/*.json"))]
