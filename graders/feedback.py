"""The feedback a student receives: one HTML page per TP.

It shows the grade and its reason, each graded exercise's points and pass / fail, the
failure message of visible tests, and the notes on how the notebook was repaired. It is
built from the grading result alone, so it can never show a hidden test's source (plain
nbgrader feedback does, DESIGN.md §7).
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from .config import Course
from .policy import format_points
from .results import Result

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.4rem; } .grade { font-size: 2rem; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top; }
.pass { color: #1a7f37; font-weight: bold; } .fail { color: #cf222e; font-weight: bold; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; white-space: pre-wrap; }
.notes { background: #f6f8fa; padding: .6rem 1rem; border-radius: 6px; }
"""


def render(result: Result, title: str, course_id: str) -> str:
    rows = "\n".join(
        f"<tr><td><code>{escape(o.grade_id)}</code></td>"
        f"<td>{format_points(o.points)} / {format_points(o.max_points)}</td>"
        f"<td class={'pass' if o.passed else 'fail'}>{'pass' if o.passed else 'fail'}</td>"
        f"<td><pre>{escape(o.message)}</pre></td></tr>"
        for o in result.exercises)
    table = (f"<table><tr><th>exercise</th><th>points</th><th></th><th>why it failed</th></tr>"
             f"\n{rows}</table>") if result.exercises else ""
    notes = [*result.repairs, *result.integrity]
    notes_html = ("<div class=notes><p>How your notebook was read:</p><ul>"
                  + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></div>") if notes else ""
    when = f"<p>Handed in: {escape(result.submitted_at)}</p>" if result.submitted_at else ""
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<title>{escape(result.tp)}: feedback for {escape(result.student)}</title>
<style>{STYLE}</style></head><body>
<h1>{escape(course_id)} · {escape(result.tp)}: {escape(title)}</h1>
<p>Student: <b>{escape(result.student)}</b></p>{when}
<p class=grade>{result.grade} / 2</p>
<p>{escape(result.reason)}</p>
{table}
{notes_html}
<p><small>Only the visible tests' messages are shown; the hidden tests check more
(values, gradients, edge cases). Run <code>make check NB=your_notebook.ipynb</code>
before handing in.</small></p>
</body></html>
"""


def write(course: Course, result: Result) -> Path:
    title = course.tp(result.tp).title
    path = course.feedback_dir / result.student / result.tp / "feedback.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result, title, course.id), encoding="utf-8")
    return path
