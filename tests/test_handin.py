"""The hand-in itself is hostile input (issue 32): links, special files, malformed JSON.

The files a student hands in are read by the grader outside any sandbox. A class holding
every such attack, beside an honest student (0) and a complete one (2), is graded with the
real ``python -m graders grade``: it completes with exit 0 in bounded time, each attack
gets 0 or is refused with a reason the instructor understands and an integrity flag, and
no byte of a file outside the hand-in reaches results/, feedback/ or grades.csv. The same
rules hold in ``grade-one``, the CI shards, ``make check`` and the similarity report.
Unit tests of ``graders.course.handin`` come first (no kernel).
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from graders.course import handin, notebooks
from graders.course.config import Course
from graders.grading import submissions

from . import toy_course
from .conftest import answered, submit

TP = toy_course.TP_ID
NB = toy_course.NOTEBOOK
SECRET = "SECRET-of-the-grading-machine-5f3a"


@contextmanager
def no_hang(seconds: int = 10):
    """Fail (instead of hanging the suite) when the block blocks, as on a FIFO."""
    def alarm(*_):
        raise TimeoutError(f"blocked for more than {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def deep_json(depth: int = 100_000) -> str:
    """Valid JSON nested ``depth`` deep: the parser's recursion, not a notebook."""
    return '{"cells": ' + "[" * depth + "]" * depth + "}"


# -- graders.course.handin, alone -----------------------------------------------------------
@pytest.fixture
def folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    hand = tmp_path / "submitted" / "eve" / TP
    hand.mkdir(parents=True)
    (hand / "notes.txt").write_text("mine")
    return hand


