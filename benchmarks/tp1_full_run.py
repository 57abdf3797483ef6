"""TP1 (micrograd) at full size: execute the source notebook as a student would, and time it.

The notebook itself is the model: this script runs ``source/TP1_micrograd/micrograd.ipynb``
(solutions included) in a fresh kernel *outside* grading mode, so that its training cell
runs at full size (``MLP(2, [16, 16, 1])``, 337 parameters, on the 40 points of the moons:
3 rounds of 10 full-batch steps of the hinge loss plus L2, learning rate 1.0, 0.7, 0.4;
the text expects 100% training accuracy). Two cells inserted around the training cell time
it (wall and CPU time: on a shared machine the CPU time is the steadier figure), and a cell
appended to the copy reports the figures the notebook computed; nothing of
the model is duplicated here.

Prints one JSON line (final loss, training accuracy, steps, hardware, wall time, whether
every test cell passed) and writes it to ``benchmarks/out/tp1_full_run.json``, next to the
executed notebook.

    .venv/bin/python benchmarks/tp1_full_run.py [--timeout SECONDS_PER_CELL]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from notebook_run import cpu_model, record  # noqa: E402 (one definition, with the other benchmarks)
sys.path.insert(0, str(ROOT))
from graders.course import notebooks  # noqa: E402
from graders.grading import execute, outcomes

TP = ROOT / "source" / "TP1_micrograd"
TRAINING_CELL = "tp1_training"
MARK = "TP1_FULL_RUN "
START = "import time as _time\n_train_t0, _train_c0 = _time.perf_counter(), _time.process_time()"
STOP = ("_train_seconds = _time.perf_counter() - _train_t0\n"
        "_train_cpu_seconds = _time.process_time() - _train_c0")
REPORT = f'''
import json as _json
print({MARK!r} + _json.dumps({{
    "final_loss": round(losses[-1], 4), "accuracy": accuracy(model, X, ys), "steps": len(losses),
    "parameters": len(model.parameters()), "points": len(X), "train_seconds": round(_train_seconds, 1),
    "train_cpu_seconds": round(_train_cpu_seconds, 1), "kernel_cpu_seconds": round(_time.process_time(), 1),
    "torch": torch.__version__}}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=3600, help="limit per cell, in seconds")
    args = parser.parse_args()

    nb = nbformat.read(str(TP / "micrograd.ipynb"), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == TRAINING_CELL)
    nb.cells[index + 1:index + 1] = [new_code_cell(STOP)]
    nb.cells[index:index] = [new_code_cell(START)]
    nb.cells.append(new_code_cell(REPORT))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "tp"
        shutil.copytree(TP, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        start = time.perf_counter()
        execute.run_notebook(nb, cwd=work, timeout=args.timeout, mode="")  # not grading: full size
        wall = time.perf_counter() - start

    report = None
    errors = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and MARK in out.get("text", ""):
                line = next(l for l in out["text"].splitlines() if l.startswith(MARK))
                report = json.loads(line[len(MARK):])
            elif out.get("output_type") == "error":
                errors.append(f"{cell.get('id')}: {out.get('ename')}: {out.get('evalue')}"[:300])
    if report is None:
        sys.exit("the notebook did not report its figures:\n" + "\n".join(errors))
    failed = [o.grade_id for o in outcomes.of_notebook(nb) if not o.passed]
    result = {
        "benchmark": "tp1_full_run", **report,
        "target_accuracy": 1.0, "reached": report["accuracy"] >= 1.0,
        "wall_seconds": round(wall, 1), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
        "all_tests_passed": not failed and not errors, "failed_tests": failed, "errors": errors,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = record("tp1_full_run", result)
    nbformat.write(nb, str(out / "tp1_full_run.ipynb"))  # the executed notebook, plots included


if __name__ == "__main__":
    main()
