"""Grading, stage 1: from what a student handed in to the notebooks the engine will run.

No kernel here. For one (student, TP) it reads the hand-in time, pairs the submitted
notebooks with the TP's release notebooks, rebuilds each on its pristine release
(``graders.grading.normalise``), scans the answers for integrity flags, and puts the hidden
tests back into the test cells (from the TP's source notebook, which only the grader
has). What it cannot grade at all (an unreadable notebook, none of the TP's notebooks,
another TP's notebook) comes back as an early decision, with its reason.

Misfiled work is sorted out here too, before grading (``route``): a notebook is known by
its grade_ids, so another TP's notebook in a TP's folder is graded as that TP (or refused:
"this is TP2's notebook"), and among several notebooks in a folder the one with answers
is graded; each case is noted in the result and flagged for the instructor.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from . import integrity, policy
from ..course import notebooks
from ..course.config import TP, Course
from .normalise import normalise, without_self_checks
from .submissions import TIMESTAMP_FILE, Submission


@dataclass
class Prepared:
    """What stage 2 runs, and what stage 1 learnt on the way."""
    to_run: list[tuple[str, object]] = field(default_factory=list)  # (notebook name, nb)
    submitted_at: str | None = None
    late_by: object = None                      # timedelta past the grace, or None
    answered: bool = False                      # some solution cell differs from the release
    repairs: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # for the instructor (also in repairs)
    decided: policy.Grade | None = None         # set when there is nothing to run

    def note(self, text: str) -> None:
        """A note the student reads and the instructor is flagged."""
        self.repairs.append(text)
        self.flags.append(text)


def prepare(course: Course, tp: TP, sub: Submission, release: dict[str, object],
            source: dict[str, object]) -> Prepared:
    """Stage 1 for one submission.

    ``release`` and ``source`` map each of the TP's notebook names to its pristine release
    notebook and to its source notebook (solutions and hidden tests); neither is changed.
    """
    out = Prepared()
    # links, FIFOs, hard links out of the hand-in: never followed or opened, always flagged
    out.integrity += [r.note() for r in sub.refused]
    if sub.refusal is not None:
        out.decided = policy.Grade(0, sub.refusal.note())
        return out
    try:
        when = sub.timestamp(course.module.TIME_ZONE)
    except ValueError as e:
        when = None
        out.integrity.append(str(e))
    out.submitted_at = when.isoformat() if when else None
    out.late_by = policy.lateness(when, tp.due, course.policy.grace)

    if sub.found_in:
        out.note(f"{_rel(sub, sub.only)} was handed in as {sub.found_in}: its exercises "
                 f"are {policy.short(tp.id)}'s, so it is graded as {tp.id}")
    foreign = {path: (other, why_not) for path, other, why_not in sub.foreign}
    for path, (other, why_not) in foreign.items():
        out.note(f"{_rel(sub, path)} is {policy.short(other)}'s notebook: "
                 + (f"not graded ({why_not})" if why_not else f"graded as {other}"))
    candidates = [p for p in sub.notebooks if p not in foreign]
    if not candidates:
        others = sorted({policy.short(o) for o, _ in foreign.values()})
        graded = not any(why_not for _, why_not in foreign.values())
        out.decided = policy.Grade(0, f"this is {' and '.join(others)}'s notebook"
                                   + (f" (graded as {' and '.join(others)})" if graded else ""))
        return out

    unreadable, found_any = None, False
    names = list(release)
    for name, chosen in choose_notebooks(sub, names, candidates, release, out):
        release_nb = release[name]
        found_any = found_any or chosen is not None
        if chosen is None:
            out.repairs.append(f"{name} is missing: its exercises score 0")
            norm = normalise(release_nb, release_nb)
        elif isinstance(chosen[1], str):
            path, error = chosen
            unreadable = f"{path.name}: {error}" if len(names) > 1 else error
            # for the instructor's "needs a look" (grades.csv's flags, the report)
            out.flags.append(f"{_rel(sub, path)} could not be read: {error}")
            norm = normalise(release_nb, release_nb)
        else:
            norm = chosen[1]
        out.repairs += norm.repairs
        out.integrity += norm.integrity
        out.integrity += integrity.scan(
            [c.source for c in norm.nb.cells if c.cell_type == "code"
             and (notebooks.is_solution(c) or not notebooks.meta(c))])
        out.answered = out.answered or not norm.unmodified
        without_self_checks(norm.nb)   # check_exercise calls: for Jupyter, not grading
        out.to_run.append((name, with_hidden_tests(norm.nb, source[name])))
    ignored = [rel for rel in sub.listing.files if "/" not in rel
               and not rel.endswith(".ipynb") and rel != TIMESTAMP_FILE] \
        if sub.only is None else []
    if ignored:
        out.repairs.append("files ignored (grading uses the TP's own copies): "
                           + ", ".join(ignored))
    if unreadable and len(names) == 1:
        out.decided = policy.Grade(0, unreadable)
    elif not found_any:
        sent = ", ".join(p.name for p in candidates)
        out.decided = policy.Grade(0, f"no {', '.join(names)} found (handed in: {sent})")
    return out


def _rel(sub: Submission, path: Path | None) -> str:
    """A notebook's path as the student knows it: relative to the hand-in folder."""
    if path is None:
        return "the notebook"
    try:
        return str(path.relative_to(sub.folder))
    except ValueError:
        return path.name


