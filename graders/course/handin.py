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
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

TIMESTAMP_FILE = "timestamp.txt"

#: Folders of a hand-in that are editor or archive debris: never a notebook of the TP.
DEBRIS = frozenset({".ipynb_checkpoints", "__MACOSX"})

#: Deepest JSON a notebook may nest (Jupyter writes about 6 levels; rich outputs and
#: widget state a few more): deeper is an attack on the parser's recursion, not a notebook.
MAX_JSON_DEPTH = 100

#: Deepest folder nesting of a hand-in that is read (the rest is noted, not read).
MAX_FOLDER_DEPTH = 32

#: The settings of course_config.py that bound reading a hand-in, with their defaults
#: (a student kit's configuration may not have them).
DEFAULTS = {"HANDIN_MAX_NOTEBOOK_MB": 50, "HANDIN_MAX_METADATA_BYTES": 4096,
            "HANDIN_MAX_ENTRIES": 10_000}

#: What a student can do about a notebook that cannot be read.
RESAVE = ("open it in Jupyter or Colab, save it and hand it in again (the .ipynb file "
          "that File > Download gives)")

# (getattr: a student's self-check may run where one is missing, e.g. Windows)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC

#: How the reasons of a hand-in that could not be read begin (for the report's "needs a
#: look"); a refused link or special file's reason ends with REFUSED.
UNREADABLE_PREFIXES = ("not a readable notebook (", "notebook is not valid JSON (",
                       "file is not a Jupyter notebook (", "notebook has no cells")
REFUSED = ": not graded"


class Unreadable(Exception):
    """A hand-in file that was not read; the message is one line, for the instructor and
    the student alike."""


class TooBig(Unreadable):
    """A file over its size limit; ``size`` and ``limit`` in bytes."""

    def __init__(self, message: str, size: int, limit: int):
        super().__init__(message)
        self.size, self.limit = size, limit


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


# -- what a thing is, in words --------------------------------------------------------------
def shown(text: str, limit: int = 80) -> str:
    """A name or link target the student chose, safe to print on one line."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind(mode: int) -> str:
    """What a file that is not a regular file is ("a FIFO (named pipe)", ...)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISDIR(mode):
        return "a folder, not a notebook"
    return "not a regular file"


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


def _link_note(target: str) -> str:
    return f"a symbolic link to {shown(target, 160)!r}"


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
        out.refused.append(Refused(".", _link_note(os.readlink(folder))))
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
            fd = _open_dir(folder, parts)
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
                    out.refused.append(Refused(rel, _link_note(target)))
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


def _open_dir(folder: Path, parts: tuple[str, ...]) -> int:
    """A descriptor of ``folder/parts...``, no component of ``parts`` followed if a link."""
    fd = os.open(folder, _DIR_FLAGS)
    for part in parts:
        try:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
        finally:
            os.close(fd)
        fd = nxt
    return fd


