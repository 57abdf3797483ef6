"""The normalised submission: answers transplanted into the release, with notes."""
from __future__ import annotations

import copy

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from graders.course import notebooks
from graders.grading.normalise import normalise

from .conftest import answered, toy_release_nb


@pytest.fixture
def release(toy):
    return toy_release_nb(toy)


def sources(nb):
    return [c.source for c in nb.cells]


def test_untouched_release_is_unmodified(release):
    out = normalise(copy.deepcopy(release), release)
    assert out.unmodified and not out.repairs and not out.integrity
    assert sources(out.nb) == sources(release)


def test_answers_go_into_the_release_cells(toy, release):
    out = normalise(answered(toy), release)
    assert out.answered == ["toy_square_solution", "toy_cube_solution"]
    assert notebooks.cell_by_grade_id(out.nb, "toy_cube_solution").source.endswith("x ** 3")
    # the locked cells are the release's, metadata included
    for got, want in zip(out.nb.cells, release.cells):
        if notebooks.is_locked(want):
            assert got == want


def test_edited_and_deleted_tests_are_restored(toy, release):
    nb = answered(toy)
    notebooks.cell_by_grade_id(nb, "toy_square").source = "pass"
    nb.cells = [c for c in nb.cells if notebooks.grade_id(c) != "toy_cube"]
    out = normalise(nb, release)
    assert sources(out.nb)[3] == release.cells[3].source
    assert notebooks.cell_by_grade_id(out.nb, "toy_cube").source == release.cells[5].source
    assert out.integrity == ["test cell toy_square was edited; the original was restored",
                             "test cell toy_cube was missing; restored from the release"]


def test_extra_cells_stay_before_the_next_test(toy, release):
    nb = answered(toy, square="return helper(x)")
    nb.cells.insert(2, new_code_cell("def helper(x):\n    return x * x"))
    nb.cells.insert(0, new_markdown_cell("my notes"))
    out = normalise(nb, release)
    gids = [notebooks.grade_id(c) for c in out.nb.cells]
    helper = next(i for i, c in enumerate(out.nb.cells) if "def helper" in c.source)
    assert out.nb.cells[0].source == "my notes"
    assert helper < gids.index("toy_square")


def test_lost_metadata_is_matched_by_id_then_position(toy, release):
    nb = answered(toy)
    for c in nb.cells:
        c.metadata = {}
    out = normalise(nb, release)
    assert out.answered == ["toy_square_solution", "toy_cube_solution"]
    assert any("matched by cell id" in r for r in out.repairs)
    for c in nb.cells:
        c["id"] = "x" + c["id"]
    out = normalise(nb, release)
    assert out.answered == ["toy_square_solution", "toy_cube_solution"]
    assert any("matched by position" in r for r in out.repairs)
    assert not out.integrity


def test_markdown_and_duplicated_answers(toy, release):
    nb = answered(toy)
    square = notebooks.cell_by_grade_id(nb, "toy_square_solution")
    nb.cells[2] = new_markdown_cell(square.source, metadata=square.metadata)
    cube = notebooks.cell_by_grade_id(nb, "toy_cube_solution")
    nb.cells.insert(5, copy.deepcopy(cube))
    nb.cells[5].source = "def cube(x):\n    return x * x * x"
    out = normalise(nb, release)
    assert "answer of toy_square_solution recovered from a markdown cell" in out.repairs
    assert "answer of toy_cube_solution found in 2 cells; all kept, in order" in out.repairs
    cell = notebooks.cell_by_grade_id(out.nb, "toy_square_solution")
    assert cell.cell_type == "code" and "x * x" in cell.source
    assert notebooks.cell_by_grade_id(out.nb, "toy_cube_solution").source.endswith("x * x * x")


def test_student_notebook_is_not_modified(toy, release):
    nb = answered(toy)
    before = copy.deepcopy(nb)
    normalise(nb, release)
    assert nb == before
