"""The self-check lines a student may leave in a notebook, made harmless before a run.

Not part of the matching: grading (``prepare``) and the self-check (``student.check``)
apply it to the normalised notebook before it runs.
"""
from __future__ import annotations

import re

from ...course import notebooks

#: The lines of a student's in-notebook self-check (the kit's README suggests them): they
#: are for working in Jupyter, and do nothing useful where the notebook is run whole.
SELF_CHECK_LINE = re.compile(
    r"^\s*(?:from\s+graders(?:\.check)?\s+import\s+check_exercise\b.*"
    r"|(?:graders\.check\.)?check_exercise\s*\(.*\)\s*;?\s*(?:#.*)?"
    r"|import\s+sys\s*;\s*sys\.path\.insert\(\s*0\s*,\s*[\"']\.\.[\"']\s*\).*)$")


def without_self_checks(nb):
    """``nb`` with the self-check lines of its code cells (not the test cells) turned into
    ``pass``: run whole (``make check``, grading), a notebook never imports the kit's
    graders, which the sandbox hides. Returns the number of lines replaced."""
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or notebooks.is_test(cell):
            continue
        lines = cell.source.splitlines()
        kept = []
        for line in lines:
            if SELF_CHECK_LINE.match(line):
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}pass  # check_exercise: run in Jupyter only")
                replaced += 1
            else:
                kept.append(line)
        if kept != lines:
            cell.source = "\n".join(kept)
    return replaced
