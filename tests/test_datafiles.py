"""A notebook finds its TP's files: next to it, else downloaded from the course's URL
(checked, cached), else a message saying what to put where (``graders/course/datafiles.py``).

The downloads are real HTTP requests to a local server that publishes the TP folders as
the course's site would; the data cell runs as written into the notebooks, in a fresh
Python process started in an empty folder (a notebook opened alone, as on Colab).
"""
from __future__ import annotations

import copy
import functools
import hashlib
import http.server
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graders.course import datafiles, examples, notebooks
from graders.course.config import ROOT, Course
from graders.grading.engine import Engine, Limits

COURSE = Course(ROOT)
WITH_FILES = [tp for tp in COURSE.released_tps if datafiles.files(COURSE, tp)]


class Site:
    """A local web server publishing ``folder`` (the course's site: <url>/<TP>/<path>)."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.requests = _QuietHandler.log
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    log: list[str] = []

    def log_message(self, fmt, *args):
        _QuietHandler.log.append(self.path)


def closed_port_url() -> str:
    """A URL where nothing listens: a machine that is offline for this host."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def run_cell(source: str, cwd: Path, home: Path, after: str = "") -> subprocess.CompletedProcess:
    """Run a data cell (then ``after``) in a fresh Python in ``cwd``, HOME = ``home``."""
    env = {"HOME": str(home), "PATH": str(Path(sys.executable).parent), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", source + "\n" + after], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def publish(tmp_path: Path) -> Path:
    """The course's site: every released TP folder, as the students' kit holds it."""
    site = tmp_path / "site"
    for tp in WITH_FILES:
        shutil.copytree(COURSE.release_dir / tp.id, site / tp.id)
    return site


def cache_of(home: Path, tp) -> Path:
    return home / ".cache" / "dl-course" / tp.id


# -- the cells in the notebooks --------------------------------------------------------
@pytest.mark.parametrize("tp", WITH_FILES, ids=lambda t: t.id)
def test_each_notebook_with_files_has_its_current_data_cell(tp):
    for folder in (COURSE.source_dir, COURSE.release_dir):
        for path in notebooks.notebooks_in(folder / tp.id):
            nb = notebooks.read(path)
            cell = datafiles.data_cell(nb)
            assert cell is not None, f"{path}: no data cell (metadata dl_course.data_cell)"
            assert cell.source == datafiles.cell_source(COURSE, tp), \
                f"{path}: its data cell is out of date: run `make data-cells`, then `make release`"
            first_code = next(c for c in nb.cells if c.cell_type == "code")
            assert first_code is cell, f"{path}: the data cell must be the first code cell " \
                "(the setup imports the TP's loader from where it finds the files)"


def test_the_tps_files_are_listed_with_their_sha256():
    tp = COURSE.tp("TP3_mnist")
    listed = datafiles.files(COURSE, tp)
    assert set(listed) == {"mnist_data.py", "data/mnist/t10k-images-idx3-ubyte.gz",
                           "data/mnist/t10k-labels-idx1-ubyte.gz"}
    path = COURSE.source_dir / tp.id / "mnist_data.py"
    assert listed["mnist_data.py"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_url_comes_from_data_url_else_the_students_repository(tmp_path, monkeypatch):
    tp = COURSE.tp("TP2_makemore")
    monkeypatch.setattr(COURSE.module, "DATA_URL", "", raising=False)
    monkeypatch.setattr(COURSE.module, "STUDENT_REPO_URL", "", raising=False)
    assert datafiles.base_url(COURSE, tp) is None
    monkeypatch.setattr(COURSE.module, "STUDENT_REPO_URL", "https://github.com/uni/dl-tps.git")
    assert datafiles.base_url(COURSE, tp) == \
        "https://raw.githubusercontent.com/uni/dl-tps/main/TP2_makemore/"
    monkeypatch.setattr(COURSE.module, "DATA_URL", "https://course.example.org/files/")
    assert datafiles.base_url(COURSE, tp) == "https://course.example.org/files/TP2_makemore/"
    assert '"https://course.example.org/files/TP2_makemore/"' in datafiles.cell_source(COURSE, tp)


def test_release_stops_on_a_stale_data_cell_and_data_cells_rewrites_only_it(tmp_path):
    from graders.cli import main

    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "TP2_makemore", root / "source" / "TP2_makemore")
    text = (ROOT / "course_config.py").read_text()
    (root / "course_config.py").write_text(text.replace('DATA_URL = ""',
                                                        'DATA_URL = "https://example.org/dl"'))
    path = root / "source" / "TP2_makemore" / "makemore.ipynb"
    before = notebooks.read(path)
    assert main(["--root", str(root), "release"]) == 2
    assert not (root / "release").exists(), "a refused release must write nothing"
    assert main(["--root", str(root), "data-cells"]) == 0
    after = notebooks.read(path)
    changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells)) if a != b]
    assert changed == [before.cells.index(datafiles.data_cell(before))]
    assert '"https://example.org/dl/TP2_makemore/"' in datafiles.data_cell(after).source