def choose_notebooks(sub: Submission, names: list[str], sent: list[Path],
                     release: dict[str, object], out: Prepared):
    """(release notebook name, what to grade for it), for each of the TP's notebooks:
    None (nothing handed in for it), (path, why it is unreadable), or (path, normalised).

    The files that may be a release notebook are every file, when the TP has one notebook;
    else those of its name, or (when it is the only one not found by name) every file of
    another name ("micrograd (1).ipynb", "Copy
    of ..."). Among several, the one with the most answers is graded (then the one of
    the release's name, then the shallowest); the others are noted, and flagged.
    """
    unclaimed = [p for p in sent if p.name not in names]
    unmatched = [n for n in names if not any(p.name == n for p in sent)]
    for name in names:
        group = [p for p in sent if p.name == name]
        if len(names) == 1 or (not group and len(unmatched) == 1):
            group = [p for p in sent if p in group or p in unclaimed]   # shallowest first
        if not group:
            yield name, None
            continue
        read = [(p, _read_normalised(sub, p, release[name])) for p in group]
        # sent is shallowest first; max keeps the first of equals
        best = max(read, key=lambda pr: (not isinstance(pr[1], str),
                                         0 if isinstance(pr[1], str) else len(pr[1].answered),
                                         pr[0].name == name))
        path, what = best
        if path.name != name:
            out.repairs.append(f"notebook {_rel(sub, path)!r} graded as {name!r} (renamed)")
        if len(read) > 1:
            out.note(_several_note(sub, best, [r for r in read if r[0] != path]))
        yield name, best


def _read_normalised(sub: Submission, path: Path, release_nb):
    """The notebook at ``path`` rebuilt on the release, or why it cannot be read."""
    try:
        nb = sub.read_notebook(path)
        if not nb.cells:
            raise notebooks.NotebookError("notebook has no cells: save it in Jupyter or "
                                          "Colab before handing it in, then hand it in again")
    except notebooks.NotebookError as e:
        return str(e)
    return normalise(nb, release_nb)


def _several_note(sub: Submission, best, others) -> str:
    def answers(what) -> str:
        if isinstance(what, str):
            return "unreadable"
        n = len(what.answered)
        return f"{n} exercise{'s' * (n != 1)} answered" if n else "no answer"

    path, what = best
    with_answers = [p for p, w in [best, *others] if not isinstance(w, str) and w.answered]
    why = ("the most answers" if len(with_answers) > 1 else
           "the one with answers" if with_answers else "none has answers")
    rest = "; ".join(f"{_rel(sub, p)} ({answers(w)})" for p, w in others)
    return (f"{len(others) + 1} notebooks in the folder: {_rel(sub, path)} graded "
            f"({answers(what)}: {why}); not graded: {rest}")


