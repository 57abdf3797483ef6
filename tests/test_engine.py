"""One execution path: every notebook runs through graders.grading.engine, and every entry point
agrees with grading (the self-check on visible tests, JOBS=n with JOBS=1)."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from graders.course import notebooks
from graders.course.config import ROOT, Course
from graders.grade import grade_course
from graders.grading import engine, results
from graders.student.check import check

from . import toy_course
from .conftest import answered, submit

KERNEL_STARTERS = re.compile(
    r"\bNotebookClient\b|KernelManager\b|start_new_(?:async_)?kernel|run_kernel\b|"
    r"ExecutePreprocessor|\bExecute\b\(|api\.autograde\b|nbclient\.execute\b|"
    r"from\s+nbclient\s+import\s+[^#]*\bexecute\b|--execute\b|jupyter\s+execute\b|"
    r"ipykernel_launcher|\bpapermill\b")


@pytest.mark.parametrize("line", [
    "client = NotebookClient(nb)", "km = AsyncKernelManager()", "KernelManager(kernel_name='x')",
    "MultiKernelManager()", "start_new_kernel()", "start_new_async_kernel()",
    "with run_kernel() as kc:", "nbclient.execute(nb)", "from nbclient import client, execute",
    "subprocess.run(['jupyter', 'nbconvert', '--to', 'notebook', '--execute', p])",
    "os.system('jupyter execute nb.ipynb')", "[sys.executable, '-m', 'ipykernel_launcher']",
    "import papermill", "ep = ExecutePreprocessor()", "api.autograde('TP1')"])
def test_every_way_to_start_a_kernel_is_recognised(line):
    assert KERNEL_STARTERS.search(line), f"not recognised as starting a kernel: {line}"


@pytest.mark.parametrize("line", ["from graders.grading.engine import Engine",
                                  "run = engine.run(nb)", "executed = result.executed",
                                  "kernel_env()"])
def test_ordinary_lines_are_not_taken_for_kernel_starts(line):
    assert not KERNEL_STARTERS.search(line), line


def test_one_module_starts_kernels():
    """No module but the engine (and the Execute preprocessor it drives) starts a kernel.
    The benchmark that times plain nbgrader and a bare kernel is the one exception."""
    allowed = {"graders/grading/engine.py", "graders/grading/preprocessors.py",
               "benchmarks/grading.py",
               "graders/grading/sandbox.py"}   # it writes the command the engine starts
    offenders = []
    for folder in ("graders", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in allowed or rel == "tests/test_engine.py":
                continue
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if KERNEL_STARTERS.search(line.split("#")[0]):
                    offenders.append(f"{rel}:{i}: {line.strip()}")
    assert not offenders, "kernels started outside graders.grading.engine:\n" + "\n".join(offenders)


def test_the_kernel_environment_is_defined_once():
    env = engine.kernel_env()
    assert env["NBGRADER_EXECUTION"] == "autograde" and env["PYTHONHASHSEED"] == "0"
    assert engine.kernel_env(mode="full")["NBGRADER_EXECUTION"] == "full"
    for path in (ROOT / "graders").rglob("*.py"):
        if path.name != "engine.py":
            assert "PYTHONHASHSEED" not in path.read_text(), f"{path.name} defines the kernel env"


def _outcomes(found):
    return {o.grade_id: (o.passed, o.points) for o in found}


@pytest.mark.slow
def test_check_agrees_with_grading_on_visible_tests(toy_course_copy, tmp_path):
    """The self-check and grading run the same engine: on answers whose hidden tests pass
    exactly when the visible ones do, they give the same outcome per exercise and the
    same failure messages."""
    course = toy_course_copy
    nb = answered(course, square="return x * x", cube="return x + 1")   # cube fails visibly
    path = tmp_path / toy_course.NOTEBOOK
    notebooks.write(nb, path)
    report = check(course, path)
    submit(course, "ana", nb)
    graded = {r.student: r for r in grade_course(course, progress=False)}["ana"]
    assert _outcomes(report.exercises) == _outcomes(graded.exercises)
    assert [o.message for o in report.exercises] == [o.message for o in graded.exercises]
    assert report.protections == graded.sandbox


def _verdicts(course: Course) -> dict:
    out = {}
    for r in results.load_all(course.results_dir):
        d = r.to_dict()
        d.pop("timings")
        out[(r.student, r.tp)] = json.dumps(d, sort_keys=True)
    return out


@pytest.mark.slow
def test_parallel_grading_gives_the_results_of_sequential_grading(toy, tmp_path):
    """make grade JOBS=3 and JOBS=1 on the same class: the same results (timings aside),
    the same grades.csv and the same gradebook scores."""
    from nbgrader.api import Gradebook

    courses = []
    for jobs in (1, 3):
        root = tmp_path / f"jobs{jobs}"
        shutil.copytree(toy.root, root, ignore=shutil.ignore_patterns("gradebook.db", ".work"))
        course = Course(root)
        submit(course, "a-complete", answered(course))
        submit(course, "b-partial", answered(course, cube=None))
        submit(course, "c-wrong", answered(course, square="return x + x", cube="return 0"))
        submit(course, "d-broken", '{"cells": [')
        submit(course, "e-late", answered(course), timestamp="2031-01-01 10:00:00 UTC")
        grade_course(course, progress=False, jobs=jobs)
        courses.append(course)
    sequential, parallel = courses
    assert _verdicts(sequential) == _verdicts(parallel)
    assert len(_verdicts(sequential)) >= 5
    assert sequential.grades_csv.read_bytes() == parallel.grades_csv.read_bytes()
    scores = []
    for course in courses:
        with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
            scores.append({s: gb.find_submission(toy_course.TP_ID, s).score
                           for s in ("a-complete", "b-partial", "c-wrong", "e-late")})
    assert scores[0] == scores[1] and scores[0]["a-complete"] == 5


def test_a_machine_without_the_sandbox_still_runs_with_timeouts_and_the_guard(toy, tmp_path,
                                                                              monkeypatch):
    """macOS, Windows, Colab: no launcher; the engine says which limits it applies."""
    monkeypatch.setattr(engine.sandbox, "supported", lambda: False)
    e = engine.Engine(toy, work_dir=tmp_path)
    assert e.kernel_name == "python3"
    assert "timeouts and the guard only" in e.protections[0]
