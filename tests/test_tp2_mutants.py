"""TP2 (makemore): the reference passes, classic wrong solutions are caught, other correct ones pass.

Each mutant edits one solution cell of ``source/TP2_makemore/makemore.ipynb`` and executes
the notebook in a real kernel in grading mode (see ``tests/mutation.py``): a bug must make
its test cell fail, an alternative correct solution (``caught_by=None``) must pass every test.

Besides the classic bugs, the suite holds one mutant of each kind of bug that tests which only
check the obvious let through (the comment after the mutant names its kind): an argument
never varied (a generator ignored, a size hard-coded), an edge value (0, an overflow, relu'
at 0), a second call (state kept or reset between calls), hidden context and aliasing (the
caller's object modified), and a return type other than the docstring's.
"""
from __future__ import annotations

from tests import mutation
from tests.mutation import ROOT, Mutant

TP = "TP2_makemore"
NB = ROOT / "source" / TP / "makemore.ipynb"

VOCAB, COUNTS, PROBS, SAMPLE = ("tp2_vocab_solution", "tp2_counts_solution",
                                "tp2_probs_solution", "tp2_sample_counts_solution")
NLL, NET, DATA, MLP, SMLP = ("tp2_nll_solution", "tp2_bigram_net_solution", "tp2_dataset_solution",
                             "tp2_mlp_solution", "tp2_sample_mlp_solution")
KL = "tp2_kl_solution"
SEED_GLOBAL = "    torch.manual_seed(2147483647)\n"   # a student's "reproducible" habit, inside a function
G_NONE = "    if g is None:\n        g = torch.Generator().manual_seed(2147483647)\n"  # g=None as a fixed seed

SMLP_LOOP = ("        for _ in range(n):\n"
             "            out, context = [], [0] * block_size\n"
             "            while True:\n"
             "                x = torch.tensor([context], device=dev)                    # (1, block_size)\n"
             "                probs = F.softmax(mlp_forward(params, x), dim=1).cpu()     # (1, V)\n"
             "                ix = torch.multinomial(probs, num_samples=1, generator=g).item()\n"
             "                if ix == 0:\n"
             "                    break\n"
             "                out.append(itos[ix])\n"
             "                context = context[1:] + [ix]\n")
TRAIN_MLP_LOOP = """    for i in tqdm(range(steps), disable=not progress):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g).to(X.device)  # (batch_size,)
        logits = mlp_forward(params, X[ix])                                      # (batch_size, V)
        loss = F.cross_entropy(logits, Y[ix])
        for p in params.values():
            p.grad = None
        loss.backward()
        step_lr = lr if lr_decay_at is None or i < lr_decay_at else lr / 10
        for p in params.values():
            p.data += -step_lr * p.grad
        losses.append(loss.item())
"""

