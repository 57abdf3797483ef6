"""TP2 (makemore) at full size: execute the source notebook as a student would, and time it.

The notebook itself is the model: this script runs ``source/TP2_makemore/makemore.ipynb``
(solutions included) in a fresh kernel *outside* grading mode, so that its training cells
run at full size (the MLP: 200,000 steps of 32 examples, context 3, embeddings of 10,
200 hidden units; target dev loss <= 2.17). A cell appended to a copy of the notebook
reports the figures the notebook computed; nothing of the model is duplicated here.

Prints one JSON line (dev loss, train loss, hardware, wall time, whether every test cell
passed) and writes it to ``benchmarks/out/tp2_full_run.json``, next to the executed notebook.

    .venv/bin/python benchmarks/tp2_full_run.py [--timeout SECONDS_PER_CELL]
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
from graders.grading import execute, outcomes  # noqa: E402

TP = ROOT / "source" / "TP2_makemore"
MARK = "TP2_FULL_RUN "
REPORT = f'''
import json as _json
print({MARK!r} + _json.dumps({{
    "dev_loss": round(dev_loss, 4), "train_loss": round(train_loss, 4), "steps": steps,
    "train_seconds": round(train_time, 1), "device": device,
    "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    "torch": torch.__version__, "torch_threads": torch.get_num_threads()}}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=3600, help="limit per cell, in seconds")
    args = parser.parse_args()

    nb = nbformat.read(str(TP / "makemore.ipynb"), as_version=4)
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
        "benchmark": "tp2_full_run", **report,
        "target_dev_loss": 2.17, "reached": report["dev_loss"] <= 2.17,
        "wall_seconds": round(wall, 1), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
        "all_tests_passed": not failed and not errors, "failed_tests": failed, "errors": errors,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = record("tp2_full_run", result)
    nbformat.write(nb, str(out / "tp2_full_run.ipynb"))  # the executed notebook, plots included


if __name__ == "__main__":
    main()
