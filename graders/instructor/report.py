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
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from ..course.config import Course
from ..grading import policy
from ..grading.results import Result
from ..publish import export, overrides

REPORT_DIR = "report"
REGRADE_REPORT = "regrade-report.csv"


class ReportError(Exception):
    """Nothing to report on; the message is the one-line error."""


# -- reading ---------------------------------------------------------------------------
def load_results(course: Course, progress: bool = False) -> tuple[list[Result], list[str]]:
    """Every stored result, and a note for each file that could not be read."""
    from tqdm import tqdm

    folder = course.results_dir
    if not folder.is_dir():
        raise ReportError(f"no results folder at {folder}: run `make grade` (or `make demo`) "
                          "first")
    paths = sorted(folder.glob("*/*.json"))
    if not paths:
        raise ReportError(f"no results in {folder}: run `make grade` (or `make demo`) first")
    results, problems = [], []
    for path in tqdm(paths, desc="reading results", unit="result", disable=not progress,
                     leave=False):
        try:
            results.append(Result.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError) as e:
            problems.append(f"{path.relative_to(course.root)}: unreadable ({type(e).__name__}: "
                            f"{str(e)[:120]})")
    return results, problems


def final_results(course: Course, stored: list[Result], tp_ids: list[str],
                  problems: list[str]) -> list[Result]:
    """The results with the instructor's overrides applied, as ``make feedback`` publishes
    them (``grade.publish``): so the page's numbers are those of grades.csv."""
    try:
        table = overrides.load(course)
    except overrides.OverrideError as e:
        problems.append(f"overrides not applied: {e}")
        table = {}
    by_key = {(r.student, r.tp): r for r in stored if r.tp in tp_ids}
    for student, tp in table:
        if tp in tp_ids and (student, tp) not in by_key:
            g = policy.NO_SUBMISSION
            by_key[(student, tp)] = Result(student, tp, g.value, g.reason)
    return [overrides.apply(r, table) for _, r in sorted(by_key.items())]


def with_missing(course: Course, final: list[Result], tp_ids: list[str]) -> tuple[list[Result], set]:
    """``final`` plus a 'no submission' result for each student (class list, or anyone
    graded) and TP without one, as grades.csv counts them; and the keys added."""
    have = {(r.student, r.tp) for r in final}
    students = sorted(set(course.students) | {r.student for r in final})
    added = {(s, tp) for s in students for tp in tp_ids if (s, tp) not in have}
    g = policy.NO_SUBMISSION
    return final + [Result(s, tp, g.value, g.reason) for s, tp in sorted(added)], added


def report_tps(course: Course, results: list[Result]) -> list[str]:
    """The released TPs (the columns of grades.csv) and any other TP with results."""
    order = [t.id for t in course.tps]
    ids = {t.id for t in course.released_tps} | {r.tp for r in results if r.tp in order}
    return sorted(ids, key=order.index)


def regrade_changes(course: Course) -> tuple[list[str], list[list[str]]]:
    path = course.root / REGRADE_REPORT
    if not path.is_file():
        return [], []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return (rows[0], rows[1:]) if rows else ([], [])


# -- facts -----------------------------------------------------------------------------
def is_missing(r: Result) -> bool:
    """Nothing to grade: nothing handed in, or a folder without a notebook."""
    return r.reason in (policy.NO_SUBMISSION.reason, policy.NO_NOTEBOOK.reason)


def is_late(r: Result) -> bool:
    return r.reason.startswith("late by") or "(computed: 0, late by" in r.reason


def is_failure(r: Result) -> bool:
    return r.reason.startswith("grading failed") or bool(r.log.strip())


def is_unreadable(r: Result) -> bool:
    """Handed in, but nothing of it could be run: an unreadable notebook (not valid JSON,
    no cells, refused), as opposed to a late, unmodified, misfiled or missing one."""
    return (r.handed_in and not r.exercises and not r.override and not is_late(r)
            and not r.reason.startswith(("unmodified", "grading failed", "this is "))
            and "points" not in r.reason)


def is_timed_out(o) -> bool:
    """An exercise whose cell was interrupted at its time limit (graders.grading.outcomes)."""
    return not o.passed and (o.message or "").startswith("interrupted")


def shown_path(path: Path) -> str:
    """``path`` as the instructor would type it: relative to the repository when inside it
    (``demo/results``), else whole."""
    from ..course.config import ROOT

    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def seconds(r: Result) -> float | None:
    """Seconds grading this submission took (every step recorded), None if not graded."""
    steps = [v for v in (r.timings or {}).values() if isinstance(v, (int, float))]
    return float(sum(steps)) if steps else None


