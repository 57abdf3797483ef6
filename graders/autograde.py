"""Grading submissions: normalise, autograde with nbgrader, apply the 0/1/2 policy.

One :class:`Grader` grades many submissions in one process (nbgrader's start-up is paid
once, DESIGN.md §7). For each submission it

1. reads the submitted notebooks (an unreadable one is a reason, not a crash);
2. builds the normalised submission (``normalise``) in ``.work/normalised/``, so that
   nbgrader never sees, and never touches, the submitted files;
3. runs nbgrader's autograde on it (a fresh kernel per notebook, the TP's per-cell
   timeout), which writes ``autograded/<student>/<TP>/`` and the gradebook;
4. reads the points per test cell back from the gradebook and the visible failure
   messages from the autograded notebook, and applies the policy.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from . import integrity, nbgrader_app, notebooks, outcomes, policy, release, sandbox
from .config import ROOT, TP, Course
from .normalise import normalise
from .results import Result
from .submissions import TIMESTAMP_FILE, Submission


class Grader:
    def __init__(self, course: Course):
        self.course = course
        self.db_url = f"sqlite:///{course.root / 'gradebook.db'}"
        self._release: dict[str, list[Path]] = {}
        self._release_nbs: dict[Path, object] = {}
        self._apis: dict[str, object] = {}
        self._env: dict[str, str] = {}
        self.protections = ["none: SANDBOX is off in course_config.py"]
        m = course.module
        if m.SANDBOX:
            jupyter_path, self._sandbox = sandbox.prepare(
                course.work_dir, hide=[course.root, ROOT],
                memory_bytes=m.KERNEL_MEMORY_MB * 2**20, max_processes=m.KERNEL_MAX_PROCESSES,
                max_file_bytes=m.KERNEL_MAX_FILE_MB * 2**20)
            self._env["JUPYTER_PATH"] = str(jupyter_path)
            self.protections = sandbox.protections(self._sandbox)

    # -- per TP, once ----------------------------------------------------------------
    def pristine(self, tp: TP) -> list[Path]:
        """The TP's release notebooks, generated afresh from source/ into .work/release.

        Generating also records the TP's cells (hidden tests included) in the gradebook,
        which autograde needs; the committed release/ is never rewritten by grading.
        """
        if tp.id not in self._release:
            out = self.course.work_dir / "release"
            release.generate(self.course, [tp.id], release_dir=out, db_url=self.db_url)
            self._release[tp.id] = notebooks.notebooks_in(out / tp.id)
        return self._release[tp.id]

    def release_nb(self, path: Path):
        """A pristine release notebook, read once (callers deep-copy before changing it)."""
        if path not in self._release_nbs:
            self._release_nbs[path] = notebooks.read(path)
        return self._release_nbs[path]

    def max_points(self, pristine: list[Path]) -> float:
        return sum(notebooks.total_points(self.release_nb(p)) for p in pristine)

    def _api(self, tp: TP):
        if tp.id not in self._apis:
            from nbconvert.preprocessors import ClearMetadataPreprocessor
            from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata,
                                                IgnorePattern, LimitOutput, SaveAutoGrades)

            from .preprocessors import LimitedExecute

            settings = {
                "CourseDirectory.submitted_directory": str(self._normalised_root),
                "CourseDirectory.db_url": self.db_url,
                # nbgrader's own list, with Execute replaced by the limited one
                "Autograde.autograde_preprocessors": [
                    LimitedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata],
                "Execute.timeout": tp.cell_timeout,
                "LimitedExecute.notebook_timeout": tp.notebook_timeout,
                "LimitedExecute.max_output_bytes": self.course.module.MAX_OUTPUT_BYTES,
            }
            if self._env:
                settings.update({
                    "LimitedExecute.kernel_name": sandbox.SPEC_NAME,
                    "KernelManager.transport": "ipc",
                    "KernelManager.ip": sandbox.ipc_address(self.course.work_dir)})
            self._apis[tp.id] = nbgrader_app.make_api(self.course, **settings)
        return self._apis[tp.id]

    @property
    def _normalised_root(self) -> Path:
        return self.course.work_dir / "normalised"

    # -- one submission ----------------------------------------------------------------
    def grade(self, sub: Submission | None, tp: TP, student: str) -> Result:
        """Grade one student's hand-in of one TP (``sub`` is None when nothing came)."""
        if sub is None or not sub.notebooks:
            g = policy.NO_SUBMISSION
            return Result(student, tp.id, g.value, g.reason)
        pristine = self.pristine(tp)  # once per TP: not part of this submission's timings
        t0 = time.perf_counter()
        result = Result(student, tp.id, 0, "", sandbox=self.protections)
        try:
            when = sub.timestamp(self.course.module.TIME_ZONE)
        except ValueError as e:
            when = None
            result.integrity.append(str(e))
        result.submitted_at = when.isoformat() if when else None
        late_by = policy.lateness(when, tp.due, self.course.policy.grace)

        # 1-2. read and normalise each notebook of the TP
        target = self._normalised_root / student / tp.id
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        unreadable, answered, found_any = None, False, False
        for release_path, sent in _pair_notebooks(pristine, sub.notebooks, result.repairs):
            release_nb = self.release_nb(release_path)
            found_any = found_any or sent is not None
            if sent is None:
                result.repairs.append(f"{release_path.name} is missing: its exercises score 0")
                student_nb = release_nb
            else:
                try:
                    student_nb = notebooks.read(sent)
                    if not student_nb.cells:
                        raise notebooks.NotebookError("notebook has no cells")
                except notebooks.NotebookError as e:
                    unreadable = f"{sent.name}: {e}" if len(pristine) > 1 else str(e)
                    student_nb = release_nb
            norm = normalise(student_nb, release_nb)
            result.repairs += norm.repairs
            result.integrity += norm.integrity
            result.integrity += integrity.scan(
                [c.source for c in norm.nb.cells if c.cell_type == "code"
                 and (notebooks.is_solution(c) or not notebooks.meta(c))])
            answered = answered or not norm.unmodified
            notebooks.write(norm.nb, target / release_path.name)
        ignored = sorted(p.name for p in sub.folder.iterdir()
                         if p.is_file() and p.suffix != ".ipynb" and p.name != TIMESTAMP_FILE)
        if ignored:
            result.repairs.append("files ignored (grading uses the TP's own copies): "
                                  + ", ".join(ignored))
        if (sub.folder / TIMESTAMP_FILE).is_file():
            shutil.copyfile(sub.folder / TIMESTAMP_FILE, target / TIMESTAMP_FILE)
        result.timings["normalise_s"] = round(time.perf_counter() - t0, 3)

        if unreadable and len(pristine) == 1:
            return _finish(result, policy.Grade(0, unreadable), 0, self.max_points(pristine))
        if not found_any:
            names = ", ".join(p.name for p in pristine)
            sent = ", ".join(p.name for p in sub.notebooks)
            return _finish(result, policy.Grade(0, f"no {names} found (handed in: {sent})"),
                           0, self.max_points(pristine))

        # 3. autograde
        t1 = time.perf_counter()
        api = self._api(tp)
        log = nbgrader_app.run(api.autograde, tp.id, student, force=True, create=True,
                               env=self._env)
        sandbox.cleanup_cgroups()
        result.timings["autograde_s"] = round(time.perf_counter() - t1, 3)

        # 4. points and messages
        result.exercises = self._outcomes(tp, student, pristine)
        points = sum(o.points for o in result.exercises)
        max_points = self.max_points(pristine)
        for kind, note in (("KernelDied", "the kernel died (memory limit, os._exit, a signal?): "
                                          "the cells after it were not run"),
                           ("NotebookDeadlineExceeded", f"the notebook ran past its "
                            f"{tp.notebook_timeout} s budget: the cells after it were not run")):
            if any(o.message.startswith(kind) for o in result.exercises):
                result.integrity.append(note)
        if not log["success"]:
            result.integrity.append("nbgrader reported an error while grading: "
                                    + _last_line(log.get("error") or log.get("log", "")))
        grade = policy.grade(self.course.policy, points=points, max_points=max_points,
                             late_by=late_by, unreadable=unreadable,
                             unmodified=not answered)
        return _finish(result, grade, points, max_points)

    def _outcomes(self, tp: TP, student: str, pristine: list[Path]) -> list[outcomes.Outcome]:
        """Points from the gradebook; pass/fail messages from the autograded notebooks."""
        from nbgrader.api import Gradebook, MissingEntry

        found = []
        with Gradebook(self.db_url, course_id=self.course.id) as gb:
            for release_path in pristine:
                name = release_path.stem
                release_nb = self.release_nb(release_path)
                graded = self.course.autograded_dir / student / tp.id / release_path.name
                executed = notebooks.read(graded) if graded.is_file() else None
                secrets = outcomes.hidden_lines(executed) if executed is not None else frozenset()
                try:
                    scores = {g.name: g for g in
                              gb.find_submission_notebook(name, tp.id, student).grades}
                except MissingEntry:
                    scores = {}
                for cell in notebooks.test_cells(release_nb):
                    gid = notebooks.grade_id(cell)
                    g = scores.get(gid)
                    score = float(g.score) if g is not None and g.score is not None else 0.0
                    max_score = notebooks.points(cell)
                    passed = score >= max_score
                    message = ""
                    if not passed:
                        message = "not graded (the notebook did not run)"
                        if executed is not None:
                            ran = _test_cell(executed, gid)
                            if ran is not None:
                                message = outcomes.failure_message(ran, secrets=secrets)
                    found.append(outcomes.Outcome(gid, score, max_score, passed, message))
        return found


