"""The student's feedback page (graders/publish/feedback.py): exercises named as in the notebook,
times in the course's time zone, what to do for each failure, never a hidden test; and the
page of a complete, a partial and a late submission in a real browser (headless Chromium)."""
from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
from nbformat.v4 import new_markdown_cell

from graders.course import notebooks
from graders.course.config import Course
from graders.grade import grade_course, publish
from graders.grading import outcomes
from graders.grading.outcomes import Outcome
from graders.grading.results import Result
from graders.publish import feedback

from . import toy_course
from .conftest import answered, submit, toy_release_nb
from .test_report import browse, find_chromium

HIDDEN = {"square(-3)", "cube(2)", "BEGIN HIDDEN", "hidden: "}


def titled(nb):
    """The toy notebook with section headings, as a real TP has them, and the cube test
    declaring that it builds on square."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if gid == "toy_square_solution":
            cells.append(new_markdown_cell("## 1. Squares\nWrite `square`."))
        if gid == "toy_cube_solution":
            cells.append(new_markdown_cell("## 2. Powers\n### 2.1 Cubes (2 points)\n"
                                           "```python\n# not a heading\n```"))
        if gid == "toy_cube":
            cell.metadata["dl_course"] = {"requires": ["toy_square_solution"]}
        cells.append(cell)
    nb.cells = cells
    return nb


@pytest.fixture(scope="module")
def release_nb(toy):
    return titled(toy_release_nb(toy))


def test_exercises_are_named_as_in_the_notebook(release_nb, toy):
    found = feedback.exercises_of(release_nb)
    square, cube = found["toy_square"], found["toy_cube"]
    assert (square.title, square.section, square.solution, square.function) == (
        "1. Squares", "", "toy_square_solution", "square")
    assert (cube.title, cube.section, cube.function) == ("2.1 Cubes", "2. Powers", "cube")
    assert cube.requires == ["toy_square_solution"]
    # no heading above a test: its grade_id
    plain = feedback.exercises_of(toy_release_nb(toy))
    assert plain["toy_square"].title == "toy_square"


def test_tests_under_one_heading_are_told_apart(release_nb):
    nb = copy.deepcopy(release_nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or "Cubes" not in c.source]
    found = feedback.exercises_of(nb)
    assert found["toy_square"].title == "1. Squares: square"
    assert found["toy_cube"].title == "1. Squares: cube"


def fail(gid, message, points=2.0):
    return Outcome(gid, 0.0, points, False, message)


def test_what_to_do(release_nb):
    ex = feedback.exercises_of(release_nb)
    not_yet = "not answered yet (a `raise NotImplementedError()` is still there)"
    both_missing = [fail("toy_square", not_yet, 3), fail("toy_cube", not_yet)]
    assert feedback.what_to_do(both_missing[1], ex, both_missing) == \
        "It builds on an exercise not done yet: first write `square`."
    assert feedback.what_to_do(both_missing[0], ex, both_missing).startswith(
        "Write `square` in the cell above the test")
    square_wrong = [fail("toy_square", "AssertionError: expected 4, got 5", 3),
                    fail("toy_cube", "AssertionError: expected 1, got 2")]
    assert "`square`, which does not pass its own test" in feedback.what_to_do(
        square_wrong[1], ex, square_wrong)
    assert "run the test cell" in feedback.what_to_do(square_wrong[0], ex, square_wrong)
    hidden = [fail("toy_square", "a hidden test failed (AssertionError)", 3)]
    assert feedback.what_to_do(hidden[0], ex, hidden).startswith(
        "A hidden test failed: `square` passes the visible test")
    slow = [fail("toy_square", "interrupted: the cell did not finish in time", 3)]
    assert "did not finish in time" in feedback.what_to_do(slow[0], ex, slow)
    undefined = [fail("toy_cube", "NameError: name 'square' is not defined")]
    assert feedback.what_to_do(undefined[0], ex, undefined) == (
        "`square` is not defined when the test runs: write it (exercise 1. Squares) and run "
        "its cell before the test.")
    assert feedback.what_to_do(Outcome("toy_square", 3, 3, True), ex, []) == ""
    assert feedback.what_to_do(fail("unknown", not_yet), {}, []).startswith("Write the answer")


def test_times_in_the_course_time_zone():
    assert feedback.local_time("2026-09-15T15:58:03+00:00", "Europe/Paris") == \
        "Tuesday 15 September 2026, 17:58 (Europe/Paris)"
    assert feedback.local_time("2026-01-15T15:58:03+00:00", "Europe/Paris").endswith(
        "16:58 (Europe/Paris)")  # winter time
    assert feedback.local_time("not a date", "Europe/Paris") == "not a date"
    assert feedback.local_time(None, "Europe/Paris") == ""


def test_page_names_exercises_and_says_what_to_do(release_nb, toy):
    result = Result("bob", toy_course.TP_ID, 1, "3/5 points: decent (4.5 needed for a 2)",
                    3, 5, [Outcome("toy_square", 3, 3, True),
                           fail("toy_cube", "a hidden test failed (AssertionError)")],
                    submitted_at="2026-09-15T15:58:03+00:00")
    tp = toy.tp(toy_course.TP_ID)
    page = feedback.render(result, "toy", "dl-course", feedback.exercises_of(release_nb),
                           zone="Europe/Paris", due=tp.due)
    assert ">1. Squares<" in page and "2.1 Cubes" in page and ">2. Powers<" in page
    assert "Handed in: Tuesday 15 September 2026, 17:58 (Europe/Paris); due: Tuesday 15 " \
           "September 2026, 18:00 (Europe/Paris)" in page
    assert "A hidden test failed: <code>cube</code> passes the visible test" in page
    assert "<code>toy_cube</code>" not in page  # named by its title, not its grade_id
    for secret in HIDDEN | outcomes.hidden_lines(notebooks.read(
            toy.source_dir / toy_course.TP_ID / toy_course.NOTEBOOK)):
        assert secret not in page
    # without the release notebook: grade_ids, as before
    bare = feedback.render(result, "toy", "dl-course")
    assert "<code>toy_cube</code>" in bare and "2026, 15:58 (UTC)" in bare



# -- in a browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def graded_pages(toy, tmp_path_factory) -> dict[str, Path]:
    """A complete, a partial and a late submission of the toy TP, really graded; then the
    release given headings and the pages published again (as `make feedback` does)."""
    root = tmp_path_factory.mktemp("fb") / "course"
    shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
    course = Course(root)
    submit(course, "complete", answered(course), timestamp="2026-09-15 15:00:00.000000 UTC")
    submit(course, "partial", answered(course, cube=None),
           timestamp="2026-09-15 15:30:00.000000 UTC")
    submit(course, "late", answered(course), timestamp="2026-09-15 18:13:00.000000 UTC")
    grade_course(course, only_students=["complete", "partial", "late"], progress=False)
    release = course.release_dir / toy_course.TP_ID / toy_course.NOTEBOOK
    notebooks.write(titled(notebooks.read(release)), release)
    publish(course)
    return {s: course.feedback_dir / s / toy_course.TP_ID / "feedback.html"
            for s in ("complete", "partial", "late")}


def screenshot(chromium: str, url: str, profile: Path, png: Path) -> Path:
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--user-data-dir={profile}", "--hide-scrollbars",
         "--window-size=1000,800", f"--screenshot={png}", url],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]
    return png


def ink(png: Path) -> tuple[float, int]:
    """The share of pixels that are not (near) white, and the number of distinct colours."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    pixels = list(image.getdata())
    dark = sum(1 for r, g, b in pixels if min(r, g, b) < 200)
    return dark / len(pixels), len(set(pixels))


