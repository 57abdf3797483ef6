"""On Colab, *Upload* puts every file flat in ``/content``: a TP whose files live in
``data/...`` subfolders (TP3, TP5, TP6) still finds them there, offline, and its loader
reads the course's data (``templates/data_cell.py.tmpl``)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.course import datafiles
from tests.test_datafiles import COURSE, cache_of, closed_port_url, run_cell

LOADERS = {  # the TP's loader, run after its data cell: what a student's notebook does first
    "TP3_mnist": ("from mnist_data import load_mnist\n"
                  "x, y, source = load_mnist('train', download=False)\n"
                  "print('loaded', tuple(x.shape))\n", "loaded (8000, 28, 28)"),
    "TP5_convnets": ("from cifar10_data import load_cifar10\n"
                     "d = load_cifar10(download_full=False)\n"
                     "print('loaded', d['x_train'].shape)\n", "loaded (1000, 32, 32, 3)"),
    "TP6_generative": ("from mnist_data import load_mnist\n"
                       "x, y, source = load_mnist('train', download=False)\n"
                       "print('loaded', tuple(x.shape))\n", "loaded (8000, 28, 28)"),
}


def upload_flat(tp, folder: Path) -> None:
    """What Colab's Upload does with the TP's files: all of them, in one folder."""
    folder.mkdir()
    for name in datafiles.files(COURSE, tp):
        shutil.copyfile(COURSE.release_dir / tp.id / name, folder / Path(name).name)


@pytest.mark.parametrize("tp_id", sorted(LOADERS))
def test_files_uploaded_flat_are_found_offline(tmp_path, tp_id):
    tp = COURSE.tp(tp_id)
    assert any("/" in name for name in datafiles.files(COURSE, tp)), "a TP with data/ subfolders"
    content, home = tmp_path / "content", tmp_path / "home"
    upload_flat(tp, content)
    home.mkdir()
    after, expected = LOADERS[tp_id]
    cell = datafiles.cell_source(COURSE, tp, url=f"{closed_port_url()}/{tp.id}/")
    r = run_cell(cell, content, home, after=after)
    assert r.returncode == 0, f"flat upload of {tp_id} not found: {r.stderr[-800:]}"
    assert expected in r.stdout, r.stdout
    assert "downloaded" not in r.stdout, "nothing is fetched when the files were uploaded"
    for name in datafiles.files(COURSE, tp):   # nested again in the cache, as the loader wants
        assert (cache_of(home, tp) / name).is_file(), name


def test_a_wrong_file_uploaded_flat_is_not_used(tmp_path):
    """A flat file with the right name but other bytes is not the course's: refused, and
    the message says both layouts are accepted."""
    tp = COURSE.tp("TP5_convnets")
    content, home = tmp_path / "content", tmp_path / "home"
    upload_flat(tp, content)
    home.mkdir()
    (content / "cifar10_sample.npz").write_bytes(b"not the sample")
    cell = datafiles.cell_source(COURSE, tp, url=f"{closed_port_url()}/{tp.id}/")
    r = run_cell(cell, content, home)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("FileNotFoundError: data/cifar10_sample.npz is not next to this notebook"), last
    assert "or all in one folder as Colab's Upload puts them" in last, last
