"""TP6 full-size run: the VAE's test negative ELBO and the quality of diffusion samples.

Runs the notebook's own code (its solution cells and the given ``ResBlock``, executed from
``source/TP6_generative/generative.ipynb``), outside grading mode, at full size:

1. the VAE 784-400-20 of Kingma & Welling, with a Bernoulli decoder (binary cross-entropy
   summed over the pixels, as in the paper and PyTorch's example) so that the loss is the
   negative ELBO in nats; trained with Adam on the training split minus 1,000 images kept
   to choose the epoch; reported: the test negative ELBO per image (the KL of the
   notebook's ``kl_divergence`` plus the reconstruction term, averaged over 10 draws of z);
2. the diffusion model of the notebook (the U-Net ``Denoiser``, linear schedule, T = 1000,
   ``train_diffusion``) trained for a wall-clock budget, then sampled with DDIM (50 steps)
   and DDPM (1000 steps); reported: the share of samples to which a TP3-style MLP
   classifier (784-512-256-10, trained here) gives a top class probability above 0.9, next
   to the same share for real test images and for pure noise.

Data: TP3's loader (full MNIST when it can be downloaded, otherwise the 10,000 shipped test
images split 8,000 / 2,000; the script says which). Usage::

    .venv/bin/python benchmarks/tp6_full_run.py                 # about 10 minutes on 2 CPU cores
    .venv/bin/python benchmarks/tp6_full_run.py --quick         # a smoke test (a minute)
    .venv/bin/python benchmarks/tp6_full_run.py --diffusion-minutes 30 --base 64
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parent.parent
TP_DIR = ROOT / "source" / "TP6_generative"
NOTEBOOK = TP_DIR / "generative.ipynb"


def notebook_namespace() -> dict:
    """Execute the notebook's solution cells and the ResBlock cell; return their namespace."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ns = {"math": math, "torch": torch, "nn": nn, "F": F, "tqdm": tqdm}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and (gid.endswith("_solution") or gid == "tp6_resblock"):
            exec(compile(cell.source, f"<{gid}>", "exec"), ns)
    return ns


def hardware(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU {cpu}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"


def batches(n, batch_size, g):
    perm = torch.randperm(n, generator=g)
    for i in range(0, n - batch_size + 1, batch_size):
        yield perm[i: i + batch_size]


def neg_elbo(ns, model, X, n_z=10, seed=0):
    """Mean over the rows of X of BCE_sum(x, decode(z)) + KL, z averaged over n_z draws (nats)."""
    g = torch.Generator().manual_seed(seed)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, X.shape[0], 500):
            x = X[i: i + 500]
            mu, logvar = model.encode(x)
            kl = ns["kl_divergence"](mu, logvar)
            rec = 0.0
            for _ in range(n_z):
                z = ns["reparameterize"](mu, logvar, g)
                rec = rec + F.binary_cross_entropy(model.decode(z), x, reduction="none").sum(1)
            total += float((rec / n_z + kl).sum())
    return total / X.shape[0]


def train_vae(ns, Xtr, Xval, epochs, device, seed=0):
    torch.manual_seed(seed)
    model = ns["VAE"](784, 400, 20).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    best = (math.inf, None, 0)
    for epoch in tqdm(range(1, epochs + 1), desc="VAE epochs"):
        model.train()
        for idx in batches(Xtr.shape[0], 128, g):
            x = Xtr[idx.to(device)]
            x_hat, mu, logvar = model(x, g)
            loss = (F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]
                    + ns["kl_divergence"](mu, logvar).mean())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        val = neg_elbo(ns, model, Xval, n_z=1, seed=epoch)
        if val < best[0]:
            best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()}, epoch)
    model.load_state_dict(best[1])
    return model, best[2], best[0]


class MLPClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):  # x: (B, 784) in [0, 1]
        return self.net((x - 0.1307) / 0.3081)


