"""Optional (bonus) exercises: a test cell with ``"dl_course": {"optional": true}`` adds its
points to a score but never to the maximum the 0/1/2 thresholds are taken of, so skipping
it never costs a 2 (docs/design.md §5). Real nbgrader, real kernels, on the toy course."""
from __future__ import annotations

from graders.course import notebooks, release
from graders.course.config import Course
from graders.grade import grade_course
from graders.publish import feedback

from . import toy_course
from .conftest import answered, submit


def optional_cube_course(tmp_path) -> Course:
    """The toy course with its cube exercise (2 of 5 points) made optional."""
    root = toy_course.make(tmp_path / "course")
    path = root / "source" / toy_course.TP_ID / toy_course.NOTEBOOK
    nb = notebooks.read(path)
    notebooks.cell_by_grade_id(nb, "toy_cube").metadata["dl_course"] = {"optional": True}
    notebooks.write(nb, path)
    course = Course(root)
    release.generate(course)
    return course


def test_points_exclude_optional_cells(tmp_path):
    course = optional_cube_course(tmp_path)
    nb = notebooks.read(course.release_dir / toy_course.TP_ID / toy_course.NOTEBOOK)
    assert notebooks.total_points(nb) == 3 and notebooks.bonus_points(nb) == 2


def test_an_optional_exercise_never_costs_a_2_and_makes_up_for_core_points(tmp_path):
    course = optional_cube_course(tmp_path)
    submit(course, "core", answered(course, cube=None))           # core only: 3/3
    submit(course, "bonus", answered(course, square=None))        # bonus only: 2/3
    submit(course, "all", answered(course))                       # 5 points, capped at 3
    got = {r.student: r for r in grade_course(course, progress=False)}
    assert (got["core"].grade, got["core"].reason) == (2, "3/3 points: complete")
    assert (got["bonus"].grade, got["bonus"].reason) == (1, "2/3 points: decent (2.7 needed for a 2)")
    assert (got["all"].grade, got["all"].points, got["all"].max_points) == (2, 3, 3)
    cube = {o.grade_id: o for o in got["core"].exercises}["toy_cube"]
    assert cube.optional and not cube.passed and cube.max_points == 2
    assert "optional" not in {o.grade_id: o for o in got["core"].exercises}["toy_square"].to_dict()
    page = (course.feedback_dir / "core" / toy_course.TP_ID / "feedback.html").read_text()
    assert "optional" in page, "the feedback page should say which exercise is a bonus"


def test_feedback_marks_an_optional_exercise(tmp_path):
    from graders.grading.outcomes import Outcome
    from graders.grading.results import Result

    result = Result("x", toy_course.TP_ID, 2, "3/3 points: complete", 3, 3,
                    [Outcome("toy_square", 3, 3, True),
                     Outcome("toy_cube", 0, 2, False, "not answered yet", optional=True)])
    page = feedback.render(result, "toy", "dl-course")
    row = next(r for r in page.split("<tr") if "toy_cube" in r)
    assert "optional" in row and "bonus" in row