# -- running a data cell ---------------------------------------------------------------
def test_a_notebook_alone_downloads_its_files_once_checked_and_cached(tmp_path):
    tp = COURSE.tp("TP3_mnist")   # a loader module and nested data/: the hardest case
    alone, home = tmp_path / "alone", tmp_path / "home"
    alone.mkdir(), home.mkdir()
    with Site(publish(tmp_path)) as site:
        cell = datafiles.cell_source(COURSE, tp, url=f"{site.url}/{tp.id}/")
        r = run_cell(cell, alone, home, after=(
            "from mnist_data import load_mnist\n"
            "x, y, source = load_mnist('train', download=False)\n"
            "print('loaded', tuple(x.shape), source)\n"))
    assert r.returncode == 0, r.stderr
    assert "loaded (8000, 28, 28) shipped t10k split 8000/2000" in r.stdout
    cache = cache_of(home, tp)
    for name, sha in datafiles.files(COURSE, tp).items():
        assert hashlib.sha256((cache / name).read_bytes()).hexdigest() == sha
        assert f"downloaded {name}" in r.stdout
    assert not any(alone.iterdir()), "nothing is written next to the notebook"

    # offline now: the cache is enough, and nothing is fetched again
    cell = datafiles.cell_source(COURSE, tp, url=f"{closed_port_url()}/{tp.id}/")
    r = run_cell(cell, alone, home, after="print(data_path('mnist_data.py').is_file())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True" and "downloaded" not in r.stdout


def test_files_next_to_the_notebook_are_used_without_the_network(tmp_path):
    tp = COURSE.tp("TP2_makemore")
    here, home = tmp_path / "here", tmp_path / "home"
    shutil.copytree(COURSE.release_dir / tp.id, here)
    cell = datafiles.cell_source(COURSE, tp, url=f"{closed_port_url()}/{tp.id}/")
    r = run_cell(cell, here, home, after="print(data_path('names.txt'))")
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == here / "names.txt"
    assert not (home / ".cache").exists()


def test_a_wrong_file_from_the_site_is_refused(tmp_path):
    tp = COURSE.tp("TP2_makemore")
    site_dir = publish(tmp_path)
    with open(site_dir / tp.id / "names.txt", "a") as f:
        f.write("mallory\n")
    alone, home = tmp_path / "alone", tmp_path / "home"
    alone.mkdir()
    with Site(site_dir) as site:
        cell = datafiles.cell_source(COURSE, tp, url=f"{site.url}/{tp.id}/")
        r = run_cell(cell, alone, home)
    assert r.returncode != 0
    assert "not the course's file (wrong SHA-256)" in r.stderr
    assert not (cache_of(home, tp) / "names.txt").exists()


@pytest.mark.parametrize("online", [False, True], ids=["offline", "no-url"])
def test_no_file_and_no_network_says_what_to_put_where(tmp_path, online):
    tp = COURSE.tp("TP5_convnets")
    alone, home = tmp_path / "alone", tmp_path / "home"
    alone.mkdir()
    url = None if online else f"{closed_port_url()}/{tp.id}/"
    r = run_cell(datafiles.cell_source(COURSE, tp, url=url), alone, home)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("FileNotFoundError: cifar10_data.py is not next to this notebook")
    assert "put this TP's files (cifar10_data.py, data/cifar10_sample.npz, from the course's " \
           "TP5_convnets folder) next to the notebook" in last
    if not online:
        assert "could not be downloaded" in last and "Connection refused" in last


# -- a whole notebook, opened alone -----------------------------------------------------
@pytest.mark.slow
def test_a_complete_notebook_opened_alone_runs_on_downloaded_files(tmp_path, monkeypatch):
    """TP3's complete notebook, alone in a folder, run by the engine as a student's Jupyter
    would (no sandbox): its data cell downloads the files, and every test cell passes."""
    tp = COURSE.tp("TP3_mnist")
    name = "mnist.ipynb"
    nb = examples.build("complete", notebooks.read(COURSE.release_dir / tp.id / name),
                        notebooks.read(COURSE.source_dir / tp.id / name), COURSE)
    alone, home = tmp_path / "alone", tmp_path / "home"
    alone.mkdir(), home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with Site(publish(tmp_path)) as site:
        nb = copy.deepcopy(nb)
        datafiles.data_cell(nb).source = datafiles.cell_source(COURSE, tp, url=f"{site.url}/{tp.id}/")
        run = Engine(COURSE, work_dir=tmp_path / "work", sandboxed=False).run(
            nb, alone, Limits.of(COURSE, tp))
    failed = {o.grade_id: o.message for o in run.outcomes if not o.passed}
    assert run.outcomes and not failed, failed
    assert (cache_of(home, tp) / "mnist_data.py").is_file()


@pytest.mark.parametrize("tp", COURSE.released_tps, ids=lambda t: t.id)
def test_the_notebooks_name_only_files_a_student_has(tp):
    """A student has the kit (release/ and the self-check), not the course repository."""
    for path in notebooks.notebooks_in(COURSE.release_dir / tp.id):
        text = path.read_text(encoding="utf-8")
        for word in ("benchmarks/", "course repository", "tests/", "source/", "graders/"):
            assert word not in text, f"{path.name} mentions {word!r}, which students do not have"
