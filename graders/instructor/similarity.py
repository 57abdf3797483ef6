"""Similarity between submissions: pairs of students whose answers are unusually alike.

Evidence for a person to judge, never a grade change. For each TP:

1. each student's **answers** are the solution cells of their normalised submission (the
   same transplant grading runs, ``normalise``), joined in notebook order; a solution cell
   left as the release stub is no answer. The student's other cells (experiments, notes)
   are not compared;
2. the **release's own code** (every code cell of the release notebook: stubs, helpers,
   the visible tests) is boilerplate: a passage found there is never a match;
3. ``copydetect`` (a maintained implementation of MOSS's winnowing, Schleimer, Wilkerson
   and Aiken, SIGMOD 2003) tokenizes the code with Pygments, replaces every variable,
   function and class name by one letter and drops whitespace and comments, so renamed
   variables and reformatted code still match; k-grams of that text are hashed and
   winnowed, and the fingerprints two students share give each the share of their
   answers found in the other's.

A pair's score is the larger of the two shares: a short answer copied whole into a longer
one scores high. Settings, in ``course_config.py`` (defaults here when absent):
``SIMILARITY_THRESHOLD`` (pairs at or above it are listed), ``SIMILARITY_NOISE`` (the
shortest match counted, in characters of the name-blind text: copydetect's noise
threshold k), ``SIMILARITY_WINDOW`` (winnowing window; 1 keeps every k-gram, so every
match of k characters or more is found and the scores do not depend on Python's
per-process string hashing, which larger windows do), ``SIMILARITY_TOP`` (pairs shown
per TP).

``python -m graders.instructor.similarity [--root DIR] [--tp TP1]`` prints the ranking.
"""
from __future__ import annotations

import argparse
import io
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..course import notebooks
from ..course.config import ROOT, Course
from ..grading.normalise import normalise
from ..grading.submissions import find as find_submissions

DEFAULTS = dict(SIMILARITY_THRESHOLD=0.5, SIMILARITY_NOISE=25, SIMILARITY_WINDOW=1,
                SIMILARITY_TOP=20)


def setting(course: Course, name: str):
    return getattr(course.module, name, DEFAULTS[name])


@dataclass
class Pair:
    tp: str
    a: str
    b: str
    share_a: float          # share of a's answers found in b's
    share_b: float          # share of b's answers found in a's
    overlap: int            # characters of name-blind text in common
    code_a: str = ""        # a's answers, HTML-escaped, matches in <mark>
    code_b: str = ""
    cells: list[str] = field(default_factory=list)  # grade ids both answered

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


# -- what is compared ------------------------------------------------------------------
def _pair_notebooks(release: list[Path], sent: list[Path]) -> list[tuple[Path, Path]]:
    """(release notebook, the student's file for it): by name, else a lone notebook."""
    by_name = {}
    for p in sent:  # shallowest first: the first of each name wins, as grading does
        by_name.setdefault(p.name, p)
    pairs = [(r, by_name[r.name]) for r in release if r.name in by_name]
    if not pairs and len(release) == 1 and sent:
        pairs = [(release[0], sent[0])]
    return pairs


