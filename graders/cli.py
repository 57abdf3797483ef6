"""The verbs the Makefile calls: ``python -m graders <verb> ...``."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from .course import datafiles, examples, release
from .course.config import DEMO, ROOT, Course, InputError, course_root
from .grading import results
from .publish import export


def cmd_release(args) -> int:
    course = Course(args.root)
    tps = [course.released_tp(t) for t in args.tp] if args.tp else course.released_tps
    old = datafiles.stale(course, tps)
    if old:   # the release would hand students another URL or other files than they get
        raise InputError(f"the data cell of {', '.join(str(p.relative_to(course.root)) for p in old)} "
                         "is out of date (DATA_URL or the TP's files changed): run `make data-cells`, "
                         "then `make release`")
    for folder in release.generate(course, args.tp or None):
        print(f"released {folder.relative_to(course.root)}")
    return 0


def cmd_data_cells(args) -> int:
    course = Course(args.root)
    tps = [course.released_tp(t) for t in args.tp] if args.tp else course.released_tps
    written = datafiles.refresh(course, tps)
    for path in written:
        print(f"rewrote the data cell of {path.relative_to(course.root)}")
    if not written:
        print("every data cell is up to date")
    return 0


def cmd_grade(args) -> int:
    from .grade import default_jobs, run_course

    course = Course(args.root)
    t0 = time.perf_counter()
    run = run_course(course, args.tp or None, args.student or None,
                     jobs=args.jobs or default_jobs(), force=args.force)
    print(export.summary(course, run.final, run.tp_ids))   # what grades.csv publishes
    print("\n" + run_summary(course, run, time.perf_counter() - t0))
    _remove_stale_pages(course, run.final)
    return 0


def _remove_stale_pages(course: Course, final) -> None:
    """After publishing: the feedback pages no published result backs (a student no longer
    in any result, an override withdrawn) are removed, each said."""
    from .publish.feedback import remove_stale

    for page in remove_stale(course, final):
        print(f"removed {page.relative_to(course.root)}: no result backs it any more")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def run_summary(course: Course, run, seconds: float) -> str:
    """What ``make grade`` says after the table: hand-ins graded (a student with nothing
    handed in is not a submission), and the changes, grades apart from points only."""
    from .grade import REGRADE_REPORT, format_changes

    absent = getattr(run, "absent", 0)   # results "no submission" written by this run
    lines = [f"{_count(run.graded - absent, 'submission', 'submissions')} graded in "
             f"{seconds:.1f} s"
             + (f" (and {absent} with nothing handed in)" if absent else "")
             + (f"; {run.skipped} unchanged since their stored result, not regraded "
                "(FORCE=1 regrades them)" if run.skipped else "")
             + f"; grades in {course.grades_csv.relative_to(course.root)}, feedback in "
             f"{course.feedback_dir.relative_to(course.root)}/"]
    lines += [f"kept: {line}" for line in run.kept]
    if run.changes:
        grades = sum(1 for r in run.changes if str(r["old_grade"]) != str(r["new_grade"]))
        points = len(run.changes) - grades
        what = " and ".join(part for part in (
            _count(grades, "grade changed", "grades changed") if grades else "",
            (_count(points, "result", "results") + " changed points only (same grade)")
            if points else "") if part)
        lines.append(f"\n{what} by this run (also in {REGRADE_REPORT}):\n"
                     + format_changes(run.changes))
    return "\n".join(lines)


def cmd_grade_one(args) -> int:
    """One student's one TP: the result JSON and the feedback page. Exit 0 whenever
    grading itself worked, whatever the grade; 2, with nothing written, when an input is
    wrong (an unknown or unreleased TP, an unknown student, a path with nothing there,
    another TP's notebook)."""
    import json

    from .publish import feedback, overrides
    from .grading.autograde import Grader
    from .grade import check_student, change, format_changes, input_hash, record
    from .grading.policy import short
    from .grading.prepare import fingerprints, identify
    from .grading.submissions import Submission, folder_of

    course = Course(args.root)
    tp = course.released_tp(args.tp)
    student = check_student(course, args.student)
    table = overrides.load(course)
    if args.path:
        path = Path(args.path)
        if not path.exists():
            raise InputError(f"no notebook or folder at {args.path}: nothing graded")
        if path.is_file() and path.suffix != ".ipynb":
            raise InputError(f"{args.path} is not a notebook (.ipynb): nothing graded")
    else:
        path = folder_of(course.submitted_dir, student, tp.id)
        if not path.is_dir():
            raise InputError(f"no folder {path.relative_to(course.root)}/ (expected "
                             f"submitted/{student}/{tp.id}/<notebook>.ipynb, or give "
                             "--path): nothing graded")
    sub = Submission.at(student, tp.id, path, course.handin_limits, base=course.submitted_dir)
    prints = fingerprints(course)
    owners = {p: identify(p, prints, sub) for p in sub.notebooks}
    if owners and all(who not in (None, tp.id) for who in owners.values()):
        other = sorted({short(who) for who in owners.values()})
        raise InputError(f"this is {' and '.join(other)}'s notebook, not {short(tp.id)}'s "
                         f"(by its exercises' grade_ids): grade it with --tp {other[0]}; "
                         "nothing graded")
    old = results.stored(course.results_dir, student, tp.id)
    if old is not None and old.handed_in and not sub.notebooks and sub.refusal is None:
        raise InputError(f"no notebook in {args.path or path}: the stored result "
                         f"({old.grade}, {old.reason}) is kept")
    grader = Grader(course)
    result = grader.grade(sub, tp, student)
    result.input_hash = input_hash(course, sub, tp)
    stored = record(course, grader, tp, result, old)
    saved = results.path_of(course.results_dir, stored.student, stored.tp)
    shown = overrides.apply(stored, table)
    page = feedback.write(course, shown)
    if args.json:
        print(json.dumps(shown.to_dict(), ensure_ascii=False))
    else:
        row = change(old, stored)
        print(f"{student} {tp.id}: {shown.grade} ({shown.reason})\n"
              f"result: {saved}\nfeedback: {page}"
              + (f"\nchanged:\n{format_changes([row])}" if row else ""))
    return 0


def cmd_feedback(args) -> int:
    from .grade import publish

    course = Course(args.root)
    final = publish(course)
    print(f"{len(final)} feedback pages and {course.grades_csv.name} written from "
          f"{course.results_dir.relative_to(course.root)}/")
    _remove_stale_pages(course, final)
    return 0


def make_demo_course(root: Path) -> tuple[Course, list[tuple]]:
    """A scratch course at ``root``: the repository's TPs, the example submissions."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in ("source", "release"):
        (root / name).symlink_to(ROOT / name)
    course = Course(ROOT)
    kinds = {tp.id: (examples.ALL if i == 0 else examples.BASIC)
             for i, tp in enumerate(course.released_tps)}
    students = sorted({k for ks in kinds.values() for k in ks} | {examples.ABSENT})
    (root / "course_config.py").write_text(
        "# The demo course: the repository's configuration with the example students.\n"
        "import runpy\n"
        f"globals().update(runpy.run_path({str(ROOT / 'course_config.py')!r}))\n"
        f"STUDENTS = {students!r}\n")
    demo = Course(root)
    expected = examples.write(demo, demo.submitted_dir, kinds)
    return demo, expected


def cmd_demo(args) -> int:
    from .grade import default_jobs, run_course

    t0 = time.perf_counter()
    if not Course(ROOT).released_tps:
        print("no TP under source/ yet: nothing to demonstrate")
        return 0
    demo, expected = make_demo_course(Path(args.root))
    print(f"{len(expected)} example submissions written to {demo.submitted_dir}")
    run = run_course(demo, jobs=default_jobs())
    graded, tp_ids = run.results, run.tp_ids
    print()
    print(export.summary(demo, run.final, tp_ids))
    by_key = {(r.student, r.tp): r.grade for r in graded}
    wrong = [(s, tp, want, by_key.get((s, tp))) for s, tp, want in expected
             if by_key.get((s, tp)) != want]
    handed = sum(1 for r in graded if r.handed_in)
    print(f"\nDemo graded {_count(handed, 'submission', 'submissions')} (and "
          f"{len(graded) - handed} with nothing handed in) in {time.perf_counter() - t0:.1f} s. "
          f"Open {demo.feedback_dir}/complete/{tp_ids[0]}/feedback.html, and "
          f"{demo.grades_csv}.")
    for s, tp, want, got in wrong:
        print(f"UNEXPECTED: {s} {tp}: expected {want}, got {got}")
    return 1 if wrong else 0


def cmd_check(args) -> int:
    from .student.check import check, format_report

    report = check(Course(args.root), Path(args.notebook))
    print(format_report(report, Path(args.notebook)))
    return 0 if report.ok else 1


def cmd_shards(args) -> int:
    """The CI's verbs (graders.shards), under the one CLI."""
    from . import shards

    return shards.main(["--root", args.root, args.shard_verb, *args.rest])


def cmd_forward(args) -> int:
    """Verbs whose module parses its own options (``instructor.report``, ``instructor.lms``)."""
    import importlib

    return importlib.import_module(args.module).main(["--root", args.root]
                                                                  + args.rest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders", description=__doc__)
    parser.add_argument("--root", default=None,
                        help="the course directory (default: the repository; the demo "
                             "course when only it has submissions or results)")
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("release", help="generate release/ from source/ with nbgrader")
    p.add_argument("--tp", action="append", help="only this TP (repeatable)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("data-cells", help="rewrite the source notebooks' data cells (URL, files)")
    p.add_argument("--tp", action="append", help="only this TP (repeatable)")
    p.set_defaults(func=cmd_data_cells)
    p = sub.add_parser("grade", help="autograde submitted/ into grades.csv and feedback/")
    p.add_argument("--tp", action="append", help="only this TP (repeatable)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--jobs", type=int, default=0,
                   help="submissions graded at once (default: the number of cores)")
    p.add_argument("--force", action="store_true",
                   help="regrade every submission, even those unchanged since their result")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("grade-one", help="grade one student's TP into results/ (for CI)")
    p.add_argument("--student", required=True)
    p.add_argument("--tp", required=True, help="TP id or short name (TP1)")
    p.add_argument("--path", help="folder or notebook (default submitted/<student>/<TP>)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_grade_one)
    p = sub.add_parser("feedback", help="feedback pages and grades.csv from stored results")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("demo", help="grade the example submissions in a scratch course")
    p.set_defaults(func=cmd_demo)
    for verb, what in (("plan", "CI: deal the submissions into shards"),
                       ("shard", "CI: grade one shard of the plan"),
                       ("merge", "CI: merge shards' results into grades.csv and feedback/")):
        p = sub.add_parser(f"grade-{verb}", help=what, add_help=False)
        p.set_defaults(func=cmd_shards, shard_verb="grade" if verb == "shard" else verb)
    for verb, module, what in (("report", "graders.instructor.report",
                                "the class report page (report/index.html)"),
                               ("export", "graders.instructor.lms",
                                "grades in Moodle's / Canvas's import format")):
        p = sub.add_parser(verb, help=what, add_help=False)
        p.set_defaults(func=cmd_forward, module=module)
    p = sub.add_parser("check", help="a student's self-check of one notebook")
    p.add_argument("notebook")
    p.set_defaults(func=cmd_check)
    args, rest = parser.parse_known_args(argv)
    if getattr(args, "shard_verb", None) or getattr(args, "module", None):
        args.rest = rest
    elif rest:
        parser.error("unrecognized arguments: " + " ".join(rest))
    if args.verb == "demo":
        args.root = args.root or str(DEMO)
    elif args.verb in ("release", "data-cells", "check"):
        args.root = args.root or str(ROOT)   # the course's own notebooks, never the demo's
    else:
        root, note = course_root(args.root)
        if note:
            print(note, file=sys.stderr)
        args.root = str(root)
    if args.verb != "demo" and not Path(args.root).is_dir():   # the demo makes its own
        print(f"error: no course folder at {args.root}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except InputError as e:   # a wrong input: one line, nothing written
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
