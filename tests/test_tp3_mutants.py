"""TP3 (MNIST): do the tests catch the bugs students make, and pass every correct answer?

Each ``Mutant`` is one edit of a solution cell of ``source/TP3_mnist/mnist.ipynb``. A wrong
one names the test cell that must fail; a correct alternative (``caught_by=None``) must pass
every test cell. The fast tests check the suite itself (every test cell has at least three
mutants, every solution cell a correct alternative, every edit applies exactly once); the
slow ones execute the notebook in a kernel, in grading mode (see ``tests/mutation.py``).
"""
from __future__ import annotations

from tests import mutation
from tests.mutation import ROOT, Mutant

TP = "TP3_mnist"
SOURCE = ROOT / "source" / TP / "mnist.ipynb"

SHAPES, DATASET, LOADER, LOSSES = ("tp3_shapes_solution", "tp3_dataset_solution",
                                   "tp3_loader_solution", "tp3_losses_solution")
SGD, MOM, ADAGRAD, RMS, ADAM = ("tp3_sgd_solution", "tp3_momentum_solution", "tp3_adagrad_solution",
                                "tp3_rmsprop_solution", "tp3_adam_solution")
KAIMING, BN, MLP, TRAIN, COMPARE = ("tp3_kaiming_solution", "tp3_batchnorm_solution", "tp3_mlp_solution",
                                    "tp3_train_solution", "tp3_compare_runs_solution")
GAUSS = "tp3_gaussian_nll_solution"

PAD = ("    a = (1,) * (n - len(shape_a)) + tuple(shape_a)   # pad with 1s on the left\n"
       "    b = (1,) * (n - len(shape_b)) + tuple(shape_b)")
BCAST_RULE = ("        if da == db or db == 1:\n"
              "            out.append(da)\n"
              "        elif da == 1:\n"
              "            out.append(db)")
DS_BODY = '''        ### BEGIN SOLUTION
        self.images, self.labels = images, labels
        self.mean, self.std = mean, std
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return self.images.shape[0]
        ### END SOLUTION

    def __getitem__(self, i):
        ### BEGIN SOLUTION
        x = (self.images[i].float() / 255 - self.mean) / self.std   # (H, W)
        return x.unsqueeze(0), self.labels[i]'''
CE_LOSSES = "    losses = lse - logits.gather(1, targets.unsqueeze(1)).squeeze(1)   # (B,)\n"
CE_LSE = ("    m = logits.max(dim=1, keepdim=True).values                          # (B, 1)\n"
          "    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()           # (B,)\n")
BCE_LINE = "    losses = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))\n"
GNLL_LINE = ("    losses = (target - pred) ** 2 / (2 * sigma ** 2) + math.log(sigma) + 0.5 * math.log(2 * math.pi)\n")
RETURN = '    return losses.mean() if reduction == "mean" else losses.sum()\n'
MOM_STATE = ('                if "v" not in state:\n'
             '                    state["v"] = torch.zeros_like(p)\n'
             '                v = state["v"]\n')
ADA_STATE = ('                if "s" not in state:\n'
             '                    state["s"] = torch.zeros_like(p)\n'
             '                s = state["s"]\n')
ADAM_LOOP_HEAD = '''        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
'''
ADAM_UPDATE = '''                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).add_(p.grad * p.grad, alpha=1 - beta2)
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
'''
BN_RUNNING = ("            with torch.no_grad():\n"
              "                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)\n"
              "                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * n / (n - 1))\n")
BN_FORWARD = ('''        if self.training:
            mean = x.mean(dim=0)                    # (C,)
            var = x.var(dim=0, unbiased=False)      # (C,)
            n = x.shape[0]
''' + BN_RUNNING + '''        else:
            mean, var = self.running_mean, self.running_var
        return self.weight * (x - mean) / torch.sqrt(var + self.eps) + self.bias
''')
TRAIN_LOOP = '''    model.train()
    total, n = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
        n += inputs.shape[0]
    return total / n
'''
EVAL_LOOP = '''    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            total += criterion(outputs, targets).item() * inputs.shape[0]
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            n += inputs.shape[0]
    return total / n, correct / n
'''
COMPARE_HEAD = '''    results = {}
    for name, (make_model, make_optimizer) in configs.items():
        torch.manual_seed(seed)
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        model.train()
        g = torch.Generator().manual_seed(seed)
'''
COMPARE_BODY = COMPARE_HEAD + '''        losses = []
        for _ in range(steps):
            ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
            loss = F.cross_entropy(model(X[ix]), Y[ix])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        results[name] = {"losses": losses, "model": model}
    return results
'''