def boilerplate(course: Course, tp_id: str) -> str:
    """Every code cell of the TP's release notebooks: never evidence of copying."""
    parts = []
    for path in notebooks.notebooks_in(course.release_dir / tp_id):
        nb = notebooks.read(path)
        parts += [c.source for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return "\n\n".join(parts)


def release_lines(course: Course, tp_id: str) -> set[str]:
    """The lines of the release's solution cells (signatures, docstrings, the stub's
    ``raise``), stripped: every student has them, so they are never marked as shared."""
    lines = set()
    for path in notebooks.notebooks_in(course.release_dir / tp_id):
        for c in notebooks.solution_cells(notebooks.read(path)):
            lines |= {line.strip() for line in c.source.splitlines() if line.strip()}
    return lines


def _unmarked(doc: str, slices, given: set[str]):
    """``slices`` (copydetect's 2 x N starts / ends in ``doc``) less the lines of ``doc``
    that are in ``given``: a match that runs into a signature or docstring the release
    gave stops at it."""
    import numpy as np

    cut, at = [], 0
    for line in doc.splitlines(keepends=True):
        if line.strip() and line.strip() in given:
            cut.append((at, at + len(line)))
        at += len(line)
    kept = []
    for start, end in zip(*(slices.tolist() if hasattr(slices, "tolist") else slices)):
        for c0, c1 in cut:
            if c1 <= start or c0 >= end:
                continue
            if c0 > start:
                kept.append((start, c0))
            start = max(start, c1)
        if start < end:
            kept.append((start, end))
    kept = [(a, b) for a, b in kept if doc[a:b].strip()]
    return np.array([[a for a, _ in kept], [b for _, b in kept]], dtype=np.int64).reshape(2, -1)


def answers(course: Course, tp_id: str) -> dict[str, dict[str, str]]:
    """Per student, per solution cell (grade id), the answer they wrote; students whose
    notebook cannot be read, or who answered nothing, are left out."""
    release = notebooks.notebooks_in(course.release_dir / tp_id)
    release_nbs = {p: notebooks.read(p) for p in release}
    out = {}
    for (student, _), sub in sorted(find_submissions(course.submitted_dir, [tp_id]).items()):
        cells = {}
        for rel_path, sent in _pair_notebooks(release, sub.notebooks):
            rel_nb = release_nbs[rel_path]
            try:
                nb = normalise(sub.read_notebook(sent), rel_nb).nb
            except Exception:  # unreadable or unparseable: nothing to compare
                continue
            stubs = {notebooks.grade_id(c): c.source for c in notebooks.solution_cells(rel_nb)}
            for c in notebooks.solution_cells(nb):
                gid = notebooks.grade_id(c)
                if c.cell_type == "code" and c.source.strip() and c.source != stubs.get(gid):
                    cells[f"{rel_path.stem}/{gid}"] = c.source
        if cells:
            out[student] = cells
    return out


def joined(cells: dict[str, str]) -> str:
    return "\n\n".join(cells.values()) + "\n"


# -- scoring ---------------------------------------------------------------------------
def compare(docs: dict[str, str], boiler: str, *, noise: int = 25, window: int = 1,
            tp: str = "", progress: bool = False, highlight_at: float = 0.0,
            given: set[str] | None = None) -> list[Pair]:
    """Every pair of ``docs`` (student -> Python code), most similar first; the matching
    code is marked (``code_a``, ``code_b``) for pairs scoring ``highlight_at`` or more,
    never on a line of ``given`` (the release's own lines, :func:`release_lines`)."""
    import numpy as np
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import highlight_overlap
    from tqdm import tqdm

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    boiler_hashes = np.array([], dtype=np.int64)
    if boiler.strip():
        bp = CodeFingerprint("boilerplate.py", noise, 1, fp=io.StringIO(boiler), language="python")
        boiler_hashes = np.unique(np.array(sorted(bp.hashes), dtype=np.int64))
    prints = {s: CodeFingerprint(f"{s}.py", noise, window, boiler_hashes,
                                 fp=io.StringIO(code), language="python")
              for s, code in docs.items()}
    students = sorted(prints)
    todo = [(a, b) for i, a in enumerate(students) for b in students[i + 1:]]
    pairs = []
    for a, b in tqdm(todo, desc=f"similarity {tp}".strip(), unit="pair",
                     disable=not progress or len(todo) < 500, leave=False):
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        pair = Pair(tp, a, b, float(sim_a), float(sim_b), int(overlap))
        if overlap and pair.score >= highlight_at:
            if given:
                slices_a = _unmarked(docs[a], slices_a, given)
                slices_b = _unmarked(docs[b], slices_b, given)
            pair.code_a = highlight_overlap(docs[a], slices_a, "<mark>", "</mark>",
                                            escape_html=True)[0]
            pair.code_b = highlight_overlap(docs[b], slices_b, "<mark>", "</mark>",
                                            escape_html=True)[0]
        pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, -p.overlap, p.a, p.b))
    return pairs


def rank(course: Course, tp_id: str, progress: bool = False) -> list[Pair]:
    """Every pair of students who answered something in ``tp_id``, most similar first."""
    found = answers(course, tp_id)
    pairs = compare({s: joined(c) for s, c in found.items()}, boilerplate(course, tp_id),
                    noise=int(setting(course, "SIMILARITY_NOISE")),
                    window=int(setting(course, "SIMILARITY_WINDOW")), tp=tp_id,
                    progress=progress,
                    highlight_at=float(setting(course, "SIMILARITY_THRESHOLD")),
                    given=release_lines(course, tp_id))
    for p in pairs:
        p.cells = sorted(set(found[p.a]) & set(found[p.b]))
    return pairs


def flagged(course: Course, pairs: list[Pair]) -> list[Pair]:
    """The pairs to show: at or above the threshold, the first SIMILARITY_TOP."""
    threshold = float(setting(course, "SIMILARITY_THRESHOLD"))
    return [p for p in pairs if p.score >= threshold][: int(setting(course, "SIMILARITY_TOP"))]


# -- command line ----------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.instructor.similarity",
                                     description="rank pairs of students by the similarity "
                                                 "of their answers (evidence, not a grade)")
    parser.add_argument("--root", default=str(ROOT), help="the course directory")
    parser.add_argument("--tp", action="append", help="only this TP (repeatable)")
    parser.add_argument("--all", action="store_true", help="every pair, not only flagged ones")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "submitted").is_dir():
        print(f"error: no submitted/ folder in {root}: nothing to compare", file=sys.stderr)
        return 2
    course = Course(root)
    try:
        tps = [course.tp(t) for t in args.tp] if args.tp else course.released_tps
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    threshold = float(setting(course, "SIMILARITY_THRESHOLD"))
    for tp in tps:
        pairs = rank(course, tp.id, progress=True)
        shown = pairs if args.all else flagged(course, pairs)
        print(f"{tp.id}: {len(pairs)} pairs compared, {len(flagged(course, pairs))} at or "
              f"above {threshold:.0%}")
        for p in shown:
            print(f"  {p.score:6.1%}  {p.a} ~ {p.b}  ({p.share_a:.0%} of {p.a}'s answers, "
                  f"{p.share_b:.0%} of {p.b}'s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
