"""``make check NB=...``: a student's self-check before handing in.

It does to the notebook what grading will do, with the tests the student can see:
read it, rebuild it on the release (reporting every repair and every edited test cell
that grading would ignore), execute it in a fresh kernel in grading mode, and print each
graded exercise's pass / fail with the failing message, and the errors raised outside
graded cells.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import execute, notebooks, outcomes
from .config import Course
from .normalise import normalise


@dataclass
class Report:
    tp: str = ""
    problems: list[str] = field(default_factory=list)   # would not be accepted as it is
    warnings: list[str] = field(default_factory=list)   # accepted, but look at this
    exercises: list[outcomes.Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_release(course: Course, student_nb, name: str) -> Path | None:
    """The release notebook this one comes from: same file name, else most shared grade_ids."""
    candidates = [p for tp in course.released_tps
                  for p in notebooks.notebooks_in(course.release_dir / tp.id)]
    for path in candidates:
        if path.name == name:
            return path
    ids = {notebooks.grade_id(c) for c in student_nb.cells} - {None}
    scored = [(len(ids & {notebooks.grade_id(c) for c in notebooks.read(p).cells}), p)
              for p in candidates]
    best = max(scored, default=(0, None))
    return best[1] if best[0] else None


def check(course: Course, path: Path) -> Report:
    path = Path(path)
    report = Report()
    try:
        student_nb = notebooks.read(path)
    except (notebooks.NotebookError, OSError) as e:
        report.problems.append(str(e))
        return report
    release_path = find_release(course, student_nb, path.name)
    if release_path is None:
        report.problems.append("this notebook matches no TP of the course (no release notebook "
                               "with its name or its graded cells)")
        return report
    tp = course.tp(release_path.parent.name)
    report.tp = tp.id
    norm = normalise(student_nb, notebooks.read(release_path))
    report.warnings += [f"repaired: {r}" for r in norm.repairs]
    report.warnings += [f"{i} (grading uses the original)" for i in norm.integrity]
    if norm.unmodified:
        report.problems.append("no answer written yet: an unmodified notebook gets 0")
    with tempfile.TemporaryDirectory(prefix="dl-check-") as tmp:
        work = Path(tmp) / tp.id
        shutil.copytree(release_path.parent, work)
        nb = execute.run_notebook(norm.nb, cwd=work, timeout=tp.cell_timeout)
    # grading drops the stderr that course_config.py's IgnorePattern matches: so does this
    from nbgrader.preprocessors import IgnorePattern

    IgnorePattern(config=course.nbgrader_config()).preprocess(nb, {})
    report.exercises = outcomes.of_notebook(nb)
    waiting = []  # cells that only wait for an unanswered exercise
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or notebooks.is_test(cell):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            where = notebooks.grade_id(cell) or f"cell {i}"
            if out.get("ename") == "NotImplementedError":
                waiting.append(where)
            else:
                report.warnings.append(f"{where} raised {out.get('ename')}: "
                                       f"{outcomes.ANSI.sub('', str(out.get('evalue', '')))[:200]}")
    if waiting:
        report.warnings.append("waiting for unanswered exercises: " + ", ".join(waiting))
    return report


def format_report(report: Report, path: Path) -> str:
    lines = [f"Self-check of {path}" + (f" ({report.tp})" if report.tp else "")]
    for p in report.problems:
        lines.append(f"  PROBLEM  {p}")
    for o in report.exercises:
        mark = "pass" if o.passed else "FAIL"
        lines.append(f"  {mark:<4}  {o.grade_id:<32} {o.max_points:g} pt"
                     + (f"  {o.message}" if o.message else ""))
    for w in report.warnings:
        lines.append(f"  note  {w}")
    if report.exercises:
        got = sum(o.points for o in report.exercises)
        total = sum(o.max_points for o in report.exercises)
        lines.append(f"Visible tests: {got:g}/{total:g} points. Grading also runs hidden tests, "
                     "so this is an upper bound.")
    return "\n".join(lines)
