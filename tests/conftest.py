"""Shared fixtures: the toy course (fast machinery tests) and the repository's course."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest

from graders.course import notebooks, release
from graders.course.config import Course

from . import toy_course


@pytest.fixture(scope="session")
def toy(tmp_path_factory) -> Course:
    """The toy course, released (release/ and gradebook written), no submissions."""
    root = toy_course.make(tmp_path_factory.mktemp("toy"))
    course = Course(root)
    release.generate(course)
    return course


@pytest.fixture
def toy_course_copy(toy, tmp_path) -> Course:
    """A private copy of the released toy course, for a test that grades into it."""
    import shutil

    root = tmp_path / "course"
    shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
    return Course(root)


def toy_release_nb(course: Course):
    return notebooks.read(course.release_dir / toy_course.TP_ID / toy_course.NOTEBOOK)


def answered(course: Course, square="return x * x", cube="return x ** 3"):
    """The toy release with the given answers (None leaves the stub)."""
    nb = copy.deepcopy(toy_release_nb(course))
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if gid == "toy_square_solution" and square:
            cell.source = f"def square(x):\n    {square}"
        if gid == "toy_cube_solution" and cube:
            cell.source = f"def cube(x):\n    {cube}"
    return nb


def submit(course: Course, student: str, nb_or_text, name=toy_course.NOTEBOOK,
           timestamp: str | None = None) -> Path:
    folder = course.submitted_dir / student / toy_course.TP_ID
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, (str, bytes)):
        (folder / name).write_bytes(nb_or_text if isinstance(nb_or_text, bytes)
                                    else nb_or_text.encode())
    else:
        notebooks.write(nb_or_text, folder / name)
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)
    return folder


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 and mode of every file under ``folder``: to prove nothing was changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            + oct(p.stat().st_mode) for p in sorted(folder.rglob("*")) if p.is_file()}
