"""graders.shards: planning CI's grading shards, merging them, the job summary."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess

import pytest

from graders import shards
from graders.course.config import Course
from graders.grade import grade_course, publish
from graders.grading import results
from graders.grading.outcomes import Outcome
from graders.grading.results import Result

from . import toy_course
from .conftest import answered, submit

TPS = ["TP1_one", "TP2_two", "TP3_three"]   # TP3 is configured but not released


@pytest.fixture
def course(tmp_path) -> Course:
    """A course of configuration only (no nbgrader): TP1 and TP2 released, TP3 not."""
    root = tmp_path / "course"
    root.mkdir()
    (root / "course_config.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(toy_course.ROOT / 'course_config.py')!r}))\n"
        "TPS = [" + ", ".join(f"dict(id={tp!r}, title={tp.split('_')[1]!r}, due='2026-10-01 18:00',"
                              " cell_timeout=10, notebook_timeout=60)" for tp in TPS) + "]\n"
        "STUDENTS = ['alice', 'bob']\n")
    for tp in TPS[:2]:
        (root / "source" / tp).mkdir(parents=True)
    return Course(root)


def hand_in(course: Course, student: str, tp: str) -> None:
    folder = course.submitted_dir / student / tp
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nb.ipynb").write_text("{}")


# -- plan ------------------------------------------------------------------------------
def test_plan_is_balanced_deterministic_and_in_course_order(course):
    for s in "abcdefg":
        hand_in(course, s, "TP1_one")
    for s in "bdfh":
        hand_in(course, s, "TP2_two")
    hand_in(course, "a", "TP3_three")                # not released: never planned
    (course.submitted_dir / "a" / "notes.txt").write_text("not a TP")

    got = shards.plan(course, count=3)

    assert got == [[("a", "TP1_one"), ("d", "TP1_one"), ("g", "TP1_one"), ("f", "TP2_two")],
                   [("b", "TP1_one"), ("e", "TP1_one"), ("b", "TP2_two"), ("h", "TP2_two")],
                   [("c", "TP1_one"), ("f", "TP1_one"), ("d", "TP2_two")]]
    assert shards.plan(course, count=3) == got
    assert shards.matrix(got) == {"shard": [0, 1, 2]}
    for count in range(1, 13):
        sizes = [len(s) for s in shards.plan(course, count=count)]
        assert sum(sizes) == 11 and max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_plan_only_changed_submissions(course):
    for s, tp in [("alice", "TP1_one"), ("bob", "TP1_one"), ("bob", "TP2_two"),
                  ("dan", "TP1_one"), ("carol", "TP3_three")]:
        hand_in(course, s, tp)
    changed = ["submitted/bob/TP2_two/timestamp.txt",
               "./submitted/dan/TP1_one/sub/dir/nb.ipynb",
               "submitted/alice/TP1_one/nb.ipynb",
               "submitted/carol/TP3_three/nb.ipynb",      # TP not released
               "submitted/zoe/TP1_one/nb.ipynb",          # deleted since: nothing to grade
               "submitted/alice",                         # not inside a submission
               "release/TP1_one/nb.ipynb", "README.md", "other/submitted/bob/TP1_one/x"]

    assert shards.plan(course, changed, count=2) == [[("alice", "TP1_one"), ("bob", "TP2_two")],
                                                     [("dan", "TP1_one")]]
    assert shards.plan(course, [], count=2) == []


def test_more_shards_than_submissions(course):
    assert shards.plan(course, count=4) == []
    assert shards.matrix([]) == {"shard": []}
    hand_in(course, "alice", "TP2_two")
    hand_in(course, "bob", "TP1_one")
    assert shards.plan(course, count=8) == [[("bob", "TP1_one")], [("alice", "TP2_two")]]
    with pytest.raises(shards.ShardError):
        shards.plan(course, count=0)


def test_changed_since_a_commit(course):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=course.root, check=True, capture_output=True)

    hand_in(course, "alice", "TP1_one")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "one")
    hand_in(course, "bob", "TP1_one")
    git("add", "-A")
    git("commit", "-qm", "two")
    assert shards.changed_since(course, "HEAD~1") == ["submitted/bob/TP1_one/nb.ipynb"]
    assert shards.changed_since(course, "HEAD~5") is None     # cannot tell: plan everything


def test_plan_cli_writes_the_plan_and_the_matrix(course, tmp_path, capsys):
    for s in ("alice", "bob", "carol"):
        hand_in(course, s, "TP1_one")
    changed = tmp_path / "changed.txt"
    changed.write_text("submitted/bob/TP1_one/nb.ipynb\nsubmitted/carol/TP1_one/nb.ipynb\n")
    out = tmp_path / "github_output"
    argv = ["--root", str(course.root), "plan", "--count", "4", "--changed", str(changed)]

    assert shards.main(argv + ["--json", "--github-output", str(out)]) == 0

    assert json.loads(capsys.readouterr().out) == {"shard": [0, 1]}
    assert out.read_text() == 'matrix={"shard": [0, 1]}\nshards=2\n'
    assert shards.read_plan(shards.plan_path(course)) == [[("bob", "TP1_one")],
                                                          [("carol", "TP1_one")]]
    assert shards.main(["--root", str(course.root), "grade", "--shard", "2"]) == 1
    assert "shard 2 is not in the plan" in capsys.readouterr().err


# -- merge -----------------------------------------------------------------------------
def result(student, tp, grade=2, reason="5/5 points: complete", **kw) -> Result:
    return Result(student, tp, grade, reason, points=5.0 * grade / 2, max_points=5.0,
                  exercises=[Outcome("ex", 5.0 * grade / 2, 5.0, grade == 2, "")], **kw)


def shard_dir(tmp_path, name, *graded: Result):
    folder = tmp_path / name
    for r in graded:
        results.save(r, folder / "results")
        (folder / "autograded" / r.student / r.tp).mkdir(parents=True, exist_ok=True)
        (folder / "autograded" / r.student / r.tp / "nb.ipynb").write_text(name)
    return folder


def test_merge_is_the_union_of_the_shards(course, tmp_path, capsys):
    a = shard_dir(tmp_path, "shard-0", result("alice", "TP1_one", timings={"autograde_s": 1.0}),
                  result("bob", "TP1_one", 1, "3/5 points: decent"))
    b = shard_dir(tmp_path, "shard-1", result("bob", "TP2_two", 0, "late by 2 h"),
                  result("alice", "TP1_one", timings={"autograde_s": 9.0}))  # same verdict
    course.overrides_csv.write_text("student,tp,grade,reason\nbob,TP2,1,medical certificate\n")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n")

    assert shards.main(["--root", str(course.root), "merge", str(a), str(b),
                        "--summary", str(summary)]) == 0

    saved = {(r.student, r.tp): r.grade for r in results.load_all(course.results_dir)}
    assert saved == {("alice", "TP1_one"): 2, ("bob", "TP1_one"): 1, ("bob", "TP2_two"): 0}
    assert (course.autograded_dir / "bob" / "TP2_two" / "nb.ipynb").read_text() == "shard-1"
    assert (course.feedback_dir / "bob" / "TP2_two" / "feedback.html").is_file()
    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv.open())}
    assert (rows["bob"]["TP1_one"], rows["bob"]["TP2_two"]) == ("1", "1")   # the override
    assert rows["bob"]["flags"] == "TP2_two: overridden"
    text = summary.read_text()
    assert text.startswith("earlier steps\n### Grades") and text.count("\n| ") == 3
    assert "| bob | **1** 3/5 points: decent | **1** instructor override: medical" in text
    assert "3 results merged from 2 shard(s)" in capsys.readouterr().out
    assert "not graded in this run" not in text
    hand_in(course, "carol", "TP1_one")        # handed in, not in any shard
    assert shards.main(["--root", str(course.root), "merge", str(a), str(b),
                        "--summary", str(summary)]) == 0
    assert "1 other submission under `submitted/` was not graded" in summary.read_text()


def test_merge_refuses_a_submission_graded_differently(course, tmp_path, capsys):
    a = shard_dir(tmp_path, "shard-0", result("alice", "TP1_one"))
    b = shard_dir(tmp_path, "shard-1", result("bob", "TP1_one"),
                  result("alice", "TP1_one", 1, "3/5 points: decent"))
    with pytest.raises(shards.ShardError) as e:
        shards.merge(course, [a, b])
    assert "alice TP1_one: graded 2 (5/5 points: complete) in " in str(e.value)
    assert str(a) in str(e.value) and str(b) in str(e.value) and "bob" not in str(e.value)
    assert not course.results_dir.exists(), "a refused merge must write nothing"
    assert shards.main(["--root", str(course.root), "merge", str(a), str(b)]) == 1
    assert "graded differently" in capsys.readouterr().err
    with pytest.raises(shards.ShardError, match="has no results/"):
        shards.merge(course, [tmp_path / "nowhere"])


def test_summary_markdown():
    graded = [result("bob", "TP2_two", 0, "notebook is not valid JSON (line 1: <eof> | x)",
                     integrity=["test cell ex was edited"]),
              result("alice", "TP1_one"),
              result("alice", "TP2_two", 1, "3/5 points:\ndecent")]
    assert shards.summary_markdown(graded, TPS) == (
        "### Grades\n\n3 submissions graded.\n\n"
        "| student | TP1 | TP2 |\n"
        "|---|---|---|\n"
        "| alice | **2** 5/5 points: complete | **1** 3/5 points: decent |\n"
        "| bob |  | **0** notebook is not valid JSON (line 1: &lt;eof&gt; \\| x) ⚠ 1 note |\n")
    assert shards.summary_markdown([], TPS) == "### Grades\n\nNothing was graded.\n"
    warned = shards.summary_markdown(graded[1:2], TPS, ungraded=2)
    assert "\n> 2 other submissions under `submitted/` were not graded in this run" in warned


# -- end to end on the toy course ------------------------------------------------------
def without_timings(r: Result) -> dict:
    return {k: v for k, v in r.to_dict().items() if k != "timings"}


def test_two_shards_merged_equal_one_grade_run(toy, toy_course_copy, tmp_path):
    """CI's way (plan, a shard per job in its own checkout, merge) gives make grade's
    grades.csv. Each copy starts from the released toy's gradebook: creating a new one
    costs ~5 s (alembic), which this test is not about."""
    course = toy_course_copy
    submit(course, "alice", answered(course, cube=None))   # 3/5: a 1
    submit(course, "hugo", '{"cells": [')         # invalid JSON: graded without a kernel
    copies = {}
    for name in ("reference", "shard-0", "shard-1"):
        shutil.copytree(course.root, tmp_path / name)
        shutil.copyfile(toy.root / "gradebook.db", tmp_path / name / "gradebook.db")
        copies[name] = Course(tmp_path / name)

    grade_course(copies["reference"], progress=False)
    plan = shards.plan(course, count=2)
    assert plan == [[("alice", toy_course.TP_ID)], [("hugo", toy_course.TP_ID)]]
    for i, shard in enumerate(plan):
        shards.grade_shard(copies[f"shard-{i}"], shard)
    merged = shards.merge(course, [copies["shard-0"].root, copies["shard-1"].root])
    publish(course)

    assert course.grades_csv.read_text() == copies["reference"].grades_csv.read_text()
    reference = {r.student: r for r in results.load_all(copies["reference"].results_dir)}
    assert sorted(reference) == ["alice", "bob", "carol", "hugo"]  # bob, carol: no submission
    assert [without_timings(r) for r in merged] == [
        without_timings(reference[s]) for s in ("alice", "hugo")]
    assert [(r.student, r.grade) for r in merged] == [("alice", 1), ("hugo", 0)]
    assert (course.feedback_dir / "hugo" / toy_course.TP_ID / "feedback.html").is_file()
    assert (course.autograded_dir / "alice" / toy_course.TP_ID / toy_course.NOTEBOOK).is_file()