# -- misfiled work: a notebook handed in as another TP ---------------------------------
def fingerprints(course: Course) -> dict[str, frozenset[str]]:
    """The grade_ids of each released TP's notebooks (from source/: the release has the
    same), by TP id: what tells which TP a handed-in notebook belongs to."""
    out = {}
    for tp in course.released_tps:
        ids = set()
        for path in notebooks.notebooks_in(course.source_dir / tp.id):
            try:
                ids |= _grade_ids(notebooks.read(path))
            except notebooks.NotebookError:
                pass
        out[tp.id] = frozenset(ids)
    return out


def _grade_ids(nb) -> set[str]:
    return {gid for c in nb.cells if (gid := notebooks.grade_id(c))}


def identify(path: Path, prints: dict[str, frozenset[str]],
             sub: Submission | None = None) -> str | None:
    """The TP whose exercises a notebook holds (most grade_ids in common, and no tie), or
    None: unreadable, no nbgrader metadata, or no TP's. ``sub``: the hand-in it is from
    (read as its file: ``Submission.read_notebook``)."""
    try:
        ids = _grade_ids(sub.read_notebook(path) if sub is not None else notebooks.read(path))
    except notebooks.NotebookError:
        return None
    common = sorted(((len(ids & tp_ids), tp) for tp, tp_ids in prints.items()), reverse=True)
    if not common or common[0][0] == 0 or (len(common) > 1 and common[1][0] == common[0][0]):
        return None
    return common[0][1]


def route(found: dict, prints: dict[str, frozenset[str]], tp_ids: list[str]) -> dict:
    """The submissions with misfiled notebooks sorted out (no kernel; nothing written).

    A notebook whose grade_ids are another TP's (a TP2 notebook in the TP1 folder) is
    that TP's: it is graded as that TP when that is unambiguous (that TP is being graded,
    the student has no notebook for it in its own folder, and this is the only such
    notebook), and the folder it was found in records it (``Submission.foreign``, which
    ``prepare`` turns into notes and, when the folder has nothing else, "this is TP2's
    notebook").
    """
    out = dict(found)
    kinds, moved = {}, {}
    for key, sub in found.items():
        if sub.found_in:
            continue
        kinds[key] = {p: identify(p, prints, sub) for p in sub.notebooks}
        for p, who in kinds[key].items():
            if who is not None and who != key[1]:
                moved.setdefault((key[0], who), []).append((p, key))
    why_not: dict[Path, str] = {}
    for (student, other), items in moved.items():
        own = kinds.get((student, other), {})
        if other not in tp_ids:
            reason = f"{other} is not graded in this run"
        elif any(who in (None, other) for who in own.values()):
            reason = f"{other} has its own hand-in"
        elif len(items) > 1:
            reason = f"{len(items)} notebooks of {policy.short(other)} were handed in elsewhere"
        else:
            reason = ""
            path, (_, where) = items[0]
            out[(student, other)] = Submission(student, other, found[(student, where)].folder,
                                               only=path, found_in=where,
                                               limits=found[(student, where)].limits)
        for path, _ in items:
            why_not[path] = reason
    for key, kind in kinds.items():
        foreign = tuple((p, who, why_not[p]) for p, who in kind.items() if p in why_not)
        if foreign:
            out[key] = dataclasses.replace(out[key], foreign=foreign)
    return out


def with_hidden_tests(normalised, source_nb):
    """The normalised notebook with each test cell's source as in the source notebook.

    Normalising already restored every test cell from the release (visible tests only);
    the source's version adds the hidden tests, as nbgrader's autograde restores them from
    its gradebook.
    """
    nb = copy.deepcopy(normalised)
    full = {notebooks.grade_id(c): c.source for c in notebooks.test_cells(source_nb)}
    for cell in notebooks.test_cells(nb):
        gid = notebooks.grade_id(cell)
        if gid in full:
            cell.source = full[gid]
    return nb
