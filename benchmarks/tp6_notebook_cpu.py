"""TP6 as a student runs it: every code cell of the source notebook, in order, outside grading mode.

The figures the notebook's text quotes (losses, distances, run times of the long cells) come
from this script: it executes the code cells of ``source/TP6_generative/generative.ipynb``
(solutions included, hidden-test markers dropped) in one namespace, from the TP's folder,
with figures closed unseen, and prints each cell's output and wall time. Options shrink the
MNIST diffusion run, the one long cell (the rest takes about a minute of one CPU core)::

    .venv/bin/python benchmarks/tp6_notebook_cpu.py                      # the notebook's CPU defaults
    .venv/bin/python benchmarks/tp6_notebook_cpu.py --diffusion-steps 100 --threads 1
    .venv/bin/python benchmarks/tp6_notebook_cpu.py --until tp6_toy_train   # stop after a cell

``--diffusion-steps`` replaces the CPU default of the MNIST training cell; ``--threads`` sets
``torch.set_num_threads`` after the notebook's own setting (the notebook uses up to 4).

Recorded (2026-12-06, shipped data 8,000 / 2,000, one thread of a 2-core machine shared with
other jobs at load 6-12, so upper bounds; ``--diffusion-steps 300 --threads 1``, 329 s in all)::

    tp6_ae_train           40.7 s  test reconstruction loss 38.8 per image (first step 184)
    tp6_pca_demo           12.5 s  angles [0.7, 0.8, 0.8, 1.0, 1.1, 1.4, 2.3, 54.0] degrees;
                                   test loss: PCA 30.51, linear auto-encoder 30.79
    tp6_vae_train          41.4 s  test ||x - x_hat||^2 = 10.9, KL = 41.3 nats per image
    tp6_latent             31.6 s  (VAE 784-400-2)
    tp6_toy_train          10.3 s  3000 steps in 9.3 s, loss 1.097 -> 0.314; 2000 samples by
                                   100 steps in 0.4 s; mean distance to the nearest training
                                   point: samples 0.041, fresh data 0.012, Gaussian noise 0.352
    tp6_train_run          108 s   300 steps of base = 16: loss 0.0471 (last 100 steps)
    tp6_x0_demo            0.7 s   ||x0 - x0_hat||^2 per image at t = 19..999:
                                   [0.2, 2.2, 11.1, 32.4, 79.8, 174.6, 243.5]
    tp6_sample_demo        32 s per sampler (1000 DDPM steps, 32 images); pixels outside
                                   [-1, 1]: 59.4% without clipping, 0.0% with it
    tp6_ddim_demo          1.3 s   (50 steps, 32 images)

The notebook's CPU default, 3,000 steps of ``base = 16``, measured alone with the notebook's
functions (same machine and load, 1,558 s of wall time for about 6 minutes of CPU): loss 0.028
(last 100 steps), x0_hat error [0.2, 1.6, 7.3, 22.3, 59.0, 100.7, 130.1] at the same t;
samples: white strokes, digit-like, a few recognisable (1, 7, 8, 6); clipping x0_hat leaves
the shapes as they are and all pixels in [-1, 1] (45.5% outside without it).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TP_DIR = ROOT / "source" / "TP6_generative"
NOTEBOOK = TP_DIR / "generative.ipynb"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--diffusion-steps", type=int, help="MNIST diffusion training steps on the CPU")
    ap.add_argument("--threads", type=int, help="torch threads (default: the notebook's choice)")
    ap.add_argument("--until", help="stop after the cell with this grade_id")
    args = ap.parse_args()
    if args.diffusion_steps is not None and args.diffusion_steps < 1:
        print("error: --diffusion-steps must be at least 1", file=sys.stderr)
        return 2

    import matplotlib
    matplotlib.use("Agg")
    import nbformat

    os.environ.pop("NBGRADER_EXECUTION", None)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    if args.until and args.until not in ids:
        print(f"error: no cell {args.until!r} in {NOTEBOOK.name}", file=sys.stderr)
        return 2
    os.chdir(TP_DIR)
    ns: dict = {"__name__": "__main__"}
    start = time.perf_counter()
    for cell, gid in zip(nb.cells, ids):
        if cell.cell_type != "code":
            continue
        src = cell.source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")
        if gid == "tp6_train_run" and args.diffusion_steps:
            src, n = re.subn(r"else 3000\)", f"else {args.diffusion_steps})", src, count=1)
            assert n == 1, "the training cell's CPU default moved: update this script"
        t0 = time.perf_counter()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(src, gid or "cell", "exec"), ns)
        if gid == "tp6_setup" and args.threads:
            ns["torch"].set_num_threads(args.threads)
        text = out.getvalue().rstrip()
        print(f"--- {gid}: {time.perf_counter() - t0:.1f} s" + (f"\n{text}" if text else ""), flush=True)
        if gid == args.until:
            break
    print(f"--- total {time.perf_counter() - start:.0f} s, torch threads {ns['torch'].get_num_threads()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
