"""Reading a student's cells as matching sees them: the text, its key, the Python in it.

No matching happens here. A ``Cell`` is one cell of the student's notebook, or a piece of
a merged one (``unmerge``); each step of the matching reads it and records on it what it
found (``claim``, ``how``, ``used``).
"""
from __future__ import annotations

import ast
import re
from functools import cached_property

from nbformat import NotebookNode

from ...course import notebooks

#: A code block in a markdown cell (```python ... ```), as a code cell turned into
#: markdown sometimes gets.
_FENCE = re.compile(r"\A\s*```[\w+-]*[ \t]*\n(.*?)\n[ \t]*```\s*\Z", re.S)
#: IPython-only lines (%magic, !shell), read as ``pass`` to parse the rest as Python.
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.M)


def text_of(source) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    return "".join(source) if isinstance(source, list) else (source or "")


def key_of(source: str) -> str:
    """A cell's text, blind to trailing spaces and blank lines."""
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def parse(code: str) -> tuple[ast.Module | None, str]:
    """The module, or None and why it does not parse."""
    try:
        return ast.parse(_MAGIC.sub(r"\1pass", code)), ""
    except SyntaxError as e:
        return None, f"line {e.lineno}: {e.msg}"
    except (ValueError, RecursionError, MemoryError) as e:
        return None, type(e).__name__


def definitions_of(tree: ast.Module | None) -> dict[str, ast.stmt]:
    """The names a module defines at top level (def, class, assignment), each with the
    statement that defines it last."""
    found: dict[str, ast.stmt] = {}

    def visit(body):
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[stmt.name] = stmt
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for n in (n for t in targets for n in ast.walk(t)):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        found[n.id] = stmt
            elif isinstance(stmt, (ast.If, ast.With, ast.Try)):
                visit(stmt.body)
                visit(getattr(stmt, "orelse", []))
                visit(getattr(stmt, "finalbody", []))
                for handler in getattr(stmt, "handlers", []):
                    visit(handler.body)

    if tree is not None:
        visit(tree.body)
    return found


class Cell:
    """One cell of the student's notebook (or a piece of a merged one), as matching sees it."""

    def __init__(self, pos: int, cell_type: str, source: str, cell_id, grade_id):
        self.pos = pos
        self.cell_type = cell_type
        self.source = source
        self.cell_id = cell_id
        self.grade_id = grade_id
        self.key = key_of(source)
        self.claim: int | None = None  # the release cell this one is a copy of
        self.how = ""                  # how it was found: "grade_id", "cell id", "content", ...
        self.used = False              # placed, or dropped, already
        self.merged_from: int | None = None  # the read-only cell cut out of it, for a piece

    @classmethod
    def of(cls, pos: int, cell: NotebookNode) -> "Cell":
        meta = cell.get("metadata")
        return cls(pos, cell.get("cell_type", "code"), text_of(cell.get("source", "")),
                   cell.get("id"), notebooks.grade_id(cell) if isinstance(meta, dict) else None)

    @cached_property
    def code(self) -> str:
        """The source read as Python: a markdown cell's code block unwrapped."""
        if self.cell_type != "code":
            m = _FENCE.match(self.source)
            if m:
                return m.group(1)
        return self.source

    @cached_property
    def _parsed(self):
        return parse(self.code)

    @property
    def tree(self) -> ast.Module | None:
        return self._parsed[0]

    @property
    def error(self) -> str:
        return self._parsed[1]

    @cached_property
    def definitions(self) -> dict[str, ast.stmt]:
        return definitions_of(self.tree) if self.cell_type in ("code", "markdown", "raw") else {}

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.definitions)

    def version(self, name: str) -> str:
        """How this cell defines ``name`` (blind to comments and layout)."""
        return ast.dump(self.definitions[name])

    def __repr__(self):
        return f"<cell {self.pos} {self.cell_type} {self.key[:30]!r}>"


def join(cells: list[Cell]) -> str:
    """The cells' code, in order: one cell's parts, or whole cells, one after the other."""
    whole = all(c.tree is not None for c in cells)
    return ("\n\n" if whole else "\n").join(c.code.strip("\n") for c in cells)