def exercise_order(course: Course, tp_id: str, results: list[Result]) -> list[str]:
    """The graded exercises (test cells' grade ids) in notebook order: the release's, then
    any other found in results, in the order results list them."""
    from ..course import notebooks

    order = []
    for path in notebooks.notebooks_in(course.release_dir / tp_id):
        try:
            order += [notebooks.grade_id(c) for c in notebooks.test_cells(notebooks.read(path))]
        except notebooks.NotebookError:
            pass
    for r in results:
        for o in r.exercises:
            if o.grade_id not in order:
                order.append(o.grade_id)
    return order


# -- plots -----------------------------------------------------------------------------
def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dl-course-report", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML


def _figure(width=4.2, height=2.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=96)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _counts_axis(axis) -> None:
    """An axis of counts (students, submissions): whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``2 pairs``: how the page counts things."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def plot_grades(counts: list[int], title: str) -> str:
    fig, ax = _figure(3.2, 2.4)
    _counts_axis(ax.yaxis)
    bars = ax.bar(["0", "1", "2"], counts, color=["#cf222e", "#bf8700", "#1a7f37"])
    ax.bar_label(bars)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("grade")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(counts + [1]) * 1.2)
    return _svg(fig)


def plot_points(points: list[float], max_points: float, title: str) -> str:
    fig, ax = _figure(3.8, 2.4)
    _counts_axis(ax.yaxis)
    if points:
        bins = min(20, max(5, int(max_points) or 5))
        ax.hist(points, bins=bins, range=(0, max_points or max(points) or 1), color="#0969da")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"points (out of {policy.format_points(max_points)})")
    ax.set_ylabel("submissions")
    return _svg(fig)


def plot_exercises(names: list[str], shares: list[float], title: str) -> str:
    fig, ax = _figure(5.0, max(1.6, 0.28 * len(names) + 0.8))
    y = list(range(len(names)))
    ax.barh(y, [100 * s for s in shares], color="#1a7f37")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()  # notebook order, top to bottom
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions passing")
    ax.set_title(title, fontsize=10)
    return _svg(fig)


# -- HTML ------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 78rem; color: #222;
       padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #ddd; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .55rem; text-align: left; vertical-align: top; }
table.sortable th { cursor: pointer; user-select: none; background: #f6f8fa; }
table.sortable th[aria-sort=ascending]::after { content: " ▲"; }
table.sortable th[aria-sort=descending]::after { content: " ▼"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.g0 { color: #cf222e; font-weight: bold; } .g1 { color: #9a6700; font-weight: bold; }
.g2 { color: #1a7f37; font-weight: bold; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.plots svg { max-width: 100%; height: auto; }
.note { color: #57606a; font-size: .9rem; }
nav a { margin-right: 1rem; }
pre { font-family: ui-monospace, monospace; font-size: .8rem; white-space: pre-wrap; margin: 0; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.side > div { background: #f6f8fa; padding: .5rem; border-radius: 6px; overflow: auto; }
mark { background: #ffd8b5; }
details { margin: .3rem 0 .8rem; }
td ul { margin: 0; padding-left: 1rem; }
"""

SCRIPT = """
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-value");
    return v === null ? cell.textContent.trim() : v;
  }
  function sortTable(table, col, dir) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (r) { return key(r.cells[col]); });
    var numeric = keys.every(function (k) { return k === "" || !isNaN(parseFloat(k)); });
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b], c;
      if (numeric) { c = (x === "" ? -Infinity : parseFloat(x)) - (y === "" ? -Infinity : parseFloat(y)); }
      else { c = x.localeCompare(y); }
      return (dir === "descending" ? -c : c) || a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === col) { th.setAttribute("aria-sort", dir); } else { th.removeAttribute("aria-sort"); }
    });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.title = "sort by this column";
      th.addEventListener("click", function () {
        sortTable(table, i, th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
      });
    });
  });
  // #sort=<table id>/<column index>/<ascending|descending>: a link to a sorted view
  var m = /sort=([\\w-]+)\\/(\\d+)\\/(ascending|descending)/.exec(location.hash);
  if (m && document.getElementById(m[1])) { sortTable(document.getElementById(m[1]), +m[2], m[3]); }
  // a link to a closed side-by-side view opens it
  function openTarget() {
    var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === "DETAILS") { t.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  document.body.setAttribute("data-ready", "sortable:" + tables.length);
})();
"""


