"""Similarity between submissions (graders/instructor/similarity.py), on a class graded
without a kernel.

alice and bob hand in the same answers, bob's with renamed variables, other spacing and
other comments; carol and dave wrote theirs independently; frank and gina share only the
release's own helper, pasted into their answers; erin answered nothing.
"""
from __future__ import annotations

import pytest

from graders.course.config import Course
from graders.instructor import similarity

from . import class_course as cc

TP = cc.TPS[0]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    course = cc.make(tmp_path_factory.mktemp("similarity"))
    for student, answers in cc.ANSWERS.items():
        cc.submit(course, student, answers)
    return course


@pytest.fixture(scope="module")
def pairs(course):
    return similarity.rank(course, TP)


def score(pairs, a, b):
    return next(p.score for p in pairs if {p.a, p.b} == {a, b})


def test_renamed_and_respaced_copy_ranks_first(pairs):
    top = pairs[0]
    assert {top.a, top.b} == {"alice", "bob"}
    assert top.score > 0.95
    assert top.share_a > 0.95 and top.share_b > 0.95


def test_independent_answers_score_low(course, pairs):
    threshold = similarity.setting(course, "SIMILARITY_THRESHOLD")
    assert score(pairs, "carol", "dave") < 0.2
    others = [p for p in pairs if {p.a, p.b} != {"alice", "bob"}]
    assert max(p.score for p in others) < threshold
    assert [(p.a, p.b) for p in similarity.flagged(course, pairs)] == [("alice", "bob")]


def test_release_code_is_boilerplate(course, pairs):
    # frank and gina both pasted the release's helper: no evidence once it is removed
    assert score(pairs, "frank", "gina") < 0.2
    docs = {s: similarity.joined(c) for s, c in similarity.answers(course, TP).items()}
    without = similarity.compare(docs, "")
    assert score(without, "frank", "gina") > 0.6  # the helper alone would make them alike


def test_only_answers_are_compared(course):
    found = similarity.answers(course, TP)
    assert "erin" not in found  # stubs left as they were are no answer
    assert set(found["alice"]) == {f"class/tp1_{ex}_solution" for ex in cc.EXERCISES}
    assert found["alice"]["class/tp1_normalize_solution"] == cc.ALICE["normalize"]
    assert all("assert True" not in code for code in found["alice"].values())  # tests are not


def test_side_by_side_marks_the_matching_code(pairs):
    top = pairs[0]
    assert "<mark>" in top.code_a and "<mark>" in top.code_b
    assert "running" in top.code_a and "acc" in top.code_b  # each student's own text
    bare = top.code_a.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and "&#34;" in bare  # the code is escaped for the page


def test_settings_come_from_course_config(tmp_path):
    course = cc.make(tmp_path / "c", "SIMILARITY_THRESHOLD = 0.05\nSIMILARITY_TOP = 2\n")
    for student, answers in cc.ANSWERS.items():
        cc.submit(course, student, answers)
    pairs = similarity.rank(course, TP)
    assert len(similarity.flagged(course, pairs)) == 2


def test_command_line(course, capsys, tmp_path):
    assert similarity.main(["--root", str(course.root), "--tp", "TP1"]) == 0
    out = capsys.readouterr().out
    assert "alice ~ bob" in out and "carol ~ dave" not in out
    assert similarity.main(["--root", str(tmp_path)]) == 2
    assert "no submitted/ folder" in capsys.readouterr().err


def marked(code: str) -> list[str]:
    """The passages of ``code`` (the side-by-side HTML) inside <mark>...</mark>."""
    import re

    return re.findall(r"<mark>(.*?)</mark>", code, re.S)


def test_the_releases_own_lines_are_never_marked(course, pairs):
    """Every student has the release's signatures (`def normalize(values):`): a match that
    runs into one stops there, so the instructor sees only what the students wrote alike."""
    top = pairs[0]
    given = similarity.release_lines(course, TP)
    assert "def normalize(values):" in given and "class Stack:" in given
    for code in (top.code_a, top.code_b):
        assert "def normalize(values):" in code            # still shown, for context
        for passage in marked(code):
            for line in passage.splitlines():
                assert line.strip() not in given, (line, passage)
        assert marked(code), "the copied bodies are still marked"
