"""``make grade``: every submission of every released TP, into results, feedback and
``grades.csv``.

Students come from the class list in ``course_config.py`` and from ``submitted/``; a
student on the list who handed nothing in gets 0, ``no submission``. One submission
that breaks the grader is recorded as such and never stops the others.

**Nothing is lost.** The inputs are checked before any work (the TPs, the students, the
overrides, that ``submitted/`` holds hand-ins): a wrong one stops the run with a one-line
:class:`~graders.course.config.InputError`. A stored result obtained from a handed-in notebook
is never replaced by "no submission" or "no notebook in the folder" (a folder emptied or
moved): it is kept, and the run says so. Every result written is also kept in the
result's history (``results.history``).

**Incremental.** A submission whose inputs did not change since its stored result (the
hand-in's files, the TP's source, the grader's code, the TP's settings: ``input_hash``)
is not graded again, unless ``force``. A run that changes a student's points or grade
writes ``regrade-report.csv``: old and new, and the exercises responsible.

``jobs`` submissions are graded at once, one kernel each, from a pool of threads (the
kernels are processes: the threads only wait on them). Everything that writes the
course's records (results, the gradebook, feedback, ``grades.csv``, the regrade report)
happens here, in the main thread, one result at a time: one writer, nothing locked,
nothing lost.
"""
from __future__ import annotations

import csv
import hashlib
import os
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from .course import handin, notebooks
from .course.config import TP, Course, InputError, student_id
from .grading import policy, results, submissions
from .grading.autograde import Grader
from .grading.prepare import route
from .grading.results import Result
from .grading.submissions import Submission
from .publish import export, feedback, gradebook, overrides

REGRADE_REPORT = "regrade-report.csv"
REGRADE_COLUMNS = ("student", "tp", "old_grade", "new_grade", "old_points", "new_points",
                   "exercises")
LAYOUT = "<student>/<TP id>/<notebook>.ipynb"


def default_jobs() -> int:
    """One kernel per core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


@dataclass
class Run:
    """What one ``make grade`` did."""
    results: list[Result] = field(default_factory=list)  # every (student, TP) asked, as stored
    graded: int = 0                                      # graded in this run
    absent: int = 0                                      # of graded: nothing handed in
    skipped: int = 0                                     # unchanged since their stored result
    kept: list[str] = field(default_factory=list)        # stored results a run did not replace
    changes: list[dict] = field(default_factory=list)    # regrade-report.csv's rows
    final: list[Result] = field(default_factory=list)    # as published: overrides applied
    tp_ids: list[str] = field(default_factory=list)      # the published columns


# -- inputs, checked before any work ---------------------------------------------------
def selected_tps(course: Course, tp_ids: list[str] | None) -> list[TP]:
    """The TPs to grade: those named (each must be released), or every released one."""
    if tp_ids:
        return list({tp.id: tp for tp in map(course.released_tp, tp_ids)}.values())
    if not course.released_tps:
        raise InputError("no TP is released (no folder under source/): nothing to grade")
    return course.released_tps


def check_student(course: Course, student: str) -> str:
    """A student id, normalised, that is on the class list or has a folder under
    submitted/; else InputError."""
    sid = student_id(student)
    if not sid:
        raise InputError("empty student id")
    if sid not in course.students and sid not in submissions.students(course.submitted_dir):
        raise InputError(f"unknown student {sid!r}: not on the class list (STUDENTS in "
                         f"{course.config_path.name}) and no folder "
                         f"{_rel(course, course.submitted_dir)}/{sid}/")
    return sid


def _rel(course: Course, path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(course.root))
    except ValueError:
        return str(path)


def find_submissions(course: Course, tps: list[TP]) -> dict:
    """Every hand-in under submitted/ for these TPs; InputError when there is none at all
    (a wrong folder would otherwise turn the whole class into "no submission")."""
    where = _rel(course, course.submitted_dir)
    if not course.submitted_dir.is_dir():
        raise InputError(f"no {where}/ folder: expected {where}/{LAYOUT}; nothing graded")
    found = submissions.find(course.submitted_dir, [tp.id for tp in tps],
                             course.handin_limits)
    if not found:
        raise InputError(f"{where}/ holds no hand-in of {', '.join(tp.id for tp in tps)}: "
                         f"expected {where}/{LAYOUT}; nothing graded")
    return found


# -- what a result was computed from ---------------------------------------------------
@lru_cache(maxsize=1)
def grader_version() -> str:
    """A hash of the grading code (graders/: its modules and templates): a new grader
    regrades everything."""
    h = hashlib.sha256()
    package = Path(__file__).parent
    files = (p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(files):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _files_hash(h, files: list[Path], base: Path) -> None:
    for path in files:
        try:
            name = str(path.relative_to(base))
        except ValueError:
            name = path.name
        h.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())


def _handin_hash(h, sub: Submission) -> None:
    """A hand-in's files, read as hand-in files (``graders.course.handin``: no link followed,
    nothing but regular files opened, none past the notebook size limit: a bigger file is
    hashed by its size, as grading reads none of it), and what it refused."""
    limits = sub.limits or handin.Limits.of()
    for rel in sub.listing.files:
        path = sub.folder / rel
        if sub.listing.sizes.get(rel, 0) > limits.notebook_bytes:
            digest = f"size {sub.listing.sizes[rel]}".encode()
        else:
            try:
                digest = hashlib.sha256(handin.read_bytes(
                    path, limits.notebook_bytes, root=sub.folder,
                    links=sub.links(path))).digest()
            except handin.Unreadable as e:
                digest = str(e).encode()
        h.update(rel.encode() + b"\0" + digest)
    for r in sub.refused:
        h.update(f"refused\0{r.rel}\0{r.what}\0".encode())


def tp_hash(course: Course, tp: TP) -> str:
    """The TP's source (notebooks, hidden tests, data) and settings (deadline, limits, the
    0/1/2 thresholds)."""
    h = hashlib.sha256()
    folder = course.source_dir / tp.id
    _files_hash(h, sorted(p for p in folder.rglob("*") if p.is_file()), folder)
    m = course.module
    settings = {k: getattr(m, k, None) for k in ("MAX_OUTPUT_BYTES", "KERNEL_MEMORY_MB",
                                                  "KERNEL_MAX_PROCESSES", "KERNEL_MAX_FILE_MB",
                                                  "SANDBOX", "TIME_ZONE", *handin.DEFAULTS)}
    h.update(repr((tp, course.policy, sorted(settings.items()))).encode())
    return h.hexdigest()


def input_hash(course: Course, sub: Submission | None, tp: TP,
               tp_hashes: dict[str, str] | None = None) -> str:
    """What a result depends on: the hand-in's files (and how they were read: the one
    notebook, the TP folder it came from, the other TPs' notebooks in it), the TP's
    source and settings, the grader's version. An absent student's: the grader's only."""
    if sub is None:   # "no submission" depends on nothing but the grader
        return hashlib.sha256(f"{grader_version()}\0absent".encode()).hexdigest()[:32]
    tp_hashes = {} if tp_hashes is None else tp_hashes
    if tp.id not in tp_hashes:
        tp_hashes[tp.id] = tp_hash(course, tp)
    h = hashlib.sha256(f"{grader_version()}\0{tp_hashes[tp.id]}\0".encode())
    _handin_hash(h, sub)
    h.update(repr((sub.only.name if sub.only else None, sub.found_in,
                   [(p.name, who, why) for p, who, why in sub.foreign])).encode())
    return h.hexdigest()[:32]


