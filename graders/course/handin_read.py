"""Reading one file of a hand-in: bounded, never through a link, never blocking.

The low half of ``graders.course.handin`` (whose docstring says what a hand-in is and why
it is read so): a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` below its hand-in folder,
checked on the open descriptor (``fstat``: a regular file, its names all in the hand-in,
under its size limit) and read no further than that limit (``read_bytes``); a notebook's
bytes are checked for UTF-8 and for how deep their JSON nests before any parser recurses
into them (``parse_notebook``). Whatever fails is ``Unreadable``, with a one-line reason
that says what to do next.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

#: Deepest JSON a notebook may nest (Jupyter writes about 6 levels; rich outputs and
#: widget state a few more): deeper is an attack on the parser's recursion, not a notebook.
MAX_JSON_DEPTH = 100

#: What a student can do about a notebook that cannot be read.
RESAVE = ("open it in Jupyter or Colab, save it and hand it in again (the .ipynb file "
          "that File > Download gives)")

# (getattr: a student's self-check may run where one is missing, e.g. Windows)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC


class Unreadable(Exception):
    """A hand-in file that was not read; the message is one line, for the instructor and
    the student alike."""


class TooBig(Unreadable):
    """A file over its size limit; ``size`` and ``limit`` in bytes."""

    def __init__(self, message: str, size: int, limit: int):
        super().__init__(message)
        self.size, self.limit = size, limit


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


def link_note(target: str) -> str:
    """A symbolic link, in words, its target as the student wrote it (shortened)."""
    return f"a symbolic link to {shown(target, 160)!r}"


def open_dir(folder: Path, parts: tuple[str, ...]) -> int:
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
            dfd = open_dir(Path(root), rel[:-1])
            try:
                fd = os.open(rel[-1], _FLAGS, dir_fd=dfd)
            finally:
                os.close(dfd)
        else:
            mode = os.lstat(path).st_mode   # never open a device, even without blocking
            if stat.S_ISLNK(mode):
                raise Unreadable(f"{name} is {link_note(_readlink(path))}")
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
            raise TooBig(f"{name} is {human_size(st.st_size)}, over the {human_size(limit)} a "
                         f"hand-in {what} may be", st.st_size, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:   # it grew while read
            raise TooBig(f"{name} is over the {human_size(limit)} a hand-in {what} may be",
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
            return f"{rel} is {link_note(_readlink(here))}"
        if i < len(parts) - 1 and not stat.S_ISDIR(mode):
            return f"{rel} is {kind(mode)}"
    return f"{shown(path.name)} cannot be opened ({error.strerror})"


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def human_size(n: int) -> str:
    """A size in bytes as people read it ("4,096 bytes", "120 KB", "51.0 MB")."""
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
