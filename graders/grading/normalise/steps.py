"""The order of the matching: the one place that says which step runs when.

Each step reads what the ones before it recorded (``matching.Matching``); the order is
the package's docstring, and changing it changes what is found.
"""
from __future__ import annotations

from nbformat import NotebookNode

from . import answers, assemble, by_content, by_metadata, edited, notes, skeleton
from .matching import Matching, Normalised


def normalise(student: NotebookNode, release: NotebookNode) -> Normalised:
    """Build the notebook that grading runs; ``student`` is not modified."""
    m = Matching(student, release)        # the release indexed; merged cells cut (unmerge)
    # 1. read-only cells: the surest signs first, then the skeleton they draw
    by_metadata.claim(m)
    by_content.claim(m)
    skeleton.find(m)
    edited.claim(m)                       # searched between the skeleton's anchors
    # 2. answers, in release order: a cell placed for one is not a candidate for the next
    for r in m.rel.solutions:
        answers.place(m, r)
    notes.note_read_only_cells(m)
    # 3. the notebook: the release, with the answers and the student's own cells
    assemble.assemble(m)
    return m.out
