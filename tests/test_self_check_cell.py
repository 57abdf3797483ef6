"""The in-notebook self-check (``check_exercise``) as the kit's README suggests it: the
import needs no path set-up after ``make install``, the exercise is named as the notebook
prints it, and a call left in the notebook makes ``make check`` print no error."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

from graders.course import notebooks
from graders.course.config import Course
from graders.student import check as check_mod
from graders.student import kit

from . import toy_course
from .conftest import answered
from .test_feedback import titled

SELF_CHECK = "from graders.check import check_exercise\ncheck_exercise(1)"


@pytest.fixture(scope="module")
def numbered_kit(toy, tmp_path_factory) -> Path:
    """The kit (no STUDENT_REPO_URL) of the toy course, its release titled "## 1. Squares",
    "### 2.1 Cubes" as a real TP is."""
    import shutil

    root = tmp_path_factory.mktemp("course") / "c"
    shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
    release = root / "release" / toy_course.TP_ID / toy_course.NOTEBOOK
    notebooks.write(titled(notebooks.read(release)), release)
    return kit.build(Course(root), tmp_path_factory.mktemp("kit") / "student-kit", repo_url="")


@pytest.mark.parametrize("query, expected", [
    (1, ["toy_square"]), ("1", ["toy_square"]), ("Exercise 1", ["toy_square"]),
    ("exercise 2.1", ["toy_cube"]), (2, ["toy_cube"]),          # section 2: its 2.1
    ("cube", ["toy_cube"]), ("`square`", ["toy_square"]), ("2.1 Cubes", ["toy_cube"]),
    ("toy_cube", ["toy_cube"]), ("square", ["toy_square"]),
])
def test_an_exercise_is_named_as_the_notebook_prints_it(numbered_kit, query, expected):
    assert check_mod.find_exercise(query, {}, root=numbered_kit) == expected


def test_an_unknown_exercise_says_which_there_are(numbered_kit, capsys, monkeypatch):
    monkeypatch.chdir(numbered_kit / toy_course.TP_ID)
    check_mod.check_exercise(7, {}, root=numbered_kit)
    assert capsys.readouterr().out == (f"no exercise '7' in {toy_course.TP_ID}: give its "
                                       "number (1, 2.1) or the function it asks for\n")


def test_the_call_runs_the_visible_tests_and_says_what_to_do(numbered_kit, capsys):
    def cube(x):
        raise NotImplementedError()

    check_mod.check_exercise("2.1", {"cube": cube, "square": lambda x: x * x},
                             root=numbered_kit)
    out = capsys.readouterr().out
    assert out.startswith("FAIL  toy_cube (2.1 Cubes)") and "Write `cube`" in out, out


def test_the_call_does_nothing_where_the_notebook_is_run_whole(numbered_kit, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    check_mod.check_exercise(1, {"square": lambda x: x * x}, root=numbered_kit)
    check_mod.check_exercise("no such exercise", {}, root=numbered_kit)
    assert capsys.readouterr().out == ""


def test_self_check_lines_become_pass_and_nothing_else_changes(toy):
    nb = answered(toy)
    cells = copy.deepcopy(nb.cells)
    nb.cells.insert(3, new_code_cell(
        'import sys; sys.path.insert(0, "..")\n' + SELF_CHECK + "\nx = 1\n"
        "if True:\n    check_exercise('square')  # again"))
    test = notebooks.cell_by_grade_id(nb, "toy_square")
    test.source += "\ncheck_exercise(1)"   # a test cell is the release's: never touched
    assert check_mod.without_self_checks(nb) == 4
    assert nb.cells[3].source.splitlines() == [
        "pass  # check_exercise: run in Jupyter only"] * 3 + [
        "x = 1", "if True:", "    pass  # check_exercise: run in Jupyter only"]
    assert test.source.endswith("\ncheck_exercise(1)")
    assert [c.source for c in nb.cells[:3]] == [c.source for c in cells[:3]]


def test_make_check_with_a_self_check_cell_left_in_prints_no_error(toy, tmp_path):
    nb = answered(toy)
    at = next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == "toy_square")
    nb.cells.insert(at + 1, new_code_cell(SELF_CHECK))
    path = tmp_path / toy_course.NOTEBOOK
    notebooks.write(nb, path)
    report = check_mod.check(toy, path)
    text = check_mod.format_report(report, path)
    assert report.ok and all(o.passed for o in report.exercises), text
    assert "raised" not in text and "Error" not in text, text


def test_make_install_makes_the_import_work_from_a_tp_folder(numbered_kit, tmp_path):
    """The kit's `make install` runs `python -m graders.check --link` in its venv: then a
    notebook in a TP folder (Jupyter's working folder) imports check_exercise as is."""
    install = next(block for block in kit.MAKEFILE.split("\n\n") if block.startswith("install:"))
    assert "$(PYTHON) -m graders.check --link" in install
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True).stdout.strip()
    import sysconfig   # the course's packages (nbformat...), as pip would have put them there

    Path(purelib, "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    before = subprocess.run([python, "-c", "from graders.check import check_exercise"],
                            cwd=numbered_kit / toy_course.TP_ID, capture_output=True, text=True,
                            env=env, timeout=120)
    linked = subprocess.run([python, "-m", "graders.check", "--link"], cwd=numbered_kit,
                            capture_output=True, text=True, env=env, timeout=120)
    assert linked.returncode == 0, linked.stderr
    after = subprocess.run(
        [python, "-c", "import graders.check as c; from graders.check import check_exercise; "
                       "print(c.__file__)"],
        cwd=numbered_kit / toy_course.TP_ID, capture_output=True, text=True, env=env, timeout=120)
    assert after.returncode == 0, after.stderr
    assert Path(after.stdout.strip()) == numbered_kit / "graders" / "check.py"
    assert before.returncode != 0 and "No module named 'graders'" in before.stderr


