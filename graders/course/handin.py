"""Reading what a student handed in as exactly that, and nothing else.

The hand-in is read on the instructor's machine or in CI, outside any sandbox, and the
student chose its file names, types and bytes: a git or zip hand-in keeps symbolic links,
and a FIFO blocks whoever opens it. So:

- a hand-in folder is walked without following any link, at any depth: each folder is
  opened relative to its parent's descriptor with ``O_NOFOLLOW`` (``walk``);
- only regular files are read; a symbolic link, a FIFO, a socket, a device, a folder
  named like a notebook, or a hard link whose other names lie outside the hand-in (it
  *is* another file: a secret of the machine, another student's notebook) is refused,
  by name, never opened;
- a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked on the open descriptor
  (``fstat``): what is read is what was checked, and nothing blocks;
- every read is bounded in size, and a notebook's JSON in depth (``parse_notebook``):
  a file that fails is "not a readable notebook (...)" for that student, with what to
  do next, never a crash or a hang of the class run.

Here: the listing of a hand-in folder (``walk``), what was refused and why, and reading a
notebook with the course's limits (``read_notebook``). Reading one file, bounded, and
parsing a notebook's bytes are ``graders.course.handin_read``'s; their names are also
importable from here.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .handin_read import (MAX_JSON_DEPTH, RESAVE, TooBig, Unreadable, human_size, json_depth,
                          kind, link_note, open_dir, parse_notebook, read_bytes, read_text,
                          shown, unreadable)

__all__ = ["DEBRIS", "DEFAULTS", "MAX_FOLDER_DEPTH", "MAX_JSON_DEPTH", "REFUSED", "RESAVE",
           "TIMESTAMP_FILE", "UNREADABLE_PREFIXES", "Limits", "Listing", "Refused", "TooBig",
           "Unreadable", "is_notebook_name", "is_unreadable", "json_depth", "kind",
           "parse_notebook", "read_bytes", "read_notebook", "read_text", "shown", "unreadable",
           "walk"]

TIMESTAMP_FILE = "timestamp.txt"

#: Folders of a hand-in that are editor or archive debris: never a notebook of the TP.
DEBRIS = frozenset({".ipynb_checkpoints", "__MACOSX"})

#: Deepest folder nesting of a hand-in that is read (the rest is noted, not read).
MAX_FOLDER_DEPTH = 32

#: The settings of course_config.py that bound reading a hand-in, with their defaults
#: (a student kit's configuration may not have them).
DEFAULTS = {"HANDIN_MAX_NOTEBOOK_MB": 50, "HANDIN_MAX_METADATA_BYTES": 4096,
            "HANDIN_MAX_ENTRIES": 10_000}

#: How the reasons of a hand-in that could not be read begin (for the report's "needs a
#: look"); a refused link or special file's reason ends with REFUSED.
UNREADABLE_PREFIXES = ("not a readable notebook (", "notebook is not valid JSON (",
                       "file is not a Jupyter notebook (", "notebook has no cells")
REFUSED = ": not graded"


@dataclass(frozen=True)
class Limits:
    notebook_bytes: int
    metadata_bytes: int
    entries: int

    @classmethod
    def of(cls, module=None) -> "Limits":
        """From a course_config module (None: the repository's configuration)."""
        get = (lambda k: getattr(module, k, DEFAULTS[k])) if module is not None else _setting
        return cls(notebook_bytes=int(float(get("HANDIN_MAX_NOTEBOOK_MB")) * 2**20),
                   metadata_bytes=int(get("HANDIN_MAX_METADATA_BYTES")),
                   entries=int(get("HANDIN_MAX_ENTRIES")))


def _setting(name: str):
    return getattr(_repository_config(), name, DEFAULTS[name])


@lru_cache(maxsize=1)
def _repository_config():
    from .config import Course

    try:
        return Course().module
    except Exception:   # no readable course_config.py here (a bare kit): the defaults
        return None


def is_unreadable(reason: str) -> bool:
    """Whether a grade's reason says the hand-in could not be read (an unreadable notebook,
    a link or a special file refused): what an instructor should look at."""
    return reason.startswith(UNREADABLE_PREFIXES) or reason.endswith(REFUSED)


# -- the listing ----------------------------------------------------------------------------
def is_notebook_name(rel: str) -> bool:
    """Whether a hand-in's path ("old/micrograd.ipynb") may be a notebook of the TP: not
    a checkpoint or macOS archive debris (__MACOSX/, ._micrograd.ipynb)."""
    parts = rel.split("/")
    return (rel.endswith(".ipynb") and not DEBRIS & set(parts)
            and not parts[-1].startswith("._"))


@dataclass(frozen=True)
class Refused:
    """A thing in the hand-in that was not followed, opened or copied."""
    rel: str    # as the student knows it: relative to the hand-in folder ("." the folder)
    what: str   # "a symbolic link to '../x'", "a FIFO (named pipe), not a file", ...

    @property
    def blocks(self) -> bool:
        """Whether the hand-in cannot be graded at all: it is the hand-in folder itself,
        a notebook, or the timestamp (the hand-in time cannot be known)."""
        return self.rel in (".", TIMESTAMP_FILE) or is_notebook_name(self.rel)

    def note(self) -> str:
        name = "the hand-in folder" if self.rel == "." else shown(self.rel)
        return f"{name} is {self.what}" + (REFUSED if self.blocks else
                                            ": ignored (never opened)")


@dataclass
class Listing:
    """A hand-in folder as read: its regular files, and what was refused."""
    folder: Path
    files: list[str] = field(default_factory=list)       # relative, "/"-separated, sorted
    refused: list[Refused] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # of the files, from lstat
    links: dict[str, int] = field(default_factory=dict)  # a file's names inside the hand-in

    @property
    def blocking(self) -> Refused | None:
        """The first refusal that stops the hand-in from being graded, or None."""
        return next((r for r in self.refused if r.blocks), None)


def walk(folder: Path, limits: Limits | None = None, *, only: str | None = None) -> Listing:
    """Every regular file under ``folder`` (the hand-in: ``submitted/<student>/<TP>``),
    never following a link; the rest refused by name. ``only``: a file name in
    ``folder`` (relative, "/"-separated): list that file and the timestamp alone (a
    one-notebook hand-in).

    The folder itself is refused when it is a link or not a folder. A hard-linked file is
    a file of the hand-in only when every one of its names is: otherwise it is refused.
    """
    limits = limits or Limits.of()
    out = Listing(Path(folder))
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return out
    except OSError as e:
        out.refused.append(Refused(".", f"unreadable ({e.strerror})"))
        return out
    if stat.S_ISLNK(st.st_mode):
        out.refused.append(Refused(".", link_note(os.readlink(folder))))
        return out
    if not stat.S_ISDIR(st.st_mode):
        out.refused.append(Refused(".", "a file, not a folder" if stat.S_ISREG(st.st_mode)
                                   else kind(st.st_mode)))
        return out
    found: list[tuple[str, os.stat_result]] = []
    todo: list[tuple[str, ...]] = [()]
    count = 0
    while todo:
        parts = todo.pop()
        try:
            fd = open_dir(folder, parts)
        except OSError as e:   # changed under us, or not ours to read
            out.refused.append(Refused("/".join(parts) or ".", f"unreadable ({e.strerror})"))
            continue
        try:
            names = sorted(os.listdir(fd))
            for name in names:
                if only is not None and not _on_the_way(parts, name, only):
                    continue
                count += 1
                if count > limits.entries:
                    out.refused.insert(0, Refused(".", f"a folder of more than "
                                                  f"{limits.entries:,} files and folders"))
                    return out
                rel = "/".join((*parts, name))
                try:
                    est = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError as e:
                    out.refused.append(Refused(rel, f"unreadable ({e.strerror})"))
                    continue
                mode = est.st_mode
                if stat.S_ISLNK(mode):
                    try:
                        target = (os.readlink(name, dir_fd=fd)
                                  if os.readlink in os.supports_dir_fd
                                  else os.readlink(Path(folder, rel)))
                    except OSError:
                        target = "?"
                    out.refused.append(Refused(rel, link_note(target)))
                elif stat.S_ISDIR(mode):
                    if is_notebook_name(rel):
                        out.refused.append(Refused(rel, kind(mode)))
                    elif len(parts) + 1 >= MAX_FOLDER_DEPTH:
                        out.refused.append(Refused(rel, f"a folder nested more than "
                                                   f"{MAX_FOLDER_DEPTH} deep"))
                    else:
                        todo.append((*parts, name))
                elif stat.S_ISREG(mode):
                    found.append((rel, est))
                else:
                    out.refused.append(Refused(rel, kind(mode)))
        finally:
            os.close(fd)
    names_of: dict[tuple[int, int], int] = {}
    for _, est in found:
        names_of[(est.st_dev, est.st_ino)] = names_of.get((est.st_dev, est.st_ino), 0) + 1
    for rel, est in found:
        if est.st_nlink > names_of[(est.st_dev, est.st_ino)]:
            out.refused.append(Refused(rel, "a hard link to a file outside the hand-in"))
        else:
            out.files.append(rel)
            out.sizes[rel] = est.st_size
            out.links[rel] = names_of[(est.st_dev, est.st_ino)]
    out.files.sort()
    out.refused.sort(key=lambda r: (not r.blocks, r.rel))
    return out


def _on_the_way(parts: tuple[str, ...], name: str, only: str) -> bool:
    """Whether ``parts/name`` is ``only``, a folder above it, or the timestamp."""
    here = (*parts, name)
    return here == tuple(only.split("/"))[: len(here)] or here == (TIMESTAMP_FILE,)


# -- a notebook, with the course's limits --------------------------------------------------
def read_notebook(path: Path, limits: Limits | None = None, **kw):
    """The notebook at ``path`` read safely (``read_bytes``, then ``parse_notebook``)."""
    limits = limits or Limits.of()
    try:
        data = read_bytes(path, limits.notebook_bytes, what="notebook", **kw)
    except TooBig as e:
        raise Unreadable(unreadable(
            f"{human_size(e.size)}, over the {human_size(e.limit)} a notebook may be",
            "clear its outputs (Edit > Clear all outputs), save "
            "it and hand it in again")) from None
    except Unreadable as e:
        raise Unreadable(f"{e}{REFUSED}") from None
    return parse_notebook(data)
