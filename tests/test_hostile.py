"""Hostile and broken submissions (docs/design.md §6): each gets a grade and a clear reason,
no submitted file changes, and one of them never spoils another's grade.

All of them are graded in one batch with honest students around them, so that an
attack on the gradebook or on the grader would show in the others' grades."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from graders.course import notebooks
from graders.grade import grade_course

from . import toy_course
from .conftest import answered, submit, tree_digest

pytestmark = pytest.mark.slow  # ~25 submissions, some of them slow on purpose

GOOD_SQUARE = "return x * x"


def with_cell(course, code, square=GOOD_SQUARE, cube="return x ** 3"):
    """The toy answers, plus a cell of the student's own right after the first answer."""
    nb = answered(course, square=square, cube=cube)
    idx = next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == "toy_square_solution")
    nb.cells.insert(idx + 1, new_code_cell(code))
    return nb


# Attacks reach their target as a student's code would: walking up from the notebook's
# folder to the course's root (grading runs under <course>/.work/run/<student>/<TP>/).
# Each sabotages its own answer if it works, so a leak shows in the grade; `unsandboxed`
# below runs them with SANDBOX = False and sees them succeed, so these tests can fail.
WALK_UP = """
import os
def _course_paths(rel):
    here, found = os.path.abspath('.'), []
    for _ in range(8):
        if os.path.exists(os.path.join(here, rel)):
            found.append(os.path.join(here, rel))
        here = os.path.dirname(here)
    return found
"""

GRADEBOOK_ATTACK = WALK_UP + """
import sqlite3
for path in _course_paths('gradebook.db'):
    try:
        db = sqlite3.connect(path)
        db.execute('UPDATE grade SET auto_score = 100, manual_score = 100')
        db.commit()
    except Exception:
        pass
"""

TRANSFORMER_ATTACK = """
def _silence(lines):
    return ['pass\\n']
get_ipython().input_transformers_cleanup.append(_silence)
"""

ALWAYS_EQUAL = """
class Anything(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def square(x):
    return Anything(0)
"""

# Each of these sabotages its own answer if the attack works, so a leak shows in the grade.
READ_SOLUTIONS = WALK_UP + """
_read = []
for path in _course_paths('source/TP0_toy/toy.ipynb') + _course_paths('submitted/honest/TP0_toy/toy.ipynb'):
    try:
        with open(path) as f:
            _read.append(f.read(100))
    except OSError:
        pass
if _read:
    square = lambda x: 0   # the solutions, or another student's notebook, were readable
"""

# (the machine may be offline anyway: what proves isolation is having no interface but lo)
NETWORK = """
import socket
if sorted(name for _, name in socket.if_nameindex()) != ['lo']:
    square = lambda x: 0   # a network interface was there
"""

# a global __import__ that intercepts the grader's own reset of the kernel
IMPORT_ATTACK = """
__import__ = lambda *a, **k: type('B', (), {'exec': staticmethod(lambda *a, **k: None)})
get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])
"""

# a transformer that claims to be IPython's own
SPOOFED_TRANSFORMER = """
def _silence(lines):
    return ['pass\\n']
_silence.__module__ = 'IPython.core.inputtransformer2'
get_ipython().input_transformers_cleanup.append(_silence)
"""

# tracebacks without frames, so that a hidden assert's message would look visible
MINIMAL_TRACEBACKS = "get_ipython().run_line_magic('xmode', 'Minimal')"

# the answer raises, in its message, the source of the previous cell (hidden tests)
EXFILTRATE = """
def square(x):
    raise ValueError(str(get_ipython().user_ns['_ih'][-2]))
"""


FORK_BOMB = """import os
forked = 0
for _ in range(1000):
    try:
        if os.fork() == 0:
            import time; time.sleep(60); os._exit(0)
        forked += 1
    except OSError:
        break
print('forked', forked)"""


def after_test(course, code, gid="toy_square", **answers):
    """The toy answers, plus a cell of the student's own right after test cell ``gid``."""
    nb = answered(course, **answers)
    idx = next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == gid)
    nb.cells.insert(idx + 1, new_code_cell(code))
    return nb


