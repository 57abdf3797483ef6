"""TP5 (convnets): the notebook itself, run as a student runs it on a laptop CPU.

Executes ``source/TP5_convnets/convnets.ipynb`` (the reference solutions) top to bottom in a
real Jupyter kernel, **outside** grading mode and with the shipped CIFAR-10 sample (the
notebook's default), so that every cell runs its CPU configuration, and records what the
notebook tells the student to expect in section 9: the per-layer gradient norms at
initialisation of PlainNet and ResNet at 20 and 56 layers (9a), the training and test errors
of plain-8, ResNet-8, plain-56 and ResNet-56 after 300 steps (9b), and the wall time of each
long cell. The two figures of section 9 are saved next to the JSON line as PNG files.

``--threads 1`` (the default) pins torch to one core, as on a shared machine: a laptop with
4 cores or more runs the training cell faster.

    .venv/bin/python benchmarks/tp5_notebook_cpu.py [--threads 1]

One JSON line goes to stdout and to ``benchmarks/out/tp5_notebook_cpu.json``; the figures to
``benchmarks/out/tp5_gradnorm.png`` and ``benchmarks/out/tp5_experiment.png``.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import notebook_run  # noqa: E402
from notebook_run import cell_text, cpu_model, grade_id  # noqa: E402

TP = ROOT / "source" / "TP5_convnets"
OUT = notebook_run.OUT
LONG_CELLS = ("tp5_data", "tp5_gradnorm", "tp5_experiment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads in the kernel (default 1)")
    args = parser.parse_args()

    figures = {gid: OUT / f"{gid}.png" for gid in ("tp5_gradnorm", "tp5_experiment")}
    start = time.perf_counter()
    nb, cells = notebook_run.run(TP, "convnets.ipynb", args.threads, figures)
    wall = time.perf_counter() - start

    by_gid = {g: c for c in nb.cells if (g := grade_id(c))}
    gn = cell_text(by_gid["tp5_gradnorm"])
    grad = {m.group(1): {"first": float(m.group(2)), "last": float(m.group(3)), "min_over_max": float(m.group(4))}
            for m in re.finditer(r"(\S+-\d+): gradient norm\s+([\d.e+-]+) at the first conv,\s+([\d.e+-]+) at the last "
                                 r"\(ratio\s+[\d.]+\), smallest/largest ([\d.]+)", gn)}
    ex = cell_text(by_gid["tp5_experiment"])
    runs = {m.group(1): {"parameters": int(m.group(2).replace(",", "")), "train_err_pct": float(m.group(3)),
                         "test_err_pct": float(m.group(4)), "seconds": int(m.group(5))}
            for m in re.finditer(r"(\S+-\d+):\s+([\d,]+) parameters, training error\s+([\d.]+)%, test error\s+([\d.]+)% "
                                 r"\((\d+) s\)", ex)}
    result = {
        "benchmark": "tp5_notebook_cpu", "threads": args.threads, "cpu": cpu_model(), "cpu_count": os.cpu_count(),
        "data": cell_text(by_gid["tp5_data"]).splitlines()[:2],
        "grad_norms_at_init": grad, "training_300_steps": runs,
        "long_cells_seconds": {g: cells.get(g) for g in LONG_CELLS},
        "notebook_wall_seconds": round(wall, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    notebook_run.record("tp5_notebook_cpu", result)


if __name__ == "__main__":
    main()
