"""The README's claims that code can check: each figure points at what checks it.

- the mutant table gives each suite's own counts of wrong solutions and alternatives;
- the TP table has a session time for every TP (one 3-hour class each);
- the per-notebook grading limit it quotes is the configuration's.
"""
from __future__ import annotations

import importlib
import re

import pytest

from graders.course.config import ROOT, Course

README = (ROOT / "README.md").read_text()
COURSE = Course(ROOT)
TPS = [tp.id for tp in COURSE.released_tps]


def table_row(first_cell: str, after: str) -> list[str]:
    """The cells of the first table row starting with ``| first_cell |`` after ``after``."""
    text = README[README.index(after):]
    line = next(l for l in text.splitlines() if re.match(rf"\|\s*{re.escape(first_cell)}\s*\|", l))
    return [c.strip() for c in line.strip().strip("|").split("|")]


@pytest.mark.parametrize("tp_id", TPS)
def test_the_mutant_table_gives_each_suites_counts(tp_id):
    short = tp_id.split("_")[0]
    mutants = importlib.import_module(f"tests.test_tp{short[2:]}_mutants").MUTANTS
    wrong = sum(m.caught_by is not None for m in mutants)
    right = sum(m.caught_by is None for m in mutants)
    row = table_row(short, "**Mutant suites**")
    assert row[1:3] == [f"{wrong} / {wrong}", f"{right} / {right}"], \
        f"README's mutant table for {short}: {row[1:3]}, the suite has {wrong} and {right}"


@pytest.mark.parametrize("tp_id", TPS)
def test_every_tp_states_its_session_time(tp_id):
    header = table_row("TP", "# dl-course")
    assert "session time" in header, f"the TP table has no session time column: {header}"
    row = table_row(tp_id.split("_")[0], "# dl-course")
    time = row[header.index("session time")]
    assert re.search(r"\d", time), f"{tp_id}: no session time in the TP table ({time!r})"


def test_the_quoted_notebook_limit_is_the_configured_one():
    limits = {tp.notebook_timeout for tp in COURSE.tps}
    quoted = re.findall(r"the limit is (\d+) s", README)
    assert quoted, "the README no longer quotes the per-notebook limit"
    assert {int(q) for q in quoted} <= limits, (quoted, limits)