def hostile_course(toy, tmp_path_factory, name, extra_config=""):
    import shutil

    from graders.course.config import Course

    root = tmp_path_factory.mktemp(name) / "course"
    shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
    (root / "course_config.py").write_text(
        (root / "course_config.py").read_text().replace("notebook_timeout=60", "notebook_timeout=20")
        + "KERNEL_MEMORY_MB = 1024\nKERNEL_MAX_PROCESSES = 64\nMAX_OUTPUT_BYTES = 100_000\n"
        + extra_config)
    return Course(root)


def submit_reaching_attacks(course):
    """The attacks that reach for files outside the notebook's folder, with an honest
    student graded before them (whose recorded scores a gradebook attack would rewrite)
    and one after (whose notebook they try to read)."""
    submit(course, "a-honest", answered(course))
    submit(course, "gradebook-attack", with_cell(course, GRADEBOOK_ATTACK, square="return 0", cube="return 0"))
    submit(course, "read-solutions", with_cell(course, READ_SOLUTIONS))
    submit(course, "honest", answered(course))


@pytest.fixture(scope="module")
def unsandboxed(toy, tmp_path_factory):
    """The reaching attacks graded with SANDBOX = False: they must succeed there, or the
    tests that show the sandbox stops them prove nothing."""
    course = hostile_course(toy, tmp_path_factory, "unsandboxed", "SANDBOX = False\n")
    submit_reaching_attacks(course)
    results = {r.student: r for r in grade_course(course, progress=False)}
    return course, results