MUTANTS = [
    # 1. vocabulary
    Mutant("off-by-one stoi: 'a' at index 0", VOCAB,
           "stoi = {ch: i + 1 for i, ch in enumerate(chars)}", "stoi = {ch: i for i, ch in enumerate(chars)}",
           "tp2_vocab"),
    Mutant("'.' appended at the end (index 26)", VOCAB,
           "stoi = {ch: i + 1 for i, ch in enumerate(chars)}\n    stoi[\".\"] = 0",
           "stoi = {ch: i for i, ch in enumerate(chars)}\n    stoi[\".\"] = len(chars)", "tp2_vocab"),
    Mutant("forgot the '.' token", VOCAB, '    stoi["."] = 0\n', "", "tp2_vocab"),
    Mutant("'.' sorted with the characters: index 0 only when nothing sorts before it", VOCAB,
           'chars = sorted(set("".join(words)))\n    stoi = {ch: i + 1 for i, ch in enumerate(chars)}\n    stoi["."] = 0',
           'chars = sorted(set("".join(words)) | {"."})\n    stoi = {ch: i for i, ch in enumerate(chars)}',
           "tp2_vocab", kind="hidden assumption about inputs"),
    Mutant("vocabulary hard-coded to the 26 letters", VOCAB,  # argument never varied
           'chars = sorted(set("".join(words)))', 'chars = "abcdefghijklmnopqrstuvwxyz"', "tp2_vocab", kind='argument never varied'),
    Mutant("alternative: '.' prepended to the sorted characters", VOCAB,
           'chars = sorted(set("".join(words)))\n    stoi = {ch: i + 1 for i, ch in enumerate(chars)}\n    stoi["."] = 0',
           'stoi = {s: i for i, s in enumerate(["."] + sorted(set("".join(words))))}', None),

    # 2. counts
    Mutant("forgot the start/end '.' tokens", COUNTS, 'chs = "." + w + "."', "chs = w", "tp2_counts"),
    Mutant("only the start token", COUNTS, 'chs = "." + w + "."', 'chs = "." + w', "tp2_counts"),
    Mutant("vocabulary size hard-coded to 27", COUNTS, "torch.zeros((V, V)", "torch.zeros((27, 27)", "tp2_counts"),
    Mutant("float counts", COUNTS, "dtype=torch.int64", "dtype=torch.float32", "tp2_counts"),
    Mutant("alternative: the plain tensor loop N[i, j] += 1 (int32)", COUNTS,
           "pairs = {}", "N = torch.zeros((V, V), dtype=torch.int32)\n"
           "    for w in words:\n"
           "        chs = ['.'] + list(w) + ['.']\n"
           "        for ch1, ch2 in zip(chs, chs[1:]):\n"
           "            N[stoi[ch1], stoi[ch2]] += 1\n"
           "    return N\n    pairs = {}", None),

    # 3. probabilities
    Mutant("missing keepdim: P = N / N.sum(1)", PROBS, "P.sum(1, keepdim=True)", "P.sum(1)", "tp2_probs"),
    Mutant("normalising columns instead of rows", PROBS, "P.sum(1, keepdim=True)", "P.sum(0, keepdim=True)",
           "tp2_probs"),
    Mutant("smoothing added after normalising", PROBS,
           "P = (N + k).float()\n    P = P / P.sum(1, keepdim=True)",
           "P = N.float()\n    P = P / P.sum(1, keepdim=True) + k", "tp2_probs"),
    Mutant("smoothing in the numerator only", PROBS,
           "P = (N + k).float()\n    P = P / P.sum(1, keepdim=True)",
           "P = (N + k).float() / N.float().sum(1, keepdim=True)", "tp2_probs"),
    Mutant("counts used as probabilities (not normalised)", PROBS, "P = P / P.sum(1, keepdim=True)", "P = P",
           "tp2_probs"),
    Mutant("smoothing N in place", PROBS, "P = (N + k).float()", "N += int(k)\n    P = N.float()", "tp2_probs"),
    Mutant("smoothing in place on N.float(), which is N itself for a float32 N", PROBS,  # aliasing
           "P = (N + k).float()\n    P = P / P.sum(1, keepdim=True)",
           "P = N.float()\n    P += k\n    P /= P.sum(1, keepdim=True)", "tp2_probs", kind='aliasing'),
    Mutant("alternative: in place on a float64 copy", PROBS,
           "P = (N + k).float()\n    P = P / P.sum(1, keepdim=True)",
           "P = N.to(torch.float64, copy=True)\n    P += k\n    P /= P.sum(dim=1, keepdim=True)", None),
    Mutant("alternative: float64, F.normalize with p=1", PROBS,
           "P = (N + k).float()\n    P = P / P.sum(1, keepdim=True)",
           "P = F.normalize(N.double() + k, p=1, dim=1)", None),

    # 4. sampling from the counts
    Mutant("argmax instead of multinomial", SAMPLE,
           "ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()",
           "ix = P[ix].argmax().item()", "tp2_sample_counts"),
    Mutant("not stopping at '.' (fixed length)", SAMPLE,
           "if ix == 0:\n                break\n            out.append(itos[ix])",
           "out.append(itos[ix])\n            if len(out) == 8:\n                break", "tp2_sample_counts"),
    Mutant("sampling from the column P[:, ix]", SAMPLE, "torch.multinomial(P[ix],", "torch.multinomial(P[:, ix],",
           "tp2_sample_counts"),
    Mutant("generator g not used", SAMPLE, "replacement=True, generator=g)", "replacement=True)",
           "tp2_sample_counts"),
    Mutant("starting from 'a' instead of '.'", SAMPLE, "ix = 0\n", "ix = 1\n", "tp2_sample_counts"),
    Mutant("sample_names reseeds torch's global RNG (and still draws from g)", SAMPLE,
           "    for _ in range(n):\n        out = []\n", SEED_GLOBAL + "    for _ in range(n):\n        out = []\n",
           "tp2_sample_counts", kind="state shared or leaked"),
    Mutant("sampler seeds its own generator and ignores g", SAMPLE,  # argument never varied
           "    for _ in range(n):\n",
           "    g = torch.Generator().manual_seed(2147483647)\n    for _ in range(n):\n", "tp2_sample_counts", kind='argument never varied'),
    Mutant("names keep their final '.'", SAMPLE,  # return type
           "if ix == 0:\n                break\n            out.append(itos[ix])",
           "out.append(itos[ix])\n            if ix == 0:\n                break", "tp2_sample_counts", kind='return type'),
    Mutant("alternative: inverse-CDF sampling with torch.rand", SAMPLE,
           "ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()",
           "u = torch.rand(1, generator=g).item()\n"
           "            ix = min(int((P[ix].cumsum(0) < u).sum()), P.shape[1] - 1)", None),

    # 5. negative log-likelihood
    Mutant("NLL summed instead of averaged", NLL, ".log().mean()", ".log().sum()", "tp2_nll"),
    Mutant("missing minus sign", NLL, "return -P[xs, ys]", "return P[xs, ys]", "tp2_nll"),
    Mutant("NLL returned as a 0-d tensor, not a float", NLL,  # return type
           "return -P[xs, ys].log().mean().item()", "return -P[xs, ys].log().mean()", "tp2_nll", kind='return type'),
    Mutant("flat index with the vocabulary size hard-coded to 27", NLL,  # argument never varied
           "return -P[xs, ys].log().mean().item()", "return -P.view(-1)[xs * 27 + ys].log().mean().item()",
           "tp2_nll", kind='argument never varied'),
    Mutant("alternative: F.nll_loss on the log-probabilities", NLL,
           "return -P[xs, ys].log().mean().item()", "return F.nll_loss(P.log()[xs], ys).item()", None),
    Mutant("no log (average probability)", NLL, "-P[xs, ys].log().mean()", "-P[xs, ys].mean()", "tp2_nll"),
    Mutant("mean of the per-name means", NLL,
           'xs = torch.tensor([stoi[ch] for w in words for ch in "." + w])',
           "per_name = [-P[torch.tensor([stoi[c] for c in '.' + w]), torch.tensor([stoi[c] for c in w + '.'])]"
           ".log().mean() for w in words]\n    return torch.stack(per_name).mean().item()\n"
           '    xs = torch.tensor([stoi[ch] for w in words for ch in "." + w])', "tp2_nll"),
    Mutant("boundary bigrams left out", NLL,
           'xs = torch.tensor([stoi[ch] for w in words for ch in "." + w])  # (M,) first token of each bigram\n'
           '    ys = torch.tensor([stoi[ch] for w in words for ch in w + "."])',
           "xs = torch.tensor([stoi[ch] for w in words for ch in w[:-1]])\n"
           "    ys = torch.tensor([stoi[ch] for w in words for ch in w[1:]])", "tp2_nll"),
    Mutant("alternative: makemore's loop, accumulating in float32", NLL,
           'xs = torch.tensor([stoi[ch] for w in words for ch in "." + w])',
           "log_likelihood, n = 0.0, 0\n"
           "    for w in words:\n"
           "        chs = ['.'] + list(w) + ['.']\n"
           "        for ch1, ch2 in zip(chs, chs[1:]):\n"
           "            log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])\n"
           "            n += 1\n"
           "    return (-log_likelihood / n).item()\n"
           '    xs = torch.tensor([stoi[ch] for w in words for ch in "." + w])', None),

    # 6. the bigram network
    Mutant("softmax over the wrong dim", NET, "counts.sum(1, keepdim=True)", "counts.sum(0, keepdim=True)",
           "tp2_bigram_loss"),
    Mutant("softmax without keepdim", NET, "counts.sum(1, keepdim=True)", "counts.sum(1)", "tp2_bigram_loss"),
    Mutant("L2 term missing", NET, " + reg * (W ** 2).mean()", "", "tp2_bigram_loss"),
    Mutant("L2 term with the wrong sign", NET, " + reg * (W ** 2).mean()", " - reg * (W ** 2).mean()",
           "tp2_bigram_loss"),
    Mutant("L2 summed instead of averaged", NET, " + reg * (W ** 2).mean()", " + reg * (W ** 2).sum()",
           "tp2_bigram_loss"),
    Mutant("F.one_hot without num_classes", NET,  # edge: a batch without the highest index
           "xenc = F.one_hot(xs, num_classes=V).float()", "xenc = F.one_hot(xs).float()", "tp2_bigram_loss", kind='edge value'),
    Mutant("train_bigram: vocabulary size hard-coded to 27", NET,  # argument never varied
           "W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           "W = torch.randn((27, 27), generator=g, requires_grad=True)", "tp2_train_bigram", kind='argument never varied'),
    Mutant("train_bigram: initialisation without the generator g", NET,  # argument never varied
           "W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           "W = torch.randn((vocab_size, vocab_size), requires_grad=True)", "tp2_train_bigram", kind='argument never varied'),
    Mutant("train_bigram: losses kept as tensors", NET,  # return type
           "losses.append(loss.item())", "losses.append(loss)", "tp2_train_bigram", kind='return type'),
    Mutant("softmax by hand without the max shift: exp overflows at a logit of 100", NET,
           "    logits = logits - logits.max(1, keepdim=True).values  # same softmax, exp cannot overflow\n", "",
           "tp2_bigram_loss", kind="numerical stability"),
    Mutant("softmax shifted by the batch's global max, not each row's", NET,
           "logits = logits - logits.max(1, keepdim=True).values", "logits = logits - logits.max()",
           "tp2_bigram_loss"),
    Mutant("alternative: max shift detached, log-probabilities by hand", NET,
           "    counts = logits.exp()                          # (M, V)\n"
           "    probs = counts / counts.sum(1, keepdim=True)   # (M, V) each row sums to 1\n"
           "    loss = -probs[torch.arange(xs.shape[0]), ys].log().mean() + reg * (W ** 2).mean()",
           "    logits = logits - logits.max(1, keepdim=True).values.detach()\n"
           "    logp = logits - logits.exp().sum(1, keepdim=True).log()\n"
           "    loss = -logp[torch.arange(len(ys)), ys].mean() + reg * (W ** 2).mean()", None),
    Mutant("train_bigram: g=None taken as a fixed seed", NET,
           "    W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           G_NONE + "    W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           "tp2_train_bigram", kind="argument must reach the computation"),
    Mutant("train_bigram reseeds torch's global RNG (and still uses g)", NET,
           "    W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           SEED_GLOBAL + "    W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           "tp2_train_bigram", kind="state shared or leaked"),
    Mutant("alternative: randn(V, V, generator=g).requires_grad_(), float(loss)", NET,
           "W = torch.randn((vocab_size, vocab_size), generator=g, requires_grad=True)",
           "W = torch.randn(vocab_size, vocab_size, generator=g).requires_grad_()", None),
    Mutant("learning rate not applied", NET, "W.data += -lr * W.grad", "W.data += -W.grad", "tp2_train_bigram"),
    Mutant("gradient ascent", NET, "W.data += -lr * W.grad", "W.data += lr * W.grad", "tp2_train_bigram"),
    Mutant("gradient not reset between steps", NET, "W.grad = None ", "pass ", "tp2_train_bigram"),
    Mutant("reg not passed on to the loss", NET, "loss = bigram_loss(W, xs, ys, reg)",
           "loss = bigram_loss(W, xs, ys)", "tp2_train_bigram"),
    Mutant("alternative: row lookup W[xs], log-softmax by hand, torch.no_grad update", NET,
           "    xenc = F.one_hot(xs, num_classes=V).float()   # (M, V)\n"
           "    logits = xenc @ W                              # (M, V) log-counts\n"
           "    logits = logits - logits.max(1, keepdim=True).values  # same softmax, exp cannot overflow\n"
           "    counts = logits.exp()                          # (M, V)\n"
           "    probs = counts / counts.sum(1, keepdim=True)   # (M, V) each row sums to 1\n"
           "    loss = -probs[torch.arange(xs.shape[0]), ys].log().mean() + reg * (W ** 2).mean()",
           "    logits = W[xs]\n"
           "    logprobs = logits - torch.logsumexp(logits, dim=1, keepdim=True)\n"
           "    loss = -(logprobs * F.one_hot(ys, V)).sum(1).mean() + reg * W.pow(2).mean()", None),
    Mutant("alternative: torch.no_grad update with grad.zero_()", NET,
           "        W.grad = None                               # backward\n"
           "        loss.backward()\n"
           "        W.data += -lr * W.grad                      # update",
           "        if W.grad is not None:\n"
           "            W.grad.zero_()\n"
           "        loss.backward()\n"
           "        with torch.no_grad():\n"
           "            W -= lr * W.grad", None),

    # 7. dataset and split
    Mutant("context not reset between names", DATA,
           "    for w in words:\n        context = [0] * block_size\n",
           "    context = [0] * block_size\n    for w in words:\n", "tp2_dataset"),
    Mutant("context padded with the wrong token", DATA, "context = [0] * block_size", "context = [1] * block_size",
           "tp2_dataset"),
    Mutant("context slides the wrong way", DATA, "context = context[1:] + [ix]", "context = [ix] + context[:-1]",
           "tp2_dataset"),
    Mutant("no example for the final '.'", DATA, 'for ch in w + ".":', "for ch in w:", "tp2_dataset"),
    Mutant("split not 80/10/10", DATA, "int(0.8 * len(shuffled)), int(0.9 * len(shuffled))",
           "int(0.9 * len(shuffled)), int(0.95 * len(shuffled))", "tp2_split"),
    Mutant("names not shuffled", DATA, "    random.Random(seed).shuffle(shuffled)\n", "", "tp2_split"),
    Mutant("seed ignored", DATA, "random.Random(seed).shuffle(shuffled)", "random.Random(42).shuffle(shuffled)",
           "tp2_split"),
    Mutant("split shuffles the caller's list in place", DATA,  # aliasing
           "    shuffled = list(words)\n", "    shuffled = words\n", "tp2_split", kind='aliasing'),
    Mutant("alternative: contexts sliced from a padded id list", DATA,
           "    X, Y = [], []\n    for w in words:\n        context = [0] * block_size\n",
           "    X, Y = [], []\n"
           "    for w in words:\n"
           "        ids = [0] * block_size + [stoi[c] for c in w + '.']\n"
           "        for t in range(len(w) + 1):\n"
           "            X.append(ids[t:t + block_size])\n"
           "            Y.append(ids[t + block_size])\n"
           "    return torch.tensor(X), torch.tensor(Y)\n"
           "    for w in words:\n        context = [0] * block_size\n", None),

    Mutant("alternative: global random.seed + random.shuffle, as in makemore", DATA,
           "random.Random(seed).shuffle(shuffled)", "random.seed(seed)\n    random.shuffle(shuffled)", None),

    # 8. the MLP
    Mutant("hidden bias missing from the parameters", MLP,
           '        "b1": torch.randn(n_hidden, generator=g) * 0.01,\n', "", "tp2_init_mlp"),
    Mutant("W1 of shape (n_embd, n_hidden)", MLP, "torch.randn((fan_in, n_hidden)", "torch.randn((n_embd, n_hidden)",
           "tp2_init_mlp"),
    Mutant("requires_grad=True before scaling (non-leaf W2)", MLP,
           "torch.randn((n_hidden, vocab_size), generator=g) * 0.01",
           "torch.randn((n_hidden, vocab_size), generator=g, requires_grad=True) * 0.01", "tp2_init_mlp"),
    Mutant("init_mlp seeds its own generator and ignores g", MLP,  # argument never varied
           "    fan_in = block_size * n_embd\n",
           "    g = torch.Generator().manual_seed(2147483647)\n    fan_in = block_size * n_embd\n", "tp2_init_mlp", kind='argument never varied'),
    Mutant("init_mlp: g=None taken as a fixed seed", MLP,
           "    fan_in = block_size * n_embd\n", G_NONE + "    fan_in = block_size * n_embd\n",
           "tp2_init_mlp", kind="argument must reach the computation"),
    Mutant("init_mlp reseeds torch's global RNG (and still uses g)", MLP,
           "    fan_in = block_size * n_embd\n", SEED_GLOBAL + "    fan_in = block_size * n_embd\n",
           "tp2_init_mlp", kind="state shared or leaked"),
    Mutant("forgot the hidden bias in the forward pass", MLP,
           '@ params["W1"] + params["b1"])', '@ params["W1"])', "tp2_mlp_forward"),
    Mutant("forgot the tanh", MLP, 'h = torch.tanh(emb.view(X.shape[0], -1) @ params["W1"] + params["b1"])',
           'h = emb.view(X.shape[0], -1) @ params["W1"] + params["b1"]', "tp2_mlp_forward"),
    Mutant("embedding flattened with the wrong view (dims interleaved)", MLP,
           "emb.view(X.shape[0], -1)", "emb.transpose(1, 2).reshape(X.shape[0], -1)", "tp2_mlp_forward"),
    Mutant("embedding view hard-coded to 30 columns", MLP, "emb.view(X.shape[0], -1)", "emb.view(-1, 30)",
           "tp2_mlp_forward"),
    Mutant("learning-rate step not applied", MLP,
           "step_lr = lr if lr_decay_at is None or i < lr_decay_at else lr / 10", "step_lr = lr", "tp2_train_mlp"),
    Mutant("learning-rate step one step late", MLP, "i < lr_decay_at", "i <= lr_decay_at", "tp2_train_mlp"),
    Mutant("learning rate ignored", MLP, "p.data += -step_lr * p.grad", "p.data += -0.1 * p.grad", "tp2_train_mlp"),
    Mutant("gradients not reset between steps", MLP,
           "        for p in params.values():\n            p.grad = None\n", "", "tp2_train_mlp"),
    Mutant("gradient ascent (MLP)", MLP, "p.data += -step_lr * p.grad", "p.data += step_lr * p.grad", "tp2_train_mlp"),
    Mutant("minibatch indices without the generator g", MLP, "(batch_size,), generator=g).to(X.device)",
           "(batch_size,)).to(X.device)",
           "tp2_train_mlp"),
    Mutant("minibatch size hard-coded to 32", MLP,  # argument never varied
           "ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)",
           "ix = torch.randint(0, X.shape[0], (32,), generator=g)", "tp2_train_mlp", kind='argument never varied'),
    Mutant("train_mlp seeds its own generator and ignores g", MLP,  # argument never varied
           "    for i in tqdm(range(steps), disable=not progress):\n",
           "    g = torch.Generator().manual_seed(2147483647)\n"
           "    for i in tqdm(range(steps), disable=not progress):\n", "tp2_train_mlp", kind='argument never varied'),
    Mutant("train_mlp: losses kept as tensors", MLP,  # return type
           "losses.append(loss.item())", "losses.append(loss)", "tp2_train_mlp", kind='return type'),
    Mutant("alternative: torch.no_grad update, float(loss), grads reset after the update", MLP,
           TRAIN_MLP_LOOP,
           """    for step in range(steps):
        idx = torch.randint(0, X.shape[0], (batch_size,), generator=g)
        loss = F.cross_entropy(mlp_forward(params, X[idx]), Y[idx])
        losses.append(float(loss))
        loss.backward()
        cur = lr / 10 if (lr_decay_at is not None and step >= lr_decay_at) else lr
        with torch.no_grad():
            for p in params.values():
                p -= cur * p.grad
                p.grad = None
""", None),
    Mutant("alternative: plain randn init, torch.cat of the embeddings, torch.optim.SGD", MLP,
           '    for i in tqdm(range(steps), disable=not progress):\n'
           '        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g).to(X.device)  # (batch_size,)',
           '    opt = torch.optim.SGD(list(params.values()), lr=lr)\n'
           '    for i in range(steps):\n'
           '        for group in opt.param_groups:\n'
           '            group["lr"] = lr / 10 if lr_decay_at is not None and i >= lr_decay_at else lr\n'
           '        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)\n'
           '        loss = F.cross_entropy(mlp_forward(params, X[ix]), Y[ix])\n'
           '        opt.zero_grad(set_to_none=True)\n'
           '        loss.backward()\n'
           '        opt.step()\n'
           '        losses.append(loss.item())\n'
           '    return losses\n'
           '    for i in tqdm(range(steps), disable=not progress):\n'
           '        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g).to(X.device)  # (batch_size,)',
           None),

    # 9. sampling from the MLP
    Mutant("argmax instead of multinomial (MLP)", SMLP,
           "ix = torch.multinomial(probs, num_samples=1, generator=g).item()", "ix = probs.argmax().item()",
           "tp2_sample_mlp"),
    Mutant("context never updated", SMLP, "                context = context[1:] + [ix]\n", "", "tp2_sample_mlp"),
    Mutant("context slides the wrong way (MLP)", SMLP, "context = context[1:] + [ix]", "context = [ix] + context[:-1]",
           "tp2_sample_mlp"),
    Mutant("context starts with the wrong token", SMLP, "[0] * block_size", "[1] * block_size", "tp2_sample_mlp"),
    Mutant("not stopping at '.' (MLP)", SMLP,
           "if ix == 0:\n                    break\n                out.append(itos[ix])",
           "out.append(itos[ix])\n                if len(out) == 8:\n                    break", "tp2_sample_mlp"),
    Mutant("context carried over from one name to the next", SMLP,  # hidden context
           SMLP_LOOP,
           "        context = [0] * block_size\n"
           "        for _ in range(n):\n"
           "            out = []\n"
           "            while True:\n"
           "                x = torch.tensor([context], device=dev)\n"
           "                probs = F.softmax(mlp_forward(params, x), dim=1).cpu()\n"
           "                ix = torch.multinomial(probs, num_samples=1, generator=g).item()\n"
           "                context = context[1:] + [ix]\n"
           "                if ix == 0:\n"
           "                    break\n"
           "                out.append(itos[ix])\n", "tp2_sample_mlp", kind='state kept between calls'),
    Mutant("sample_mlp seeds its own generator and ignores g", SMLP,  # argument never varied
           '    dev = params["C"].device\n',
           '    g = torch.Generator().manual_seed(2147483647)\n    dev = params["C"].device\n', "tp2_sample_mlp", kind='argument never varied'),
    Mutant("names keep their final '.' (MLP)", SMLP,  # return type
           "if ix == 0:\n                    break\n                out.append(itos[ix])",
           "out.append(itos[ix])\n                if ix == 0:\n                    break", "tp2_sample_mlp", kind='return type'),
    Mutant("alternative: inverse-CDF sampling with torch.rand, the context as a tensor", SMLP,
           "            out, context = [], [0] * block_size\n"
           "            while True:\n"
           "                x = torch.tensor([context], device=dev)                    # (1, block_size)\n"
           "                probs = F.softmax(mlp_forward(params, x), dim=1).cpu()     # (1, V)\n"
           "                ix = torch.multinomial(probs, num_samples=1, generator=g).item()\n"
           "                if ix == 0:\n"
           "                    break\n"
           "                out.append(itos[ix])\n"
           "                context = context[1:] + [ix]\n",
           "            out, ctx = [], torch.zeros((1, block_size), dtype=torch.long, device=dev)\n"
           "            while True:\n"
           "                cdf = F.softmax(mlp_forward(params, ctx), dim=1)[0].cpu().cumsum(0)\n"
           "                u = torch.rand(1, generator=g).item()\n"
           "                ix = min(int((cdf < u).sum()), cdf.numel() - 1)\n"
           "                if ix == 0:\n"
           "                    break\n"
           "                out.append(itos[ix])\n"
           "                ctx = torch.cat([ctx[:, 1:], torch.tensor([[ix]], device=dev)], dim=1)\n", None),
    Mutant("alternative: softmax by hand, multinomial on the row", SMLP,
           "probs = F.softmax(mlp_forward(params, x), dim=1).cpu()     # (1, V)\n"
           "                ix = torch.multinomial(probs, num_samples=1, generator=g).item()",
           "counts = mlp_forward(params, x)[0].exp().cpu()\n"
           "                ix = torch.multinomial(counts / counts.sum(), 1, replacement=True, generator=g).item()",
           None),
    Mutant("sample_mlp reseeds torch's global RNG (and still draws from g)", SMLP,
           '    dev = params["C"].device\n', SEED_GLOBAL + '    dev = params["C"].device\n',
           "tp2_sample_mlp", kind="state shared or leaked"),

    # 10. KL divergence (optional)
    Mutant("KL without masking the zero counts: 0 * log 0 = nan", KL,
           "terms = torch.where(N > 0, N * (P.log() - Q.double().log()), torch.zeros_like(N))",
           "terms = N * (P.log() - Q.double().log())", "tp2_kl"),
    Mutant("KL averaged over the rows instead of weighted by the counts", KL,
           "return (terms.sum() / N.sum()).item()",
           "return (terms.sum(1) / N.sum(1).clamp(min=1)).mean().item()", "tp2_kl"),
    Mutant("KL with its arguments swapped: KL(Q || P)", KL,
           "terms = torch.where(N > 0, N * (P.log() - Q.double().log()), torch.zeros_like(N))",
           "terms = torch.where(N > 0, N.sum(1, keepdim=True) * Q.double() * (Q.double().log() - P.log()), "
           "torch.zeros_like(N))", "tp2_kl"),
    Mutant("KL returned as a 0-d tensor", KL, "return (terms.sum() / N.sum()).item()", "return terms.sum() / N.sum()",
           "tp2_kl"),
    Mutant("alternative: torch.xlogy", KL,
           "    terms = torch.where(N > 0, N * (P.log() - Q.double().log()), torch.zeros_like(N))\n"
           "    return (terms.sum() / N.sum()).item()",
           "    return float((torch.xlogy(N, P) - torch.xlogy(N, Q.double())).sum() / N.sum())", None),
    Mutant("alternative: boolean mask, float32", KL,
           "    N = N.double()\n"
           "    P = N / N.sum(1, keepdim=True).clamp(min=1)                 # (V, V), rows of zeros stay 0\n"
           "    terms = torch.where(N > 0, N * (P.log() - Q.double().log()), torch.zeros_like(N))\n"
           "    return (terms.sum() / N.sum()).item()",
           "    N = N.float()\n"
           "    mask = N > 0\n"
           "    P = N / N.sum(dim=1, keepdim=True)\n"
           "    return (N[mask] * torch.log(P[mask] / Q[mask])).sum().item() / N.sum().item()", None),
]

# Alternative correct solutions that edit a cell already edited above are combined here.
PLAIN_INIT = Mutant("alternative: plain torch.randn init and torch.cat of the embeddings", MLP,
                    "    fan_in = block_size * n_embd\n",
                    "    params = {'C': torch.randn((vocab_size, n_embd), generator=g),\n"
                    "              'W1': torch.randn((block_size * n_embd, n_hidden), generator=g),\n"
                    "              'b1': torch.randn(n_hidden, generator=g),\n"
                    "              'W2': torch.randn((n_hidden, vocab_size), generator=g),\n"
                    "              'b2': torch.randn(vocab_size, generator=g)}\n"
                    "    for p in params.values():\n"
                    "        p.requires_grad = True\n"
                    "    return params\n"
                    "    fan_in = block_size * n_embd\n", None)
CAT_FORWARD = Mutant("alternative: torch.cat(torch.unbind(emb, 1), 1)", MLP,
                     "emb.view(X.shape[0], -1)", "torch.cat(torch.unbind(emb, 1), 1)", None)
MUTANTS += [PLAIN_INIT, CAT_FORWARD]


class TestTP2(mutation.MutantSuite):
    tp, source, mutants = TP, NB, MUTANTS
    points, bonus, test_cells = 25, 1, 14
