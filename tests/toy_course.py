"""A tiny course (one TP, two exercises, no torch) to test the grading machinery fast.

The real TPs take seconds per execution; the machinery's own tests run on this toy
course, built from code here into a temporary directory, with the repository's real
``course_config.py`` and only the TP list replaced.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
TP_ID = "TP0_toy"
NOTEBOOK = "toy.ipynb"


def _meta(gid, *, solution=False, grade=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Toy TP\nTwo exercises.", metadata=_meta("toy_intro", locked=True)),
        new_code_cell("import os\nGRADING = os.environ.get('NBGRADER_EXECUTION') == 'autograde'",
                      metadata=_meta("toy_setup", locked=True)),
        new_code_cell('def square(x):\n    """Inputs: a number x. Returns x squared."""\n'
                      "    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                      metadata=_meta("toy_square_solution", solution=True)),
        new_code_cell("assert square(2) == 4, f'expected 4, got {square(2)}'\n"
                      "### BEGIN HIDDEN TESTS\nassert float(square(-3)) == 9.0, 'hidden: square(-3)'\n"
                      "### END HIDDEN TESTS",
                      metadata=_meta("toy_square", grade=True, locked=True, points=3)),
        new_code_cell('def cube(x):\n    """Inputs: a number x. Returns x cubed."""\n'
                      "    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION",
                      metadata=_meta("toy_cube_solution", solution=True)),
        new_code_cell("assert cube(1) == 1, f'expected 1, got {cube(1)}'\n"
                      "### BEGIN HIDDEN TESTS\nassert float(cube(2)) == 8.0, 'hidden: cube(2)'\n"
                      "### END HIDDEN TESTS",
                      metadata=_meta("toy_cube", grade=True, locked=True, points=2)),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"toy-{i}"
    nb = new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})
    return nb


def make(root: Path, due: str = "2026-09-15 18:00") -> Path:
    """Write the toy course under ``root``; returns root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "course_config.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(ROOT / 'course_config.py')!r}))\n"
        f"TPS = [dict(id={TP_ID!r}, title='toy', due={due!r}, cell_timeout=10,"
        " notebook_timeout=60)]\n"
        "STUDENTS = ['alice', 'bob', 'carol']\n")
    (root / "source" / TP_ID).mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), str(root / "source" / TP_ID / NOTEBOOK))
    return root
