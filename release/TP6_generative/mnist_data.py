"""MNIST loader shared by the course's TPs (TP3 and TP6 import this one file).

Contract (keep it stable: TP6 uses it through a symlink)::

    images, labels, source = load_mnist(split="train", root=None, download=None)

* ``split``: ``"train"`` or ``"test"``.
* ``images``: ``torch.uint8`` tensor of shape ``(N, 28, 28)``, raw pixels 0..255.
* ``labels``: ``torch.int64`` tensor of shape ``(N,)``, digits 0..9.
* ``source``: a short string saying which data was loaded:
  ``"full MNIST 60000/10000"`` or ``"shipped t10k split 8000/2000"``.
* ``root``: folder holding the IDX ``.gz`` files; defaults to ``data/mnist`` next
  to this file (``Path(__file__).parent / "data" / "mnist"``).
* ``download``: ``None`` (default) means "try the full set unless running under
  the grader" (``NBGRADER_EXECUTION=autograde``); ``True`` forces a try,
  ``False`` never touches the network.

The full set is the four official IDX files (official URL, then a mirror),
md5-checked and cached in ``root``; a file already cached with the right md5 is
not fetched again. On any failure (offline, timeout, bad checksum) one line is
printed and the loader falls back to the shipped official test files
(``t10k-*``), split deterministically: train = the first 8000 images, test =
the last 2000.

``MNIST_MEAN`` and ``MNIST_STD`` are the usual normalisation constants of the
full training set, for pixels scaled to [0, 1].

The IDX files are parsed here (gzip + numpy), magic number and sizes checked;
a corrupt or truncated file raises ``ValueError`` naming the file.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

SOURCE_FULL = "full MNIST 60000/10000"
SOURCE_SHIPPED = "shipped t10k split 8000/2000"
N_SHIPPED_TRAIN = 8000
TIMEOUT_S = 3.0

_failed = set()  # roots whose download already failed in this process
_parsed = {}  # (path, size, mtime) -> parsed array: each file is decompressed once per process


def default_root() -> Path:
    return Path(__file__).resolve().parent / "data" / "mnist"


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_idx(path) -> np.ndarray:
    """Parse one gzipped IDX file (ubyte data) into a numpy uint8 array.

    Magic number: two zero bytes, the type code 0x08 (unsigned byte), the
    number of dimensions; then one big-endian uint32 per dimension. The result is
    read-only and cached per (path, size, modification time): callers copy it.
    """
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError as e:
        raise ValueError(f"{path}: cannot read the IDX file ({e})") from e
    if key not in _parsed:
        _parsed[key] = _parse_idx(path)
    return _parsed[key]


def _parse_idx(path: Path) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: not a readable gzip IDX file ({e})") from e
    if len(raw) < 4:
        raise ValueError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise ValueError(
            f"{path}: bad IDX magic number (expected 0x0000 08 01|03, got "
            f"{raw[:4].hex()})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: expected {expected} data bytes for shape {dims}, "
            f"got {len(raw) - header} (corrupt or truncated file)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)  # read-only


def _read_pair(root: Path, prefix: str):
    images = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{root}/{prefix}: images have shape {images.shape}, "
                         "expected (N, 28, 28)")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{root}/{prefix}: {labels.shape[0]} labels for "
                         f"{images.shape[0]} images")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{root}/{prefix}: label {labels.max()} out of 0..9")
    return (torch.from_numpy(images.copy()),
            torch.from_numpy(labels.astype(np.int64)))


def _fetch(name: str, root: Path, timeout: float) -> None:
    """Make sure ``root/name`` exists with the right md5 (download if not)."""
    target = root / name
    if target.exists() and _md5(target) == FILES[name]:
        return
    errors = []
    for base in MIRRORS:
        try:
            with urllib.request.urlopen(base + name, timeout=timeout) as r:
                data = r.read()
        except Exception as e:  # offline, DNS, HTTP error, timeout...
            errors.append(f"{base}: {type(e).__name__}")
            continue
        got = hashlib.md5(data).hexdigest()
        if got != FILES[name]:
            errors.append(f"{base}: md5 {got} != {FILES[name]}")
            continue
        root.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return
    raise OSError(f"could not fetch {name} ({'; '.join(errors)})")


def _full_available(root: Path) -> bool:
    return all((root / n).exists() and _md5(root / n) == md5
               for n, md5 in FILES.items())


def load_mnist(split: str = "train", root=None, download=None,
               timeout: float = TIMEOUT_S):
    """Return ``(images, labels, source)`` for MNIST ``split``.

    images: uint8 (N, 28, 28); labels: int64 (N,); source: ``SOURCE_FULL`` or
    ``SOURCE_SHIPPED``. See the module docstring for the whole contract.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = default_root() if root is None else Path(root)
    if download is None:
        download = os.environ.get("NBGRADER_EXECUTION") != "autograde"

    full = _full_available(root)
    if not full and download and str(root) not in _failed:
        try:
            for name in FILES:
                _fetch(name, root, timeout)
            full = True
        except Exception as e:
            _failed.add(str(root))  # do not wait on the network twice
            print(f"MNIST: full set unavailable ({str(e)[:160]}); "
                      f"using the {SOURCE_SHIPPED}.")
    if full:
        prefix = "train" if split == "train" else "t10k"
        images, labels = _read_pair(root, prefix)
        return images, labels, SOURCE_FULL

    images, labels = _read_pair(root, "t10k")
    if images.shape[0] != 10000:
        raise ValueError(f"{root}: the shipped t10k files hold {images.shape[0]} "
                         "images, expected 10000")
    if split == "train":
        sl = slice(0, N_SHIPPED_TRAIN)
    else:
        sl = slice(N_SHIPPED_TRAIN, None)
    return images[sl].clone(), labels[sl].clone(), SOURCE_SHIPPED


if __name__ == "__main__":
    for s in ("train", "test"):
        x, y, src = load_mnist(s)
        print(s, tuple(x.shape), x.dtype, tuple(y.shape), y.dtype, src)
