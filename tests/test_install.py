"""What `make install` fetches: every package pinned from the package registry (no wheel
vendored in the repository), and torch's CPU build on Linux without an NVIDIA GPU."""
from __future__ import annotations

import re
import sys

import pytest

from graders.course.config import ROOT

from .test_self_check_cell import CPU, make_n_install


def test_copydetect_comes_pinned_from_the_registry():
    assert not (ROOT / "vendor").exists(), "no vendored wheel: pip installs it from PyPI"
    makefile = (ROOT / "Makefile").read_text()
    assert "--find-links" not in makefile and "vendor" not in makefile
    pins = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^copydetect==0\.5\.0$", pins, re.M)
    assert "vendored" not in pins
    assert re.search(r"^copydetect==0\.5\.0$", (ROOT / "constraints.txt").read_text(), re.M)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the default is Linux's")
def test_make_install_takes_torchs_cpu_build_on_linux_without_a_gpu(tmp_path):
    assert CPU in make_n_install(ROOT, False, tmp_path)
    assert CPU not in make_n_install(ROOT, True, tmp_path)
    assert CPU not in make_n_install(ROOT, False, tmp_path, "TORCH_INDEX=")
    assert CPU not in make_n_install(ROOT, False, tmp_path, online=False)  # a mirror only
    assert "--extra-index-url https://example.org/t" in make_n_install(
        ROOT, True, tmp_path, "TORCH_INDEX=https://example.org/t")