# -- the run ---------------------------------------------------------------------------
def grade_course(course: Course, tp_ids: list[str] | None = None,
                 only_students: list[str] | None = None, progress: bool = True,
                 jobs: int = 1, force: bool = False) -> list[Result]:
    """Grade and publish; the result of every (student, TP) asked, as stored after the run
    (see :func:`run_course`)."""
    return run_course(course, tp_ids, only_students, progress, jobs, force).results


def run_course(course: Course, tp_ids: list[str] | None = None,
               only_students: list[str] | None = None, progress: bool = True,
               jobs: int = 1, force: bool = False) -> Run:
    # every input first: nothing is graded or written when one is wrong
    tps = selected_tps(course, tp_ids)
    only = [check_student(course, s) for s in only_students] if only_students else None
    overrides.load(course)
    found = find_submissions(course, tps)

    grader = Grader(course)
    found = route(found, grader.fingerprints(), [tp.id for tp in tps])
    students = sorted(set(course.students) | {s for s, _ in found})
    if only:
        students = [s for s in students if s in only]
    todo = [(s, tp) for tp in tps for s in students]
    run = Run()
    tp_hashes: dict[str, str] = {}
    stored, hashes, to_grade = {}, {}, []
    for s, tp in todo:
        sub = found.get((s, tp.id))
        old = stored[(s, tp.id)] = results.stored(course.results_dir, s, tp.id)
        hashes[(s, tp.id)] = input_hash(course, sub, tp, tp_hashes)
        if (old is not None and old.handed_in
                and (sub is None or (not sub.notebooks and sub.refusal is None))):
            what = "nothing" if sub is None else "a folder without a notebook"
            run.kept.append(f"{s} {tp.id}: {what} under {_rel(course, course.submitted_dir)}/ "
                            f"now; the stored result ({old.grade}, {old.reason}) is kept")
        elif (not force and old is not None and old.input_hash == hashes[(s, tp.id)]
              and not old.reason.startswith("grading failed")):
            run.skipped += 1
        else:
            to_grade.append((s, tp, sub))
    for tp in {tp.id: tp for _, tp, sub in to_grade if sub is not None}.values():
        grader.pristine(tp)  # once per TP, before the threads start
    out: dict[tuple[str, str], Result] = {}
    bar = tqdm(total=len(to_grade), desc="grading", unit="submission", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_safely, grader, sub, tp, s): (s, tp)
                   for s, tp, sub in to_grade}
        for future in as_completed(futures):
            student, tp = futures[future]
            result = future.result()
            result.input_hash = hashes[(student, tp.id)]
            old = stored[(student, tp.id)]
            out[(student, tp.id)] = record(course, grader, tp, result, old)
            row = change(old, out[(student, tp.id)])
            if row:
                run.changes.append(row)
            run.graded += 1
            if not out[(student, tp.id)].handed_in:
                run.absent += 1
            bar.update(1)
    bar.close()
    run.results = [out.get((s, tp.id)) or stored[(s, tp.id)] for s, tp in todo]
    run.changes.sort(key=lambda r: (r["tp"], r["student"]))
    if run.changes:
        write_regrade_report(course, run.changes)
    run.final = publish(course)  # every released TP: a regrade of one keeps the others
    run.tp_ids = [tp.id for tp in course.released_tps]
    return run