def _test_cell(executed, gid):
    """The executed test cell (autograde restored it whole, hidden tests included)."""
    try:
        return notebooks.cell_by_grade_id(executed, gid)
    except KeyError:
        return None


def _pair_notebooks(pristine: list[Path], sent: list[Path], repairs: list[str]):
    """(release notebook, the student's file for it or None), by name, then by elimination.

    A single notebook under another name ("micrograd (1).ipynb", "Copy of ...") is the
    one, when the TP has a single notebook to match it to.
    """
    by_name = {}
    for p in sent:  # sent is shallowest first: the first of each name wins
        if p.name in by_name:
            repairs.append(f"another {p.name} (in {p.parent.name}/) ignored: the "
                           "shallowest one is graded")
        by_name.setdefault(p.name, p)
    unclaimed = [p for p in sent if p.name not in {r.name for r in pristine}]
    for r in pristine:
        if r.name in by_name:
            yield r, by_name[r.name]
        elif len(unclaimed) == 1 and sum(1 for x in pristine if x.name not in by_name) == 1:
            repairs.append(f"notebook {unclaimed[0].name!r} graded as {r.name!r} (renamed)")
            yield r, unclaimed[0]
        else:
            yield r, None


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "unknown error"


def _finish(result: Result, grade: policy.Grade, points: float, max_points: float) -> Result:
    result.grade, result.reason = grade.value, grade.reason
    result.points, result.max_points = points, max_points
    return result
