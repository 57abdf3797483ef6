"""A TP's source notebook run as a student runs it, for the benchmark scripts.

One run goes through ``graders.grading.execute.run_notebook`` (the one way a notebook runs: a fresh
kernel from ``graders/grading/engine.py``), outside grading mode, next to a copy of the TP's files.
What a benchmark records comes back from the kernel itself: the time of each graded cell
(a clock cell after each), the figures of chosen cells (saved by a cell after each, as the
engine's matplotlib backend shows nothing), and the printed output.
"""
from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from graders.grading import execute  # noqa: E402

MARK = "BENCHMARK_CELL_DONE "

#: Where every benchmark keeps its figures (the README quotes them).
OUT = ROOT / "benchmarks" / "out"


def record(name: str, result: dict, prefix: str = "") -> Path:
    """Print ``result`` as one JSON line (after ``prefix``) and keep it in
    ``benchmarks/out/<name>.json``; returns the folder."""
    line = json.dumps(result)
    print(prefix + line)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(line + "\n")
    return OUT


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cell_text(cell) -> str:
    """The printed output of an executed cell (stdout and plain-text results)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def instrumented(nb, threads: int | None, figures: dict[str, Path]):
    """``nb`` with a first cell that hides any GPU and sets torch's threads, a clock cell
    after each graded code cell, and after each cell of ``figures`` one that saves the
    current figure there."""
    from nbformat.v4 import new_code_cell

    first = ("import os\nos.environ['CUDA_VISIBLE_DEVICES'] = ''  # the CPU configuration\n"
             "import time as _clock\n")
    if threads:
        first += f"import torch\ntorch.set_num_threads({threads})\n"
    cells = [new_code_cell(first + f"print({MARK!r} + 'start', _clock.perf_counter())")]
    for cell in nb.cells:
        cells.append(cell)
        gid = grade_id(cell)
        if cell.cell_type != "code" or not gid:
            continue
        if gid in figures:
            cells.append(new_code_cell(
                "import matplotlib.pyplot as _plt\n"
                f"_plt.gcf().savefig({str(figures[gid])!r}, dpi=100, bbox_inches='tight')"))
        cells.append(new_code_cell(f"print({MARK!r} + {gid!r}, _clock.perf_counter())"))
    nb.cells = cells
    return nb


def cell_seconds(nb) -> dict[str, float]:
    """Each graded cell's run time (with its figure's saving), from the clock cells."""
    stamps = [line.split()[1:] for c in nb.cells for line in cell_text(c).splitlines()
              if line.startswith(MARK)]
    return {gid: round(float(t) - float(prev), 1)
            for (_, prev), (gid, t) in zip(stamps, stamps[1:])}


def run(tp_dir: Path, notebook: str, threads: int | None = 1,
        figures: dict[str, Path] | None = None, timeout: int = 3600):
    """Run ``tp_dir/notebook`` at full size (not grading mode); returns the executed
    notebook (its cells by grade_id via :func:`grade_id`) and each graded cell's seconds."""
    import nbformat

    figures = figures or {}
    for path in figures.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    nb = instrumented(nbformat.read(str(tp_dir / notebook), as_version=4), threads, figures)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as tmp:
        work = Path(tmp) / tp_dir.name
        shutil.copytree(tp_dir, work, ignore=shutil.ignore_patterns(
            "*.ipynb", ".ipynb_checkpoints", "cifar-10-*"))
        nb = execute.run_notebook(nb, cwd=work, timeout=timeout, mode="full")
    return nb, cell_seconds(nb)
