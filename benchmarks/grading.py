"""Grading speed: this repository's ``make grade JOBS=n`` against plain nbgrader.

    .venv/bin/python benchmarks/grading.py [--students 20] [--jobs 2] [--tp TP1 ...]
    make benchmark-grading STUDENTS=20 JOBS=2

It builds a class of N students who each hand in every released TP (complete, partial,
unmodified and broken notebooks in turn, generated from the source notebooks by
``graders.course.examples``), then grades the same files twice, in two scratch courses:

1. **plain nbgrader**: ``nbgrader generate_assignment`` and ``nbgrader autograde <TP>``
   (sequential, its own CLI, the course's configuration and per-TP cell timeout);
2. **this repository**: ``graders.grade.grade_course(jobs=n)``, as ``make grade JOBS=n``.

Both courses are released before the clock starts (``nbgrader generate_assignment`` for
the first, ``make release``'s ``release.generate`` for the second): the gradebook exists.

It checks that both give every student the same points on every test cell (a missing
nbgrader score counts as 0), and prints wall time, submissions per minute, the speed-up,
the peak memory of each (the grader and all its kernels, sampled), and the projections
for a class of 600 notebooks and for sharded CI. It also times the floor of a submission's
fixed cost: a bare kernel start plus ``import torch``, against what the engine takes to run
``import torch`` and one test cell (``--fixed-cost`` measures only these two).
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from graders.course import examples, notebooks  # noqa: E402
from graders.course.config import CONFIG_FILE, Course  # noqa: E402

KINDS = ["complete", "partial", "unmodified", "complete", "invalid-json"]


class PeakMemory:
    """Sum of the resident memory of this process and all its descendants, sampled."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me] + me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def make_class(root: Path, tp_ids: list[str], students: int) -> Path:
    """A course at ``root``: the repository's source/ and configuration, N submissions per TP."""
    root.mkdir(parents=True)
    shutil.copytree(ROOT / "source", root / "source", symlinks=False,
                    ignore=shutil.ignore_patterns(*[p.name for p in (ROOT / "source").iterdir()
                                                    if p.name not in tp_ids]))
    shutil.copytree(ROOT / "release", root / "release",
                    ignore=shutil.ignore_patterns(*[p.name for p in (ROOT / "release").iterdir()
                                                    if p.name not in tp_ids]))
    shutil.copyfile(ROOT / CONFIG_FILE, root / CONFIG_FILE)
    course = Course(root)
    for tp_id in tp_ids:
        tp = course.tp(tp_id)
        for src in notebooks.notebooks_in(course.source_dir / tp.id):
            release_nb = notebooks.read(course.release_dir / tp.id / src.name)
            source_nb = notebooks.read(src)
            for i in range(students):
                kind = KINDS[i % len(KINDS)]
                folder = root / "submitted" / f"student{i:03d}" / tp.id
                folder.mkdir(parents=True, exist_ok=True)
                content = examples.build(kind, release_nb, source_nb, course)
                if isinstance(content, str):
                    (folder / src.name).write_text(content, encoding="utf-8")
                else:
                    notebooks.write(content, folder / src.name)
                (folder / "timestamp.txt").write_text(examples.timestamp(kind, tp) + "\n")
    return root