def test_the_kit_readme_suggests_the_call_as_it_works(numbered_kit):
    text = (numbered_kit / "README.md").read_text()
    assert "sys.path" not in text and "metadata" not in text
    assert "from graders.check import check_exercise\n  check_exercise(1)\n" in text
    assert "`make check` and grading skip it" in text


# -- the kit's README without STUDENT_REPO_URL --------------------------------------------
def test_without_a_repository_url_the_readme_says_what_to_do_instead(numbered_kit):
    text = (numbered_kit / "README.md").read_text()
    assert "STUDENT_REPO_URL" not in text and "badge" not in text and "Open in Colab" not in text
    assert "| TP | notebook | due (Europe/Paris) |\n|----|----------|------------------|\n" in text
    assert "*File > Upload notebook*" in text
    assert "if you keep this folder in a GitHub repository of your own" in text
    assert "Colab puts them all in `/content`" in text


def test_with_a_repository_url_the_readme_has_its_badges(toy, tmp_path):
    out = kit.build(toy, tmp_path / "kit", repo_url="acme/tps")
    text = (out / "README.md").read_text()
    assert "| open in Colab |" in text and "[![Open in Colab]" in text
    assert "*Open in Colab* badge in the table above" in text
    assert "every push to this repository that changes a notebook" in text


# -- torch's download on a laptop ------------------------------------------------------------
def make_n_install(folder: Path, with_gpu: bool, tmp_path: Path, *extra: str,
                   online: bool = True) -> str:
    """`make -n install` in ``folder`` on this Linux machine, with or without nvidia-smi,
    with or without a way to download.pytorch.org (the Makefile asks ``python3``; here a
    stand-in answers, so that the test needs no network)."""
    bin_dir = tmp_path / f"{'gpu' if with_gpu else 'nogpu'}-{'online' if online else 'offline'}"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python3").write_text(f"#!/bin/sh\nexit {0 if online else 1}\n")
    (bin_dir / "python3").chmod(0o755)
    for tool in ("make", "sh", "uname", "grep", "awk"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                               text=True).stdout.strip()
        if found and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    if with_gpu:
        (bin_dir / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / "nvidia-smi").chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    # VENV elsewhere: the repository's .venv/bin (first on the Makefile's PATH) holds a real
    # python3, which would try the network
    return subprocess.run([str(bin_dir / "make"), "-n", "install", "VENV=.no-venv", *extra],
                          cwd=folder, env=env, capture_output=True, text=True,
                          check=True).stdout


CPU = "--extra-index-url https://download.pytorch.org/whl/cpu"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the default is Linux's")
def test_the_kit_installs_torchs_cpu_build_on_linux_without_a_gpu(numbered_kit, tmp_path):
    assert CPU in make_n_install(numbered_kit, False, tmp_path)
    assert CPU not in make_n_install(numbered_kit, True, tmp_path)
    assert CPU not in make_n_install(numbered_kit, False, tmp_path, "TORCH_INDEX=")
    assert CPU not in make_n_install(numbered_kit, False, tmp_path, online=False)
    text = (numbered_kit / "README.md").read_text()
    assert "about 190 MB" in text and "about 3 GB" in text
