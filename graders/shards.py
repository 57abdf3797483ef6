"""Grading in parallel CI jobs: plan the shards, grade one, merge them.

``python -m graders.shards plan|grade|merge ...`` (the Makefile's ``grade-plan``,
``grade-shard`` and ``grade-merge``; ``.github/workflows/grade.yml`` runs them):

1. ``plan`` lists the submissions to grade, every one under ``submitted/`` or only those
   a commit touched, and deals them into shards; it writes the plan file and the
   GitHub Actions matrix.
2. ``grade --shard i`` grades the submissions of shard i into ``results/``,
   ``feedback/`` and ``autograded/`` (one CI job, one artifact), exactly as
   ``make grade`` does (``graders.grade.grade_course``).
3. ``merge DIR...`` gathers the shards' ``results/`` (and ``autograded/``) into the
   course, refusing a submission graded differently by two shards, then rebuilds the
   feedback and ``grades.csv`` with the overrides (``graders.grade.publish``, as
   ``make feedback``) and writes a Markdown summary of what was graded.

A submission is a ``(student, TP id)`` pair. A student on the class list with nothing
under ``submitted/`` is not planned: ``grades.csv`` shows them ``no submission`` all the
same.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

from .course.config import ROOT, Course, InputError, student_id
from .grading import results, submissions
from .grading.results import Result
from .publish import export, overrides

Key = tuple[str, str]   # (student, TP id)


class ShardError(Exception):
    """A plan or a merge that cannot go on; the message says why."""


# -- plan ------------------------------------------------------------------------------
def plan(course: Course, changed_paths: list[str] | None = None, count: int = 1) -> list[list[Key]]:
    """The submissions to grade, dealt into at most ``count`` non-empty shards.

    Inputs: ``changed_paths``, paths relative to the course root (``git diff
    --name-only``), or None for every submission. A changed path counts when it lies in
    a submission folder ``submitted/<student>/<TP id>/`` of a released TP that still
    exists; anything else (release/, a TP not released, a deleted hand-in) is ignored.
    Returns: shards as lists of (student, TP id). Submissions are sorted in course order
    (TP, then student) and dealt round-robin, so shard sizes differ by at most one, each
    shard gets its share of every TP (TPs differ in grading time), and the same inputs
    always give the same plan.
    """
    if count < 1:
        raise ShardError(f"the number of shards must be at least 1, got {count}")
    tp_ids = [tp.id for tp in course.released_tps]
    found = submissions.find(course.submitted_dir, tp_ids, course.handin_limits)
    if changed_paths is not None:
        prefix = course.submitted_dir.relative_to(course.root).parts
        touched = {_submission_of(path, prefix) for path in changed_paths}
        found = {key: sub for key, sub in found.items() if key in touched}
    todo = sorted(found, key=lambda key: (tp_ids.index(key[1]), key[0]))
    shards = [todo[i::count] for i in range(min(count, len(todo)))]
    return shards


def _submission_of(path: str, prefix: tuple[str, ...]) -> Key | None:
    """``submitted/alice/TP1_micrograd/x.ipynb`` -> ("alice", "TP1_micrograd")."""
    parts = PurePosixPath(path.strip()).parts
    n = len(prefix)
    if len(parts) >= n + 2 and parts[:n] == prefix:
        return student_id(parts[n]), parts[n + 1]   # as submissions.find keys it
    return None


def changed_since(course: Course, rev: str) -> list[str] | None:
    """Paths (relative to the course root) that changed between ``rev`` and HEAD, or None
    when git cannot tell (no such commit, e.g. the first one or a shallow clone)."""
    proc = subprocess.run(["git", "diff", "--name-only", "--relative", "-z", rev, "HEAD", "--"],
                          cwd=course.root, capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.split("\0") if p]


def matrix(shards: list[list[Key]]) -> dict:
    """The GitHub Actions matrix: one job per shard."""
    return {"shard": list(range(len(shards)))}


def plan_path(course: Course) -> Path:
    return course.work_dir / "shards" / "plan.json"


def write_plan(shards: list[list[Key]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(shard) for shard in shards)   # a shard per line
    path.write_text(f'{{"shards": [\n{lines}\n]}}\n', encoding="utf-8")
    return path


def read_plan(path: Path) -> list[list[Key]]:
    if not path.is_file():
        raise ShardError(f"no plan at {path}: run `make grade-plan` first")
    return [[tuple(key) for key in shard]
            for shard in json.loads(path.read_text(encoding="utf-8"))["shards"]]


# -- grade -----------------------------------------------------------------------------
def grade_shard(course: Course, shard: list[Key]) -> list[Result]:
    """Grade these submissions into the course's results/, feedback/ and autograded/.

    It is ``make grade`` restricted to them (``grade_course``, once per TP: one grader per
    TP, and a submission that breaks the grader is recorded, not fatal). grade_course also
    writes a grades.csv of the shard, which ``merge`` replaces.
    """
    from .grade import grade_course

    graded = []
    for tp_id in dict.fromkeys(tp for _, tp in shard):   # course order, as planned
        students = [s for s, tp in shard if tp == tp_id]
        graded += grade_course(course, [tp_id], students, progress=False)
    return graded


# -- merge -----------------------------------------------------------------------------
def merge(course: Course, dirs: list[Path]) -> list[Result]:
    """The results of several shards' output folders, saved into the course.

    Each folder holds ``results/`` (required) and maybe ``autograded/``, as a shard
    leaves them. A submission found in two folders must have the same verdict (grade,
    reason, points, exercises; not the timings or the machine's sandbox), else
    ShardError names it and nothing is written. Returns the merged results (without
    overrides), sorted by student and TP.
    """
    results_name = course.results_dir.relative_to(course.root)
    autograded_name = course.autograded_dir.relative_to(course.root)
    merged: dict[Key, tuple[Result, Path]] = {}
    conflicts = []
    for folder in map(Path, dirs):
        if not (folder / results_name).is_dir():
            raise ShardError(f"{folder} has no {results_name}/: not a shard's output")
        for r in results.load_all(folder / results_name):
            key = (r.student, r.tp)
            if key in merged and _verdict(merged[key][0]) != _verdict(r):
                other, where = merged[key]
                conflicts.append(f"{r.student} {r.tp}: graded {other.grade} ({other.reason}) "
                                 f"in {where} but {r.grade} ({r.reason}) in {folder}")
            merged.setdefault(key, (r, folder))
    if conflicts:
        raise ShardError("the same submission was graded differently by two shards:\n  "
                         + "\n  ".join(conflicts))
    for r, folder in merged.values():
        old = results.stored(course.results_dir, r.student, r.tp)
        if old is not None and old.handed_in and not r.handed_in:
            continue   # never replace a handed-in notebook's result by "no submission"
        results.save(r, course.results_dir)
        graded = folder / autograded_name / r.student / r.tp
        if graded.is_dir():
            shutil.copytree(graded, course.autograded_dir / r.student / r.tp, dirs_exist_ok=True)
    return [r for _, (r, _) in sorted(merged.items())]


def _verdict(r: Result) -> tuple:
    """What grading concluded, without what varies from one machine or run to another."""
    return r.grade, r.reason, r.points, r.max_points, r.to_dict()["exercises"], r.override


def summary_markdown(graded: list[Result], tp_ids: list[str], ungraded: int = 0) -> str:
    """A Markdown table of what was graded: a row per student, a column per TP, each
    cell the 0/1/2 grade and its reason ("" where that TP was not graded this time).
    Overrides show in the reason; integrity notes are counted, for the instructor.
    ``ungraded``: how many submissions under submitted/ have no result (a run that
    graded only what a push changed), said in a warning. The table is ``make grade``'s
    (``export.grid``), in Markdown."""
    tps = [tp for tp in tp_ids if any(r.tp == tp for r in graded)]
    lines = ["### Grades", "",
             f"{_count(len(graded), 'submission')} graded." if graded else "Nothing was graded."]
    if ungraded:
        were = "was" if ungraded == 1 else "were"
        lines += ["", f"> [!WARNING]\n> {_count(ungraded, 'other submission')} under "
                  f"`submitted/` {were} not graded in this run (unchanged): `grades.csv` "
                  "shows them as *no submission*. Run this workflow by hand, grading "
                  "everything, for the complete table."]
    if not graded:
        return "\n".join(lines) + "\n"
    rows = export.grid(graded, tps, students=sorted({r.student for r in graded}))
    return "\n".join(lines + ["", export.as_markdown(rows, tps)]) + "\n"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


# -- CLI -------------------------------------------------------------------------------
def cmd_plan(course: Course, args) -> int:
    changed = None
    if args.changed:
        text = sys.stdin.read() if args.changed == "-" else Path(args.changed).read_text()
        changed = text.splitlines()
    elif args.since:
        changed = changed_since(course, args.since)
        if changed is None:
            print(f"git cannot compare with {args.since}: planning every submission",
                  file=sys.stderr)
    shards = plan(course, changed, args.count)
    path = write_plan(shards, Path(args.plan) if args.plan else plan_path(course))
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as f:
            f.write(f"matrix={json.dumps(matrix(shards))}\nshards={len(shards)}\n")
    if args.json:
        print(json.dumps(matrix(shards)))
    else:
        n = sum(map(len, shards))
        what = "every submission" if changed is None else "the changed submissions"
        print(f"{n} submission(s), {what}, in {len(shards)} shard(s); plan in {path}")
        for i, shard in enumerate(shards):
            print(f"  shard {i}: " + ", ".join(f"{s} {tp}" for s, tp in shard))
    return 0


def cmd_grade(course: Course, args) -> int:
    shards = read_plan(Path(args.plan) if args.plan else plan_path(course))
    if not 0 <= args.shard < len(shards):
        raise ShardError(f"shard {args.shard} is not in the plan ({len(shards)} shards)")
    for r in grade_shard(course, shards[args.shard]):
        print(f"{r.student} {r.tp}: {r.grade} ({r.reason})")
    return 0


def cmd_merge(course: Course, args) -> int:
    from .grade import publish

    overrides.load(course)   # a malformed overrides.csv stops the merge before it writes
    merged = merge(course, [Path(d) for d in args.dirs])
    final = {(r.student, r.tp): r for r in publish(course)}   # overrides applied
    shown = [final.get((r.student, r.tp), r) for r in merged]
    handed_in = submissions.find(course.submitted_dir, [tp.id for tp in course.released_tps])
    text = summary_markdown(shown, [tp.id for tp in course.tps],
                            ungraded=len(set(handed_in) - set(final)))
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as f:
            f.write(text)
    print(text)
    print(f"{len(merged)} results merged from {len(args.dirs)} shard(s); "
          f"{course.grades_csv.relative_to(course.root)} and "
          f"{course.feedback_dir.relative_to(course.root)}/ rebuilt")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.shards",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(ROOT), help="the course directory")
    plan_file = argparse.ArgumentParser(add_help=False)
    plan_file.add_argument("--plan", help="the plan file (default .work/shards/plan.json)")
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("plan", parents=[plan_file], help="deal the submissions into shards")
    p.add_argument("--count", type=int, default=1, help="at most this many shards")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--changed", help="only submissions with a path listed in this file "
                      "(one a line, relative to the course root; '-': stdin)")
    only.add_argument("--since", help="only submissions changed between this commit and HEAD")
    p.add_argument("--json", action="store_true", help="print only the Actions matrix")
    p.add_argument("--github-output", default=os.environ.get("GITHUB_OUTPUT"),
                   help="append matrix= and shards= to this file (default $GITHUB_OUTPUT)")
    p.set_defaults(func=cmd_plan)
    p = sub.add_parser("grade", parents=[plan_file], help="grade one shard of the plan")
    p.add_argument("--shard", type=int, required=True, help="its index, from 0")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("merge", help="merge shards' results; rebuild feedback and grades.csv")
    p.add_argument("dirs", nargs="+", help="the shards' output folders")
    p.add_argument("--summary", default=os.environ.get("GITHUB_STEP_SUMMARY"),
                   help="append the Markdown table here (default $GITHUB_STEP_SUMMARY)")
    p.set_defaults(func=cmd_merge)
    args = parser.parse_args(argv)
    try:
        return args.func(Course(args.root), args)
    except ShardError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except InputError as e:   # a wrong input (overrides.csv...): one line, nothing written
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
