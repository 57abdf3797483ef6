"""What editors and students do to a notebook between its release and its hand-in.

Each transformation is a function ``fn(nb) -> nb`` that returns a changed copy of an
in-memory notebook (nbformat 4) and never modifies its argument. Two kinds:

- **editors** (``EDITORS``) re-save the file the way Google Colab, VS Code or JupyterLab
  do, or an older nbformat would, or drop metadata and outputs. These go through JSON
  text (``nbformat.reads``), as a hand-in does, so the result is what grading reads.
- **students** (``STUDENTS``) change the cells: a solution cell turned into markdown,
  split, duplicated, moved below its test, deleted and retyped, merged (Shift+M) with
  its test or its instructions; scratch cells added; a cell pasted from another
  notebook; a test deleted, edited or moved; and (``paste_into_fresh_release``, which
  needs the release) the answers pasted into a fresh copy. They find their target by its
  nbgrader metadata, so apply them before an editor that drops it (``combine(f, g)``
  applies f then g; ``ordered`` puts the student's change first).

Student transformations carry ``fn.target(nb)``: what they would hit in ``nb`` (a dict
with ``gid``, the solution's grade_id, and/or ``test``, a test cell's grade_id), so that
a test can say which notes grading should write. The sources of the facts imitated here
are nbgrader issues #424, #1398, #1546, #1941 and the files these editors write.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import io
import json
import random
import tokenize

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from graders.course import notebooks

# -- helpers --------------------------------------------------------------------------------


def _plain(nb: NotebookNode) -> dict:
    """A JSON-able deep copy (sources as strings)."""
    return json.loads(json.dumps(nb))


def _reread(d: dict, indent: int = 1) -> NotebookNode:
    """Write ``d`` as a file would hold it, and read it back as grading does."""
    return nbformat.reads(json.dumps(d, indent=indent, ensure_ascii=False) + "\n", as_version=4)


def _lines(source) -> list[str]:
    text = "".join(source) if isinstance(source, list) else source
    return text.splitlines(keepends=True)


def _string(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _new_id(seed: str) -> str:
    """A fresh cell id, as an editor makes for a new cell (deterministic here)."""
    return hashlib.sha1(seed.encode()).hexdigest()[:8] + "-" + hashlib.sha1(
        (seed + "!").encode()).hexdigest()[:4]


def solution_gids(nb) -> list[str]:
    """The grade_ids of the solution cells, in notebook order (each once)."""
    gids = []
    for c in nb.cells:
        g = notebooks.grade_id(c)
        if notebooks.is_solution(c) and g not in gids:
            gids.append(g)
    return gids


def _nth_solution(nb, which: int) -> str | None:
    gids = solution_gids(nb)
    return gids[which % len(gids)] if gids else None


def _cells_of(nb, gid: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == gid]


def _test_indices(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if notebooks.is_test(c)]


def _first_test_after(nb, i: int) -> int | None:
    return next((t for t in _test_indices(nb) if t > i), None)


def _statements(source: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(source).body
    except SyntaxError:
        return None


def _target(finder):
    """Attach ``finder`` (nb -> dict) to a transformation as ``fn.target``."""
    def deco(fn):
        fn.target = finder
        return fn
    return deco


# -- editors ---------------------------------------------------------------------------------


def colab_resave(nb):
    """Google Colab: the student opens the notebook from Drive, runs it, downloads it.

    Colab writes nbformat 4.0 (no cell ids: its own id goes in each cell's
    ``metadata.id``), rebuilds each cell's metadata from what it knows (``id``; on code
    cells ``colab.base_uri``/``height``, ``outputId``, ``executionInfo``) and drops the
    rest, nbgrader's included: the worst case reported for Colab hand-ins (nbgrader
    #1273, #1398). It sets ``metadata.colab``, ``accelerator`` and a short kernelspec,
    keeps outputs, and writes sources as lists of lines.
    """
    rng = random.Random(1337)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    d = _plain(nb)
    d["nbformat_minor"] = 0
    d["metadata"] = {
        "colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
    }
    for i, c in enumerate(d["cells"]):
        c.pop("id", None)
        c.pop("attachments", None)
        meta = {"id": "".join(rng.choice(alphabet) for _ in range(12))}
        if c["cell_type"] == "code":
            meta["colab"] = {"base_uri": "https://localhost:8080/", "height": 35 + 17 * (i % 5)}
            meta["outputId"] = "%08x-%04x-%04x-%04x-%012x" % tuple(
                rng.getrandbits(b) for b in (32, 16, 16, 16, 48))
            meta["executionInfo"] = {"status": "ok", "timestamp": 1757944800000 + 1000 * i,
                                     "user_tz": -120, "elapsed": rng.randint(5, 900)}
        c["metadata"] = meta
        c["source"] = _lines(c["source"])
    return _reread(d, indent=0)


def vscode_resave(nb):
    """VS Code's Jupyter extension: keeps the cells, their ids and nbgrader metadata;
    adds ``metadata.vscode.interpreter.hash``, a full ``language_info`` and the venv's
    kernelspec, marks code cells ``"vscode": {"languageId": "python"}``, writes indent 1
    and sources as lists of lines."""
    d = _plain(nb)
    d["metadata"]["kernelspec"] = {"display_name": ".venv (3.11.9)", "language": "python",
                                   "name": "python3"}
    d["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.9"}
    d["metadata"]["vscode"] = {"interpreter": {"hash": hashlib.sha256(b"venv").hexdigest()}}
    for c in d["cells"]:
        if c["cell_type"] == "code":
            c["metadata"]["vscode"] = {"languageId": "python"}
        c["source"] = _lines(c["source"])
    return _reread(d, indent=1)


def jupyterlab_resave(nb):
    """JupyterLab 4 after a working session: cells get ``collapsed``, ``scrolled``,
    ``jupyter.source_hidden``/``outputs_hidden``, ``tags``, ``trusted`` and (with "record
    timing" on) ``execution`` timestamps; ids and nbgrader metadata are kept; a full
    ``language_info``; indent 1, sources as lists of lines."""
    d = _plain(nb)
    d["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.9"}
    for i, c in enumerate(d["cells"]):
        meta = c["metadata"]
        meta["jupyter"] = {"source_hidden": False}
        meta["tags"] = []
        if c["cell_type"] == "code":
            meta["collapsed"] = False
            meta["scrolled"] = "auto" if i % 2 else True
            meta["trusted"] = True
            meta["jupyter"]["outputs_hidden"] = False
            t = f"2026-09-15T14:{i // 60:02d}:{i % 60:02d}.%06dZ"
            meta["execution"] = {"iopub.execute_input": t % 1000, "iopub.status.busy": t % 900,
                                 "iopub.status.idle": t % 5000, "shell.execute_reply": t % 4000}
        c["source"] = _lines(c["source"])
    return _reread(d, indent=1)


def _downgrade(minor: int):
    def downgrade(nb):
        d = _plain(nb)
        d["nbformat_minor"] = minor
        for c in d["cells"]:
            c.pop("id", None)
            if minor == 0:
                c.pop("attachments", None)
            c["source"] = _string(c["source"])
        return _reread(d, indent=2)

    downgrade.__name__ = downgrade.__qualname__ = f"downgrade_to_nbformat_4_{minor}"
    downgrade.__doc__ = (f"An editor or tool of the nbformat 4.{minor} era (cell ids came with "
                         "4.5): no cell ids; sources written as single strings.")
    return downgrade


downgrade_to_nbformat_4_0 = _downgrade(0)
downgrade_to_nbformat_4_1 = _downgrade(1)
downgrade_to_nbformat_4_2 = _downgrade(2)
downgrade_to_nbformat_4_3 = _downgrade(3)
downgrade_to_nbformat_4_4 = _downgrade(4)


def strip_nbgrader_metadata(nb):
    """Every cell loses ``metadata.nbgrader`` (ids kept): a cell deleted and re-made, a
    notebook copied cell by cell into a new one, an editor or a clean-up tool that keeps
    only the metadata it knows (nbgrader #424, #1398)."""
    d = _plain(nb)
    for c in d["cells"]:
        c["metadata"].pop("nbgrader", None)
    return _reread(d)


def keep_outputs(nb):
    """The student ran everything and saved with the outputs: execution counts, printed
    text, results, a figure, and the error of a test that failed."""
    nb = copy.deepcopy(nb)
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
           "AAAABJRU5ErkJggg==")
    n = 0
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        n += 1
        c.execution_count = n
        c.outputs = [new_output("stream", name="stdout", text=f"cell {n} ran\n"),
                     new_output("execute_result", data={"text/plain": f"{n * 7}"},
                                execution_count=n)]
        if n % 3 == 0:
            figure = {"image/png": png, "text/plain": "<Figure size 640x480>"}
            c.outputs.append(new_output("display_data", data=figure))
        if notebooks.is_test(c) and n % 2 == 0:
            red = "\x1b[0;31mAssertionError\x1b[0m: expected 6.0"
            c.outputs.append(new_output("error", ename="AssertionError", evalue="expected 6.0",
                                        traceback=[red]))
    return _reread(_plain(nb))


def clear_outputs(nb):
    """"Clear all outputs" before saving (or nbstripout): no outputs, no execution counts."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


# -- students ---------------------------------------------------------------------------------


@_target(lambda nb: {"gid": _nth_solution(nb, 1)})
def solution_to_markdown(nb, which: int = 1):
    """A solution cell (the ``which``-th; its last cell) turned into markdown by a stray
    "M" keypress or the type menu: same source, id and metadata, no outputs (#1546)."""
    nb = copy.deepcopy(nb)
    gid = _nth_solution(nb, which)
    i = _cells_of(nb, gid)[-1]
    c = nb.cells[i]
    md = new_markdown_cell(c.source, metadata=c.metadata)
    if "id" in c:
        md["id"] = c["id"]
    else:
        md.pop("id", None)
    nb.cells[i] = md
    return nb


def _split_target(nb) -> str | None:
    """The first solution whose cell holds several top-level statements, else the first."""
    for gid in solution_gids(nb):
        body = _statements(nb.cells[_cells_of(nb, gid)[-1]].source)
        if body and len(body) > 1:
            return gid
    return _nth_solution(nb, 0)


def _split_line(source: str, between_statements: bool = True) -> int:
    """Where a split leaves two cells: before the last top-level statement when there are
    several (e.g. helper + function); else before the last line that starts a logical line
    and leaves a first part that still parses (a function cut after its first lines)."""
    body = _statements(source)
    lines = source.splitlines()
    if between_statements and body and len(body) > 1:
        last = body[-1]
        first_line = min([last.lineno] + [d.lineno for d in getattr(last, "decorator_list", [])])
        return first_line - 1
    starts, at_start = [], True
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NEWLINE:
            at_start = True
        elif tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENDMARKER):
            continue
        elif at_start:
            starts.append(tok.start[0] - 1)
            at_start = False
    for k in sorted(starts, reverse=True):
        if 0 < k < len(lines) and lines[k][:1] in (" ", "\t") \
                and _statements("\n".join(lines[:k])) is not None:
            return k
    return max(1, len(lines) // 2)


def _split(nb, gid, between_statements):
    nb = copy.deepcopy(nb)
    i = _cells_of(nb, gid)[-1]
    c = nb.cells[i]
    lines = c.source.splitlines()
    k = _split_line(c.source, between_statements)
    second = copy.deepcopy(c)
    c.source = "\n".join(lines[:k]).rstrip("\n")
    second.source = "\n".join(lines[k:]).strip("\n")
    if "id" in c:
        second["id"] = _new_id(c["id"] + "split")
    nb.cells.insert(i + 1, second)
    return nb


@_target(lambda nb: {"gid": _split_target(nb)})
def split_solution(nb):
    """A solution cell split in two ("Split cell", Ctrl+Shift+-) between its last two
    top-level statements (e.g. helper + function), or inside its one function when it has
    one. As JupyterLab does, both parts keep the cell's metadata (nbgrader's included);
    the second part gets a new id."""
    return _split(nb, _split_target(nb), between_statements=True)


@_target(lambda nb: {"gid": _nth_solution(nb, -2)})
def split_solution_inside_a_function(nb, which: int = -2):
    """A solution cell split with the cursor inside a function body: the second part
    (an indented tail) is not Python on its own."""
    return _split(nb, _nth_solution(nb, which), between_statements=False)


@_target(lambda nb: {"gid": _nth_solution(nb, 0)})
def duplicate_solution(nb, which: int = 0):
    """A solution cell copied and pasted right below it (C, V): the copy keeps the
    metadata, nbgrader's included, and gets a new id."""
    nb = copy.deepcopy(nb)
    gid = _nth_solution(nb, which)
    i = _cells_of(nb, gid)[-1]
    dup = copy.deepcopy(nb.cells[i])
    if "id" in dup:
        dup["id"] = _new_id(dup["id"] + "copy")
    nb.cells.insert(i + 1, dup)
    return nb


def _move_target(nb, which=-1):
    gid = _nth_solution(nb, which)
    after = _first_test_after(nb, _cells_of(nb, gid)[-1])
    return {"gid": gid, "test": notebooks.grade_id(nb.cells[after]) if after is not None else None}


@_target(_move_target)
def move_solution_after_its_test(nb, which: int = -1):
    """A solution cell (every cell of it) dragged below its first test cell: the student
    ran the test, then wrote the answer under it."""
    nb = copy.deepcopy(nb)
    gid = _nth_solution(nb, which)
    block = _cells_of(nb, gid)
    test = _first_test_after(nb, block[-1])
    if test is None:
        return nb
    moving = [nb.cells[i] for i in block]
    rest = [c for i, c in enumerate(nb.cells) if i not in block]
    at = rest.index(nb.cells[test]) + 1
    nb.cells = rest[:at] + moving + rest[at:]
    return nb


@_target(lambda nb: {"gid": _nth_solution(nb, 2)})
def recreate_solution_cell(nb, which: int = 2):
    """A solution cell deleted and its answer pasted into a new cell (nbgrader #424): no
    nbgrader metadata, a new id."""
    nb = copy.deepcopy(nb)
    gid = _nth_solution(nb, which)
    i = _cells_of(nb, gid)[-1]
    new = new_code_cell(nb.cells[i].source)
    if "id" in nb.cells[i]:
        new["id"] = _new_id(nb.cells[i]["id"] + "new")
    else:
        new.pop("id", None)
    nb.cells[i] = new
    return nb


def _merge_below_target(nb):
    """The first solution cell with a test cell right below it."""
    for gid in solution_gids(nb):
        i = _cells_of(nb, gid)[-1]
        if i + 1 < len(nb.cells) and notebooks.is_test(nb.cells[i + 1]):
            return {"gid": gid, "test": notebooks.grade_id(nb.cells[i + 1])}
    return {}


@_target(_merge_below_target)
def merge_solution_with_its_test(nb):
    """Shift+M on a solution cell that has its test right below: one cell, with the
    solution's type, metadata and id, the two sources joined by a blank line."""
    nb = copy.deepcopy(nb)
    target = _merge_below_target(nb)
    if target:
        i = _cells_of(nb, target["gid"])[-1]
        nb.cells[i].source = nb.cells[i].source + "\n\n" + nb.cells.pop(i + 1).source
    return nb


def _merge_above_target(nb):
    """The first solution in one cell with a read-only cell right above it."""
    for gid in solution_gids(nb):
        cells = _cells_of(nb, gid)
        i = cells[0]
        above = nb.cells[i - 1] if i > 0 else None
        if len(cells) == 1 and above is not None and notebooks.is_locked(above) \
                and not notebooks.is_solution(above):
            return {"gid": gid, "above": notebooks.grade_id(above),
                    "what": "test cell" if notebooks.is_test(above) else "read-only cell",
                    "type": above.cell_type}
    return {}


@_target(_merge_above_target)
def merge_instructions_into_solution(nb):
    """Shift+M on the read-only cell above a solution (often its instructions, in
    markdown): one cell with the upper cell's type, metadata and id; so the answer ends
    up inside a markdown cell."""
    nb = copy.deepcopy(nb)
    target = _merge_above_target(nb)
    if target:
        i = _cells_of(nb, target["gid"])[0]
        sol = nb.cells.pop(i)
        nb.cells[i - 1].source = nb.cells[i - 1].source + "\n\n" + sol.source
    return nb


@_target(lambda nb: {})
def add_scratch_cells(nb):
    """The student's own cells: notes at the top, a markdown cell holding a code example
    (prose, not an answer), a scratch cell after each solution and before each test, an
    empty cell at the end."""
    nb = copy.deepcopy(nb)
    with_ids = any("id" in c for c in nb.cells)
    seed = [0]

    def cell(make, source):
        seed[0] += 1
        c = make(source)
        c.pop("id")
        if with_ids:
            c["id"] = _new_id(f"scratch{seed[0]}")
        return c

    notes = "My notes: the tests below check shapes first."
    syntax = "Reminder of the syntax:\n```python\nresult = [x * x for x in range(3)]\n```"
    look = "# let me look before the test\nprint('about to test')"
    scratch = "# scratch: trying things out\nscratch_value = 6 * 7\nprint(scratch_value)"
    cells = [cell(new_markdown_cell, notes), cell(new_markdown_cell, syntax)]
    for c in nb.cells:
        if notebooks.is_test(c):
            cells.append(cell(new_code_cell, look))
        cells.append(c)
        if notebooks.is_solution(c):
            cells.append(cell(new_code_cell, scratch))
    cells.append(cell(new_code_cell, ""))
    nb.cells = cells
    return nb


@_target(lambda nb: {"test": notebooks.grade_id(nb.cells[_test_indices(nb)[0]])})
def delete_a_test_cell(nb, which: int = 0):
    """A test cell deleted (unlocked by an editor that ignores ``deletable``, or cut by
    mistake)."""
    nb = copy.deepcopy(nb)
    del nb.cells[_test_indices(nb)[which]]
    return nb


@_target(lambda nb: {"test": notebooks.grade_id(nb.cells[_test_indices(nb)[-1]])})
def edit_a_test_cell(nb, which: int = -1):
    """A test cell edited: its first failing-looking assert commented out."""
    nb = copy.deepcopy(nb)
    c = nb.cells[_test_indices(nb)[which]]
    lines = c.source.splitlines()
    k = next((i for i, line in enumerate(lines) if "assert" in line), 0)
    lines[k] = "# " + lines[k] + "  # fails for me, skipping"
    c.source = "\n".join(lines)
    return nb


def _reorder_target(nb):
    t = _test_indices(nb)[0]
    return {"test": notebooks.grade_id(nb.cells[t])} if t < len(nb.cells) - 1 else {}


@_target(_reorder_target)
def reorder_test_cells(nb):
    """The first test cell dragged to the end of the notebook, to run it last."""
    nb = copy.deepcopy(nb)
    t = _test_indices(nb)[0]
    nb.cells.append(nb.cells.pop(t))
    return nb


@_target(lambda nb: {})
def paste_foreign_cell(nb):
    """A solution cell copied from another notebook (another TP, a classmate's draft)
    and pasted at the end, nbgrader metadata and id included."""
    nb = copy.deepcopy(nb)
    c = new_code_cell("def other_notebook_helper(x):\n    return 2 * x",
                      metadata={"nbgrader": {"grade": False, "grade_id": "tp9_other_solution",
                                             "locked": False, "schema_version": 3,
                                             "solution": True, "task": False}})
    c["id"] = "tp9-other-solution"
    if "id" not in nb.cells[0]:
        c.pop("id")
    nb.cells.append(c)
    return nb


def paste_into_fresh_release(release_nb):
    """(A factory: it needs the release.) The student copies their answer cells into a
    fresh copy of the release notebook, each pasted right below the untouched stub it
    answers: the pasted cell keeps its nbgrader metadata, gets a new id."""
    def answers_pasted_into_a_fresh_copy(nb):
        fresh = copy.deepcopy(release_nb)
        for gid in solution_gids(fresh):
            stub = fresh.cells[_cells_of(fresh, gid)[0]]
            mine = [copy.deepcopy(nb.cells[i]) for i in _cells_of(nb, gid)]
            if [c.source for c in mine] == [stub.source]:
                continue
            for k, c in enumerate(mine):
                if "id" in c:
                    c["id"] = _new_id(f"{c['id']}paste{k}")
            i = _cells_of(fresh, gid)[-1]
            fresh.cells[i + 1:i + 1] = mine
        return fresh

    def target(nb):
        return {"gids": [g for g in solution_gids(release_nb)
                         if [nb.cells[i].source for i in _cells_of(nb, g)]
                         != [release_nb.cells[i].source for i in _cells_of(release_nb, g)]]}

    answers_pasted_into_a_fresh_copy.target = target
    answers_pasted_into_a_fresh_copy.starts_over = True
    return answers_pasted_into_a_fresh_copy


# -- catalogue -------------------------------------------------------------------------------

EDITORS = [colab_resave, vscode_resave, jupyterlab_resave,
           downgrade_to_nbformat_4_0, downgrade_to_nbformat_4_1, downgrade_to_nbformat_4_2,
           downgrade_to_nbformat_4_3, downgrade_to_nbformat_4_4,
           strip_nbgrader_metadata, keep_outputs, clear_outputs]
STUDENTS = [solution_to_markdown, split_solution, split_solution_inside_a_function,
            duplicate_solution,
            move_solution_after_its_test, recreate_solution_cell, add_scratch_cells,
            delete_a_test_cell, edit_a_test_cell, reorder_test_cells, paste_foreign_cell,
            merge_solution_with_its_test, merge_instructions_into_solution]
ALL = STUDENTS + EDITORS


def combine(f, g):
    """f, then g."""
    def both(nb):
        return g(f(nb))

    both.__name__ = both.__qualname__ = f"{f.__name__}+{g.__name__}"
    both.parts = (*getattr(f, "parts", (f,)), *getattr(g, "parts", (g,)))
    return both


def ordered(f, g):
    """``combine`` with the student's change first: it finds its target by the nbgrader
    metadata an editor may drop (the student edits, then the editor saves); and a fresh
    copy of the release first of all (it keeps only the answers of what it is given)."""
    if (f in EDITORS and g not in EDITORS) or getattr(g, "starts_over", False):
        f, g = g, f
    return combine(f, g)