def test_a_blank_or_broken_page_is_caught(chromium, tmp_path):
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><html><body></body></html>")
    share, colours = ink(screenshot(chromium, blank.as_uri(), tmp_path / "p", tmp_path / "b.png"))
    assert share < 0.001 and colours <= 2
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><body><script>document.body.innerHTML = undefinedThing;"
                      "</script><p>x</p></body>")
    _, console = browse(chromium, broken.as_uri(), tmp_path / "p")
    assert any("Uncaught ReferenceError" in line for line in console)


@pytest.mark.parametrize("student, grade, shows", [
    ("complete", "2 / 2", ["1. Squares", "2.1 Cubes", "Tuesday 15 September 2026, 17:00"]),
    ("partial", "1 / 2", ["Write <code>cube</code> in the cell above the test", "not answered yet",
                          "17:30 (Europe/Paris)"]),
    ("late", "0 / 2", ["late by 2 h", "Tuesday 15 September 2026, 20:13 (Europe/Paris)"]),
])
def test_feedback_pages_in_a_browser(chromium, graded_pages, tmp_path, student, grade, shows):
    page = graded_pages[student]
    dom, console = browse(chromium, page.as_uri(), tmp_path / "profile")
    assert console == [], console
    assert grade in dom and f"<b>{student}</b>" in dom
    for text in shows:
        assert text in dom.replace("&gt;", ">"), text
    for secret in HIDDEN:
        assert secret not in dom
    share, colours = ink(screenshot(chromium, page.as_uri(), tmp_path / "profile",
                                    tmp_path / f"{student}.png"))
    assert share > 0.01 and colours > 16, (share, colours)