@pytest.fixture(scope="module")
def graded(toy, tmp_path_factory):
    course = hostile_course(toy, tmp_path_factory, "hostile")
    full = answered(course)
    submit_reaching_attacks(course)
    submit(course, "honest-partial", answered(course, cube=None))
    submit(course, "invalid-json", nbformat.writes(full)[:500])
    v3 = nbformat.writes(nbformat.v3.convert.downgrade(full), version=3)
    submit(course, "nbformat-3", v3)
    submit(course, "no-cells", nbformat.writes(nbformat.v4.new_notebook()))
    submit(course, "renamed", full, name="Copy of toy (1).ipynb")
    folder = submit(course, "extra-files", full)
    (folder / "notes.txt").write_text("my notes")
    (folder / "gradebook.db").write_text("not a database")
    reordered = answered(course, cube=None)
    tests = [c for c in reordered.cells if notebooks.is_test(c)]
    reordered.cells = [c for c in reordered.cells if not notebooks.is_test(c)] + tests[::-1] + tests
    submit(course, "reordered-tests", reordered)
    submit(course, "infinite-loop", answered(course, square="while True:\n        pass"))
    slow = with_cell(course, "import time\ntime.sleep(8)")
    slow.cells[3:3] = [new_code_cell("import time\ntime.sleep(8)") for _ in range(2)]
    submit(course, "deadline", slow)
    submit(course, "memory-bomb", with_cell(course, "x = bytearray(8 * 2**30)\nx[::4096] = b'1' * len(x[::4096])",
                                            square=GOOD_SQUARE))
    submit(course, "fork-bomb", with_cell(course, FORK_BOMB))
    submit(course, "system-storm", with_cell(course, "import os\nfor _ in range(300):\n"
                                             "    os.system('sleep 30 &')"))
    submit(course, "sys-exit", with_cell(course, "import sys\nsys.exit(1)"))
    submit(course, "os-exit", with_cell(course, "import os\nos._exit(0)", square="return x"))
    submit(course, "kill-kernel", with_cell(course, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    # after a test cell that passed: that cell keeps its points
    submit(course, "kill-after-test", after_test(course, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    submit(course, "os-exit-after-test", after_test(course, "import os\nos._exit(0)"))
    submit(course, "sys-exit-after-test", after_test(course, "import sys\nsys.exit(1)",
                                                     cube="return x ** 2"))
    submit(course, "output-bomb", with_cell(course, "for _ in range(2000):\n    print('x' * 10_000)"))
    submit(course, "transformer-attack", with_cell(course, TRANSFORMER_ATTACK, square="return 0", cube="return 0"))
    submit(course, "always-equal", with_cell(course, ALWAYS_EQUAL))
    submit(course, "patch-builtins", with_cell(course, "import builtins\nbuiltins.float = lambda x: 9.0",
                                               square="return x * 2"))
    submit(course, "shadow-builtin", with_cell(course, "def float(x):\n    return 9.0",
                                               square="return x * 2"))
    submit(course, "import-attack", with_cell(course, IMPORT_ATTACK, square="return x * 2"))
    submit(course, "spoofed-transformer", with_cell(course, SPOOFED_TRANSFORMER,
                                                    square="return 0", cube="return 0"))
    submit(course, "minimal-tracebacks", with_cell(course, MINIMAL_TRACEBACKS, square="return x * 2"))
    exfiltrate = with_cell(course, EXFILTRATE)
    submit(course, "exfiltrate", exfiltrate)
    submit(course, "error-bomb", with_cell(course, "raise Exception('x' * 50_000_000)"))
    submit(course, "network", with_cell(course, NETWORK))
    before = tree_digest(course.submitted_dir)
    results = {r.student: r for r in grade_course(course, progress=False)}
    return course, results, before


def outcome(r, gid):
    return {o.grade_id: o for o in r.exercises}[gid]


def test_honest_students_are_unaffected(graded):
    _, r, _ = graded
    assert (r["honest"].grade, r["honest"].points) == (2, 5)
    assert (r["a-honest"].grade, r["a-honest"].points) == (2, 5)
    assert (r["honest-partial"].grade, r["honest-partial"].points) == (1, 3)


def test_submitted_files_are_untouched(graded):
    course, _, before = graded
    assert tree_digest(course.submitted_dir) == before


@pytest.mark.parametrize("student, grade, reason", [
    ("invalid-json", 0, "notebook is not valid JSON"),
    ("no-cells", 0, "notebook has no cells"),
    ("nbformat-3", 2, "5/5 points"),
    ("renamed", 2, "5/5 points"),
    ("extra-files", 2, "5/5 points"),
    ("reordered-tests", 1, "3/5 points"),
    ("infinite-loop", 0, "2/5 points"),
    ("deadline", 0, "0/5 points"),

    ("sys-exit", 2, "5/5 points"),
    ("os-exit", 0, "0/5 points"),
    ("kill-kernel", 0, "0/5 points"),
    ("kill-after-test", 1, "3/5 points"),
    ("os-exit-after-test", 1, "3/5 points"),
    ("sys-exit-after-test", 1, "3/5 points"),
    ("output-bomb", 2, "5/5 points"),
    ("gradebook-attack", 0, "0/5 points"),
    ("transformer-attack", 0, "0/5 points"),
    ("always-equal", 0, "2/5 points"),
    ("patch-builtins", 0, "2/5 points"),
    ("shadow-builtin", 0, "2/5 points"),
    ("import-attack", 0, "0/5 points"),
    ("spoofed-transformer", 0, "0/5 points"),
    ("minimal-tracebacks", 0, "2/5 points"),
    ("exfiltrate", 0, "2/5 points"),
    ("error-bomb", 2, "5/5 points"),
    ("network", 2, "5/5 points"),
])
def test_each_hostile_case_gets_a_grade_and_a_reason(graded, student, grade, reason):
    _, r, _ = graded
    got = r[student]
    assert got.grade == grade and got.reason.startswith(reason), (got.grade, got.reason, got.exercises)


@pytest.mark.parametrize("student", ["fork-bomb", "system-storm"])
def test_process_bombs_are_contained(graded, student):
    """What a bomb does to its own kernel is its own business (with a process limit, the
    kernel may fail to start threads); it gets a grade, a reason, and a flag."""
    _, r, _ = graded
    got = r[student]
    assert got.grade in (0, 1, 2) and "points" in got.reason
    assert any("starts processes" in f for f in got.integrity)
    assert got.timings["autograde_s"] < 60


def test_memory_bomb(graded):
    _, r, _ = graded
    got = r["memory-bomb"]
    if any("memory limited" in p for p in got.sandbox):      # a memory cgroup: killed
        assert (got.grade, got.points) == (0, 0)
        assert "KernelDied" in outcome(got, "toy_square").message
    elif any("address space limited" in p for p in got.sandbox):  # an rlimit: MemoryError
        assert (got.grade, got.points) == (2, 5)
    else:
        pytest.skip("this machine gives the kernel no memory limit: " + "; ".join(got.sandbox))


def gradebook_scores(course, students):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        return {s: gb.find_submission(toy_course.TP_ID, s).score for s in students}


def test_the_gradebook_holds_the_true_scores(graded):
    course, r, _ = graded
    students = ("a-honest", "honest", "honest-partial", "always-equal", "gradebook-attack")
    assert gradebook_scores(course, students) == {s: r[s].points for s in students}


def test_without_the_sandbox_the_reaching_attacks_succeed(unsandboxed):
    """The control of the two tests above and below: the same attacks, the sandbox off."""
    course, r = unsandboxed
    assert gradebook_scores(course, ["a-honest"])["a-honest"] == 200, \
        "unsandboxed, the gradebook attack should rewrite the scores recorded before it"
    assert r["read-solutions"].points == 2, \
        "unsandboxed, the attack should find the solutions and sabotage its own answer"


def test_the_solutions_and_other_hand_ins_are_out_of_reach(graded):
    _, r, _ = graded
    assert (r["read-solutions"].grade, r["read-solutions"].points) == (2, 5)


def test_containment_is_measured(graded):
    """The fork bomb stayed under the process limit; the flood was cut with its notice."""
    course, r, _ = graded

    def outputs(student):
        nb = notebooks.read(course.autograded_dir / student / toy_course.TP_ID / toy_course.NOTEBOOK)
        return ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
                for o in c.get("outputs", []) if o.get("output_type") == "stream"]

    if any("at most 64 processes" in p for p in r["fork-bomb"].sandbox):
        forked = [int(t.split()[1]) for t in outputs("fork-bomb") if t.startswith("forked")]
        assert forked and forked[0] < 64, f"forks made under a limit of 64 processes: {forked}"
    flood = [t for t in outputs("output-bomb") if "x" * 100 in t or "output truncated" in t]
    kept = sum(len(t) for t in flood)
    assert kept <= 100_000 + 200, f"{kept} bytes of output kept, the budget is 100,000"
    assert any("[output truncated" in t for t in flood), "no truncation notice"


def test_no_hidden_test_reaches_the_student(graded):
    """Neither the JSON result nor the feedback page holds a hidden test's line, whatever
    the answer did to its tracebacks or messages; only a hidden assertion's own message
    (what it checked) is shown, when the assertion itself failed."""
    import json

    course, r, _ = graded
    for student in ("minimal-tracebacks", "exfiltrate", "honest-partial", "always-equal"):
        page = (course.feedback_dir / student / toy_course.TP_ID / "feedback.html").read_text()
        text = json.dumps(r[student].to_dict()) + page
        for secret in ("float(square(-3))", "float(cube(2))", "== 9.0", "BEGIN HIDDEN"):
            assert secret not in text, (student, secret)
        if student != "always-equal":   # its hidden assertion failed: its message is shown
            assert "hidden: square" not in text, student
    assert outcome(r["always-equal"], "toy_square").message == \
        "a hidden test failed (AssertionError): hidden: square(-3)"
    assert "raised in your code" in outcome(r["exfiltrate"], "toy_square").message
    assert "GuardFailed" in outcome(r["import-attack"], "toy_square").message


def test_notes_say_what_happened(graded):
    _, r, _ = graded
    assert any("renamed" in n for n in r["renamed"].repairs)
    assert any("notes.txt" in n for n in r["extra-files"].repairs)
    assert any("did not finish in time" in o.message for o in r["infinite-loop"].exercises)
    assert "NotebookDeadlineExceeded" in outcome(r["deadline"], "toy_cube").message
    for student in ("os-exit", "kill-kernel"):
        assert "KernelDied" in outcome(r[student], "toy_square").message, student
        assert any(f.startswith("the kernel died") for f in r[student].integrity), student
    assert any("past its 20 s budget" in f for f in r["deadline"].integrity)
    assert any("gradebook" in f for f in r["gradebook-attack"].integrity)
    assert any("transformer" in f for f in r["transformer-attack"].integrity)
    assert any("__eq__" in f for f in r["always-equal"].integrity)
    assert any("network" in f for f in r["network"].integrity)
    assert any("builtins" in f for f in r["patch-builtins"].integrity)
    assert any("shadows the builtin `float`" in f for f in r["shadow-builtin"].integrity)
    assert not r["honest"].integrity and r["honest"].sandbox
