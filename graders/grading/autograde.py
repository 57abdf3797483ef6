"""Grading one submission: prepare, run, score, decide. The one ``grade_one`` of every
entry point (``make grade``, ``grade-one``, the CI shards, the benchmarks).

1. **prepare** (``graders.grading.prepare``): hand-in time, the student's notebooks rebuilt on the
   pristine release, integrity scan, hidden tests put back;
2. **run** (``graders.grading.engine``): each notebook in a fresh sandboxed kernel under the TP's
   limits, in a scratch copy of the TP's release folder;
3. **score** (``graders.grading.outcomes``, inside the engine's run): points and the visible
   failure message of every test cell, computed once from the executed notebook;
4. **decide** (``graders.grading.policy``): the 0/1/2 grade and its reason.

Publishing (results, the gradebook, feedback, ``grades.csv``) is the caller's: one
writer, in the main thread (``graders.grade``). A :class:`Grader` may grade from several
threads at once: the per-TP set-up is done once, under a lock.

A notebook with no answer written (``prepare``'s ``answered`` is false) runs once per
grading run: another hand-in whose rebuilt notebook is the same, byte for byte, gets a
copy of that run (the same notebook in the same folder under the same limits runs the
same way; its grade is 0 whatever the run says).
"""
from __future__ import annotations

import copy
import hashlib
import shutil
import threading
import time
from pathlib import Path

import nbformat

from . import policy
from ..course import notebooks, release
from ..course.config import TP, Course
from .engine import Engine, Limits
from .prepare import fingerprints, prepare
from .results import Result
from .submissions import Submission


#: One submission is prepared at a time (about 20 ms each; the kernels run in parallel):
#: CPython 3.11's AST constructor keeps its recursion depth per interpreter, not per
#: thread, and ``ast.parse`` in two threads at once (normalise, integrity) fails now and
#: then with "SystemError: AST constructor recursion depth mismatch" (seen in class runs
#: with JOBS=2: a student's "grading failed").
_PREPARING = threading.Lock()


class Grader:
    def __init__(self, course: Course, engine: Engine | None = None):
        self.course = course
        self.engine = engine or Engine(course)
        self.db_url = f"sqlite:///{course.root / 'gradebook.db'}"
        self._tps: dict[str, tuple[Path, dict, dict]] = {}
        self._lock = threading.Lock()
        self._prints: dict[str, frozenset[str]] | None = None
        self._unanswered: dict[str, object] = {}   # notebook hash -> its run

    @property
    def protections(self) -> list[str]:
        return self.engine.protections

    # -- per TP, once ----------------------------------------------------------------
    def pristine(self, tp: TP) -> tuple[Path, dict, dict]:
        """(release folder, release notebooks, source notebooks) of a TP, by notebook name.

        The release is generated afresh from source/ into .work/release (grading never
        trusts nor rewrites the committed release/); generating also records the TP's
        cells in the gradebook, which results are recorded against.
        """
        with self._lock:
            if tp.id not in self._tps:
                out = self.course.work_dir / "release"
                release.generate(self.course, [tp.id], release_dir=out, db_url=self.db_url)
                paths = notebooks.notebooks_in(out / tp.id)
                self._tps[tp.id] = (
                    out / tp.id,
                    {p.name: notebooks.read(p) for p in paths},
                    {p.name: notebooks.read(self.course.source_dir / tp.id / p.name)
                     for p in paths})
            return self._tps[tp.id]

    def fingerprints(self) -> dict[str, frozenset[str]]:
        """Each released TP's grade_ids, which tell misfiled notebooks apart (once)."""
        with self._lock:
            if self._prints is None:
                self._prints = fingerprints(self.course)
            return self._prints

    def max_points(self, tp: TP) -> float:
        return sum(notebooks.total_points(nb) for nb in self.pristine(tp)[1].values())

    # -- one submission ----------------------------------------------------------------
    def grade(self, sub: Submission | None, tp: TP, student: str) -> Result:
        """Grade one student's hand-in of one TP (``sub`` is None when nothing came)."""
        if sub is None:
            g = policy.NO_SUBMISSION
            return Result(student, tp.id, g.value, g.reason)
        if not sub.notebooks and sub.refusal is None:
            # a folder, but nothing to grade: not the same as absent
            g = policy.NO_NOTEBOOK
            held = sorted(str(p.relative_to(sub.folder)) for p in sub.files())
            note = (f"no notebook in submitted/{sub.folder.parent.name}/{sub.folder.name}/ "
                    f"(it holds: {', '.join(held) or 'nothing'})")
            return Result(student, tp.id, g.value, g.reason, flags=[note],
                          integrity=[r.note() for r in sub.refused])
        folder, release_nbs, source_nbs = self.pristine(tp)  # once per TP: not timed
        max_points = self.max_points(tp)
        result = Result(student, tp.id, 0, "", sandbox=list(self.protections))

        t0 = time.perf_counter()
        with _PREPARING:
            prep = prepare(self.course, tp, sub, release_nbs, source_nbs)
        result.submitted_at = prep.submitted_at
        result.repairs, result.integrity = prep.repairs, prep.integrity
        result.flags = prep.flags
        result.timings["normalise_s"] = round(time.perf_counter() - t0, 3)
        if prep.decided is not None:
            return _finish(result, prep.decided, 0, max_points)

        t1 = time.perf_counter()
        limits = Limits.of(self.course, tp)
        graded_dir = self.course.autograded_dir / student / tp.id
        if graded_dir.exists():
            shutil.rmtree(graded_dir)
        graded_dir.mkdir(parents=True)
        for name, nb in prep.to_run:
            key = None if prep.answered else _digest(tp, name, nb)
            with self._lock:
                run = copy.deepcopy(self._unanswered.get(key)) if key else None
            copied = run is not None
            if not copied:
                run = self._run(folder, nb, limits, student, tp)
                if key:
                    with self._lock:
                        self._unanswered[key] = copy.deepcopy(run)
            notebooks.write(run.nb, graded_dir / name)
            if run.kernel_start_s is not None and not copied:
                result.timings["kernel_start_s"] = round(
                    result.timings.get("kernel_start_s", 0) + run.kernel_start_s, 3)
            result.exercises += run.outcomes
            for note in run.notes:
                if note not in result.integrity:
                    result.integrity.append(note)
        result.timings["autograde_s"] = round(time.perf_counter() - t1, 3)

        # a bonus exercise's points make up for core ones, up to the maximum
        points = min(sum(o.points for o in result.exercises), max_points)
        grade = policy.grade(self.course.policy, points=points, max_points=max_points,
                             late_by=prep.late_by, unmodified=not prep.answered)
        return _finish(result, grade, points, max_points)

    def _run(self, folder: Path, nb, limits: Limits, student: str, tp: TP):
        run_dir = self.course.work_dir / "run" / student / tp.id
        if run_dir.exists():
            shutil.rmtree(run_dir)
        # the kernel sees the TP's own files only (a student's data or helper files
        # cannot change a grade), in a folder it may write to
        shutil.copytree(folder, run_dir, ignore=shutil.ignore_patterns("*.ipynb"))
        try:
            return self.engine.run(nb, run_dir, limits)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)


def _digest(tp: TP, name: str, nb) -> str:
    return hashlib.sha256(f"{tp.id}\0{name}\0{nbformat.writes(nb)}".encode()).hexdigest()


def _finish(result: Result, grade: policy.Grade, points: float, max_points: float) -> Result:
    result.grade, result.reason = grade.value, grade.reason
    result.points, result.max_points = points, max_points
    return result