def _grade_safely(grader: Grader, sub, tp: TP, student: str) -> Result:
    try:
        return grader.grade(sub, tp, student)
    except Exception as e:  # one broken submission must not stop the batch
        return Result(student, tp.id, 0, f"grading failed ({type(e).__name__}: {e}); "
                      "see the log and regrade", log=traceback.format_exc(limit=3))


_UNKNOWN = object()


def record(course: Course, grader: Grader, tp: TP, result: Result, old=_UNKNOWN) -> Result:
    """The one writer: the result's JSON (latest and history) and its scores in the
    gradebook. A stored result obtained from a handed-in notebook is never replaced by one
    without (no submission, an empty folder): the stored one is returned, untouched.
    ``old``: the stored result, when the caller has already read it."""
    if old is _UNKNOWN:
        old = results.stored(course.results_dir, result.student, result.tp)
    if old is not None and old.handed_in and not result.handed_in:
        return old
    results.save(result, course.results_dir)
    if result.exercises:
        notebook_of = {notebooks.grade_id(c): name.removesuffix(".ipynb")
                       for name, nb in grader.pristine(tp)[1].items()
                       for c in notebooks.test_cells(nb)}
        gradebook.record(course, result, notebook_of)
    return result


def change(old: Result | None, new: Result) -> dict | None:
    """A regrade-report row when ``new`` changes ``old``'s grade or points, else None."""
    if old is None or (old.grade, old.points) == (new.grade, new.points):
        return None
    before = {o.grade_id: o for o in old.exercises}
    after = {o.grade_id: o for o in new.exercises}
    moved = []
    for gid in list(after) + [g for g in before if g not in after]:
        a, b = before.get(gid), after.get(gid)
        if a is None or b is None or (a.points, a.passed) != (b.points, b.passed):
            pts = lambda o: "-" if o is None else policy.format_points(o.points)  # noqa: E731
            moved.append(f"{gid} {pts(a)}->{pts(b)}")
    return {"student": new.student, "tp": new.tp, "old_grade": old.grade,
            "new_grade": new.grade, "old_points": policy.format_points(old.points),
            "new_points": policy.format_points(new.points), "exercises": "; ".join(moved)}


def write_regrade_report(course: Course, rows: list[dict]) -> Path:
    path = course.root / REGRADE_REPORT
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=REGRADE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def format_changes(rows: list[dict]) -> str:
    """The regrade report's rows, for the terminal."""
    return "\n".join(f"  {r['student']} {r['tp']}: {r['old_grade']} -> {r['new_grade']} "
                     f"({r['old_points']} -> {r['new_points']} points)"
                     + (f": {r['exercises']}" if r["exercises"] else "") for r in rows)


def publish(course: Course, tp_ids: list[str] | None = None) -> list[Result]:
    """Feedback pages and grades.csv from the stored results, with the overrides applied."""
    table = overrides.load(course)   # first: a malformed file stops before any write
    tp_ids = tp_ids or [tp.id for tp in course.released_tps]
    stored = {(r.student, r.tp): r for r in results.load_all(course.results_dir)
              if r.tp in tp_ids}
    # an override may concern a student with nothing graded (nothing handed in, or a
    # CI run that graded others): it needs a result to apply to
    for student, tp in table:
        if tp in tp_ids and (student, tp) not in stored:
            g = policy.NO_SUBMISSION
            stored[(student, tp)] = Result(student, tp, g.value, g.reason)
    final = [overrides.apply(r, table) for _, r in sorted(stored.items())]
    for r in final:
        feedback.write(course, r)
    export.write(course, final, tp_ids)
    return final
