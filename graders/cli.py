"""The verbs the Makefile calls: ``python -m graders <verb> ...``."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from . import examples, export, release, results
from .config import ROOT, Course


def cmd_release(args) -> int:
    course = Course(args.root)
    for folder in release.generate(course, args.tp or None):
        print(f"released {folder.relative_to(course.root)}")
    return 0


def cmd_grade(args) -> int:
    from .grade import grade_course

    course = Course(args.root)
    t0 = time.perf_counter()
    graded = grade_course(course, args.tp or None, args.student or None)
    tp_ids = sorted({r.tp for r in graded}, key=[t.id for t in course.tps].index)
    final = results.load_all(course.results_dir)
    print(export.summary(course, [r for r in final if r.tp in tp_ids], tp_ids))
    print(f"\n{len(graded)} submissions graded in {time.perf_counter() - t0:.1f} s; "
          f"grades in {course.grades_csv.relative_to(course.root)}, feedback in "
          f"{course.feedback_dir.relative_to(course.root)}/")
    return 0


def cmd_grade_one(args) -> int:
    """One student's one TP: the result JSON and the feedback page. Exit 0 whenever
    grading itself worked, whatever the grade."""
    import json

    from . import feedback, overrides
    from .autograde import Grader
    from .submissions import Submission

    course = Course(args.root)
    tp = course.tp(args.tp)
    path = Path(args.path) if args.path else course.submitted_dir / args.student / tp.id
    sub = Submission.at(args.student, tp.id, path) if path.exists() else None
    result = Grader(course).grade(sub, tp, args.student)
    saved = results.save(result, course.results_dir)
    shown = overrides.apply(result, overrides.load(course))
    page = feedback.write(course, shown)
    if args.json:
        print(json.dumps(shown.to_dict(), ensure_ascii=False))
    else:
        print(f"{args.student} {tp.id}: {shown.grade} ({shown.reason})\n"
              f"result: {saved}\nfeedback: {page}")
    return 0


def cmd_feedback(args) -> int:
    from .grade import publish

    course = Course(args.root)
    final = publish(course)
    print(f"{len(final)} feedback pages and {course.grades_csv.name} written from "
          f"{course.results_dir.relative_to(course.root)}/")
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
    from .grade import grade_course

    t0 = time.perf_counter()
    if not Course(ROOT).released_tps:
        print("no TP under source/ yet: nothing to demonstrate")
        return 0
    demo, expected = make_demo_course(Path(args.root))
    print(f"{len(expected)} example submissions written to {demo.submitted_dir}")
    graded = grade_course(demo)
    tp_ids = [tp.id for tp in demo.released_tps]
    print()
    print(export.summary(demo, results.load_all(demo.results_dir), tp_ids))
    by_key = {(r.student, r.tp): r.grade for r in graded}
    wrong = [(s, tp, want, by_key.get((s, tp))) for s, tp, want in expected
             if by_key.get((s, tp)) != want]
    print(f"\nDemo graded {len(graded)} submissions in {time.perf_counter() - t0:.1f} s. "
          f"Open {demo.feedback_dir}/complete/{tp_ids[0]}/feedback.html, and "
          f"{demo.grades_csv}.")
    for s, tp, want, got in wrong:
        print(f"UNEXPECTED: {s} {tp}: expected {want}, got {got}")
    return 1 if wrong else 0


def cmd_check(args) -> int:
    from .check import check, format_report

    report = check(Course(args.root), Path(args.notebook))
    print(format_report(report, Path(args.notebook)))
    return 0 if report.ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders", description=__doc__)
    parser.add_argument("--root", default=str(ROOT), help="the course directory")
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("release", help="generate release/ from source/ with nbgrader")
    p.add_argument("--tp", action="append", help="only this TP (repeatable)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("grade", help="autograde submitted/ into grades.csv and feedback/")
    p.add_argument("--tp", action="append", help="only this TP (repeatable)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
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
    p = sub.add_parser("check", help="a student's self-check of one notebook")
    p.add_argument("notebook")
    p.set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    if args.verb == "demo" and args.root == str(ROOT):
        args.root = str(ROOT / "demo")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
