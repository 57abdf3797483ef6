"""``make report``: the instructor's class report, one static page, ``report/index.html``.

Built from the stored results alone (``results/``, ``overrides.csv``, and ``submitted/``
with ``release/`` for the similarity section), it needs no server and no network: the
plots are inline SVG drawn by matplotlib, the styles and the few lines of JavaScript that
sort the tables are in the page, and a Content-Security-Policy forbids loading anything.

What it shows:

- **per TP**: the 0/1/2 distribution, the points histogram, the share of graded
  submissions passing each exercise (in notebook order), and the most frequent visible
  failure messages per exercise with their counts;
- **per student**: one row with the grades across TPs (each links to the student's
  feedback page), the points, the TP mark and the flags: the numbers of ``grades.csv``,
  computed by the same code (``export.table``) from the same results and overrides;
- **what needs the instructor**: integrity notes, late and missing hand-ins, overrides,
  repairs the normaliser made, grading failures, unreadable hand-ins, cells interrupted at
  their time limit, regrade changes (``regrade-report.csv`` when a regrade wrote one, with
  when it was written);
- **grading cost**: seconds per notebook by TP (median and worst), the slowest ones;
- **similar answers** (``graders.instructor.similarity``): per TP the pairs at or above
  ``SIMILARITY_THRESHOLD``, with the matching code side by side.

Results are read leniently: fields this version does not know are ignored, so a newer
grader's results still make a report.
``python -m graders.instructor.report [--root DIR] [--out DIR]``; exit 2, with a one-line error,
when there are no results to report on.

Made in three steps, a module each: ``report_data`` reads the results and states the facts
about each, ``sections`` computes what each section shows (``plots`` draws), and ``page``
lays it out with the Jinja2 templates of ``templates/``. This module runs them and writes
the page.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..course.config import Course
from . import page, sections
from .plots import plot_exercises, plot_grades, plot_points
from .report_data import (REGRADE_REPORT, ReportError, final_results, load_results,
                          regrade_changes, report_tps, shown_path, with_missing)

# with the names lms.py and the tests import from here, wherever they are written
__all__ = ["REGRADE_REPORT", "REPORT_DIR", "ReportError", "final_results", "load_results",
           "main", "plot_exercises", "plot_grades", "plot_points", "regrade_changes",
           "render", "report_tps", "with_missing", "write"]

REPORT_DIR = "report"


def render(course: Course, *, out_dir: Path, progress: bool = False,
           similarity: bool = True) -> str:
    """The page, from the stored results: each section's data gathered (a progress bar
    counts them), then laid out by the templates (``page``). ``out_dir``: where the page
    will be, for the links to the feedback pages."""
    from tqdm import tqdm

    stored, problems = load_results(course, progress)
    tp_ids = report_tps(course, stored)
    final = final_results(course, stored, tp_ids, problems)
    everyone, added = with_missing(course, final, tp_ids)
    steps = [("per TP", None)] + [(tp, "tp") for tp in tp_ids] + [
        ("students", None), ("attention", None), ("cost", None)]
    if similarity:
        steps.append(("similarity", None))
    bar = tqdm(total=len(steps), desc="report", unit="section", disable=not progress)
    data = {"tps": [], "similar": None}
    for name, kind in steps:
        bar.set_postfix_str(name)
        if kind == "tp":
            data["tps"].append(sections.tp_section(course, name, everyone))
        elif name == "students":
            data["table"] = sections.students(course, final, tp_ids, out_dir)
        elif name == "attention":
            data["attention"] = sections.attention(course, everyone, tp_ids, problems, added)
        elif name == "cost":
            data["cost"] = sections.cost(final, tp_ids)
        elif name == "similarity":
            data["similar"] = sections.similar(course, tp_ids, progress)
        bar.update()
    bar.close()
    return page.render(course_id=course.id,
                       built=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                       stored=len(stored), results_dir=shown_path(course.results_dir),
                       students=len({r.student for r in everyone}), **data)


def write(course: Course, out_dir: Path | None = None, *, progress: bool = False,
          similarity: bool = True) -> Path:
    """Write ``index.html`` into ``out_dir`` (default ``report/``); nothing else is touched."""
    out_dir = Path(out_dir) if out_dir else course.root / REPORT_DIR
    html = render(course, out_dir=out_dir.resolve(), progress=progress, similarity=similarity)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".index.", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(html)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is not
    os.replace(tmp, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.instructor.report",
                                     description="write the class report (report/index.html) "
                                                 "from the stored results")
    parser.add_argument("--root", help="the course directory (default: the repository; "
                                       "the demo course when only it has results)")
    parser.add_argument("--out", help="the folder to write index.html into (default: "
                                      "<root>/report)")
    parser.add_argument("--no-similarity", action="store_true",
                        help="leave out the similarity section (faster)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from ..course.config import announced_course

    root = announced_course(args.root)   # `make demo && make report` on a fresh clone
    if root is None:
        return 2
    course = Course(root)
    try:
        path = write(course, Path(args.out) if args.out else None, progress=not args.quiet,
                     similarity=not args.no_similarity)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