def _table(table_id: str, headers: list[tuple[str, str]], rows: list[str]) -> str:
    """A sortable table; ``headers`` are (label, css class) pairs, ``rows`` ready <tr>s."""
    head = "".join(f"<th class='{c}'>{escape(h)}</th>" if c else f"<th>{escape(h)}</th>"
                   for h, c in headers)
    return (f"<table class=sortable id={table_id}><thead><tr>{head}</tr></thead>"
            f"<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def _td(text, value=None, cls="", attrs="") -> str:
    v = f" data-value='{escape(str(value))}'" if value is not None else ""
    c = f" class='{cls}'" if cls else ""
    return f"<td{c}{v}{attrs}>{text}</td>"


def _short(tp_id: str) -> str:
    return tp_id.split("_")[0]


def section_tp(course: Course, tp_id: str, results: list[Result]) -> str:
    """One TP: plots, exercise table, failure messages."""
    tp = course.tp(tp_id)
    mine = [r for r in results if r.tp == tp_id]
    counts = [sum(1 for r in mine if r.grade == g) for g in (0, 1, 2)]
    graded = [r for r in mine if r.exercises]
    max_points = max((r.max_points for r in mine), default=0.0)
    points = [r.points for r in mine if r.max_points and not is_missing(r)]
    handed = sum(1 for r in mine if not is_missing(r))
    order = exercise_order(course, tp_id, graded)
    passing, rows = [], []
    for gid in order:
        outs = [o for r in graded for o in r.exercises if o.grade_id == gid]
        n_pass = sum(1 for o in outs if o.passed)
        share = n_pass / len(outs) if outs else 0.0
        passing.append(share)
        messages = Counter(o.message.strip() or "failed" for o in outs if not o.passed)
        top = "".join(f"<li><b>{n}×</b> <code>{escape(m[:300])}</code></li>"
                      for m, n in messages.most_common(3))
        rows.append(f"<tr data-exercise='{escape(gid)}'>{_td(f'<code>{escape(gid)}</code>', gid)}"
                    f"{_td(f'{n_pass}/{len(outs)}', share, 'num')}"
                    f"{_td(f'{share:.0%}', share, 'num')}"
                    f"{_td(f'<ul>{top}</ul>' if top else '', len(outs) - n_pass)}</tr>")
    plots = [plot_grades(counts, f"{_short(tp_id)}: grades")] if handed else []
    if points:
        plots.append(plot_points(points, max_points, f"{_short(tp_id)}: points"))
    if order and graded:
        plots.append(plot_exercises(order, passing, f"{_short(tp_id)}: exercises passed"))
    mean = statistics.mean(r.grade for r in mine) if mine else 0
    summary = (f"<p>Due {escape(tp.due.strftime('%Y-%m-%d %H:%M %Z'))}. "
               f"<span data-stat=handed>{handed}</span> hand-ins of {len(mine)} students; "
               f"grades 0 / 1 / 2: <span data-stat=grades>{counts[0]} / {counts[1]} / "
               f"{counts[2]}</span>; mean grade {mean:.2f}; "
               f"{len(graded)} notebooks graded exercise by exercise.</p>")
    table = (_table(f"exercises-{_short(tp_id)}",
                    [("exercise", ""), ("passed", "num"), ("share", "num"),
                     ("most frequent visible failure messages", "")], rows)
             if rows and graded else "<p class=note>No notebook of this TP was graded "
                                     "exercise by exercise.</p>")
    return (f"<section id='tp-{escape(_short(tp_id))}' data-tp='{escape(tp_id)}'>"
            f"<h3>{escape(tp_id)}: {escape(tp.title)}</h3>{summary}"
            f"<div class=plots>{''.join(plots)}</div>{table}</section>")


def section_students(course: Course, final: list[Result], tp_ids: list[str],
                     out_dir: Path) -> str:
    rows_data = export.table(course, final, tp_ids)
    notes_of = {row.student: row.flags for row in export.grid(final, tp_ids, course)}
    by_key = {(r.student, r.tp): r for r in final}
    headers = [("student", "")] + [(_short(t), "num") for t in tp_ids]
    headers += [(f"{_short(t)} points", "num") for t in tp_ids]
    headers += [("tp_mark", "num"), ("flags", "")]
    rows = []
    for row in rows_data:
        s = row["student"]
        cells = [_td(escape(s), s, attrs=" data-col=student")]
        for t in tp_ids:
            g, reason = row[t], row[f"{t} reason"]
            page = course.feedback_dir / s / t / "feedback.html"
            text = str(g)
            if page.is_file():
                href = Path(os.path.relpath(page, out_dir)).as_posix()
                text = f"<a href='{escape(href)}'>{g}</a>"
            r = by_key.get((s, t))
            mark = "*" if r is not None and r.override else ""
            cells.append(_td(text + mark, g, f"num g{g}",
                             f" data-col='{escape(t)}' title='{escape(reason)}'"))
        for t in tp_ids:
            p = row[f"{t} points"]
            value = p.split("/")[0] if p else ""
            cells.append(_td(escape(p), value, "num", f" data-col='{escape(t)} points'"))
        cells.append(_td(row["tp_mark"], row["tp_mark"], "num", " data-col=tp_mark"))
        flags = row["flags"]
        shown = escape(flags)
        if len(flags) > 120:  # many notes: folded, all of them in data-value
            notes = notes_of.get(s, [])   # counted as notes, not as "; " (a note may hold one)
            shown = (f"<details><summary>{plural(len(notes), 'note')}</summary><ul>"
                     + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></details>")
        cells.append(_td(shown, flags, attrs=" data-col=flags"))
        rows.append(f"<tr data-student='{escape(s)}'>{''.join(cells)}</tr>")
    return (_table("students", headers, rows)
            + "<p class=note>A grade links to the student's feedback page; hover it for the "
              "reason; * marks an instructor override. These are the numbers of "
            + escape(course.grades_csv.name) + ", computed by the same code.</p>")


def section_attention(course: Course, final: list[Result], tp_ids: list[str],
                      problems: list[str], added: set) -> str:
    """What needs the instructor: one row per kind, student and TP (several notes of one
    kind are listed in that row); missing hand-ins one row per TP."""
    roster = set(course.students)
    items: dict[tuple[str, str, str], list[str]] = {}  # (kind, student, TP) -> details

    def note(kind, student, tp, detail):
        items.setdefault((kind, student, tp), []).append(detail)

    missing: dict[str, list[str]] = {}
    unstored: dict[str, list[str]] = {}
    for r in final:
        t = _short(r.tp)
        for n in r.integrity:
            note("integrity", r.student, t, n)
        for n in getattr(r, "flags", []) or []:
            note("flag", r.student, t, n)
        if r.override:
            note("override", r.student, t, r.reason)
        if is_late(r):
            note("late", r.student, t, r.reason)
        if is_missing(r) and (not roster or r.student in roster):
            (unstored if (r.student, r.tp) in added else missing).setdefault(
                r.tp, []).append(r.student)
        for n in r.repairs:
            note("repair", r.student, t, n)
        if is_failure(r):
            note("grading failure", r.student, t, r.reason + (
                f" (log: {r.log.strip().splitlines()[-1][:200]})" if r.log.strip() else ""))
        elif is_unreadable(r):
            note("unreadable hand-in", r.student, t, r.reason)
        for o in r.exercises:
            if is_timed_out(o):
                note("timed out", r.student, t, f"{o.grade_id}: {o.message}")
    for tp in tp_ids:
        for table, what in ((missing, "no submission"), (unstored, "no result stored")):
            names = sorted(table.get(tp, []))
            if names:
                note("missing", f"{len(names)} student{'s' if len(names) > 1 else ''}",
                     _short(tp),
                     f"{what}: " + ", ".join(names))
    for s in sorted({r.student for r in final} - roster) if roster else []:
        note("not on the class list", s, "", "graded, but not in STUDENTS")
    for p in problems:
        note("unreadable result", "", "", p)
    counts = Counter(k[0] for k, details in items.items() for _ in details)
    summary = ", ".join(f"<span data-count='{escape(k)}'>{n}</span> {escape(k)}"
                        for k, n in sorted(counts.items())) or "nothing"
    rows = []
    for (kind, student, tp), details in items.items():
        text = (escape(details[0]) if len(details) == 1 else
                "<ul>" + "".join(f"<li>{escape(d)}</li>" for d in details) + "</ul>")
        rows.append(f"<tr data-kind='{escape(kind)}'>{_td(escape(kind))}{_td(escape(student))}"
                    f"{_td(escape(tp))}{_td(text, len(details))}</tr>")
    table = (_table("attention", [("what", ""), ("who", ""), ("TP", ""), ("detail", "")],
                    rows) if rows else "")
    header, changes = regrade_changes(course)
    if header:
        written = datetime.fromtimestamp((course.root / REGRADE_REPORT).stat().st_mtime,
                                         timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        regrade = (f"<h3>Regrade changes ({len(changes)})</h3><p class=note>From "
                   f"{REGRADE_REPORT}, written <span data-stat=regrade-date>{written}</span> by "
                   "the last run that changed a grade or points (a later run that changed "
                   "nothing leaves it as it was).</p>" + _table(
            "regrade", [(h, "") for h in header],
            ["<tr>" + "".join(_td(escape(c)) for c in row) + "</tr>" for row in changes]))
    else:
        regrade = (f"<p class=note>Regrade changes: none recorded (a regrade writes "
                   f"{REGRADE_REPORT}).</p>")
    return f"<p>Notes: {summary}.</p>{table}{regrade}"


def section_cost(final: list[Result], tp_ids: list[str]) -> str:
    timed = [(r, seconds(r)) for r in final]
    timed = [(r, s) for r, s in timed if s is not None]
    if not timed:
        return "<p class=note>No timings recorded.</p>"
    rows = []
    for tp in tp_ids:
        secs = [s for r, s in timed if r.tp == tp]
        if secs:
            rows.append(f"<tr>{_td(escape(_short(tp)), tp)}{_td(len(secs), len(secs), 'num')}"
                        f"{_td(f'{statistics.median(secs):.1f}', statistics.median(secs), 'num')}"
                        f"{_td(f'{max(secs):.1f}', max(secs), 'num')}"
                        f"{_td(f'{sum(secs):.0f}', sum(secs), 'num')}</tr>")
    slow = sorted(timed, key=lambda x: -x[1])[:10]
    slow_rows = [f"<tr>{_td(escape(r.student))}{_td(escape(_short(r.tp)))}"
                 f"{_td(f'{s:.1f}', s, 'num')}"
                 f"{_td(escape(', '.join(f'{k} {v:g}' for k, v in r.timings.items())))}</tr>"
                 for r, s in slow]
    return (_table("cost", [("TP", ""), ("notebooks", "num"), ("median s", "num"),
                            ("worst s", "num"), ("total s", "num")], rows)
            + "<h3>Slowest submissions</h3>"
            + _table("slowest", [("student", ""), ("TP", ""), ("seconds", "num"),
                                 ("steps", "")], slow_rows))


def section_similarity(course: Course, tp_ids: list[str], progress: bool) -> str:
    from . import similarity

    if not course.submitted_dir.is_dir():
        return (f"<p class=note>No {escape(course.submitted_dir.name)}/ folder here: "
                "nothing to compare.</p>")
    threshold = float(similarity.setting(course, "SIMILARITY_THRESHOLD"))
    parts = [f"<p class=note>Evidence for a person to judge, never a grade change. Answers "
             f"(solution cells only; the release's own code removed) compared with copydetect "
             f"(MOSS-style winnowing over name-blind tokens: renamed variables and reformatted "
             f"code still match). Pairs at or above {threshold:.0%} "
             f"(<code>SIMILARITY_THRESHOLD</code>) are listed; the score is the larger of the "
             f"two shares of answers found in the other's.</p>"]
    for tp in tp_ids:
        try:
            pairs = similarity.rank(course, tp, progress=progress)
        except Exception as e:  # similarity is evidence: never stop the report for it
            parts.append(f"<h3>{escape(tp)}</h3><p class=note>not computed: "
                         f"{escape(type(e).__name__)}: {escape(str(e)[:200])}</p>")
            continue
        shown = similarity.flagged(course, pairs)
        n = len({s for p in pairs for s in (p.a, p.b)})
        head = (f"<h3>{escape(tp)}</h3><p>{plural(len(pairs), 'pair')} of "
                f"{plural(n, 'student')} compared; "
                f"<span data-stat=flagged>{len(shown)}</span> at or above the threshold.</p>")
        if not shown:
            parts.append(head)
            continue
        rows, views = [], []
        for i, p in enumerate(shown):
            anchor = f"sim-{_short(tp)}-{i}"
            rows.append(f"<tr data-pair='{escape(p.a)}|{escape(p.b)}'>"
                        f"{_td(f'{p.score:.0%}', round(p.score, 4), 'num')}"
                        f"{_td(escape(p.a))}{_td(escape(p.b))}"
                        f"{_td(f'{p.share_a:.0%}', round(p.share_a, 4), 'num')}"
                        f"{_td(f'{p.share_b:.0%}', round(p.share_b, 4), 'num')}"
                        f"{_td(p.overlap, p.overlap, 'num')}"
                        f"{_td(f'<a href=#{anchor}>side by side</a>')}</tr>")
            views.append(f"<details id={anchor}{' open' if i == 0 else ''}><summary>{escape(p.a)} ~ {escape(p.b)}: "
                         f"{p.score:.0%}</summary><div class=side>"
                         f"<div><b>{escape(p.a)}</b><pre>{p.code_a}</pre></div>"
                         f"<div><b>{escape(p.b)}</b><pre>{p.code_b}</pre></div></div></details>")
        parts.append(head + _table(f"similar-{_short(tp)}",
                                   [("score", "num"), ("student", ""), ("student", ""),
                                    ("share of 1st", "num"), ("share of 2nd", "num"),
                                    ("matching chars", "num"), ("", "")], rows)
                     + "".join(views))
    return "".join(parts)


def render(course: Course, *, out_dir: Path, progress: bool = False,
           similarity: bool = True) -> str:
    from tqdm import tqdm

    stored, problems = load_results(course, progress)
    tp_ids = report_tps(course, stored)
    final = final_results(course, stored, tp_ids, problems)
    everyone, added = with_missing(course, final, tp_ids)
    steps = [("per TP", None)] + [(tp, "tp") for tp in tp_ids] + [("students", None),
                                                                   ("attention", None),
                                                                   ("cost", None)]
    if similarity:
        steps.append(("similarity", None))
    bar = tqdm(total=len(steps), desc="report", unit="section", disable=not progress)
    body = {}
    per_tp = []
    for name, kind in steps:
        bar.set_postfix_str(name)
        if kind == "tp":
            per_tp.append(section_tp(course, name, everyone))
        elif name == "students":
            body[name] = section_students(course, final, tp_ids, out_dir)
        elif name == "attention":
            body[name] = section_attention(course, everyone, tp_ids, problems, added)
        elif name == "cost":
            body[name] = section_cost(final, tp_ids)
        elif name == "similarity":
            body[name] = section_similarity(course, tp_ids, progress)
        bar.update()
    bar.close()
    students = sorted({r.student for r in everyone})
    overview_rows = []
    for tp in tp_ids:
        mine = [r for r in everyone if r.tp == tp]
        c = [sum(1 for r in mine if r.grade == g) for g in (0, 1, 2)]
        handed = sum(1 for r in mine if not is_missing(r))
        mean = statistics.mean(r.grade for r in mine) if mine else 0.0
        overview_rows.append(
            f"<tr data-tp='{escape(tp)}'>{_td(f'<a href=#tp-{_short(tp)}>{escape(tp)}</a>', tp)}"
            f"{_td(handed, handed, 'num')}" + "".join(_td(n, n, 'num') for n in c)
            + f"{_td(f'{mean:.2f}', mean, 'num')}</tr>")
    overview = _table("overview", [("TP", ""), ("hand-ins", "num"), ("0", "num"), ("1", "num"),
                                   ("2", "num"), ("mean", "num")], overview_rows)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f"<a href=#{a}>{t}</a>" for a, t in [
        ("tps", "per TP"), ("students-h", "students"), ("attention-h", "needs a look"),
        ("cost-h", "grading cost"), ("similarity", "similar answers")])
    sim = (f"<h2 id=similarity>Similar answers</h2>{body['similarity']}"
           if similarity else "")
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{escape(course.id)}: class report</title>
<style>{STYLE}</style></head><body>
<h1>{escape(course.id)}: class report</h1>
<p class=note>Built {when} from {plural(len(stored), 'stored result')} in
<code data-stat=results-dir>{escape(shown_path(course.results_dir))}/</code>: <span data-stat=students>{len(students)}</span>
{'student' if len(students) == 1 else 'students'}, {plural(len(tp_ids), 'TP')}. Click a column header to sort a table.</p>
<nav>{nav}</nav>
<h2 id=tps>Per TP</h2>
{overview}
{''.join(per_tp)}
<h2 id=students-h>Students</h2>
{body['students']}
<h2 id=attention-h>Needs a look</h2>
{body['attention']}
<h2 id=cost-h>Grading cost</h2>
{body['cost']}
{sim}
<script>{SCRIPT}</script>
</body></html>
"""


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
    from ..course.config import course_root

    root, note = course_root(args.root)   # `make demo && make report` on a fresh clone
    if note:
        print(note, file=sys.stderr)
    if not root.is_dir():
        print(f"error: no course folder at {root}", file=sys.stderr)
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