# -- the names and numbers a student reads ---------------------------------------------------
def numbered_notebook():
    """A TP1-like notebook: exercises declared as "**Exercise N**" in the text, a class
    whose method `exp` is a prefix of the test's grade_id "expression", and a test of
    exercise 3 placed after exercises 4 and 5 (as TP1 places zero_grad's)."""
    from nbformat.v4 import new_code_cell, new_notebook

    def cell(source, gid, **kind):
        meta = {"grade_id": gid, "solution": False, "grade": False, "locked": True,
                "schema_version": 3, "task": False}
        meta.update(kind)
        return new_code_cell(source, metadata={"nbgrader": meta})

    return new_notebook(cells=[
        new_markdown_cell("## 2. A scalar autograd engine\n\n**Exercise 2 (2 points).** The "
                          "operators of `Value`."),
        cell("class Value:\n    def exp(self):\n        raise NotImplementedError()\n"
             "    def __sub__(self, other):\n        raise NotImplementedError()",
             "tp1_value_solution", solution=True, locked=False),
        new_markdown_cell("#### Test 2d — the other operators, and long expressions (2 points)"),
        cell("assert Value", "tp1_expression", grade=True, points=2),
        new_markdown_cell("## 3. A neural-network library\n\n**Exercise 3 (1 point).** "
                          "Implement `Module.zero_grad`."),
        cell("class Module:\n    def zero_grad(self):\n        raise NotImplementedError()",
             "tp1_zero_grad_solution", solution=True, locked=False),
        new_markdown_cell("**Exercise 4 (1 point).** Implement `Neuron`. Prerequisite: "
                          "exercise 2 (the test of exercise 3 comes later)."),
        cell("class Neuron(Module):\n    pass", "tp1_neuron_solution", solution=True, locked=False),
        cell("assert Neuron", "tp1_neuron", grade=True, points=1),
        new_markdown_cell("**Exercise 5 (2 points).** Implement `MLP`."),
        cell("class Layer(Module):\n    pass\nclass MLP(Module):\n    pass",
             "tp1_mlp_solution", solution=True, locked=False),
        cell("assert MLP", "tp1_mlp", grade=True, points=2),
        new_markdown_cell("#### The test of exercise 3 — `zero_grad` (1 point)"),
        cell("assert Module", "tp1_zero_grad", grade=True, points=1),
    ])


def test_the_function_is_found_by_whole_names():
    found = feedback.exercises_of(numbered_notebook())
    assert found["tp1_expression"].function == "Value"        # not `exp`, inside "expression"
    assert found["tp1_zero_grad"].function == "zero_grad"
    assert found["tp1_mlp"].function == "MLP"                 # not the first, Layer
    not_yet = [fail("tp1_expression", "not answered yet (a `raise NotImplementedError()` "
                                      "is still there)")]
    assert feedback.what_to_do(not_yet[0], found, not_yet).startswith("Write `Value` in")


def test_exercises_are_called_by_the_notebooks_numbers():
    found = feedback.exercises_of(numbered_notebook())
    got = {gid: (ex.title, ex.section, ex.number) for gid, ex in found.items()}
    assert got == {
        "tp1_expression": ("Exercise 2: Test 2d — the other operators, and long expressions",
                           "2. A scalar autograd engine", "2"),
        "tp1_neuron": ("Exercise 4", "3. A neural-network library", "4"),
        "tp1_mlp": ("Exercise 5", "3. A neural-network library", "5"),
        "tp1_zero_grad": ("The test of exercise 3 — zero_grad", "3. A neural-network library",
                          "3"),
    }


def test_the_real_tps_name_whole_functions_and_number_tp1_as_it_does():
    course = Course()
    for tp in course.released_tps:
        for gid, ex in feedback.exercises_of_tp(course.release_dir / tp.id).items():
            if ex.function:
                assert feedback._whole(ex.function.lower(), gid.split("_", 1)[1].lower()) \
                    or feedback._whole(gid.split("_", 1)[1].lower(), ex.function.lower()) \
                    or ex.function == next(iter(ex.defines), ex.function), (gid, ex.function)
    tp1 = feedback.exercises_of_tp(course.release_dir / course.tp("TP1").id)
    if "tp1_expression" in tp1:
        assert tp1["tp1_expression"].function != "exp"
    if "tp1_neuron" in tp1:
        assert tp1["tp1_neuron"].title.startswith("Exercise 4"), tp1["tp1_neuron"].title
