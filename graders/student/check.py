"""``make check NB=...``: a student's self-check before handing in.

It does to the notebook what grading will do, with the tests the student can see:
read it, rebuild it on the release (reporting every repair and every edited test cell
that grading would ignore), execute it in a fresh kernel in grading mode, and print each
graded exercise's pass / fail with the failing message, and the errors raised outside
graded cells.

It needs the release alone (``release/<TP>/``, as in the students' kit built by
``graders.student.kit``), never ``source/``: the TP is the one whose release folder holds a
notebook of the same name, or with the most graded cells in common. In the kit it runs as
``python -m graders.check NOTEBOOK...`` (the repository's ``make check`` calls the same
function).
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..course import notebooks
from ..course.config import TP, Course
from ..grading import outcomes
from ..grading.engine import Engine, Limits
from ..publish import feedback
from ..grading.normalise import normalise, without_self_checks  # noqa: F401 (part of check's API)


@dataclass
class Report:
    tp: str = ""
    problems: list[str] = field(default_factory=list)   # would not be accepted as it is
    warnings: list[str] = field(default_factory=list)   # accepted, but look at this
    exercises: list[outcomes.Outcome] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)  # the limits the kernel ran under
    described: dict = field(default_factory=dict)  # grade_id -> feedback.Exercise (titles)

    @property
    def ok(self) -> bool:
        return not self.problems


def released_tps(course: Course) -> list[TP]:
    """The TPs of the configuration whose release folder holds a notebook: what a student
    can have (``Course.released_tps`` looks at source/, which a student has not)."""
    return [tp for tp in course.tps if notebooks.notebooks_in(course.release_dir / tp.id)]


def find_release(course: Course, student_nb, name: str) -> Path | None:
    """The release notebook this one comes from: same file name, else most shared grade_ids."""
    candidates = [p for tp in released_tps(course)
                  for p in notebooks.notebooks_in(course.release_dir / tp.id)]
    for path in candidates:
        if path.name == name:
            return path
    ids = {notebooks.grade_id(c) for c in student_nb.cells} - {None}
    scored = [(len(ids & {notebooks.grade_id(c) for c in notebooks.read(p).cells}), p)
              for p in candidates]
    best = max(scored, default=(0, None))
    return best[1] if best[0] else None


def check(course: Course, path: Path) -> Report:
    path = Path(path)
    report = Report()
    try:
        student_nb = notebooks.read(path)
    except (notebooks.NotebookError, OSError) as e:
        report.problems.append(str(e))
        return report
    release_path = find_release(course, student_nb, path.name)
    if release_path is None:
        report.problems.append("this notebook matches no TP of the course (no release notebook "
                               "with its name or its graded cells)")
        return report
    tp = course.tp(release_path.parent.name)
    report.tp = tp.id
    release_nb = notebooks.read(release_path)
    report.described = feedback.exercises_of(release_nb)
    norm = normalise(student_nb, release_nb)
    without_self_checks(norm.nb)   # check_exercise calls: for Jupyter, not a whole run
    report.warnings += [f"repaired: {r}" for r in norm.repairs]
    report.warnings += [f"{i} (grading uses the original)" for i in norm.integrity]
    if norm.unmodified:
        report.problems.append("no answer written yet: an unmodified notebook gets 0")
    with tempfile.TemporaryDirectory(prefix="dl-check-") as tmp:
        work = Path(tmp) / tp.id
        shutil.copytree(release_path.parent, work, ignore=shutil.ignore_patterns("*.ipynb"))
        # the grading engine itself, with the visible tests only: same kernel, same limits
        engine = Engine(course, work_dir=Path(tmp) / ".engine")
        run = engine.run(norm.nb, work, Limits.of(course, tp))
    nb = run.nb
    report.protections = engine.protections
    report.exercises = run.outcomes
    report.warnings += run.notes
    waiting = []  # cells that only wait for an unanswered exercise
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or notebooks.is_test(cell):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            where = notebooks.grade_id(cell) or f"cell {i}"
            if out.get("ename") == "NotImplementedError":
                waiting.append(where)
            elif out.get("ename") in ("KeyboardInterrupt", "CellTimeoutError"):
                note = (f"{where} did not finish in {tp.cell_timeout} s and was interrupted "
                        "(grading does the same): the cells after it may miss what it defines")
                if note not in report.warnings:
                    report.warnings.append(note)
            else:
                report.warnings.append(f"{where} raised {out.get('ename')}: "
                                       f"{outcomes.ANSI.sub('', str(out.get('evalue', '')))[:200]}")
    if waiting:
        report.warnings.append("waiting for unanswered exercises: " + ", ".join(waiting))
    return report


def format_report(report: Report, path: Path) -> str:
    lines = [f"Self-check of {path}" + (f" ({report.tp})" if report.tp else "")]
    for p in report.problems:
        lines.append(f"  PROBLEM  {p}")
    for o in report.exercises:
        mark = "pass" if o.passed else "FAIL"
        ex = report.described.get(o.grade_id)
        lines.append(f"  {mark:<4}  {o.grade_id:<24} {o.max_points:g} pt"
                     + (f"  {ex.title}" if ex and ex.title != o.grade_id else ""))
        if not o.passed:
            lines.append(f"        {o.message}")
            todo = feedback.what_to_do(o, report.described, report.exercises)
            if todo:
                lines.append(f"        -> {todo}")
    for w in report.warnings:
        lines.append(f"  note  {w}")
    if report.protections:
        lines.append("Ran as grading runs it (timeouts, output budget, guard), with: "
                     + "; ".join(report.protections))
    if report.exercises:
        got = sum(o.points for o in report.exercises)
        total = sum(o.max_points for o in report.exercises)
        lines.append(f"Visible tests: {got:g}/{total:g} points. Grading also runs hidden tests, "
                     "so this is an upper bound.")
    return "\n".join(lines)


def check_exercise(exercise, namespace: dict | None = None,
                   root: Path | str | None = None) -> None:
    """From inside a notebook: run an exercise's *visible* test(s), as released, on what the
    kernel holds now (the answers you ran), and say pass / fail, why and what to do.

    ``exercise`` as the notebook prints it: its number (``4``, ``"Exercise 4"``), the
    function it asks for (``"zero_grad"``), its heading, or its test cell's id. In the kit,
    after ``make install``, a cell needs only::

        from graders.check import check_exercise
        check_exercise(4)

    The test comes from the pristine release notebook, so an edited test cell does not
    change it. It is the quick check; ``make check`` runs the whole notebook in a fresh
    kernel, as grading does. Where a notebook is run for grading or by ``make check``
    (``NBGRADER_EXECUTION`` is set) it does nothing: those run every test anyway.
    """
    import os

    if os.environ.get("NBGRADER_EXECUTION"):
        return
    if namespace is None:
        try:
            namespace = get_ipython().user_ns  # noqa: F821 -- defined inside IPython
        except NameError:
            import inspect

            namespace = inspect.currentframe().f_back.f_globals
    try:
        grade_ids = find_exercise(exercise, namespace, root)
    except KeyError as e:
        print(e.args[0])
        return
    for grade_id in grade_ids:
        print(exercise_outcome(grade_id, namespace, root)[1])


def _exercises(course: Course) -> list[tuple[TP, dict]]:
    """(TP, {grade_id: feedback.Exercise}) for each TP the course has released."""
    return [(tp, feedback.exercises_of_tp(course.release_dir / tp.id))
            for tp in released_tps(course)]


def _number(query: str) -> str | None:
    """``4``, ``"4"``, ``"Exercise 4"``, ``"exercise 2a"`` -> ``"4"`` / ``"2a"``; else None."""
    m = re.fullmatch(r"(?:exercise\s*)?(\d+(?:\.\d+)*[a-z]?)\.?", query.strip(), re.I)
    return m.group(1).lower() if m else None


def find_exercise(exercise, namespace: dict | None = None,
                  root: Path | str | None = None) -> list[str]:
    """The test cells (grade_ids) of ``exercise`` as the notebook prints it; KeyError with
    a sentence naming the exercises there are, when none matches.

    The TP is the one whose folder the kernel runs in (Jupyter starts it in the
    notebook's folder), else the one whose answers ``namespace`` defines most of."""
    from ..course.config import ROOT

    course = Course(root or ROOT)
    tps = _exercises(course)
    here = Path.cwd().name
    mine = [t for t in tps if t[0].id == here]
    if not mine and namespace:
        names = set(namespace)
        scored = [(len(names & {d for ex in found.values() for d in ex.defines}), i)
                  for i, (_, found) in enumerate(tps)]
        best = max(scored, default=(0, None))
        mine = [tps[best[1]]] if best[0] else []
    query = str(exercise).strip()
    number = _number(query)
    key = query.lower().strip("`() ")
    for tp, found in mine + [t for t in tps if t not in mine]:
        if query in found:   # a grade_id: exact, in any TP
            return [query]
        if tp.id != (mine[0][0].id if mine else tp.id):
            continue
        hits = [gid for gid, ex in found.items()
                if (number is not None and ex.number is not None
                    and (ex.number.lower() == number or ex.number.lower().startswith(number + ".")))
                or key in (gid.split("_", 1)[-1].lower(), (ex.function or "").lower(),
                           ex.title.lower())]
        if hits:
            return hits
    where = mine[0] if mine else (tps[0] if len(tps) == 1 else None)
    if where is None:
        raise KeyError(f"no exercise {query!r} found: run this in a TP's notebook, or give the "
                       "test cell's id (e.g. check_exercise(\"tp1_zero_grad\"))")
    tp, found = where
    listed = sorted({ex.number or ex.title for ex in found.values()},
                    key=lambda n: [int(p) if p.isdigit() else p for p in n.replace(".", " ").split()])
    raise KeyError(f"no exercise {query!r} in {tp.id}: give its number ({', '.join(listed)}) "
                   "or the function it asks for")


def exercise_outcome(grade_id: str, namespace: dict,
                     root: Path | str | None = None) -> tuple[outcomes.Outcome, str]:
    """One test cell's outcome and text (:func:`check_exercise`), without printing."""
    from ..course.config import ROOT

    course = Course(root or ROOT)
    release_nb = cell = None
    for tp in released_tps(course):
        for path in notebooks.notebooks_in(course.release_dir / tp.id):
            nb = notebooks.read(path)
            found = [c for c in notebooks.test_cells(nb) if notebooks.grade_id(c) == grade_id]
            if found:
                release_nb, cell = nb, found[0]
                break
        if cell is not None:
            break
    if cell is None:
        raise KeyError(f"no exercise {grade_id!r} in this course's notebooks")
    visible = "\n".join(cell.source.splitlines()[: notebooks.visible_lines(cell)])
    points = notebooks.points(cell)
    try:
        exec(compile(visible, f"<visible test {grade_id}>", "exec"), namespace)
        outcome = outcomes.Outcome(grade_id, points, points, True)
    except NotImplementedError:
        outcome = outcomes.Outcome(grade_id, 0.0, points, False,
                                   "not answered yet (a `raise NotImplementedError()` is "
                                   "still there)")
    except Exception as e:  # what the test cell would show
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        outcome = outcomes.Outcome(grade_id, 0.0, points, False, text[:600])
    described = feedback.exercises_of(release_nb)
    ex = described.get(grade_id)
    title = f" ({ex.title})" if ex and ex.title != grade_id else ""
    if outcome.passed:
        return outcome, (f"pass  {grade_id}{title}: the visible test passes; hidden tests "
                         "check more (see the docstring's edge cases)")
    text = f"FAIL  {grade_id}{title}\n      {outcome.message}"
    todo = feedback.what_to_do(outcome, described, [outcome])
    return outcome, text + (f"\n      -> {todo}" if todo else "")


def link(site_packages: Path | None = None, kit: Path | None = None) -> Path:
    """Make ``from graders.check import check_exercise`` work in every notebook of the kit:
    a ``.pth`` file naming the kit's folder, in the interpreter's site-packages (the
    kit's ``make install`` runs this in its .venv). Returns the file."""
    import sysconfig

    from ..course.config import ROOT

    folder = Path(site_packages or sysconfig.get_paths()["purelib"])
    target = folder / "dl-course-self-check.pth"
    target.write_text(f"{Path(kit or ROOT).resolve()}\n", encoding="utf-8")
    return target


def main(argv=None) -> int:
    """``python -m graders.check NOTEBOOK...``: what the students' kit runs (no source/)."""
    from ..course.config import ROOT

    parser = argparse.ArgumentParser(prog="python -m graders.check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK")
    parser.add_argument("--link", action="store_true",
                        help="make `from graders.check import check_exercise` work in this "
                             "interpreter's notebooks (the kit's make install runs it)")
    parser.add_argument("--root", default=str(ROOT),
                        help="the course folder (holds course_config.py and release/)")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="also append the reports to FILE, as Markdown "
                             "(GitHub Actions' $GITHUB_STEP_SUMMARY)")
    args = parser.parse_args(argv)
    if args.link:
        print(f"check_exercise importable from every notebook: {link(kit=Path(args.root))}")
        return 0
    if not args.notebooks:
        parser.error("give the notebook(s) to check")
    course = Course(args.root)
    status = 0
    for path in args.notebooks:
        report = check(course, path)
        text = format_report(report, path)
        print(text, flush=True)
        if args.summary:
            with open(args.summary, "a", encoding="utf-8") as out:
                out.write(f"```\n{text}\n```\n\n")
        status = status or (0 if report.ok else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