def test_walk_lists_regular_files_and_refuses_the_rest_unopened(folder):
    outside = folder.parents[2] / "outside"
    (folder / NB).symlink_to("../../../outside/secret.txt")
    (folder / "abs.ipynb").symlink_to(outside / "secret.txt")
    (folder / "data").symlink_to(outside)
    os.mkfifo(folder / handin.TIMESTAMP_FILE)
    (folder / "folder.ipynb").mkdir()
    os.link(outside / "secret.txt", folder / "hard.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "ok.py").write_text("x = 1")
    os.link(folder / "notes.txt", folder / "sub" / "notes-again.txt")   # both names inside
    with no_hang():
        listing = handin.walk(folder)
    assert listing.files == ["notes.txt", "sub/notes-again.txt", "sub/ok.py"]
    refused = {r.rel: r.what for r in listing.refused}
    assert refused == {
        NB: "a symbolic link to '../../../outside/secret.txt'",
        "abs.ipynb": f"a symbolic link to '{outside / 'secret.txt'}'",
        "data": f"a symbolic link to '{outside}'",
        handin.TIMESTAMP_FILE: "a FIFO (named pipe), not a file",
        "folder.ipynb": "a folder, not a notebook",
        "hard.txt": "a hard link to a file outside the hand-in"}
    blocking = {r.rel for r in listing.refused if r.blocks}
    assert blocking == {NB, "abs.ipynb", handin.TIMESTAMP_FILE, "folder.ipynb"}
    assert listing.blocking.note() == ("abs.ipynb is a symbolic link to "
                                       f"'{outside / 'secret.txt'}': not graded")
    data = next(r for r in listing.refused if r.rel == "data")
    assert data.note() == f"data is a symbolic link to '{outside}': ignored (never opened)"


def test_a_linked_hand_in_folder_is_refused_whole(folder):
    link = folder.parent / "TP9_link"
    link.symlink_to(folder)
    listing = handin.walk(link)
    assert listing.files == [] and listing.blocking.note() == (
        f"the hand-in folder is a symbolic link to '{folder}': not graded")


def test_walk_is_bounded_in_entries(folder):
    for i in range(30):
        (folder / f"f{i}.txt").write_text("x")
    listing = handin.walk(folder, handin.Limits(2**20, 100, entries=10))
    assert listing.blocking.note() == ("the hand-in folder is a folder of more than 10 files "
                                       "and folders: not graded")


@pytest.mark.parametrize("make, expected", [
    (lambda p, out: p.symlink_to(out), "is a symbolic link to"),
    (lambda p, out: os.mkfifo(p), "is a FIFO (named pipe), not a file"),
    (lambda p, out: p.mkdir(), "is a folder, not a notebook"),
    (lambda p, out: os.link(out, p), "is a hard link to a file outside the hand-in"),
])
def test_reading_a_notebook_refuses_what_is_not_a_regular_file(folder, make, expected):
    path = folder / NB
    make(path, folder.parents[2] / "outside" / "secret.txt")
    with no_hang(), pytest.raises(notebooks.NotebookError) as e:
        # as grading reads a hand-in's notebook: one name inside the hand-in
        notebooks.read(path, root=folder, links=1)
    assert expected in str(e.value) and str(e.value).endswith(": not graded")
    assert SECRET not in str(e.value)
    if "hard link" not in expected:   # any reader of a notebook: a link, a FIFO...
        with no_hang(), pytest.raises(notebooks.NotebookError, match=re.escape(expected)):
            notebooks.read(path)


def test_a_link_below_the_hand_in_folder_is_never_followed(folder):
    """``root``: no component below the hand-in folder is followed, not only the last."""
    outside = folder.parents[2] / "outside"
    (outside / NB).write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (folder / "old").symlink_to(outside)
    with pytest.raises(notebooks.NotebookError, match="symbolic link"):
        handin.read_notebook(folder / "old" / NB, root=folder)


def test_sizes_are_bounded(folder):
    big = folder / NB
    big.write_text(json.dumps({"cells": [], "x": "a" * 3000}))
    limits = handin.Limits(notebook_bytes=1000, metadata_bytes=10, entries=100)
    with pytest.raises(notebooks.NotebookError) as e:
        handin.read_notebook(big, limits)
    assert str(e.value) == ("not a readable notebook (3,022 bytes, over the 1,000 bytes a "
                            "notebook may be): clear its outputs (Edit > Clear all outputs), "
                            "save it and hand it in again")
    (folder / "timestamp.txt").write_text("2026-09-15 15:58:03.123 UTC")
    sub = submissions.Submission("eve", TP, folder, limits=limits)
    with pytest.raises(ValueError) as e:
        sub.timestamp("Europe/Paris")
    assert str(e.value) == ("timestamp.txt is 27 bytes, over the 10 bytes a hand-in metadata "
                            "file may be: the hand-in time is unknown")


@pytest.mark.parametrize("data, reason", [
    (deep_json().encode(), "not a readable notebook (its JSON nests more than 100 levels "
                           "deep; Jupyter writes about 6): open it in Jupyter or Colab, save "
                           "it and hand it in again (the .ipynb file that File > Download "
                           "gives)"),
    (b'\x89PNG\r\n', "not a readable notebook (not UTF-8 text: byte 0x89 at position 0): "
                     "open it in Jupyter or Colab"),
    (b'{"cells": [], "n": ' + b"7" * 5000 + b"}", "not a readable notebook (it holds a "
                                                  "number too long to read (over 4,300 "
                                                  "digits)): open it in Jupyter or Colab"),
    (b'{"cells": [{"source": "x', "notebook is not valid JSON (line 1: unterminated string "
                                 "starting at column 23): open it in Jupyter or Colab, save "
                                 "it and hand it in again (the .ipynb file that File > "
                                 "Download gives)"),
    (b'{"cells": [1, 2', "notebook is not valid JSON (line 1: expecting ',' delimiter at "
                         "column 16): open it"),
])
def test_an_unreadable_notebook_gets_a_whole_reason_and_a_next_step(data, reason):
    """Issue 28: the reason is not cut mid-sentence ("Unterminated string starting at")
    and says what to do; issue 32: depth, encoding and odd numbers are reasons, not crashes."""
    with pytest.raises(notebooks.NotebookError) as e:
        handin.parse_notebook(data)
    text = str(e.value)
    assert text.startswith(reason), text
    assert "\n" not in text and "File > Download" in text


def test_unreadable_reasons_are_recognised_for_the_report():
    """``is_unreadable``: what the report's "needs a look" lists (issue 28)."""
    for reason in ("not a readable notebook (not UTF-8 text: byte 0x89 at position 0): ...",
                   "notebook is not valid JSON (line 1: expecting value at column 1): ...",
                   "toy.ipynb is a FIFO (named pipe), not a file: not graded"):
        assert handin.is_unreadable(reason), reason
    for reason in ("5/5 points: complete", "no submission", "late by 2 h"):
        assert not handin.is_unreadable(reason), reason


def test_a_timestamp_that_is_no_date_is_not_echoed(folder):
    (folder / "timestamp.txt").write_text(SECRET)
    with pytest.raises(ValueError) as e:
        submissions.Submission("eve", TP, folder).timestamp("Europe/Paris")
    assert SECRET not in str(e.value)
    assert str(e.value) == ("timestamp.txt does not hold a date (expected like 2026-09-15 "
                            "15:58:03.123 UTC): the hand-in time is unknown")


# -- a class holding every attack, graded by `python -m graders grade` ---------------------------
def _link(path: Path, target) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def _complete(course, student):
    return submit(course, student, answered(course))


def _with_timestamp_link(course, student):
    folder = _complete(course, student)
    _link(folder / "timestamp.txt", course.root / "secret.txt")


def _with_timestamp_fifo(course, student):
    os.mkfifo(_complete(course, student) / "timestamp.txt")


def _fifo_notebook(course, student):
    folder = course.submitted_dir / student / TP
    folder.mkdir(parents=True)
    os.mkfifo(folder / NB)


def _folder_notebook(course, student):
    folder = course.submitted_dir / student / TP / NB
    folder.mkdir(parents=True)
    (folder / "answers.py").write_text("def square(x):\n    return x * x\n")


def _hard_link(course, student):
    folder = course.submitted_dir / student / TP
    folder.mkdir(parents=True)
    os.link(course.source_dir / TP / NB, folder / NB)


def _with_linked_extra(course, student):
    folder = _complete(course, student)
    _link(folder / "notes.txt", course.root / "secret.txt")


#: student -> (how the hand-in is made, what the reason says, how it is graded)
ATTACKS = {
    "link-relative": (lambda c, s: _link(c.submitted_dir / s / TP / NB,
                                         f"../../../source/{TP}/{NB}"),
                      f"{NB} is a symbolic link to '../../../source/{TP}/{NB}': not graded"),
    "link-absolute": (lambda c, s: _link(c.submitted_dir / s / TP / NB, c.source_dir / TP / NB),
                      f"{NB} is a symbolic link to '{{root}}/source/{TP}/{NB}': not graded"),
    "link-student": (lambda c, s: _link(c.submitted_dir / s / TP / NB, f"../../complete/{TP}/{NB}"),
                     f"{NB} is a symbolic link to '../../complete/{TP}/{NB}': not graded"),
    "link-folder": (lambda c, s: _link(c.submitted_dir / s / TP, f"../../source/{TP}"),
                    f"the hand-in folder is a symbolic link to '../../source/{TP}': not graded"),
    "link-student-folder": (lambda c, s: _link(c.submitted_dir / s, "complete"),
                            "the hand-in folder is a symbolic link to 'complete': not graded"),
    "link-timestamp": (_with_timestamp_link,
                       "timestamp.txt is a symbolic link to '{root}/secret.txt': not graded"),
    "fifo-timestamp": (_with_timestamp_fifo,
                       "timestamp.txt is a FIFO (named pipe), not a file: not graded"),
    "fifo-notebook": (_fifo_notebook, f"{NB} is a FIFO (named pipe), not a file: not graded"),
    "deep-json": (lambda c, s: submit(c, s, deep_json()),
                  "not a readable notebook (its JSON nests more than 100 levels deep"),
    "huge-number": (lambda c, s: submit(c, s, '{"cells": [], "n": ' + "7" * 5000 + "}"),
                    "not a readable notebook (it holds a number too long to read"),
    "folder-notebook": (_folder_notebook, f"{NB} is a folder, not a notebook: not graded"),
    "hard-link": (_hard_link, f"{NB} is a hard link to a file outside the hand-in: not graded"),
}


def make_class(course: Course, attacks=ATTACKS, honest=True) -> None:
    (course.root / "secret.txt").write_text(SECRET + "\n")
    if honest:
        submit(course, "honest", answered(course, square="return x + x"))   # 2/5: a 0
        _complete(course, "complete")
        _with_linked_extra(course, "extra-link")   # graded, the link noted, never opened
    for student, (make, _) in attacks.items():
        make(course, student)


def grade_cli(course: Course, *argv, timeout=300) -> tuple[subprocess.CompletedProcess, float]:
    """The real entry point, in a process of its own: a hang is a timeout, not a stuck suite."""
    t0 = time.monotonic()
    module = "graders.shards" if argv[0] == "shards" else "graders"
    argv = argv[1:] if argv[0] == "shards" else argv
    proc = subprocess.run([sys.executable, "-m", module, "--root", str(course.root), *argv],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=toy_course.ROOT)
    return proc, time.monotonic() - t0


def class_course(toy, root: Path, attacks=ATTACKS, honest=True) -> Course:
    """A copy of the released toy course, with the class's hand-ins."""
    shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
    course = Course(root)
    make_class(course, attacks, honest)
    return course


def lstat_digest(folder: Path) -> dict:
    """Every entry under ``folder`` as it is, links and FIFOs unfollowed and unopened."""
    out = {}
    for dirpath, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(dirpath) / name
            st = p.lstat()
            what = (os.readlink(p) if p.is_symlink() else
                    p.read_bytes() if p.is_file() and not p.is_symlink() else st.st_mode)
            out[str(p.relative_to(folder))] = (st.st_mode, st.st_ino, what)
    return out


@pytest.fixture(scope="module")
def attacked(toy, tmp_path_factory):
    """The class graded by ``python -m graders grade``: (course, results, process, seconds,
    the submitted tree before)."""
    course = class_course(toy, tmp_path_factory.mktemp("handin") / "course")
    before = lstat_digest(course.submitted_dir)
    proc, seconds = grade_cli(course, "grade", "--jobs", "2")
    got = {p.parent.name: json.loads(p.read_text())
           for p in course.results_dir.glob(f"*/{TP}.json")}
    return course, got, proc, seconds, before


def test_the_class_completes_in_normal_time(attacked):
    course, got, proc, seconds, _ = attacked
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert seconds < 240, f"the class took {seconds:.0f} s"
    assert set(got) >= set(ATTACKS) | {"honest", "complete", "extra-link"}


def test_the_honest_and_complete_students_are_unaffected(attacked):
    _, got, _, _, _ = attacked
    assert (got["honest"]["grade"], got["honest"]["points"]) == (0, 2)
    assert (got["complete"]["grade"], got["complete"]["points"]) == (2, 5)
    assert not got["complete"]["integrity"] and not got["honest"]["integrity"]


@pytest.mark.parametrize("student", list(ATTACKS))
def test_each_attack_is_refused_with_its_reason_and_a_flag(attacked, student):
    course, got, _, _, _ = attacked
    reason = ATTACKS[student][1].replace("{root}", str(course.root))
    r = got[student]
    assert r["grade"] == 0 and r["points"] == 0 and not r["exercises"], r
    assert r["reason"].startswith(reason), r["reason"]
    # a refused file is an integrity flag, an unreadable notebook a flag: in grades.csv too
    if "not graded" in reason:
        assert reason in r["integrity"], r["integrity"]
    else:
        assert r["flags"] == [f"{NB} could not be read: {r['reason']}"], r["flags"]
    with course.grades_csv.open(newline="") as f:
        row = next(row for row in csv.DictReader(f) if row["student"] == student)
    assert row[f"{TP} reason"] == r["reason"]
    assert reason.split(" (")[0].split(":")[0] in row["flags"], row["flags"]


def test_a_link_beside_the_notebook_is_ignored_unopened_and_flagged(attacked):
    course, got, _, _, _ = attacked
    r = got["extra-link"]
    assert (r["grade"], r["points"]) == (2, 5)
    assert r["integrity"] == [f"notes.txt is a symbolic link to '{course.root}/secret.txt': "
                              "ignored (never opened)"]


def test_no_byte_from_outside_the_hand_in_is_published(attacked):
    """Neither the secret nor the instructor's source notebook (its solutions) reaches the
    results, the feedback pages or grades.csv."""
    course, got, _, _, _ = attacked
    assert course.grades_csv.is_file(), "nothing was published"
    for student in got:
        assert (course.feedback_dir / student / TP / "feedback.html").is_file(), student
    published = [course.grades_csv, *course.results_dir.rglob("*"), *course.feedback_dir.rglob("*")]
    for path in published:
        if path.is_file():
            text = path.read_text(errors="replace")
            assert SECRET not in text, path
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN" not in text, path


def test_submitted_files_are_untouched(attacked):
    course, _, _, _, before = attacked
    assert lstat_digest(course.submitted_dir) == before


def test_grade_one_follows_the_same_rules(toy, tmp_path):
    picked = ("link-relative", "fifo-notebook", "deep-json", "link-folder")
    course = class_course(toy, tmp_path / "course", {s: ATTACKS[s] for s in picked}, False)
    for student in picked:
        proc, seconds = grade_cli(course, "grade-one", "--student", student, "--tp", "TP0",
                                  "--json", timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        r = json.loads(proc.stdout)
        reason = ATTACKS[student][1].replace("{root}", str(course.root))
        assert r["grade"] == 0 and r["reason"].startswith(reason), r["reason"]


def test_grade_one_over_a_stored_result_and_through_a_linked_student_folder(toy, tmp_path):
    picked = ("link-relative", "link-student-folder")
    course = class_course(toy, tmp_path / "course", {s: ATTACKS[s] for s in picked}, False)
    _complete(course, "complete")
    for student in ("link-relative", "link-relative", "link-student-folder"):
        proc, _ = grade_cli(course, "grade-one", "--student", student, "--tp", "TP0",
                            "--json", timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        r = json.loads(proc.stdout)
        assert r["grade"] == 0 and r["reason"] == ATTACKS[student][1], r["reason"]


def test_a_linked_student_folder_is_refused_from_a_path_too(tmp_path):
    """``Submission.at`` (grade-one's way in) with ``base``: a link between ``submitted/``
    and the hand-in refuses it, as ``find`` does."""
    sub_dir = tmp_path / "submitted"
    (sub_dir / "bob" / TP).mkdir(parents=True)
    (sub_dir / "bob" / TP / NB).write_text("{}")
    (sub_dir / "eve").symlink_to("bob")
    sub = submissions.Submission.at("eve", TP, sub_dir / "eve" / TP, base=sub_dir)
    assert sub.notebooks == [] and sub.refusal.note() == (
        "the hand-in folder is a symbolic link to 'bob': not graded")
    sub = submissions.Submission.at("eve", TP, sub_dir / "eve" / TP / NB, base=sub_dir)
    assert sub.notebooks == [] and sub.refusal is not None
    assert submissions.find(sub_dir, [TP])[("eve", TP)].refusal.note() == sub.refusal.note()
    assert submissions.Submission.at("bob", TP, sub_dir / "bob" / TP, base=sub_dir).notebooks


def test_the_ci_shards_follow_the_same_rules(toy, tmp_path):
    """plan, then grade one shard holding only attacks: each refused, none hangs."""
    attacks = {s: a for s, a in ATTACKS.items() if s != "link-student-folder"}
    shards = class_course(toy, tmp_path / "course", attacks, honest=False)
    root = shards.root
    proc, _ = grade_cli(shards, "shards", "plan", "--count", "1", timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc, _ = grade_cli(shards, "shards", "grade", "--shard", "0", timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = dict(line.split(f" {TP}: ", 1) for line in proc.stdout.splitlines()
                   if f" {TP}: " in line)
    for student, (_, reason) in attacks.items():
        assert printed[student].startswith("0 (" + reason.replace("{root}", str(root))), \
            (student, printed[student])


def test_check_and_similarity_read_the_same_way(attacked):
    """`make check` on a linked or FIFO notebook, and the similarity report over the class,
    finish at once, without reading anything outside the hand-in."""
    from graders.student import check
    from graders.instructor import similarity

    course, _, _, _, _ = attacked
    for student in ("link-relative", "fifo-notebook", "folder-notebook"):
        with no_hang():
            report = check.check(course, course.submitted_dir / student / TP / NB)
        assert report.problems and ATTACKS[student][1].split(":")[0].replace(
            "{root}", str(course.root)) in report.problems[0], report.problems
    with no_hang(60):
        answers = similarity.answers(course, TP)
    # the students whose own notebook is a regular file; never a link's target
    assert set(answers) == {"honest", "complete", "extra-link", "link-timestamp",
                            "fifo-timestamp"}


# -- the same on TP1, the real notebook (slow: two real kernels) --------------------------------
@pytest.mark.slow
def test_tp1_class_with_every_link_attack(tmp_path):
    root = tmp_path / "course"
    repo = toy_course.ROOT
    (root / "source").mkdir(parents=True)
    tp1 = "TP1_micrograd"
    shutil.copytree(repo / "source" / tp1, root / "source" / tp1, symlinks=True)
    (root / "course_config.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(repo / 'course_config.py')!r}))\n"
        f"TPS = [t for t in TPS if t['id'] == {tp1!r}]\nSTUDENTS = []\n")
    course = Course(root)
    (root / "secret.txt").write_text(SECRET)
    nb = "micrograd.ipynb"
    sub = course.submitted_dir
    (sub / "complete" / tp1).mkdir(parents=True)
    shutil.copy(root / "source" / tp1 / nb, sub / "complete" / tp1 / nb)
    (sub / "honest" / tp1).mkdir(parents=True)
    shutil.copy(repo / "release" / tp1 / nb, sub / "honest" / tp1 / nb)
    _link(sub / "rel" / tp1 / nb, f"../../../source/{tp1}/{nb}")
    _link(sub / "abs" / tp1 / nb, root / "source" / tp1 / nb)
    _link(sub / "other" / tp1 / nb, f"../../complete/{tp1}/{nb}")
    _link(sub / "folder" / tp1, f"../../source/{tp1}")
    (sub / "stamp" / tp1).mkdir(parents=True)
    shutil.copy(root / "source" / tp1 / nb, sub / "stamp" / tp1 / nb)
    _link(sub / "stamp" / tp1 / "timestamp.txt", root / "secret.txt")
    (sub / "fifo" / tp1).mkdir(parents=True)
    os.mkfifo(sub / "fifo" / tp1 / nb)
    (sub / "deep" / tp1).mkdir(parents=True)
    (sub / "deep" / tp1 / nb).write_text(deep_json())
    (sub / "hard" / tp1).mkdir(parents=True)
    os.link(root / "source" / tp1 / nb, sub / "hard" / tp1 / nb)
    proc, seconds = grade_cli(course, "grade", "--jobs", "2", timeout=500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = {p.parent.name: json.loads(p.read_text())
           for p in course.results_dir.glob(f"*/{tp1}.json")}
    assert got["complete"]["grade"] == 2 and got["honest"]["grade"] == 0
    for student in ("rel", "abs", "other", "folder", "stamp", "fifo", "deep", "hard"):
        r = got[student]
        assert r["grade"] == 0 and not r["exercises"], (student, r["reason"])
    assert got["rel"]["reason"] == (f"{nb} is a symbolic link to "
                                    f"'../../../source/{tp1}/{nb}': not graded")
    for path in [course.grades_csv, *course.results_dir.rglob("*.json"),
                 *course.feedback_dir.rglob("*.html")]:
        assert SECRET not in path.read_text(errors="replace"), path
