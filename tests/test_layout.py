"""graders/ shows its architecture: packages in layers, every import pointing down, and
modules short enough to read at one sitting (design §2)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADERS = Path(__file__).resolve().parents[1] / "graders"

#: Each package may import from the ones of a lower rank only (its own modules aside).
RANK = {"course": 0, "grading": 1, "publish": 2, "student": 3, "instructor": 3, "": 4}

#: A module longer than this is doing more than one thing.
MAX_LINES = 400


def _package(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else ""


def _imports(path: Path):
    """(line, the graders package it imports from) for each relative import of ``path``."""
    here = path.relative_to(GRADERS).parent.parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = [*here[:len(here) - node.level + 1], *(node.module or "").split(".")]
            parts = [p for p in parts if p]
            names = [a.name for a in node.names]
            if not parts:   # from . import x, y at the top
                for name in names:
                    yield node.lineno, name if name in RANK else ""
            else:
                yield node.lineno, parts[0] if parts[0] in RANK else ""


def modules():
    return sorted(p for p in GRADERS.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_import_points_down():
    wrong = []
    for path in modules():
        rel = path.relative_to(GRADERS)
        mine = _package(rel)
        for line, theirs in _imports(path):
            if theirs != mine and RANK[theirs] >= RANK[mine]:
                wrong.append(f"{rel}:{line} imports from {theirs or 'graders/ (top)'}")
    assert not wrong, "imports that point up or sideways: " + "; ".join(wrong)


def test_the_packages_are_the_documented_ones():
    packages = {p.name for p in GRADERS.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(RANK) - {""}
    top = (GRADERS / "__init__.py").read_text(encoding="utf-8")
    assert all(f"``{name}/``" in top for name in packages), "graders/__init__.py lists them"


def test_layering_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The check above can fail: a course module importing from grading is reported."""
    fake = tmp_path / "graders"
    (fake / "course").mkdir(parents=True)
    (fake / "course" / "config.py").write_text("from ..grading import engine\n")
    monkeypatch.setitem(globals(), "GRADERS", fake)
    with pytest.raises(AssertionError, match="course/config.py:1 imports from grading"):
        test_every_import_points_down()


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(GRADERS)} ({n} lines)" for p in modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"over {MAX_LINES} lines, split by concern: " + ", ".join(long)