# -- reading one file ------------------------------------------------------------------------
def read_bytes(path: Path, limit: int, *, root: Path | None = None, links: int | None = None,
               what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit``; else Unreadable.

    ``root``: the hand-in folder ``path`` lies in: no component below it is followed if
    it is a link (without it, the last component only). ``links``: how many names the
    file may have (its names inside the hand-in, from ``walk``); None: any number (a
    file that is not a hand-in's, such as the course's own notebooks).
    """
    path = Path(path)
    name = shown(path.name)
    try:
        if root is not None:
            rel = path.relative_to(root).parts
            dfd = _open_dir(Path(root), rel[:-1])
            try:
                fd = os.open(rel[-1], _FLAGS, dir_fd=dfd)
            finally:
                os.close(dfd)
        else:
            mode = os.lstat(path).st_mode   # never open a device, even without blocking
            if stat.S_ISLNK(mode):
                raise Unreadable(f"{name} is {_link_note(_readlink(path))}")
            if not stat.S_ISREG(mode):
                raise Unreadable(f"{name} is {kind(mode)}")
            fd = os.open(path, _FLAGS)
    except Unreadable:
        raise
    except OSError as e:
        raise Unreadable(_why_not_opened(path, root, e)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable(f"{name} is {kind(st.st_mode)}")
        if links is not None and st.st_nlink > links:
            raise Unreadable(f"{name} is a hard link to a file outside the hand-in")
        if st.st_size > limit:
            raise TooBig(f"{name} is {_size(st.st_size)}, over the {_size(limit)} a "
                         f"hand-in {what} may be", st.st_size, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:   # it grew while read
            raise TooBig(f"{name} is over the {_size(limit)} a hand-in {what} may be",
                         size, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _why_not_opened(path: Path, root: Path | None, error: OSError) -> str:
    """Which component of ``path`` (below ``root``) is a link or not a folder, in words."""
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    base = Path(root) if root is not None else path.parent
    for i in range(len(parts)):
        here = base.joinpath(*parts[: i + 1])
        try:
            mode = os.lstat(here).st_mode
        except OSError:
            break
        rel = shown("/".join(parts[: i + 1]))
        if stat.S_ISLNK(mode):
            return f"{rel} is {_link_note(_readlink(here))}"
        if i < len(parts) - 1 and not stat.S_ISDIR(mode):
            return f"{rel} is {kind(mode)}"
    return f"{shown(path.name)} cannot be opened ({error.strerror})"


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _size(n: int) -> str:
    if n < 10_000:
        return f"{n:,} bytes"
    return f"{n / 2**20:.1f} MB" if n >= 2**20 / 10 else f"{n / 1024:.0f} KB"


def read_text(path: Path, limit: int, **kw) -> str:
    """A small metadata file's text (undecodable bytes replaced)."""
    return read_bytes(path, limit, what="metadata file", **kw).decode("utf-8", errors="replace")


# -- reading a notebook ----------------------------------------------------------------------
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def json_depth(text: str, stop: int = MAX_JSON_DEPTH) -> int:
    """How deep the JSON ``text`` nests (no recursion; counting stops past ``stop``)."""
    depth = deepest = 0
    for m in _TOKEN.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop:
                    return deepest
        elif c in "]}":
            depth -= 1
    return deepest


def unreadable(why: str, next_step: str = RESAVE) -> str:
    """The one-line reason a notebook gets when it cannot be read."""
    return f"not a readable notebook ({why}): {next_step}"


def parse_notebook(data: bytes):
    """A notebook (nbformat 4) from a file's bytes, or Unreadable with a one-line reason
    that says what to do next."""
    import nbformat

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Unreadable(unreadable(f"not UTF-8 text: byte {e.object[e.start]:#04x} at "
                                    f"position {e.start}")) from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise Unreadable(unreadable(f"its JSON nests more than {MAX_JSON_DEPTH} levels "
                                    "deep; Jupyter writes about 6")) from None
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise Unreadable(f"notebook is not valid JSON (line {e.lineno}: "
                         f"{_json_message(e)}): {RESAVE}") from None
    except (ValueError, RecursionError, MemoryError) as e:
        why = ("it holds a number too long to read (over 4,300 digits)" if "digits" in str(e)
               else _first_line(e))
        raise Unreadable(unreadable(why)) from None
    try:
        return nbformat.reads(text, as_version=4)
    except (RecursionError, MemoryError) as e:
        raise Unreadable(unreadable(_first_line(e))) from None
    except Exception as e:  # nbformat raises many kinds on odd input
        raise Unreadable(f"file is not a Jupyter notebook ({_first_line(e)}): "
                         f"{RESAVE}") from None


def _json_message(e: json.JSONDecodeError) -> str:
    """json's message, whole: "Unterminated string starting at" needs its column."""
    msg = e.msg[:1].lower() + e.msg[1:]
    return f"{msg} column {e.colno}" if msg.endswith(" at") else f"{msg} at column {e.colno}"


def _first_line(e: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    lines = str(e).strip().splitlines()
    text = f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__
    if len(text) > 160:   # whole clauses only
        cut = max(text.rfind(sep, 0, 160) for sep in ("; ", ". ", ": "))
        text = text[:cut] if cut > 40 else text[:160].rsplit(" ", 1)[0] + " …"
    return shown(text, 200)


def read_notebook(path: Path, limits: Limits | None = None, **kw):
    """The notebook at ``path`` read safely (``read_bytes``, then ``parse_notebook``)."""
    limits = limits or Limits.of()
    try:
        data = read_bytes(path, limits.notebook_bytes, what="notebook", **kw)
    except TooBig as e:
        raise Unreadable(unreadable(
            f"{_size(e.size)}, over the {_size(e.limit)} a notebook may be",
            "clear its outputs (Edit > Clear all outputs), save "
            "it and hand it in again")) from None
    except Unreadable as e:
        raise Unreadable(f"{e}{REFUSED}") from None
    return parse_notebook(data)