MUTANTS = [
    # 1. shapes
    Mutant("broadcast: shapes aligned on the left", SHAPES, PAD,
           "    a = tuple(shape_a) + (1,) * (n - len(shape_a))\n    b = tuple(shape_b) + (1,) * (n - len(shape_b))",
           "tp3_broadcast"),
    Mutant("broadcast: max of the sizes (0 against 1 gives 1)", SHAPES, BCAST_RULE,
           "        if da == db or da == 1 or db == 1:\n            out.append(max(da, db))", "tp3_broadcast"),
    Mutant("broadcast: mismatched sizes never an error", SHAPES,
           "        else:\n            return None\n    return tuple(out)",
           "        else:\n            out.append(max(da, db))\n    return tuple(out)", "tp3_broadcast"),
    Mutant("broadcast: a 0-d scalar taken for an error", SHAPES, "    n = max(len(shape_a), len(shape_b))\n",
           "    if len(shape_a) == 0 or len(shape_b) == 0:\n        return None\n"
           "    n = max(len(shape_a), len(shape_b))\n", "tp3_broadcast"),
    Mutant("matmul: batch dims must be equal (no broadcasting)", SHAPES,
           "batch = broadcast_shape(a2[:-2], b2[:-2])", "batch = a2[:-2] if a2[:-2] == b2[:-2] else None",
           "tp3_matmul_shape"),
    Mutant("matmul: the dimension added to a 1-D a is kept", SHAPES,
           "    if len(a) == 1:\n        out = out[:-2] + out[-1:]\n", "", "tp3_matmul_shape"),
    Mutant("matmul: inner sizes compared as a[-1] vs b[-1]", SHAPES, "if a2[-1] != b2[-2]:", "if a2[-1] != b2[-1]:",
           "tp3_matmul_shape"),
    Mutant("matmul: the result takes b's rows", SHAPES, "out = batch + (a2[-2], b2[-1])",
           "out = batch + (a2[-2], b2[-2])", "tp3_matmul_shape"),
    Mutant("matmul: 1-D b drops the wrong dimension", SHAPES, "    if len(b) == 1:\n        out = out[:-1]\n",
           "    if len(b) == 1:\n        out = out[:-2] + out[-1:]\n", "tp3_matmul_shape"),
    Mutant("alternative: zip_longest from the right", SHAPES, "    n = max(len(shape_a), len(shape_b))\n",
           "    from itertools import zip_longest\n"
           "    res = []\n"
           "    for da, db in zip_longest(reversed(shape_a), reversed(shape_b), fillvalue=1):\n"
           "        if da != db and 1 not in (da, db):\n"
           "            return None\n"
           "        res.append(db if da == 1 else da)\n"
           "    return tuple(reversed(res))\n"
           "    n = max(len(shape_a), len(shape_b))\n", None),
    Mutant("alternative: matmul with torch.broadcast_shapes and pops", SHAPES,
           "    a, b = tuple(shape_a), tuple(shape_b)\n",
           "    a, b = list(shape_a), list(shape_b)\n"
           "    sq_a, sq_b = len(a) == 1, len(b) == 1\n"
           "    if sq_a:\n        a = [1] + a\n"
           "    if sq_b:\n        b = b + [1]\n"
           "    if a[-1] != b[-2]:\n        return None\n"
           "    try:\n        batch = list(torch.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2])))\n"
           "    except RuntimeError:\n        return None\n"
           "    res = batch + [a[-2], b[-1]]\n"
           "    if sq_b:\n        res.pop(-1)\n"
           "    if sq_a:\n        res.pop(-1 if sq_b else -2)\n"
           "    return tuple(res)\n", None),

    # 2. dataset, loader
    Mutant("pixels not divided by 255", DATASET, "self.images[i].float() / 255", "self.images[i].float()",
           "tp3_dataset"),
    Mutant("integer division of the uint8 pixels", DATASET, "self.images[i].float() / 255",
           "(self.images[i] // 255).float()", "tp3_dataset"),
    Mutant("mean and std arguments ignored", DATASET, "- self.mean) / self.std", "- MNIST_MEAN) / MNIST_STD",
           "tp3_dataset"),
    Mutant("no channel dimension", DATASET, "return x.unsqueeze(0), self.labels[i]", "return x, self.labels[i]",
           "tp3_dataset"),
    Mutant("hard-coded 28 x 28 view", DATASET, "return x.unsqueeze(0), self.labels[i]",
           "return x.view(1, 28, 28), self.labels[i]", "tp3_dataset"),
    Mutant("labels returned as floats", DATASET, "return x.unsqueeze(0), self.labels[i]",
           "return x.unsqueeze(0), self.labels[i].float()", "tp3_dataset"),
    Mutant("alternative: everything normalised once in __init__", DATASET, DS_BODY,
           '''        ### BEGIN SOLUTION
        self.x = ((images.double() / 255 - mean) / std).float().unsqueeze(1)
        self.y = labels.clone()
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return len(self.y)
        ### END SOLUTION

    def __getitem__(self, i):
        ### BEGIN SOLUTION
        return self.x[i], self.y[i]''', None),
    Mutant("seed ignored (the global generator shuffles)", LOADER,
           "return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g)",
           "return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)", "tp3_loader"),
    Mutant("loader: the global generator seeded instead of a generator", LOADER,
           "    g = torch.Generator().manual_seed(seed)\n"
           "    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g)",
           "    torch.manual_seed(seed)\n    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)", "tp3_loader", kind='state shared'),
    Mutant("last incomplete batch dropped", LOADER, "shuffle=shuffle, generator=g)",
           "shuffle=shuffle, generator=g, drop_last=True)", "tp3_loader"),
    Mutant("always shuffled", LOADER, "shuffle=shuffle, generator=g)", "shuffle=True, generator=g)", "tp3_loader"),
    Mutant("one permutation for every epoch", LOADER,
           "    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g)",
           "    order = torch.randperm(len(dataset), generator=g).tolist() if shuffle else list(range(len(dataset)))\n"
           "    return DataLoader(torch.utils.data.Subset(dataset, order), batch_size=batch_size)", "tp3_loader"),
    Mutant("loader: one module-level generator for every loader", LOADER,
           "    g = torch.Generator().manual_seed(seed)\n",
           "    global _LOADER_G\n"
           "    if '_LOADER_G' not in globals():\n"
           "        _LOADER_G = torch.Generator().manual_seed(seed)\n"
           "    g = _LOADER_G\n", "tp3_loader", kind='state shared'),
    Mutant("alternative: a BatchSampler over a RandomSampler", LOADER,
           "    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g)",
           "    from torch.utils.data import BatchSampler, RandomSampler, SequentialSampler\n"
           "    sampler = RandomSampler(dataset, generator=g) if shuffle else SequentialSampler(dataset)\n"
           "    return DataLoader(dataset, batch_sampler=BatchSampler(sampler, batch_size, drop_last=False))", None),

    # 3. losses
    Mutant("cross-entropy: no max subtracted (overflow)", LOSSES, CE_LSE,
           "    lse = logits.exp().sum(dim=1).log()\n", "tp3_cross_entropy", kind='numerical stability'),
    Mutant("cross-entropy: F.log_softmax (banned)", LOSSES, CE_LSE + CE_LOSSES,
           "    losses = -F.log_softmax(logits, dim=1).gather(1, targets.unsqueeze(1)).squeeze(1)\n",
           "tp3_cross_entropy", kind='rule stated'),
    Mutant("cross-entropy: max without keepdim", LOSSES, CE_LSE,
           "    m = logits.max(dim=1).values\n    lse = m + (logits - m).exp().sum(dim=1).log()\n",
           "tp3_cross_entropy"),
    Mutant("cross-entropy: max over the batch (dim 0)", LOSSES, "m = logits.max(dim=1, keepdim=True).values",
           "m = logits.max(dim=0, keepdim=True).values", "tp3_cross_entropy"),
    Mutant("cross-entropy: the max not added back", LOSSES, "lse = m.squeeze(1) + (logits", "lse = (logits",
           "tp3_cross_entropy"),
    Mutant("cross-entropy: mean also over the classes", LOSSES, CE_LOSSES + RETURN,
           CE_LOSSES + '    return losses.sum() / logits.numel() if reduction == "mean" else losses.sum()\n',
           "tp3_cross_entropy"),
    Mutant("bce: the naive sigmoid formula", LOSSES, BCE_LINE,
           "    p = torch.sigmoid(logits)\n"
           "    losses = -targets * torch.log(p) - (1 - targets) * torch.log(1 - p)\n", "tp3_bce", kind='numerical stability'),
    Mutant("bce: F.binary_cross_entropy_with_logits (banned)", LOSSES, BCE_LINE + RETURN,
           "    return F.binary_cross_entropy_with_logits(logits, targets, reduction=reduction)\n", "tp3_bce", kind='rule stated'),
    Mutant("bce: log(1 + exp(x)) - x y (overflows)", LOSSES, BCE_LINE,
           "    losses = torch.log1p(torch.exp(logits)) - logits * targets\n", "tp3_bce", kind='numerical stability'),
    Mutant("bce: max(x, 0) forgotten", LOSSES, "logits.clamp(min=0) - logits * targets", "- logits * targets",
           "tp3_bce"),
    Mutant("bce: mean over the rows of per-row sums", LOSSES, BCE_LINE + RETURN,
           BCE_LINE + '    return losses.sum(-1).mean() if reduction == "mean" else losses.sum()\n', "tp3_bce"),
    Mutant("cross-entropy: torch.logsumexp (banned)", LOSSES, CE_LSE,
           "    lse = logits.logsumexp(dim=1)\n", "tp3_cross_entropy", kind='rule stated'),
    Mutant("cross-entropy: log of a clamped softmax", LOSSES, CE_LSE + CE_LOSSES,
           "    p = (logits - logits.max(1, keepdim=True).values).exp()\n"
           "    p = p / p.sum(1, keepdim=True)\n"
           "    losses = -p.gather(1, targets.unsqueeze(1)).squeeze(1).clamp(min=1e-30).log()\n", "tp3_cross_entropy", kind='numerical stability'),
    Mutant("bce: logits and targets swapped in the formula", LOSSES, BCE_LINE,
           "    losses = targets.clamp(min=0) - targets * logits + torch.log1p(torch.exp(-targets.abs()))\n", "tp3_bce", kind='swapped arguments'),
    Mutant("gaussian: sigma not squared", GAUSS, "(2 * sigma ** 2)", "(2 * sigma)", "tp3_gaussian_nll"),
    Mutant("gaussian: log(sigma) forgotten", GAUSS, " + math.log(sigma)", "", "tp3_gaussian_nll"),
    Mutant("gaussian: the 1/2 of the square forgotten", GAUSS, "(2 * sigma ** 2)", "(sigma ** 2)",
           "tp3_gaussian_nll"),
    Mutant("gaussian: log(2 pi) without its 1/2", GAUSS, "0.5 * math.log(2 * math.pi)", "math.log(2 * math.pi)",
           "tp3_gaussian_nll"),
    Mutant("alternative: cross-entropy with a detached max and one_hot", LOSSES, CE_LSE,
           "    z = logits - logits.max(1, keepdim=True).values.detach()\n"
           "    logp = z - z.exp().sum(1, keepdim=True).log()\n"
           "    nll = -(logp * F.one_hot(targets, logits.shape[1])).sum(1)\n"
           "    return nll.sum() if reduction == 'sum' else nll.sum() / logits.shape[0]\n" + CE_LSE, None),
    Mutant("alternative: bce with F.logsigmoid", LOSSES, BCE_LINE,
           "    losses = -(targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))\n", None),
    Mutant("alternative: gaussian NLL from torch.distributions.Normal", GAUSS, GNLL_LINE,
           "    losses = -torch.distributions.Normal(pred, sigma).log_prob(target)\n", None),

    # 4. optimisers
    Mutant("sgd: lr hard-coded to the default", SGD, 'alpha=-group["lr"]', "alpha=-0.01", "tp3_sgd"),
    Mutant("sgd: gradient ascent", SGD, 'alpha=-group["lr"]', 'alpha=group["lr"]', "tp3_sgd"),
    Mutant("sgd: not in place (p rebound)", SGD, 'p.add_(p.grad, alpha=-group["lr"])',
           'p = p - group["lr"] * p.grad', "tp3_sgd"),
    Mutant("sgd: the first group's lr for every group", SGD, 'alpha=-group["lr"]',
           'alpha=-self.param_groups[0]["lr"]', "tp3_sgd"),
    Mutant("sgd: parameters without gradient not skipped", SGD,
           "                if p.grad is None:\n                    continue\n", "", "tp3_sgd"),
    Mutant("alternative: sgd on p.data over the parameters that have a gradient", SGD,
           '            for p in group["params"]:\n                if p.grad is None:\n                    continue\n'
           '                p.add_(p.grad, alpha=-group["lr"])',
           '            for p in [q for q in group["params"] if q.grad is not None]:\n'
           '                p.data -= group["lr"] * p.grad.data', None),
    Mutant("momentum: v without the lr, p -= v", MOM, 'add_(p.grad, alpha=group["lr"])', "add_(p.grad)",
           "tp3_momentum"),
    Mutant("momentum: a class-level dict of velocities", MOM, MOM_STATE,
           '                if not hasattr(Momentum, "velocity"):\n'
           '                    Momentum.velocity = {}\n'
           '                v = Momentum.velocity.setdefault(p, torch.zeros_like(p))\n', "tp3_momentum", kind='state shared'),
    Mutant("momentum: velocity not kept between steps", MOM, MOM_STATE, "                v = torch.zeros_like(p)\n",
           "tp3_momentum"),
    Mutant("momentum: one velocity for all parameters", MOM, MOM_STATE,
           '                if not hasattr(self, "v") or self.v.shape != p.shape:\n'
           '                    self.v = torch.zeros_like(p)\n'
           '                v = self.v\n', "tp3_momentum"),
    Mutant("momentum: EMA form (1 - gamma) lr g", MOM, 'add_(p.grad, alpha=group["lr"])',
           'add_(p.grad, alpha=group["lr"] * (1 - group["gamma"]))', "tp3_momentum"),
    Mutant("momentum: gamma hard-coded 0.9", MOM, 'v.mul_(group["gamma"])', "v.mul_(0.9)", "tp3_momentum"),
    Mutant("alternative: momentum in PyTorch's form b = gamma b + g, p -= lr b", MOM,
           MOM_STATE + '                v.mul_(group["gamma"]).add_(p.grad, alpha=group["lr"])\n                p.sub_(v)',
           '                b = state.setdefault("b", torch.zeros_like(p))\n'
           '                b.mul_(group["gamma"]).add_(p.grad)\n'
           '                p.add_(b, alpha=-group["lr"])', None),
    Mutant("adagrad: eps outside the square root (PyTorch's form)", ADAGRAD, 'torch.sqrt(s + group["eps"])',
           '(torch.sqrt(s) + group["eps"])', "tp3_adagrad"),
    Mutant("adagrad: s not accumulated", ADAGRAD, "s.add_(p.grad * p.grad)", "s = p.grad * p.grad",
           "tp3_adagrad"),
    Mutant("adagrad: |g| accumulated instead of g^2", ADAGRAD, "s.add_(p.grad * p.grad)", "s.add_(p.grad.abs())",
           "tp3_adagrad"),
    Mutant("adagrad: update before accumulating", ADAGRAD,
           '                s.add_(p.grad * p.grad)\n'
           '                p.sub_(group["lr"] * p.grad / torch.sqrt(s + group["eps"]))',
           '                p.sub_(group["lr"] * p.grad / torch.sqrt(s + group["eps"]))\n'
           '                s.add_(p.grad * p.grad)', "tp3_adagrad"),
    Mutant("adagrad: one s for all parameters", ADAGRAD, ADA_STATE,
           '                if not hasattr(self, "s") or self.s.shape != p.shape:\n'
           '                    self.s = torch.zeros_like(p)\n'
           '                s = self.s\n', "tp3_adagrad"),
    Mutant("alternative: adagrad with addcmul_ / addcdiv_", ADAGRAD,
           '                s.add_(p.grad * p.grad)\n'
           '                p.sub_(group["lr"] * p.grad / torch.sqrt(s + group["eps"]))',
           '                s.addcmul_(p.grad, p.grad)\n'
           '                p.addcdiv_(p.grad, (s + group["eps"]).sqrt(), value=-group["lr"])', None),
    Mutant("rmsprop: eps outside the square root (PyTorch's form)", RMS, '(s + group["eps"]).sqrt()',
           '(s.sqrt() + group["eps"])', "tp3_rmsprop"),
    Mutant("rmsprop: gamma and 1 - gamma swapped", RMS,
           's.mul_(group["gamma"]).add_((1 - group["gamma"]) * p.grad ** 2)',
           's.mul_(1 - group["gamma"]).add_(group["gamma"] * p.grad ** 2)', "tp3_rmsprop"),
    Mutant("rmsprop: s not kept between steps", RMS, ADA_STATE, "                s = torch.zeros_like(p)\n",
           "tp3_rmsprop"),
    Mutant("rmsprop: gamma hard-coded 0.9", RMS, 's.mul_(group["gamma"]).add_((1 - group["gamma"])',
           "s.mul_(0.9).add_((1 - 0.9)", "tp3_rmsprop"),
    Mutant("alternative: rmsprop with new tensors stored in the state", RMS,
           ADA_STATE + '                s.mul_(group["gamma"]).add_((1 - group["gamma"]) * p.grad ** 2)\n'
           '                p.sub_(group["lr"] * p.grad / (s + group["eps"]).sqrt())',
           '                gamma = group["gamma"]\n'
           '                state["s"] = gamma * state.get("s", torch.zeros_like(p)) + (1 - gamma) * p.grad.pow(2)\n'
           '                p -= group["lr"] * p.grad / torch.sqrt(state["s"] + group["eps"])', None),
    Mutant("adam: no bias correction", ADAM,
           "                m_hat = m / (1 - beta1 ** t)\n                v_hat = v / (1 - beta2 ** t)\n",
           "                m_hat, v_hat = m, v\n", "tp3_adam"),
    Mutant("adam: a class-level dict of state", ADAM, "                state = self.state[p]\n",
           '                if not hasattr(Adam, "shared"):\n'
           '                    Adam.shared = {}\n'
           '                state = Adam.shared.setdefault(p, {})\n', "tp3_adam", kind='state shared'),
    Mutant("adam: one step counter for the whole optimiser", ADAM, ADAM_LOOP_HEAD,
           ADAM_LOOP_HEAD.replace('        for group in self.param_groups:\n',
                                  '        self.t = getattr(self, "t", 0) + 1\n'
                                  '        for group in self.param_groups:\n')
           .replace('t, m, v = state["t"], state["m"], state["v"]', 't, m, v = self.t, state["m"], state["v"]'),
           "tp3_adam"),
    Mutant("adam: step count never incremented", ADAM,
           '                state["t"] += 1\n                t, m, v = state["t"], state["m"], state["v"]',
           '                t, m, v = state["t"] + 1, state["m"], state["v"]', "tp3_adam"),
    Mutant("adam: eps inside the square root", ADAM, '(v_hat.sqrt() + group["eps"])',
           '(v_hat + group["eps"]).sqrt()', "tp3_adam"),
    Mutant("adam: betas swapped", ADAM, 'beta1, beta2 = group["betas"]', 'beta2, beta1 = group["betas"]',
           "tp3_adam"),
    Mutant("adam: bias correction one step ahead", ADAM, "m_hat = m / (1 - beta1 ** t)",
           "m_hat = m / (1 - beta1 ** (t + 1))", "tp3_adam"),
    Mutant("alternative: adam as torch writes it (step size, addcdiv_)", ADAM, ADAM_UPDATE,
           '''                m.lerp_(p.grad, 1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
                denom = v.sqrt() / math.sqrt(bc2) + group["eps"]
                p.addcdiv_(m, denom, value=-group["lr"] / bc1)
''', None),

    # 5. init
    Mutant("kaiming: fan-out instead of fan-in", KAIMING, "n_in = layer.weight.shape[1]",
           "n_in = layer.weight.shape[0]", "tp3_kaiming"),
    Mutant("kaiming: g=None replaced by a fresh generator", KAIMING, "generator=g)",
           "generator=g if g is not None else torch.Generator())", "tp3_kaiming", kind='argument reaching the computation'),
    Mutant("kaiming: variance 1 / n_in (LeCun)", KAIMING, "math.sqrt(2.0 / n_in)", "math.sqrt(1.0 / n_in)",
           "tp3_kaiming", kind='initialisation'),
    Mutant("kaiming: std 2 / n_in (no square root)", KAIMING, "math.sqrt(2.0 / n_in)", "(2.0 / n_in)",
           "tp3_kaiming", kind='initialisation'),
    Mutant("kaiming: generator g ignored", KAIMING, "torch.randn(layer.weight.shape, generator=g)",
           "torch.randn(layer.weight.shape)", "tp3_kaiming", kind='argument reaching the computation'),
    Mutant("kaiming: bias left as it was", KAIMING,
           "        if layer.bias is not None:\n            layer.bias.zero_()\n", "", "tp3_kaiming", kind='initialisation'),
    Mutant("kaiming: bias=False not handled", KAIMING,
           "        if layer.bias is not None:\n            layer.bias.zero_()\n", "        layer.bias.zero_()\n",
           "tp3_kaiming"),
    Mutant("kaiming: a new nn.Parameter instead of in place", KAIMING, "layer.weight.copy_(w)",
           "layer.weight = nn.Parameter(w)", "tp3_kaiming"),
    Mutant("kaiming: the global RNG seeded from g", KAIMING,
           "        w = torch.randn(layer.weight.shape, generator=g) * math.sqrt(2.0 / n_in)\n",
           "        if g is not None:\n            torch.manual_seed(g.initial_seed())\n"
           "        w = torch.randn(layer.weight.shape) * math.sqrt(2.0 / n_in)\n", "tp3_kaiming", kind='argument reaching the computation'),
    Mutant("kaiming: g=None replaced by a fixed seed", KAIMING, "generator=g)",
           "generator=g if g is not None else torch.Generator().manual_seed(0))", "tp3_kaiming", kind='argument reaching the computation'),
    Mutant("alternative: kaiming with nn.init.kaiming_normal_", KAIMING, "    n_in = layer.weight.shape[1]\n",
           "    with torch.no_grad():\n"
           "        nn.init.kaiming_normal_(layer.weight, nonlinearity='relu', generator=g)\n"
           "        if layer.bias is not None:\n            layer.bias.fill_(0.0)\n"
           "    return layer\n    n_in = layer.weight.shape[1]\n", None),
    Mutant("alternative: kaiming with normal_ in place", KAIMING,
           "        w = torch.randn(layer.weight.shape, generator=g) * math.sqrt(2.0 / n_in)\n"
           "        layer.weight.copy_(w)\n",
           "        layer.weight.normal_(0.0, (2.0 / n_in) ** 0.5, generator=g)\n", None),
    Mutant("alternative: nn.init.kaiming_uniform_ with the generator", KAIMING, "    n_in = layer.weight.shape[1]\n",
           "    nn.init.kaiming_uniform_(layer.weight, nonlinearity='relu', generator=g)\n"
           "    if layer.bias is not None:\n        nn.init.zeros_(layer.bias)\n"
           "    return layer\n    n_in = layer.weight.shape[1]\n", None),

    # 6. batch norm
    Mutant("batchnorm: unbiased variance to normalise", BN, "var = x.var(dim=0, unbiased=False)",
           "var = x.var(dim=0)", "tp3_batchnorm"),
    Mutant("batchnorm: biased variance in running_var", BN, "self.momentum * var * n / (n - 1)",
           "self.momentum * var", "tp3_batchnorm"),
    Mutant("batchnorm: momentum the other way round", BN,
           "self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)",
           "self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)", "tp3_batchnorm"),
    Mutant("batchnorm: batch statistics in eval mode", BN, "        if self.training:\n", "        if True:\n",
           "tp3_batchnorm"),
    Mutant("batchnorm: running statistics updated with the graph", BN, BN_RUNNING,
           "            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean\n"
           "            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)\n",
           "tp3_batchnorm"),
    Mutant("batchnorm: running statistics as plain attributes", BN,
           '        self.register_buffer("running_mean", torch.zeros(num_features))\n'
           '        self.register_buffer("running_var", torch.ones(num_features))',
           "        self.running_mean = torch.zeros(num_features)\n"
           "        self.running_var = torch.ones(num_features)", "tp3_batchnorm", kind='buffer as a plain attribute'),
    Mutant("batchnorm: eps outside the square root", BN, "torch.sqrt(var + self.eps)",
           "(torch.sqrt(var) + self.eps)", "tp3_batchnorm"),
    Mutant("alternative: batchnorm with lerp_ and rsqrt", BN, BN_FORWARD,
           '''        if not self.training:
            return (x - self.running_mean) * torch.rsqrt(self.running_var + self.eps) * self.weight + self.bias
        n = x.shape[0]
        xc = x - x.mean(0, keepdim=True)
        var_b = (xc ** 2).mean(0)
        self.running_mean.lerp_(x.mean(0).detach(), self.momentum)
        self.running_var.lerp_((var_b * n / (n - 1)).detach(), self.momentum)
        return xc * torch.rsqrt(var_b + self.eps) * self.weight + self.bias
''', None),

    # 7. MLP, training, evaluation
    Mutant("mlp: 784 inputs hard-coded", MLP, "    width = n_in\n", "    width = 784\n", "tp3_mlp"),
    Mutant("mlp: dropout on the inputs of each hidden Linear", MLP,
           "        layers += [nn.Linear(width, h), nn.ReLU()]\n        if dropout > 0:\n            layers.append(nn.Dropout(dropout))\n",
           "        if dropout > 0:\n            layers.append(nn.Dropout(dropout))\n        layers += [nn.Linear(width, h), nn.ReLU()]\n",
           "tp3_mlp", kind='dropout'),
    Mutant("mlp: ReLU after the output layer", MLP, "layers.append(nn.Linear(width, n_out))",
           "layers += [nn.Linear(width, n_out), nn.ReLU()]", "tp3_mlp"),
    Mutant("mlp: no Flatten", MLP, "layers = [nn.Flatten()]", "layers = []", "tp3_mlp"),
    Mutant("mlp: dropout ignored", MLP, "        if dropout > 0:\n            layers.append(nn.Dropout(dropout))\n",
           "", "tp3_mlp"),
    Mutant("mlp: widths not chained", MLP, "        width = h\n", "", "tp3_mlp"),
    Mutant("mlp: no ReLU (a linear model)", MLP, "layers += [nn.Linear(width, h), nn.ReLU()]",
           "layers += [nn.Linear(width, h)]", "tp3_mlp"),
    Mutant("mlp: dropout p hard-coded 0.5", MLP, "layers.append(nn.Dropout(dropout))", "layers.append(nn.Dropout(0.5))",
           "tp3_mlp", kind='dropout'),
    Mutant("mlp: dropout on the logits instead of after the first hidden ReLU", MLP,
           "    layers.append(nn.Linear(width, n_out))\n",
           "    layers.append(nn.Linear(width, n_out))\n"
           "    drops = [i for i, l in enumerate(layers) if isinstance(l, nn.Dropout)]\n"
           "    if drops:\n        layers.pop(drops[0])\n        layers.append(nn.Dropout(dropout))\n", "tp3_mlp", kind='dropout'),
    Mutant("mlp: an extra ReLU on the flattened inputs", MLP, "layers = [nn.Flatten()]", "layers = [nn.Flatten(), nn.ReLU()]",
           "tp3_mlp", kind='architecture'),
    Mutant("alternative: mlp with one nn.ReLU instance reused", MLP,
           "    layers = [nn.Flatten()]\n    width = n_in\n    for h in n_hidden:\n"
           "        layers += [nn.Linear(width, h), nn.ReLU()]\n",
           "    relu = nn.ReLU()  # one instance, used after every hidden layer\n"
           "    layers = [nn.Flatten()]\n    width = n_in\n    for h in n_hidden:\n"
           "        layers += [nn.Linear(width, h), relu]\n", None),
    Mutant("alternative: mlp with nn.Dropout(0) kept and dropout before the ReLU", MLP,
           "        layers += [nn.Linear(width, h), nn.ReLU()]\n        if dropout > 0:\n            layers.append(nn.Dropout(dropout))\n",
           "        layers += [nn.Linear(width, h), nn.Dropout(dropout), nn.ReLU()]\n", None),
    Mutant("alternative: mlp built with add_module", MLP, "    layers = [nn.Flatten()]\n",
           "    sizes = [n_in, *n_hidden]\n"
           "    mlp = nn.Sequential(nn.Flatten())\n"
           "    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):\n"
           "        mlp.add_module(f'fc{i}', nn.Linear(a, b))\n"
           "        mlp.add_module(f'relu{i}', nn.ReLU())\n"
           "        if dropout:\n"
           "            mlp.add_module(f'drop{i}', nn.Dropout(dropout))\n"
           "    mlp.add_module('out', nn.Linear(sizes[-1], n_out))\n"
           "    return mlp\n"
           "    layers = [nn.Flatten()]\n", None),
    Mutant("train: model.train() forgotten", TRAIN, "    model.train()\n", "", "tp3_train_epoch", kind='dropout'),
    Mutant("train: batches not moved to the device", TRAIN,
           "        inputs, targets = inputs.to(device), targets.to(device)\n        outputs = model(inputs)\n        loss",
           "        outputs = model(inputs)\n        loss", "tp3_train_epoch", kind='argument reaching the computation'),
    Mutant("train: zero_grad forgotten", TRAIN, "        optimizer.zero_grad()\n        loss.backward()\n",
           "        loss.backward()\n", "tp3_train_epoch"),
    Mutant("train: zero_grad between backward and step", TRAIN,
           "        optimizer.zero_grad()\n        loss.backward()\n", "        loss.backward()\n        optimizer.zero_grad()\n",
           "tp3_train_epoch"),
    Mutant("train: mean of the batch means", TRAIN,
           "        total += loss.item() * inputs.shape[0]\n        n += inputs.shape[0]\n    return total / n\n",
           "        total += loss.item()\n        n += 1\n    return total / n\n", "tp3_train_epoch"),
    Mutant("train: criterion ignored (F.cross_entropy)", TRAIN, "        loss = criterion(outputs, targets)\n",
           "        loss = F.cross_entropy(outputs, targets)\n", "tp3_train_epoch"),
    Mutant("train: the loss tensor accumulated", TRAIN, "total += loss.item() * inputs.shape[0]",
           "total = total + loss * inputs.shape[0]", "tp3_train_epoch"),
    Mutant("train: device hard-coded 'cpu'", TRAIN,
           "        inputs, targets = inputs.to(device), targets.to(device)\n        outputs = model(inputs)\n        loss",
           "        inputs, targets = inputs.to('cpu'), targets.to('cpu')\n        outputs = model(inputs)\n        loss",
           "tp3_train_epoch", kind='argument reaching the computation'),
    Mutant("train: targets left where they are", TRAIN,
           "        inputs, targets = inputs.to(device), targets.to(device)\n        outputs = model(inputs)\n        loss",
           "        inputs = inputs.to(device)\n        outputs = model(inputs)\n        loss", "tp3_train_epoch", kind='argument reaching the computation'),
    Mutant("train: criterion(targets, outputs)", TRAIN, "        loss = criterion(outputs, targets)\n",
           "        loss = criterion(targets, outputs)\n", "tp3_train_epoch", kind='swapped arguments'),
    Mutant("evaluate: model.eval() forgotten", TRAIN, "    model.eval()\n", "", "tp3_evaluate", kind='dropout'),
    Mutant("evaluate: batches not moved to the device", TRAIN,
           "            inputs, targets = inputs.to(device), targets.to(device)\n", "", "tp3_evaluate", kind='argument reaching the computation'),
    Mutant("evaluate: gradients recorded", TRAIN, "    with torch.no_grad():\n", "    with torch.enable_grad():\n",
           "tp3_evaluate"),
    Mutant("evaluate: accuracy in percent", TRAIN, "return total / n, correct / n", "return total / n, 100 * correct / n",
           "tp3_evaluate"),
    Mutant("evaluate: batch losses not weighted", TRAIN,
           "total += criterion(outputs, targets).item() * inputs.shape[0]",
           "total += criterion(outputs, targets).item()", "tp3_evaluate"),
    Mutant("evaluate: argmax over the batch", TRAIN, "outputs.argmax(dim=1)", "outputs.argmax(dim=0)", "tp3_evaluate"),
    Mutant("evaluate: correct count kept as a tensor", TRAIN, "== targets).sum().item()", "== targets).sum()",
           "tp3_evaluate"),
    Mutant("alternative: train_epoch with zero_grad first and lists", TRAIN, TRAIN_LOOP,
           '''    model.train(True)
    losses, sizes = [], []
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        model.zero_grad(set_to_none=True)
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
        sizes.append(len(yb))
    return sum(l * s for l, s in zip(losses, sizes)) / sum(sizes)
''', None),
    Mutant("alternative: evaluate on concatenated outputs, inference_mode", TRAIN, EVAL_LOOP,
           '''    model.eval()
    outs, ys = [], []
    with torch.inference_mode():
        for xb, yb in loader:
            outs.append(model(xb.to(device)))
            ys.append(yb.to(device))
        out, y = torch.cat(outs), torch.cat(ys)
        return float(criterion(out, y)), float((out.argmax(-1) == y).float().mean())
''', None),

    # 8. comparing runs
    Mutant("compare: seeded once for all runs", COMPARE,
           "    for name, (make_model, make_optimizer) in configs.items():\n        torch.manual_seed(seed)\n",
           "    torch.manual_seed(seed)\n    for name, (make_model, make_optimizer) in configs.items():\n",
           "tp3_compare_runs"),
    Mutant("compare: one minibatch generator for all runs", COMPARE, COMPARE_HEAD,
           COMPARE_HEAD.replace("        g = torch.Generator().manual_seed(seed)\n", "")
           .replace("    results = {}\n", "    results = {}\n    g = torch.Generator().manual_seed(seed)\n"),
           "tp3_compare_runs"),
    Mutant("compare: model.train() forgotten", COMPARE, "        model.train()\n", "", "tp3_compare_runs", kind='dropout'),
    Mutant("compare: losses kept as tensors", COMPARE, "losses.append(loss.item())", "losses.append(loss)",
           "tp3_compare_runs"),
    Mutant("compare: the first run's model reused", COMPARE, "        model = make_model()\n",
           "        model = next(iter(results.values()))['model'] if results else make_model()\n", "tp3_compare_runs"),
    Mutant("compare: minibatch seed hard-coded", COMPARE, "        g = torch.Generator().manual_seed(seed)\n",
           "        g = torch.Generator().manual_seed(0)\n", "tp3_compare_runs"),
    Mutant("compare: optimiser created inside the step loop", COMPARE,
           "        optimizer = make_optimizer(model.parameters())\n        model.train()\n"
           "        g = torch.Generator().manual_seed(seed)\n        losses = []\n        for _ in range(steps):\n",
           "        model.train()\n        g = torch.Generator().manual_seed(seed)\n        losses = []\n"
           "        for _ in range(steps):\n            optimizer = make_optimizer(model.parameters())\n", "tp3_compare_runs", kind='state shared'),
    Mutant("alternative: compare_runs as a dict comprehension over a helper", COMPARE, COMPARE_BODY,
           '''    def run(make_model, make_optimizer):
        torch.manual_seed(seed)
        model = make_model()
        opt = make_optimizer(model.parameters())
        model.train()
        gen = torch.Generator()
        gen.manual_seed(seed)
        curve = []
        for ix in (torch.randint(0, len(Y), (batch_size,), generator=gen) for _ in range(steps)):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(X[ix]), Y[ix])
            loss.backward()
            opt.step()
            curve.append(float(loss))
        return {"losses": curve, "model": model}
    return {name: run(*cfg) for name, cfg in configs.items()}
''', None),
]


class TestTP3(mutation.MutantSuite):
    tp, source, mutants = TP, SOURCE, MUTANTS
    # the core: 14 test cells, 28 points; the optional part ("Going further"): 4, 8 points
    points, bonus, test_cells = 28, 8, 18
