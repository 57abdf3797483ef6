"""A small class, graded without a kernel: for the report, similarity and LMS export tests.

Nothing here runs a notebook. The course has two TPs of three exercises each (a release
notebook with nbgrader metadata, no torch); ``submit`` writes hand-ins for the
similarity finder, and ``results`` writes the JSON results grading would have stored,
covering what the report must show: each grade, a late hand-in, a missing one, an
integrity note, a repair, a grading failure, an override, an unknown (newer) field.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders import grade as grade_mod
from graders.course.config import Course
from graders.grading.outcomes import Outcome
from graders.grading.results import Result, save

ROOT = Path(__file__).resolve().parent.parent
TPS = ["TP1_class", "TP2_class"]
NOTEBOOK = "class.ipynb"
STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "absent"]

HELPER = '''def check_close(got, want, tol=1e-9):
    """Compare two lists of floats, element by element, and explain the first difference."""
    assert len(got) == len(want), f"expected {len(want)} values, got {len(got)}"
    for index, (g, w) in enumerate(zip(got, want)):
        assert abs(g - w) <= tol, f"value {index}: expected {w}, got {g}"
    return True
'''

STUBS = {
    "normalize": "def normalize(values):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "moving_average": "def moving_average(values, window):\n    # YOUR CODE HERE\n"
                      "    raise NotImplementedError()",
    "stack": "class Stack:\n    # YOUR CODE HERE\n    raise NotImplementedError()",
}

# -- answers: alice's, bob's (alice's with renamed variables, other spacing and comments),
#    and independent ones
ALICE = {
    "normalize": '''def normalize(values):
    total = 0.0
    for v in values:
        total += v
    if total == 0:
        raise ValueError("the values sum to zero")
    return [v / total for v in values]
''',
    "moving_average": '''def moving_average(values, window):
    out = []
    running = 0.0
    for i, v in enumerate(values):
        running += v
        if i >= window:
            running -= values[i - window]
        if i >= window - 1:
            out.append(running / window)
    return out
''',
    "stack": '''class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise IndexError("pop from an empty stack")
        return self.items.pop()

    def peek(self):
        return self.items[-1]

    def __len__(self):
        return len(self.items)
''',
}

BOB = {
    "normalize": '''def normalize(values):
  # add everything up first
  s=0.0
  for x in values :
      s+= x
  if s==0 :
      raise ValueError( "cannot normalise: sum is 0" )

  return [ x/s for x in values ]
''',
    "moving_average": '''def moving_average(values, window):
  res=[]
  acc=0.0   # sum of the current window
  for j,x in enumerate( values ):
      acc+=x
      if j>=window :
          acc-=values[ j-window ]
      if j>=window-1 :
          res.append( acc/window )
  return res
''',
    "stack": '''class Stack:

  def __init__( self ):
      self.data=[]


  def push( self, elem ):
      self.data.append( elem )

  def pop( self ):
      if not self.data :
          raise IndexError( "stack is empty" )
      return self.data.pop( )

  def peek( self ):
      return self.data[ -1 ]

  def __len__( self ):
      return len( self.data )
''',
}

CAROL = {
    "normalize": '''import numpy as np

def normalize(values):
    arr = np.asarray(values, dtype=float)
    return (arr / arr.sum()).tolist()
''',
    "moving_average": '''import numpy as np

def moving_average(values, window):
    kernel = np.ones(window) / window
    return np.convolve(np.asarray(values, dtype=float), kernel, mode="valid").tolist()
''',
    "stack": '''from collections import deque

class Stack(deque):
    """A deque used from one end only."""
    def push(self, item):
        self.append(item)

    def peek(self):
        if len(self) == 0:
            raise IndexError("peek at an empty stack")
        return self[len(self) - 1]
''',
}

DAVE = {
    "normalize": '''def normalize(values):
    if not values:
        return []
    m = sum(values)
    result = list()
    for k in range(len(values)):
        result.append(values[k] / m)
    return result
''',
    "moving_average": '''def moving_average(values, window):
    n = len(values)
    return [sum(values[start:start + window]) / window for start in range(n - window + 1)]
''',
    "stack": '''class Stack:
    def __init__(self):
        self._cells = {}
        self._size = 0

    def push(self, item):
        self._cells[self._size] = item
        self._size = self._size + 1

    def pop(self):
        self._size = self._size - 1
        return self._cells.pop(self._size)

    def peek(self):
        return self._cells[self._size - 1]

    def __len__(self):
        return self._size
''',
}

# frank and gina share only the release's own helper, pasted into their answers
FRANK = {"normalize": HELPER + '''
def normalize(values):
    return [x / sum(values) for x in values]
''', "moving_average": HELPER}
GINA = {"normalize": HELPER + '''
def normalize(values):
    s = float(sum(values))
    return list(map(lambda y: y / s, values))
''', "moving_average": HELPER}
ANSWERS = {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE, "frank": FRANK,
           "gina": GINA, "erin": {}}  # erin handed the release in untouched


def _meta(gid, *, solution=False, grade=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


EXERCISES = ["normalize", "moving_average", "stack"]


def release_notebook(tp: str) -> nbformat.NotebookNode:
    short = tp.split("_")[0].lower()
    cells = [new_markdown_cell(f"# {tp}", metadata=_meta(f"{short}_intro", locked=True)),
             new_code_cell(HELPER, metadata=_meta(f"{short}_helper", locked=True))]
    for ex in EXERCISES:
        cells.append(new_code_cell(STUBS[ex], metadata=_meta(f"{short}_{ex}_solution",
                                                             solution=True)))
        cells.append(new_code_cell(f"assert True  # visible test of {ex}",
                                   metadata=_meta(f"{short}_{ex}", grade=True, locked=True,
                                                  points=2)))
    for i, cell in enumerate(cells):
        cell["id"] = f"{short}-{i}"
    return new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})


def make(root: Path, extra_config: str = "") -> Course:
    """The course, released (release/ written as nbgrader would), nothing handed in."""
    root.mkdir(parents=True, exist_ok=True)
    tps = ", ".join(f"dict(id={tp!r}, title='class {tp}', due='2026-09-{15 + 7 * i} 18:00', "
                    "cell_timeout=10, notebook_timeout=60)" for i, tp in enumerate(TPS))
    (root / "course_config.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(ROOT / 'course_config.py')!r}))\n"
        f"TPS = [{tps}]\nSTUDENTS = {STUDENTS!r}\n" + extra_config)
    for tp in TPS:
        nb = release_notebook(tp)
        for folder in ("source", "release"):
            (root / folder / tp).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(root / folder / tp / NOTEBOOK))
    return Course(root)


def submit(course: Course, student: str, answers: dict[str, str], tp: str = TPS[0]) -> Path:
    """``student`` hands in the release with ``answers`` (exercise -> code) filled in."""
    nb = release_notebook(tp)
    short = tp.split("_")[0].lower()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for ex, code in answers.items():
            if gid == f"{short}_{ex}_solution":
                cell.source = code
    folder = course.submitted_dir / student / tp
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / NOTEBOOK))
    return folder


def _outcomes(tp: str, passed: list[bool], message="assert failed: expected 3, got 2"):
    short = tp.split("_")[0].lower()
    return [Outcome(f"{short}_{ex}", 2.0 if ok else 0.0, 2.0, ok, "" if ok else message)
            for ex, ok in zip(EXERCISES, passed)]


def results(course: Course) -> list[Result]:
    """The stored results of the class (and an overrides.csv); returns them."""
    tp1, tp2 = TPS
    sandbox = ["memory limited to 4096 MiB"]
    made = [
        Result("alice", tp1, 2, "6/6 points: complete", 6, 6, _outcomes(tp1, [1, 1, 1]),
               submitted_at="2026-09-15T15:00:00+00:00", sandbox=sandbox,
               timings={"normalise_s": 0.02, "autograde_s": 4.5}),
        Result("alice", tp2, 1, "4/6 points: decent (5.4 needed for a 2)", 4, 6,
               _outcomes(tp2, [1, 1, 0], "not answered yet"),
               timings={"normalise_s": 0.02, "autograde_s": 3.0}),
        Result("bob", tp1, 2, "6/6 points: complete", 6, 6, _outcomes(tp1, [1, 1, 1]),
               repairs=["notebook 'class (1).ipynb' graded as 'class.ipynb' (renamed)"],
               timings={"normalise_s": 0.03, "autograde_s": 5.5}),
        Result("carol", tp1, 1, "4/6 points: decent (5.4 needed for a 2)", 4, 6,
               _outcomes(tp1, [1, 0, 1]),
               integrity=["test cell tp1_moving_average was edited; the original was restored"],
               timings={"normalise_s": 0.02, "autograde_s": 12.25}),
        Result("dave", tp1, 0, "late by 2 h 13 min", 6, 6, _outcomes(tp1, [1, 1, 1]),
               timings={"normalise_s": 0.02, "autograde_s": 4.0}),
        Result("erin", tp1, 0, "unmodified release notebook (no answer written)", 0, 6,
               _outcomes(tp1, [0, 0, 0], "not answered yet"),
               timings={"normalise_s": 0.01, "autograde_s": 2.0}),
        Result("frank", tp1, 0, "grading failed (RuntimeError: kernel died); see the log and "
               "regrade", log="Traceback ...\nRuntimeError: kernel died"),
        Result("gina", tp1, 0, "2/6 points: below the 3 needed for a 1", 2, 6,
               _outcomes(tp1, [1, 0, 0]), timings={"normalise_s": 0.02, "autograde_s": 3.5}),
        Result("absent", tp1, 0, "no submission"),
    ]
    for r in made:
        save(r, course.results_dir)
    (course.root / "overrides.csv").write_text(
        "student,tp,grade,reason\ngina,TP1,1,discussed in class\n")
    return made


def add_future_fields(course: Course) -> None:
    """Fields a newer grader may write, which this version does not know."""
    path = course.results_dir / "alice" / f"{TPS[0]}.json"
    data = json.loads(path.read_text())
    data["stages"] = {"normalise": {"s": 0.02}}
    data["exercises"][0]["hint"] = "a field of the future"
    path.write_text(json.dumps(data))


def published(root: Path, extra_config: str = "") -> Course:
    """The class, handed in, graded (results stored), published (grades.csv, feedback)."""
    course = make(root, extra_config)
    for student, answers in ANSWERS.items():
        submit(course, student, answers)
    results(course)
    grade_mod.publish(course)  # today's reader: before the fields it does not know
    add_future_fields(course)
    return course


def private_copy(course: Course, tmp_path: Path) -> Course:
    """A copy of a published class for one test that writes into it or changes its settings."""
    import shutil

    root = tmp_path / "course"
    shutil.copytree(course.root, root, symlinks=True)
    return Course(root)