def train_classifier(Xtr, ytr, epochs, device, seed=0):
    torch.manual_seed(seed)
    clf = MLPClassifier().to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc="classifier epochs"):
        clf.train()
        for idx in batches(Xtr.shape[0], 128, g):
            idx = idx.to(device)
            loss = F.cross_entropy(clf(Xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    clf.eval()
    return clf


def confident_share(clf, X, threshold=0.9):
    with torch.no_grad():
        p = F.softmax(clf(X.reshape(-1, 784).clamp(0, 1)), dim=1)
    top, cls = p.max(1)
    return float((top > threshold).float().mean()), torch.bincount(cls[top > threshold], minlength=10).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vae-epochs", type=int, default=60)
    ap.add_argument("--classifier-epochs", type=int, default=15)
    ap.add_argument("--diffusion-minutes", type=float, default=6.0)
    ap.add_argument("--base", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--n-samples", type=int, default=200)
    ap.add_argument("--ddpm-samples", type=int, default=100)
    ap.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument("--quick", action="store_true", help="a smoke test of a minute")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "tp6_full_run.json"))
    args = ap.parse_args()
    if args.quick:
        args.vae_epochs, args.classifier_epochs, args.diffusion_minutes = 2, 1, 0.2
        args.n_samples, args.ddpm_samples = 16, 4

    t_start = time.perf_counter()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(args.threads)
    ns = notebook_namespace()
    sys.path.insert(0, str(TP_DIR))
    from mnist_data import load_mnist  # TP3's loader, through TP6's link

    tr_img, tr_lab, source = load_mnist("train")
    te_img, te_lab, _ = load_mnist("test")
    Xtr_all = tr_img.float().div(255).view(-1, 784).to(device)
    Xte = te_img.float().div(255).view(-1, 784).to(device)
    ytr_all, yte = tr_lab.to(device), te_lab.to(device)
    n_val = 1000
    Xtr, Xval = Xtr_all[:-n_val], Xtr_all[-n_val:]
    hw = hardware(device)
    print(f"data: {source}; VAE train {Xtr.shape[0]}, validation {n_val}, test {Xte.shape[0]}; {hw}")

    # 1. VAE
    t0 = time.perf_counter()
    vae, best_epoch, val_elbo = train_vae(ns, Xtr, Xval, args.vae_epochs, device)
    test_elbo = neg_elbo(ns, vae, Xte, n_z=10)
    vae_time = time.perf_counter() - t0
    print(f"VAE 784-400-20: test negative ELBO {test_elbo:.2f} nats per image (epoch {best_epoch} of "
          f"{args.vae_epochs}, chosen on validation: {val_elbo:.2f}); {vae_time:.0f} s")

    # 2. classifier (TP3 style)
    t0 = time.perf_counter()
    clf = train_classifier(Xtr_all, ytr_all, args.classifier_epochs, device)
    with torch.no_grad():
        acc = float((clf(Xte).argmax(1) == yte).float().mean())
    real_share, _ = confident_share(clf, Xte)
    noise_share, _ = confident_share(clf, torch.rand(1000, 784, generator=torch.Generator().manual_seed(0)).to(device))
    clf_time = time.perf_counter() - t0
    print(f"classifier: test accuracy {acc:.4f}; top probability > 0.9 on {real_share:.3f} of the real test images, "
          f"on {noise_share:.3f} of uniform noise images; {clf_time:.0f} s")

    # 3. diffusion
    T = 1000
    betas = ns["linear_betas"](T)
    _, alpha_bars = ns["alphas_from_betas"](betas)
    X_img = (Xtr_all.view(-1, 1, 28, 28) * 2 - 1)
    torch.manual_seed(0)
    model = ns["Denoiser"](channels=1, base=args.base, t_dim=64).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    probe = ns["train_diffusion"](model, X_img, alpha_bars, steps=10, batch_size=args.batch_size, lr=1e-3, generator=g)
    per_step = (time.perf_counter() - t0) / 10
    steps = max(1, int(args.diffusion_minutes * 60 / per_step) - 10)
    print(f"diffusion: U-Net base {args.base} ({n_params:,} parameters), {per_step:.3f} s per step of "
          f"{args.batch_size}: {steps + 10} steps in the budget of {args.diffusion_minutes} min")
    losses = probe + ns["train_diffusion"](model, X_img, alpha_bars, steps=steps, batch_size=args.batch_size, lr=1e-3,
                                           generator=g, progress=True)
    diff_time = time.perf_counter() - t0
    last = sum(losses[-200:]) / len(losses[-200:])
    print(f"diffusion: {len(losses)} steps in {diff_time:.0f} s; mean loss of the last 200 steps {last:.4f}")

    t0 = time.perf_counter()
    ddim = ns["ddim_sample"](model, (args.n_samples, 1, 28, 28), alpha_bars, 50, torch.Generator().manual_seed(1), device=device)
    ddim_time = time.perf_counter() - t0
    ddim_share, ddim_classes = confident_share(clf, (ddim + 1) / 2)
    print(f"DDIM (50 steps): {ddim_share:.3f} of {args.n_samples} samples recognised with probability > 0.9 "
          f"(classes {ddim_classes}); {ddim_time:.0f} s")
    t0 = time.perf_counter()
    ddpm = ns["ddpm_sample"](model, (args.ddpm_samples, 1, 28, 28), betas, torch.Generator().manual_seed(2), device=device)
    ddpm_time = time.perf_counter() - t0
    ddpm_share, ddpm_classes = confident_share(clf, (ddpm + 1) / 2)
    print(f"DDPM (1000 steps): {ddpm_share:.3f} of {args.ddpm_samples} samples recognised with probability > 0.9 "
          f"(classes {ddpm_classes}); {ddpm_time:.0f} s")

    total = time.perf_counter() - t_start
    result = dict(data=source, hardware=hw, device=device, total_s=round(total, 1),
                  vae=dict(test_neg_elbo_nats=round(test_elbo, 2), best_epoch=best_epoch, epochs=args.vae_epochs,
                           seconds=round(vae_time, 1)),
                  classifier=dict(test_accuracy=round(acc, 4), real_confident=round(real_share, 3),
                                  noise_confident=round(noise_share, 3)),
                  diffusion=dict(base=args.base, parameters=n_params, steps=len(losses), batch_size=args.batch_size,
                                 seconds=round(diff_time, 1), last_loss=round(last, 4),
                                 ddim50_confident=round(ddim_share, 3), ddim_samples=args.n_samples,
                                 ddpm1000_confident=round(ddpm_share, 3), ddpm_samples=args.ddpm_samples))
    print(json.dumps(result, indent=1))
    print(f"total wall time {total:.0f} s on {hw}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    try:  # a picture of the samples, for the record
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        imgs = ((ddim[:64].cpu() + 1) / 2).clamp(0, 1).reshape(-1, 28, 28)
        grid = torch.ones(8 * 29 + 1, 8 * 29 + 1)
        for i in range(imgs.shape[0]):
            r, c = divmod(i, 8)
            grid[1 + r * 29: 29 + r * 29, 1 + c * 29: 29 + c * 29] = imgs[i]
        plt.imsave(out.with_suffix(".png"), grid.numpy(), cmap="gray", vmin=0, vmax=1)
    except Exception as e:  # pragma: no cover
        print("could not save the sample grid:", e)


if __name__ == "__main__":
    main()
