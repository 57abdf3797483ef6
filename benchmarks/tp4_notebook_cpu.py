"""TP4 (GPT): the notebook itself, run as a student runs it on a laptop CPU.

Executes ``source/TP4_gpt/gpt.ipynb`` (the reference solutions) top to bottom in a real
Jupyter kernel, **outside** grading mode, so that every cell runs its CPU configuration (the
bigram baseline, then the GPT of 4 layers, 4 heads, 64 wide, context 32, 3,000 AdamW steps),
and records what the notebook tells the student to expect: the bigram's and the GPT's best
validation losses, the GPT's training time, and the wall time of each long cell.

The figures quoted in the notebook's sections 4, 9 and 10 come from this script's output.
``--threads 1`` (the default) pins torch to one core, as on a shared machine: a laptop with
4 cores or more runs the training cell about 1.5-2x faster.

    .venv/bin/python benchmarks/tp4_notebook_cpu.py [--threads 1]

One JSON line goes to stdout and to ``benchmarks/out/tp4_notebook_cpu.json``.

Recorded (2 shared cores, AMD EPYC, torch 2.13 CPU, ``--threads 1``; the losses are
deterministic, the times depend on the machine's load):

- idle machine (load 0.15): bigram best validation loss 2.4842 (its cell 3.8 s); GPT 0.210 M
  parameters, 3,000 steps in 74 s, best validation loss 1.897; sampling cell 1.2 s, speed cell
  2.3 s (fused attention x1.57, bf16 autocast x0.72); whole notebook 88 s.
- loaded machine (load 13): the same losses; GPT 189 s (70 s of CPU time), whole notebook 217 s.
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
from notebook_run import cell_text, cpu_model  # noqa: E402

TP = ROOT / "source" / "TP4_gpt"
LONG_CELLS = ("tp4_bigram_train", "tp4_train", "tp4_sample", "tp4_speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads in the kernel (default 1)")
    args = parser.parse_args()

    start = time.perf_counter()
    nb, cells = notebook_run.run(TP, "gpt.ipynb", args.threads)
    wall = time.perf_counter() - start

    out = {notebooks_gid: cell_text(c) for c in nb.cells
           if (notebooks_gid := c.metadata.get("nbgrader", {}).get("grade_id"))}
    bigram = re.search(r"bigram: best validation loss ([\d.]+)", out.get("tp4_bigram_train", ""))
    gpt = re.search(r"(\d+) steps in (\d+) s: best validation loss ([\d.]+)", out.get("tp4_train", ""))
    params = re.search(r"([\d.]+) M parameters", out.get("tp4_train", ""))
    result = {
        "benchmark": "tp4_notebook_cpu", "threads": args.threads, "cpu": cpu_model(), "cpu_count": os.cpu_count(),
        "bigram_best_val": float(bigram.group(1)) if bigram else None,
        "gpt_parameters_millions": float(params.group(1)) if params else None,
        "gpt_steps": int(gpt.group(1)) if gpt else None,
        "gpt_train_seconds": int(gpt.group(2)) if gpt else None,
        "gpt_best_val": float(gpt.group(3)) if gpt else None,
        "long_cells_seconds": {g: cells.get(g) for g in LONG_CELLS},
        "notebook_wall_seconds": round(wall, 1),
        "config": out.get("tp4_estimate_loss", "").strip(),
        "sample": out.get("tp4_sample", "").strip()[:600],
        "speed": out.get("tp4_speed", "").strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    notebook_run.record("tp4_notebook_cpu", result)


if __name__ == "__main__":
    main()
