"""The example submissions that ``make demo`` grades, generated from a source notebook.

Nothing here is hand-edited: each example is the TP's release notebook with answers
taken from the source notebook's solutions, then changed the way a student's hand-in
can be. The student is named for the case, so the demo's table reads by itself.

| student        | what was handed in                                   | expected |
|----------------|------------------------------------------------------|----------|
| complete       | every answer, on time                                 | 2 |
| partial        | the first exercises only                              | 1 |
| unmodified     | the release notebook as it was given                  | 0 |
| late           | every answer, 2 h 13 min after the deadline           | 0 |
| invalid-json   | every answer, but the file was cut short              | 0 |
| tampered-tests | the partial answers, with every test cell emptied     | 1 (tests restored) |
| infinite-loop  | every answer, but the first one never returns         | by points |
| absent         | nothing                                              | 0 |
"""
from __future__ import annotations

import copy
import re
from datetime import timedelta, timezone
from pathlib import Path

import nbformat

from . import notebooks
from .config import TP, Course

BASIC = ["complete", "partial", "unmodified"]
ALL = BASIC + ["late", "invalid-json", "tampered-tests", "infinite-loop"]
ABSENT = "absent"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def answer(source_cell) -> str:
    """A solution cell as a student who found the answer would have written it."""
    return "\n".join(line for line in source_cell.source.splitlines() if not MARKER.match(line))


def looping_answer(source_cell) -> str:
    """The answer with a loop that never ends at the start of its solution."""
    lines = []
    for line in source_cell.source.splitlines():
        if MARKER.match(line) and "BEGIN" in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines += [f"{indent}while True:  # meant to stop when it converges...",
                      f"{indent}    pass"]
        elif not MARKER.match(line):
            lines.append(line)
    return "\n".join(lines)


def partial_count(release_nb, complete: float, decent: float) -> int:
    """How many solution cells, in order, a 'partial' student fills: enough for a 1 and
    not a 2, as near the middle of that band as the notebook allows."""
    total = notebooks.total_points(release_nb)
    sol_positions = [i for i, c in enumerate(release_nb.cells) if notebooks.is_solution(c)]
    best, best_gap = None, None
    for k in range(1, len(sol_positions)):
        stop = sol_positions[k]
        reached = sum(notebooks.points(c) for c in release_nb.cells[:stop] if notebooks.is_test(c))
        fraction = reached / total
        if decent <= fraction < complete:
            gap = abs(fraction - (decent + complete) / 2)
            if best is None or gap < best_gap:
                best, best_gap = k, gap
    if best is None:
        raise ValueError("no prefix of the exercises gives a 'decent but not complete' score")
    return best


def first_exercise_points(release_nb) -> float:
    """Points of the test cells between the first and the second solution cell."""
    sols = [i for i, c in enumerate(release_nb.cells) if notebooks.is_solution(c)]
    stop = sols[1] if len(sols) > 1 else len(release_nb.cells)
    return sum(notebooks.points(c) for c in release_nb.cells[sols[0]:stop] if notebooks.is_test(c))


def build(kind: str, release_nb, source_nb, course: Course):
    """The notebook (or, for invalid-json, the text) a student of this ``kind`` hands in."""
    nb = copy.deepcopy(release_nb)
    sources = {notebooks.grade_id(c): c for c in source_nb.cells if notebooks.is_solution(c)}
    sols = [c for c in nb.cells if notebooks.is_solution(c)]
    if kind == "unmodified":
        return nb
    filled = sols
    if kind in ("partial", "tampered-tests"):
        p = course.policy
        filled = sols[: partial_count(release_nb, p.complete, p.decent)]
    for i, cell in enumerate(filled):
        src = sources[notebooks.grade_id(cell)]
        cell.source = looping_answer(src) if (kind == "infinite-loop" and i == 0) else answer(src)
    if kind == "tampered-tests":
        for cell in notebooks.test_cells(nb):
            cell.source = "assert True  # (the student emptied this test)"
    if kind == "invalid-json":
        text = nbformat.writes(nb)
        return text[: len(text) * 2 // 3]
    return nb


def expected_grade(kind: str, release_nb, course: Course) -> int:
    if kind in ("complete",):
        return 2
    if kind in ("partial", "tampered-tests"):
        return 1
    if kind == "infinite-loop":
        total = notebooks.total_points(release_nb)
        left = (total - first_exercise_points(release_nb)) / total
        p = course.policy
        return 2 if left + 1e-9 >= p.complete else 1 if left + 1e-9 >= p.decent else 0
    return 0


def timestamp(kind: str, tp: TP) -> str:
    """nbgrader's timestamp.txt format, in UTC: on time, or 2 h 13 min late."""
    when = tp.due + (timedelta(hours=2, minutes=13) if kind == "late" else -timedelta(hours=1))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def write(course: Course, submitted_dir: Path, tp_kinds: dict[str, list[str]]) -> list[tuple]:
    """Write the examples under ``submitted_dir``; returns (student, TP, expected grade)."""
    written = []
    for tp_id, kinds in tp_kinds.items():
        tp = course.tp(tp_id)
        for source_path in notebooks.notebooks_in(course.source_dir / tp.id):
            release_path = course.release_dir / tp.id / source_path.name
            source_nb, release_nb = notebooks.read(source_path), notebooks.read(release_path)
            for kind in kinds:
                folder = submitted_dir / kind / tp.id
                folder.mkdir(parents=True, exist_ok=True)
                content = build(kind, release_nb, source_nb, course)
                target = folder / source_path.name
                if isinstance(content, str):
                    target.write_text(content, encoding="utf-8")
                else:
                    notebooks.write(content, target)
                (folder / "timestamp.txt").write_text(timestamp(kind, tp) + "\n")
                written.append((kind, tp.id, expected_grade(kind, release_nb, course)))
    return written
