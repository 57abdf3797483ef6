"""Each TP's data files, and the notebook cell that finds them (``make data-cells``).

A TP's files are everything in ``source/<TP>/`` but its notebooks (``names.txt``, a loader
module, ``data/...``). A notebook that uses them has one *data cell* (metadata
``dl_course.data_cell: true``), written from ``templates/data_cell.py.tmpl``: it looks for
the files next to the notebook (the repository, the students' kit, grading: always offline),
else downloads each once into ``~/.cache/dl-course/<TP>/`` from the course's public URL,
checked against its SHA-256, so that a notebook opened alone (on Colab) runs. Then
``data_path(name)`` gives a file's path, for the notebook and its test cells alike.

The cell holds the files' hashes and the URL, so it is generated: ``make release`` stops
when a data cell is out of date and ``make data-cells`` rewrites it (that cell only).

The URL of a TP's files is ``DATA_URL/<TP>/<path>`` (``course_config.DATA_URL``), by
default the raw files of the students' repository (``STUDENT_REPO_URL``), which holds each
released TP folder. ``DATA_UPSTREAM`` names other places a file is published.
"""
from __future__ import annotations

import hashlib
import json
import re
import string
from pathlib import Path

from . import notebooks
from .config import TP, Course

TEMPLATE = Path(__file__).resolve().parent / "templates" / "data_cell.py.tmpl"
SKIP = {".ipynb_checkpoints", "__pycache__"}


def repo_slug(repo_url: str) -> str:
    """``"https://github.com/org/repo.git"`` (or ``"org/repo"``) -> ``"org/repo"``."""
    repo = re.sub(r"^(https?://)?(www\.)?github\.com/", "", repo_url.strip()).strip("/")
    return re.sub(r"\.git$", "", repo)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files(course: Course, tp: TP) -> dict[str, str]:
    """The TP's files, ``relative/path -> sha256``, sorted (symlinks followed, as the
    release copies them)."""
    folder = course.source_dir / tp.id
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if SKIP & set(rel.parts) or path.suffix == ".ipynb" or not path.is_file():
            continue
        out[rel.as_posix()] = sha256(path)
    return out


def base_url(course: Course, tp: TP) -> str | None:
    """Where the TP's files are published, ending in ``/``; None when nowhere is set."""
    m = course.module
    url = getattr(m, "DATA_URL", "") or ""
    if not url and getattr(m, "STUDENT_REPO_URL", ""):
        url = f"https://raw.githubusercontent.com/{repo_slug(m.STUDENT_REPO_URL)}/main"
    return f"{url.rstrip('/')}/{tp.id}/" if url else None


def cell_source(course: Course, tp: TP, url: str | None = ...) -> str:
    """The data cell of ``tp``'s notebooks (``url``: the base URL, default ``base_url``)."""
    url = base_url(course, tp) if url is ... else url
    upstream = {path[len(tp.id) + 1:]: u
                for path, u in (getattr(course.module, "DATA_UPSTREAM", {}) or {}).items()
                if path.startswith(tp.id + "/")}
    listed = files(course, tp)
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        tp=tp.id, url="None" if url is None else json.dumps(url),
        files="".join(f"    {json.dumps(name)}: {json.dumps(sha)},\n" for name, sha in listed.items()),
        upstream="".join(f"    {json.dumps(name)}: {json.dumps(u)},\n" for name, u in sorted(upstream.items())
                         if name in listed)).rstrip("\n")


def is_data_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(
        cell.get("metadata", {}).get("dl_course", {}).get("data_cell"))


def data_cell(nb):
    """The notebook's data cell, or None; more than one is an error."""
    found = [c for c in nb.cells if is_data_cell(c)]
    if len(found) > 1:
        raise ValueError(f"{len(found)} data cells (metadata dl_course.data_cell); one expected")
    return found[0] if found else None


def _cells(course: Course, tps: list[TP], folder: Path):
    """(path, notebook, its data cell, what the cell should be) for each notebook of
    ``tps`` in ``folder`` whose data cell differs from what ``make data-cells`` writes."""
    for tp in tps:
        wanted = cell_source(course, tp)
        for path in notebooks.notebooks_in(folder / tp.id):
            nb = notebooks.read(path)
            cell = data_cell(nb)
            if cell is not None and cell.source != wanted:
                yield path, nb, cell, wanted


def stale(course: Course, tps: list[TP], folder: Path | None = None) -> list[Path]:
    """Notebooks of ``folder`` (default ``source/``; the kit checks ``release/``) whose
    data cell differs from what ``make data-cells`` writes."""
    return [path for path, *_ in _cells(course, tps, folder or course.source_dir)]


def refresh(course: Course, tps: list[TP]) -> list[Path]:
    """Rewrite the data cell of each source notebook where it is stale; returns those
    written. Only that cell changes: the rest of the notebook is written back as read."""
    written = []
    for path, nb, cell, wanted in list(_cells(course, tps, course.source_dir)):
        cell.source = wanted
        notebooks.write(nb, path)
        written.append(path)
    return written