def plain_nbgrader(root: Path, tp_ids: list[str]) -> dict:
    """nbgrader's own CLI, sequential; points by (student, TP, grade_id)."""
    course = Course(root)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    config = f"--JupyterApp.config_file={CONFIG_FILE}"
    for tp_id in tp_ids:
        subprocess.run(["nbgrader", "generate_assignment", tp_id, "--force", config],
                       cwd=root, env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        for tp_id in tp_ids:
            # nbgrader ends non-zero when a submission is unreadable: expected here
            subprocess.run(["nbgrader", "autograde", tp_id, "--force", config,
                            f"--Execute.timeout={course.tp(tp_id).cell_timeout}"],
                           cwd=root, env=env, capture_output=True)
    wall = time.perf_counter() - t0
    from nbgrader.api import Gradebook, MissingEntry

    points = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for tp_id in tp_ids:
            for student in sorted(p.name for p in (root / "submitted").iterdir()):
                try:
                    sub = gb.find_submission(tp_id, student)
                except MissingEntry:
                    continue
                for nb in sub.notebooks:
                    for g in nb.grades:
                        points[(student, tp_id, g.name)] = float(g.auto_score or 0)
    return {"wall": wall, "peak": mem.peak, "points": points}


def this_grader(root: Path, tp_ids: list[str], jobs: int) -> dict:
    from graders.course import release
    from graders.grade import grade_course

    course = Course(root)
    # released first, as plain nbgrader's course is (its generate_assignment is not timed
    # either): the gradebook exists when grading starts (nbgrader creates a new one with
    # a 1.5 s `alembic heads` subprocess, once per course)
    release.generate(course, tp_ids)
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        graded = grade_course(course, tp_ids, progress=False, jobs=jobs)
    wall = time.perf_counter() - t0
    points = {(r.student, r.tp, o.grade_id): o.points for r in graded for o in r.exercises}
    runs = [r.timings.get("autograde_s", 0) for r in graded if r.exercises]
    starts = [r.timings["kernel_start_s"] for r in graded if "kernel_start_s" in r.timings]
    prepares = [r.timings.get("normalise_s", 0) for r in graded]
    return {"wall": wall, "peak": mem.peak, "points": points, "runs": runs, "starts": starts,
            "prepares": prepares}


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def floor_seconds(repeat: int = 3) -> float:
    """A bare kernel start plus ``import torch``: what no grader can avoid per notebook."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    times = []
    for _ in range(repeat):
        nb = new_notebook(cells=[new_code_cell("import torch")])
        t0 = time.perf_counter()
        NotebookClient(nb, kernel_name="python3").execute()
        times.append(time.perf_counter() - t0)
    return min(times)


def fixed_cost_seconds(course: Course, repeat: int = 3) -> float:
    """What grading adds around the floor: the engine (sandbox, kernel start, guard, limits,
    nbgrader's filters, scoring) running ``import torch`` and one test cell."""
    from nbformat.v4 import new_code_cell, new_notebook

    from graders.grading.engine import Engine, Limits

    test = new_code_cell("assert 1 + 1 == 2, 'expected 2'")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "fixed_cost", "locked": True,
                                 "points": 1, "schema_version": 3, "solution": False,
                                 "task": False}
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-fixed-") as work:
        engine = Engine(course, work_dir=Path(work) / "engine")
        limits = Limits.of(course, course.released_tps[0])
        for i in range(repeat):
            cwd = Path(work) / f"run{i}"
            cwd.mkdir()
            nb = new_notebook(cells=[new_code_cell("import torch"), test])
            t0 = time.perf_counter()
            run = engine.run(nb, cwd, limits)
            times.append(time.perf_counter() - t0)
            assert [o.passed for o in run.outcomes] == [True], run.outcomes
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tp", action="append", help="only these TPs (default: every released one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    parser.add_argument("--fixed-cost", action="store_true",
                        help="only the floor and grading's fixed cost per submission")
    args = parser.parse_args(argv)
    course = Course(ROOT)
    tp_ids = [course.tp(t).id for t in args.tp] if args.tp else [t.id for t in course.released_tps]
    if args.students < 1 or args.jobs < 1:
        print("error: --students and --jobs must be at least 1", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        n = args.students * len(tp_ids)
        floor = floor_seconds()
        print(f"floor (bare kernel start + import torch): {floor:.2f} s")
        fixed = fixed_cost_seconds(course)
        print(f"fixed cost (the engine: sandbox, kernel start, import torch, guard, limits, "
              f"scoring): {fixed:.2f} s = {fixed / floor:.2f}x the floor (target: 1.5x)")
        if args.fixed_cost:
            return 0
        print(f"{args.students} students x {len(tp_ids)} TPs ({', '.join(tp_ids)}) = {n} "
              f"submissions; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores")
        plain = plain_nbgrader(make_class(scratch / "plain", tp_ids, args.students), tp_ids)
        ours = this_grader(make_class(scratch / "ours", tp_ids, args.students), tp_ids, args.jobs)
        keys = set(plain["points"]) | set(ours["points"])
        differ = sorted(k for k in keys
                        if abs(plain["points"].get(k, 0) - ours["points"].get(k, 0)) > 1e-9)
        for name, r in (("plain nbgrader autograde (sequential)", plain),
                        (f"make grade JOBS={args.jobs}", ours)):
            print(f"{name:<40} {r['wall']:7.1f} s  {n / r['wall'] * 60:6.1f} submissions/min  "
                  f"peak memory {r['peak'] / 2**30:.2f} GiB")
        speedup = plain["wall"] / ours["wall"]
        print(f"speed-up: {speedup:.2f}x")
        per = ours["wall"] / n
        print(f"projection, 600 notebooks: plain {600 * plain['wall'] / n / 60:.0f} min, "
              f"this grader {600 * per / 60:.0f} min on this machine; sharded CI with "
              f"{args.jobs}-core runners: {math.ceil(600 * per / 600)} runners for a "
              "10-minute turnaround (plus ~2 min set-up each)")
        if ours["runs"]:
            print(f"per submission (median): prepare {median(ours['prepares']) * 1000:.0f} ms; "
                  f"sandbox + kernel start {median(ours['starts']):.2f} s; whole run stage "
                  f"(kernel, import torch, the notebook's cells) {median(ours['runs']):.1f} s; "
                  f"floor (bare kernel + import torch) {floor:.2f} s")
        if differ:
            shown = [(*k, plain["points"].get(k), ours["points"].get(k)) for k in differ[:5]]
            print(f"POINTS DIFFER on {len(differ)} test cells, e.g. (student, TP, cell, "
                  f"plain, ours): {shown}")
            return 1
        print(f"identical points on all {len(keys)} graded test cells")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
