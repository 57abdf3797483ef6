"""TP5 (convnets) at full size: a CIFAR ResNet-20 trained with the notebook's own code.

The model (``ResNet``, ``BasicBlock``), the augmentation (``augment``) and the evaluation
(``evaluate``) are the source notebook's solution cells, executed here as they are
(``source/TP5_convnets/convnets.ipynb``); the data loader is the TP's ``cifar10_data.py``.
This script adds only what a fast full run needs around them: an epoch loop over shuffled
minibatches, SGD with Nesterov momentum and a one-cycle learning rate
(``torch.optim.lr_scheduler.OneCycleLR``), the augmentation run on the device, and, on a
GPU, bf16 autocast and channels-last memory.

Data: ``--data-dir`` holding the official python batches (``cifar-10-batches-py/``, or the
``cifar-10-python.tar.gz`` archive, md5-checked and extracted); without them it says so and
runs on the 1,000 + 500 image sample shipped with the TP. It never downloads.

Target (He et al. 2016, table 6): ResNet-20 at 8.75% test error, i.e. >= 91.25% accuracy,
on the full CIFAR-10; that needs the full data and a GPU (about 5 minutes on an H100-class GPU
is the goal). Prints one JSON line (accuracy, wall time, hardware, data) and writes it to
``benchmarks/out/tp5_full_run.json``.

    .venv/bin/python benchmarks/tp5_full_run.py --data-dir /path/to/cifar10 [--epochs 70]
    .venv/bin/python benchmarks/tp5_full_run.py --epochs 30          # the shipped sample, CPU
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import nbformat
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from notebook_run import cpu_model, record  # noqa: E402 (one definition, with the other benchmarks)
TP = ROOT / "source" / "TP5_convnets"
NEEDED = ("tp5_basic_block_solution", "tp5_resnet_solution", "tp5_augment_solution", "tp5_evaluate_solution")


def notebook_code() -> dict:
    """Execute the notebook's setup-free solution cells (ResNet, BasicBlock, augment, evaluate)."""
    nb = nbformat.read(str(TP / "convnets.ipynb"), as_version=4)
    ns: dict = {}
    exec("import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F", ns)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in NEEDED:
            exec(compile(cell.source, cell.metadata["nbgrader"]["grade_id"], "exec"), ns)
    return ns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(TP / "data"),
                        help="folder with cifar-10-batches-py/ (or the official archive); default: the TP's data/")
    parser.add_argument("--epochs", type=int, default=None, help="default: 70 on a GPU, 30 on a CPU")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 256 on a GPU, 64 on a CPU")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (default: 0.2 on a GPU, 0.1 on a CPU)")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--n", type=int, default=3, help="ResNet-(6n+2): 3 gives ResNet-20")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=None,
                        help="stop training after the epoch that passes this many seconds (the figure is then partial)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    args = parser.parse_args()

    sys.path.insert(0, str(TP))
    from cifar10_data import load_cifar10  # noqa: E402  (the TP's own loader)

    start = time.perf_counter()
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs or (70 if cuda else 30)
    batch_size = args.batch_size or (256 if cuda else 64)
    peak_lr = args.lr or (0.2 if cuda else 0.1)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)

    data = load_cifar10(args.data_dir, download_full=False)
    full = data["x_train"].shape[0] == 50000
    ns = notebook_code()
    ResNet, BasicBlock, augment, evaluate = ns["ResNet"], ns["BasicBlock"], ns["augment"], ns["evaluate"]

    def to_tensor(a):
        return torch.from_numpy(a).permute(0, 3, 1, 2).float().div(255)

    x_train, x_test = to_tensor(data["x_train"]), to_tensor(data["x_test"])
    mean, std = x_train.mean(dim=(0, 2, 3)).view(1, 3, 1, 1), x_train.std(dim=(0, 2, 3)).view(1, 3, 1, 1)
    fmt = torch.channels_last if cuda else torch.contiguous_format
    x_train = ((x_train - mean) / std).to(device).contiguous(memory_format=fmt)
    x_test = ((x_test - mean) / std).to(device).contiguous(memory_format=fmt)
    y_train = torch.from_numpy(data["y_train"]).to(device)
    y_test = torch.from_numpy(data["y_test"]).to(device)

    model = ResNet(BasicBlock, (args.n, args.n, args.n), (16, 32, 64), 10).to(device).to(memory_format=fmt)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]  # BN and biases: no weight decay
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=peak_lr, momentum=0.9, nesterov=True)
    N = x_train.shape[0]
    steps_per_epoch = max(1, N // batch_size)  # drop the last incomplete batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peak_lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.25, anneal_strategy="linear",
                                                div_factor=10.0, final_div_factor=100.0)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext
    print(f"ResNet-{6 * args.n + 2}: {n_params:,} parameters; {epochs} epochs of {steps_per_epoch} steps of "
          f"{batch_size}, peak lr {peak_lr:g}, on {device} ({torch.cuda.get_device_name() if cuda else cpu_model()}, "
          f"{torch.get_num_threads()} threads); data: {data['source']}", flush=True)

    t_train = time.perf_counter()
    done = 0
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(N, generator=g).to(device)
        total, seen = 0.0, 0
        for k in range(steps_per_epoch):
            idx = perm[k * batch_size:(k + 1) * batch_size]
            xb, yb = augment(x_train[idx], y_train[idx], g, padding=4, flip_prob=0.5)
            with autocast():
                loss = F.cross_entropy(model(xb.contiguous(memory_format=fmt)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx) if (k % 20 == 0 or k == steps_per_epoch - 1) else 0.0
            seen += len(idx) if (k % 20 == 0 or k == steps_per_epoch - 1) else 0
        done = epoch + 1
        elapsed = time.perf_counter() - t_train
        if done % max(1, epochs // 10) == 0 or done == epochs:
            with autocast():
                _, acc = evaluate(model, x_test, y_test, batch_size=1000)
            print(f"epoch {done:3d}/{epochs}: train loss ~{total / max(seen, 1):.3f}, test accuracy {100 * acc:.2f}% "
                  f"({elapsed:.0f} s)", flush=True)
        if args.time_limit and elapsed > args.time_limit and done < epochs:
            print(f"time limit reached after {done} epochs", flush=True)
            break
    if cuda:
        torch.cuda.synchronize()
    train_seconds = time.perf_counter() - t_train
    with autocast():
        test_loss, test_acc = evaluate(model, x_test, y_test, batch_size=1000)
    report = {
        "test_accuracy": round(100 * test_acc, 2), "test_loss": round(test_loss, 4),
        "target_accuracy": 91.25, "full_data": full, "data": data["source"],
        "train_images": int(N), "test_images": int(x_test.shape[0]),
        "model": f"ResNet-{6 * args.n + 2}", "parameters": n_params,
        "epochs": done, "epochs_planned": epochs, "batch_size": batch_size, "peak_lr": peak_lr,
        "train_seconds": round(train_seconds, 1), "wall_seconds": round(time.perf_counter() - start, 1),
        "device": device, "gpu": torch.cuda.get_device_name() if cuda else None, "cpu": cpu_model(),
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "bf16_channels_last": cuda,
    }
    record("tp5_full_run", report, prefix="TP5_FULL_RUN ")
    if not full:
        print("note: not the full CIFAR-10 (pass --data-dir with the official python batches); the 91.25% "
              "target of ResNet-20 needs the full data, and a GPU to train in minutes.")


if __name__ == "__main__":
    main()
