"""The feedback a student receives: one HTML page per TP.

It shows the grade and its reason, when the notebook was handed in (in the course's time
zone) against the due time, each graded exercise under its number and title as in the
notebook, its points and pass / fail, and for a failed exercise the visible test's message
and what to do (write the function; first do the exercise it builds on; a hidden test
failed: check the docstring's edge cases), then the notes on how the notebook was read.

It is built from the grading result and the *release* notebook (titles, which exercise
needs which: ``"dl_course": {"requires": [...]}`` in a test cell's metadata) alone, so it
can never show a hidden test's source (plain nbgrader feedback does, docs/design.md §7).
The self-check (``graders.check``) describes exercises with the same functions. The page's
markup is ``templates/feedback.html.j2`` (Jinja2); this module gives it the values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from html import escape
from pathlib import Path

from markupsafe import Markup

from ..course import notebooks
from . import pages

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
POINTS = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s+points?\s*\)\s*$", re.I)
DEFINED = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*=", re.M)
#: Where a notebook declares an exercise: "**Exercise 4 (1 point).**" starting a line, a
#: heading "Exercise 4 ..." or a heading "... (exercise 4, 2 points)". A mention in the text
#: ("Prerequisite: exercise 2", "the test of exercise 3") declares nothing.
DECLARED = re.compile(r"^\s*(?:[-*]\s+)?\*\*\s*exercise\s+(\d+[a-z]?)\b", re.I)
DECLARED_HEADING = re.compile(r"^exercise\s+(\d+[a-z]?)\b|\(\s*exercise\s+(\d+[a-z]?)\b", re.I)
LEADING_NUMBER = re.compile(r"^(\d+(?:\.\d+)*[a-z]?)\.?\s")

#: The page's Jinja2 template (``feedback.html.j2``); the students' kit copies the folder.
TEMPLATES = Path(__file__).resolve().parent / "templates"


# -- the exercises, as the notebook names them ----------------------------------------------
@dataclass
class Exercise:
    grade_id: str                 # the test cell's
    title: str                    # the heading above it, e.g. "Test 2a — the forward pass"
    section: str = ""             # the section it belongs to, e.g. "2. A scalar autograd engine"
    solution: str | None = None   # grade_id of the answer cell it tests
    function: str | None = None   # what that answer cell defines (first def / class)
    requires: list[str] = field(default_factory=list)  # other answer cells it builds on
    defines: list[str] = field(default_factory=list)   # every def / class of its answer cell
    number: str | None = None     # "4": the notebook's "Exercise 4", else its section's "4.2"


def _clean(heading: str) -> str:
    return POINTS.sub("", heading.replace("`", "").replace("**", "")).strip()


def _short(gid: str) -> str:
    return re.sub(r"^tp\d+_", "", gid)


def _whole(word: str, words: str) -> bool:
    """``word`` is one or more whole ``_``-separated words of ``words`` (``exp`` is not in
    ``expression``, ``zero_grad`` is in ``zero_grad``)."""
    return bool(word) and re.search(rf"(?:^|_){re.escape(word)}(?:_|$)", words) is not None


def _defined(source: str, gid: str) -> str | None:
    """What an answer cell defines that its test is about: the def / class whose name is
    whole words of the test's grade_id (``tp1_zero_grad`` -> ``zero_grad``), else the one
    the grade_id names in whole words (``tp3_bce`` -> ``bce_with_logits``), else the first."""
    names = DEFINED.findall(source) or ASSIGNED.findall(source)
    key = _short(gid).lower()
    public = [n for n in names if not n.startswith("_")]
    return next((n for n in public if _whole(n.lower(), key)),
                next((n for n in public if _whole(key, n.lower())),
                     names[0] if names else None))


def _declared(line: str, heading: str | None) -> str | None:
    """The exercise number ``line`` declares (``heading``: its text when it is a heading)."""
    m = DECLARED_HEADING.search(heading) if heading is not None else DECLARED.match(line)
    return next((g for g in m.groups() if g), None) if m else None


def _titled(title: str, section: str, number: str | None) -> tuple[str, str]:
    """(title, section) as the notebook numbers it: "Exercise 4" where the notebook says
    so, with the heading it sits under."""
    own = section if section != title else ""
    if number is None or re.search(rf"\bexercise\s+{re.escape(number)}\b", title, re.I):
        return title, own
    if not title or title == section:          # only the section's heading above it
        return f"Exercise {number}", title
    return f"Exercise {number}: {title}", own


def exercises_of(nb) -> dict[str, Exercise]:
    """Each test cell of a (release) notebook: its title from the closest markdown heading
    above it (the notebook's ``#`` title aside), the section (``##``) around it, the answer
    cell it tests (``<grade_id>_solution``, else the closest one above) and the others it
    needs. Tests sharing a heading are told apart by the function they test; a test with
    no heading above it is named by its grade_id."""
    found: dict[str, Exercise] = {}
    section = title = ""
    last_solution = declared = None
    numbers: dict[str, str | None] = {}   # answer cell -> the exercise declared above it
    solutions = {notebooks.grade_id(c): c for c in notebooks.solution_cells(nb)}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            in_fence = False
            for line in cell.source.splitlines():
                if line.lstrip().startswith("```"):
                    in_fence = not in_fence
                    continue
                m = None if in_fence else HEADING.match(line)
                if m and len(m.group(1)) >= 2:
                    title = _clean(m.group(2))
                    if len(m.group(1)) == 2:
                        section, declared = title, None   # a new section, numbered anew
                if not in_fence:
                    declared = _declared(line, title if m else None) or declared
            continue
        if notebooks.is_solution(cell):
            last_solution = notebooks.grade_id(cell)
            numbers[last_solution] = declared
            continue
        if not notebooks.is_test(cell):
            continue
        gid = notebooks.grade_id(cell)
        own = f"{gid}_solution" if f"{gid}_solution" in solutions else last_solution
        meta = cell.get("metadata", {}).get("dl_course", {}) or {}
        requires = [r for r in meta.get("requires", []) if r != own]
        answer = solutions[own].source if own in solutions else ""
        number = numbers.get(own) or declared
        name, part = _titled(title, section, number)
        leading = LEADING_NUMBER.match(title) or LEADING_NUMBER.match(section)
        found[gid] = Exercise(gid, name or gid, part, own, _defined(answer, gid), requires,
                              DEFINED.findall(answer),
                              number or (leading.group(1) if leading else None))
    by_title: dict[str, list[Exercise]] = {}
    for ex in found.values():
        by_title.setdefault(ex.title, []).append(ex)
    for same in by_title.values():
        if len(same) > 1:
            distinct = len({ex.function for ex in same}) == len(same) and all(
                ex.function for ex in same)
            for ex in same:
                ex.title += f": {ex.function if distinct else _short(ex.grade_id)}"
    return found


def exercises_of_tp(release_folder: Path) -> dict[str, Exercise]:
    """Every notebook's exercises in a release TP folder ({} when there is none)."""
    found: dict[str, Exercise] = {}
    for path in notebooks.notebooks_in(release_folder):
        try:
            found.update(exercises_of(notebooks.read(path)))
        except notebooks.NotebookError:
            pass
    return found


def what_to_do(outcome, exercises: dict[str, Exercise], outcomes) -> str:
    """For a failed exercise, what the student should do next (never a hidden test)."""
    if outcome.passed:
        return ""
    ex = exercises.get(outcome.grade_id)
    msg = outcome.message or ""
    unanswered = {exercises[o.grade_id].solution for o in outcomes
                  if o.grade_id in exercises and (o.message or "").startswith("not answered")}
    failing = {exercises[o.grade_id].solution for o in outcomes
               if o.grade_id in exercises and not o.passed}
    by_solution = {}
    for e in exercises.values():
        by_solution.setdefault(e.solution, e)

    def names(solutions):
        return ", ".join(f"`{by_solution[s].function or by_solution[s].title}`"
                         if s in by_solution else f"`{s}`" for s in solutions)

    requires = ex.requires if ex is not None else []
    missing = [s for s in requires if s in unanswered]
    if missing:
        return f"It builds on an exercise not done yet: first write {names(missing)}."
    fn = f"`{ex.function}`" if ex is not None and ex.function else "the answer"
    if msg.startswith("not answered"):
        return f"Write {fn} in the cell above the test (replace `raise NotImplementedError()`)."
    broken = [s for s in requires if s in failing]
    if broken:
        return (f"It builds on {names(broken)}, which does not pass its own test yet: "
                "fix that first.")
    undefined = re.match(r"NameError: name '(\w+)' is not defined", msg)
    if undefined:
        name = undefined.group(1)
        where = next((e for e in exercises.values() if name in e.defines), None)
        return (f"`{name}` is not defined when the test runs: write it "
                + (f"({where.title}) " if where and where.title.lower().startswith("exercise")
                  else f"(exercise {where.title}) " if where else "")
                + "and run its cell before the test.")
    if msg.startswith("a hidden test failed (") and "): " in msg:
        return (f"A hidden test failed: {fn} passes the visible test, but not the case above. "
                "Read what it checked, then the docstring's contract (other values, shapes, "
                "types, edge cases).")
    if msg.startswith("a hidden test failed") or msg.startswith("a test failed ("):
        return (f"A hidden test failed: {fn} passes the visible test, but not every case. "
                "Check the edge cases in its docstring (other values, shapes, types).")
    if msg.startswith("interrupted"):
        return f"{fn} did not finish in time: look for a loop that never ends, or too much work."
    if "raised in your code" in msg:
        return (f"{fn} raised an error when the test called it: run the test cell in your "
                "notebook to see where.")
    if "stderr" in msg:
        return "Remove what writes to stderr in this cell (a warning, a print to sys.stderr)."
    if msg.startswith(("KernelDied", "NotebookDeadlineExceeded", "GuardFailed")):
        return ("Not run: something earlier in the notebook stopped it (too much memory, too "
                "long, or code that changed the grader's kernel). See the notes below.")
    return ("The visible test's message says what was expected: run the test cell in your "
            "notebook, fix " + fn + ", then run the self-check again.")


# -- times ----------------------------------------------------------------------------------
def local_time(when: datetime | str | None, zone: str | None) -> str:
    """``when`` (ISO 8601 or aware) in the course's time zone, as people write it."""
    if not when:
        return ""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
    if zone and when.tzinfo is not None:
        from zoneinfo import ZoneInfo

        when = when.astimezone(ZoneInfo(zone))
    text = when.strftime("%A %d %B %Y, %H:%M")
    label = zone if zone and when.tzinfo is not None else when.tzname()
    return f"{text} ({label})" if label else text


# -- the page -------------------------------------------------------------------------------
def _code(text: str) -> Markup:
    """Escaped, with `name` as <code>name</code>."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))


@lru_cache(maxsize=1)
def _template():
    env = pages.environment(TEMPLATES)
    env.filters["code"] = _code
    return env.get_template("feedback.html.j2")


def render(result, title: str, course_id: str, exercises: dict[str, Exercise] | None = None,
           zone: str | None = None, due: datetime | None = None,
           hidden_messages: bool = True) -> str:
    """The page. ``hidden_messages``: show what a failed hidden test checked (its message)."""
    from ..grading.outcomes import without_hidden_detail
    from ..grading.policy import format_points

    exercises = exercises or {}
    rows = []
    for o in result.exercises:
        ex = exercises.get(o.grade_id)
        rows.append({
            "grade_id": o.grade_id, "title": ex.title if ex else "",
            "section": ex.section if ex else "", "optional": o.optional,
            "points": format_points(o.points), "max_points": format_points(o.max_points),
            "passed": o.passed, "verdict": "pass" if o.passed else "fail",
            "message": o.message if hidden_messages else without_hidden_detail(o.message),
            "todo": what_to_do(o, exercises, result.exercises)})
    return _template().render(
        result=result, title=title, course_id=course_id, rows=rows,
        notes=[*result.repairs, *result.integrity], hidden_messages=hidden_messages,
        handed_in=local_time(result.submitted_at, zone) if result.submitted_at else None,
        due=local_time(due, zone) if due is not None else None)


def shows_hidden_messages(course, tp, now: datetime | None = None) -> bool:
    """Whether pages written now show failed hidden tests' messages (HIDDEN_TEST_MESSAGES)."""
    setting = course.hidden_test_messages
    if setting == "after_due":
        from datetime import timezone

        now = now or datetime.now(timezone.utc)
        return now > tp.due + course.policy.grace
    return setting == "always"


def stale_pages(course, results) -> list[Path]:
    """Feedback pages of a released TP that no result in ``results`` (the published ones)
    backs: a student removed from the class list and the results, an override since
    withdrawn. A student would read them as current."""
    kept = {(r.student, r.tp) for r in results}
    tps = {tp.id for tp in course.released_tps} | {tp for _, tp in kept}
    folder = course.feedback_dir
    pages = sorted(folder.glob("*/*/feedback.html")) if folder.is_dir() else []
    return [p for p in pages
            if p.parent.name in tps and (p.parent.parent.name, p.parent.name) not in kept]


def remove_stale(course, results) -> list[Path]:
    """Remove :func:`stale_pages` (and the folders they leave empty); returns them."""
    gone = stale_pages(course, results)
    for page in gone:
        page.unlink()
        for folder in (page.parent, page.parent.parent):
            try:
                folder.rmdir()   # only when empty: a student's other pages stay
            except OSError:
                break
    return gone


def write(course, result) -> Path:
    tp = course.tp(result.tp)
    exercises = exercises_of_tp(course.release_dir / tp.id)
    path = course.feedback_dir / result.student / result.tp / "feedback.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result, tp.title, course.id, exercises,
                           zone=course.module.TIME_ZONE, due=tp.due,
                           hidden_messages=shows_hidden_messages(course, tp)),
                    encoding="utf-8")
    return path
