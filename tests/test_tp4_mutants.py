"""TP4 (GPT): the reference passes, classic wrong solutions are caught, other correct ones pass.

Each mutant edits one solution cell of ``source/TP4_gpt/gpt.ipynb`` and executes the notebook
as grading does (see ``tests/mutation.py``): a bug must make its test cell fail (the notebook
runs only up to that cell). The correct alternatives (``caught_by=None``), one or more per
solution cell, each in a different style from the reference, are applied **together**, in
rounds of at most one per solution cell (``mutation.alternative_rounds``: two rounds here), and
the whole notebook must then score full marks: one run per round instead of one per
alternative (a whole run of this notebook costs several times a truncated one), and a
stronger check, since each alternative exercise is then built on the other alternatives.

The mutants after the first list are the kinds of escape of issue 27 (dropout placement and
p, initialisation statistics, stable softmax and cross-entropy, devices, generators and the
global RNG, buffers, widths that do not divide evenly): each escaped the hidden tests before
they were strengthened, except the three marked as regression guards.
"""
from __future__ import annotations

from graders.course import notebooks
from tests import mutation
from tests.mutation import ROOT, Mutant

TP = "TP4_gpt"
NB = ROOT / "source" / TP / "gpt.ipynb"

TOK, BATCH, BIGRAM, AVG = ("tp4_tokenizer_solution", "tp4_get_batch_solution", "tp4_bigram_solution",
                           "tp4_averaging_solution")
HEAD, MHA, FFWD, BLOCK = "tp4_head_solution", "tp4_mha_solution", "tp4_ffwd_solution", "tp4_block_solution"
GPT, FAST, LN = "tp4_gpt_solution", "tp4_fast_attention_solution", "tp4_layernorm_solution"

MUTANTS = [
    # 1. tokenizer and split
    Mutant("vocabulary in set order, not sorted", TOK, "chars = sorted(set(text))", "chars = list(set(text))",
           "tp4_tokenizer"),
    Mutant("decode indexes the dict with tensor elements", TOK, 'itos[int(i)]', "itos[i]", "tp4_tokenizer"),
    Mutant("split fraction hard-coded to 0.9", TOK, "n = int(frac * len(data))\n    return", "n = int(0.9 * len(data))\n    return",
           "tp4_tokenizer"),

    # 2. batches
    Mutant("off-by-one: the last offset is never drawn", BATCH, "\n    ix = torch.randint(len(data) - block_size,",
           "\n    ix = torch.randint(len(data) - block_size - 1,", "tp4_get_batch"),
    Mutant("targets not shifted", BATCH, "y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])",
           "y = torch.stack([data[i:i + block_size] for i in ix])", "tp4_get_batch"),
    Mutant("generator g ignored (global RNG)", BATCH, "\n    ix = torch.randint(len(data) - block_size, (batch_size,), generator=g)",
           "\n    ix = torch.randint(len(data) - block_size, (batch_size,))",
           "tp4_get_batch"),

    # 3. bigram model
    Mutant("logits flattened to (B*T, V) when targets are given (as in the lecture)", BIGRAM,
           "loss = F.cross_entropy(logits.view(B * T, V), targets.view(B * T))",
           "logits = logits.view(B * T, V)\n            loss = F.cross_entropy(logits, targets.view(B * T))",
           "tp4_bigram"),
    Mutant("softmax before cross_entropy (softmax applied twice)", BIGRAM,
           "F.cross_entropy(logits.view(B * T, V), targets.view(B * T))",
           "F.cross_entropy(F.softmax(logits.view(B * T, V), dim=-1), targets.view(B * T))", "tp4_bigram"),
    Mutant("loss 0 instead of None without targets", BIGRAM, "loss = None", "loss = torch.tensor(0.0)",
           "tp4_bigram"),
    Mutant("generate reads the first position's logits", BIGRAM, "logits[:, -1, :]", "logits[:, 0, :]",
           "tp4_bigram_generate"),
    Mutant("generate takes the argmax", BIGRAM,
           "idx_next = torch.multinomial(probs, num_samples=1, generator=g)",
           "idx_next = probs.argmax(dim=-1, keepdim=True)", "tp4_bigram_generate"),
    Mutant("generate ignores g", BIGRAM, "idx_next = torch.multinomial(probs, num_samples=1, generator=g)",
           "idx_next = torch.multinomial(probs, num_samples=1)", "tp4_bigram_generate"),

    # 4. averaging three ways
    Mutant("missing keepdim: rows divided by the wrong sums", AVG, "wei = wei / wei.sum(1, keepdim=True)",
           "wei = wei / wei.sum(1)", "tp4_averaging"),
    Mutant("loop off by one: x[b, :t]", AVG, "xprev = x[b, :t + 1]", "xprev = x[b, :t]", "tp4_averaging"),
    Mutant("masking with zeros instead of -inf (the future gets weight)", AVG,
           'wei = wei.masked_fill(tril == 0, float("-inf"))', "wei = wei * tril", "tp4_averaging"),
    Mutant("weights built in float32 whatever the dtype of x", AVG,
           "wei = torch.tril(torch.ones(T, T, dtype=x.dtype, device=x.device))",
           "wei = torch.tril(torch.ones(T, T))", "tp4_averaging"),

    # 5. one head
    Mutant("no 1/sqrt(head_size) scale", HEAD, "wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5",
           "wei = q @ k.transpose(-2, -1)", "tp4_head_weights"),
    Mutant("scaled by C ** -0.5 (n_embd, not head_size)", HEAD, "* k.shape[-1] ** -0.5", "* C ** -0.5",
           "tp4_head_weights"),
    Mutant("softmax over the query axis", HEAD, "wei = F.softmax(wei, dim=-1)", "wei = F.softmax(wei, dim=1)",
           "tp4_head_weights"),
    Mutant("mask not cropped to T", HEAD, "self.tril[:T, :T] == 0", "self.tril == 0", "tp4_head_weights"),
    Mutant("projections with bias", HEAD, "self.key = nn.Linear(n_embd, head_size, bias=False)",
           "self.key = nn.Linear(n_embd, head_size)", "tp4_head_weights"),
    Mutant("no causal mask", HEAD, '        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))\n', "",
           "tp4_head"),
    Mutant("dropout also in eval() mode (F.dropout, training left True)", HEAD,
           "wei = self.dropout(self.attention_weights(x))",
           "wei = F.dropout(self.attention_weights(x), self.dropout.p)", "tp4_head"),
    Mutant("keys used as values", HEAD, "v = self.value(x)", "v = self.key(x)", "tp4_head"),
    Mutant("dropout argument ignored", HEAD, "self.dropout = nn.Dropout(dropout)", "self.dropout = nn.Dropout(0.0)",
           "tp4_head"),

    # 6. multi-head attention, feed-forward, block
    Mutant("no output projection", MHA, "out = self.dropout(self.proj(out))", "out = self.dropout(out)", "tp4_mha"),
    Mutant("heads in a Python list (parameters not registered)", MHA, "self.heads = nn.ModuleList([",
           "self.heads = ([", "tp4_mha"),
    Mutant("projection from n_embd instead of num_heads * head_size", MHA,
           "self.proj = nn.Linear(num_heads * head_size, n_embd)", "self.proj = nn.Linear(n_embd, n_embd)",
           "tp4_mha"),
    Mutant("heads concatenated along time", MHA, "for h in self.heads], dim=-1)", "for h in self.heads], dim=1)",
           "tp4_mha"),
    Mutant("no non-linearity", FFWD, "            nn.ReLU(),\n", "", "tp4_ffwd"),
    Mutant("hidden layer not 4x wider", FFWD,
           "nn.Linear(n_embd, 4 * n_embd),\n            nn.ReLU(),\n            nn.Linear(4 * n_embd, n_embd),",
           "nn.Linear(n_embd, n_embd),\n            nn.ReLU(),\n            nn.Linear(n_embd, n_embd),", "tp4_ffwd"),
    Mutant("dropout left out", FFWD, "            nn.Dropout(dropout),\n", "", "tp4_ffwd"),
    Mutant("post-LN (LayerNorm after the residual addition)", BLOCK,
           "x = x + self.sa(self.ln1(x))\n        x = x + self.ffwd(self.ln2(x))",
           "x = self.ln1(x + self.sa(x))\n        x = self.ln2(x + self.ffwd(x))", "tp4_block"),
    Mutant("no residual around the feed-forward", BLOCK, "x = x + self.ffwd(self.ln2(x))",
           "x = self.ffwd(self.ln2(x))", "tp4_block"),
    Mutant("ln1 used twice", BLOCK, "self.ffwd(self.ln2(x))", "self.ffwd(self.ln1(x))", "tp4_block"),
    Mutant("heads of width n_embd (head_size not divided)", BLOCK, "head_size = n_embd // n_head",
           "head_size = n_embd", "tp4_block"),

    # 7. GPT
    Mutant("position embeddings not added", GPT, "x = tok_emb + pos_emb", "x = tok_emb", "tp4_gpt"),
    Mutant("PyTorch's default initialisation (no _init_weights)", GPT, "self.apply(self._init_weights)", "pass",
           "tp4_gpt"),
    Mutant("final LayerNorm skipped", GPT, "        x = self.ln_f(x)\n", "", "tp4_gpt"),
    Mutant("positions arange(block_size) for shorter inputs", GPT, "torch.arange(T, device=idx.device)",
           "torch.arange(self.block_size, device=idx.device)", "tp4_gpt"),
    Mutant("targets shifted a second time", GPT,
           "loss = F.cross_entropy(logits.view(B * T, V), targets.view(B * T))",
           "loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), targets[:, 1:].reshape(-1))", "tp4_gpt"),
    Mutant("dropout not passed on to the blocks", GPT, "[Block(n_embd, n_head, block_size, dropout) for",
           "[Block(n_embd, n_head, block_size) for", "tp4_gpt"),
    Mutant("loss returned as a float (.item())", GPT, "targets.view(B * T))\n", "targets.view(B * T)).item()\n",
           "tp4_gpt_train"),
    Mutant("forward under torch.no_grad()", GPT, "    def forward(self, idx, targets=None):",
           "    @torch.no_grad()\n    def forward(self, idx, targets=None):", "tp4_gpt_train"),
    Mutant("logits detached", GPT, "logits = self.lm_head(x)", "logits = self.lm_head(x).detach()", "tp4_gpt_train"),
    Mutant("context not cropped", GPT, "idx_cond = idx[:, -self.block_size:]", "idx_cond = idx", "tp4_generate"),
    Mutant("context cropped to its first block_size tokens", GPT, "idx_cond = idx[:, -self.block_size:]",
           "idx_cond = idx[:, :self.block_size]", "tp4_generate"),
    Mutant("generate ignores g (GPT)", GPT, "idx_next = torch.multinomial(probs, num_samples=1, generator=g)",
           "idx_next = torch.multinomial(probs, num_samples=1)",
           "tp4_generate"),
    Mutant("generate takes the argmax (GPT)", GPT,
           "idx_next = torch.multinomial(probs, num_samples=1, generator=g)",
           "idx_next = probs.argmax(dim=-1, keepdim=True)", "tp4_generate"),

    # 8. fused attention
    Mutant("is_causal forgotten", FAST, "is_causal=True,", "is_causal=False,", "tp4_fast_attention"),
    Mutant("heads not transposed back before the view", FAST, "y = y.transpose(1, 2).contiguous().view(B, T, C)",
           "y = y.contiguous().view(B, T, C)", "tp4_fast_attention"),
    Mutant("keys and queries swapped in c_attn", FAST, "q, k, v = self.c_attn(x).split(C, dim=2)",
           "k, q, v = self.c_attn(x).split(C, dim=2)", "tp4_fast_attention"),
    Mutant("dropout_p also in eval() mode", FAST, "dropout_p=self.dropout.p if self.training else 0.0",
           "dropout_p=self.dropout.p", "tp4_fast_attention"),
]

# ---- issue 27: the kinds of escape, each mutant escaped the hidden tests of the previous round -----
MUTANTS += [
    # dropout in the wrong place, p hard-coded or not passed on, the model's mode
    Mutant("dropout on the head's output instead of its weights", HEAD,
           "wei = self.dropout(self.attention_weights(x))\n        v = self.value(x)  # (B, T, hs)\n        out = wei @ v",
           "wei = self.attention_weights(x)\n        v = self.value(x)  # (B, T, hs)\n        out = self.dropout(wei @ v)",
           "tp4_head", kind='dropout and train/eval mode'),
    Mutant("dropout on the values instead of the weights", HEAD,
           "wei = self.dropout(self.attention_weights(x))\n        v = self.value(x)",
           "wei = self.attention_weights(x)\n        v = self.dropout(self.value(x))", "tp4_head", kind='dropout and train/eval mode'),
    Mutant("dropout on the scores, before the softmax", HEAD, "wei = F.softmax(wei, dim=-1)",
           "wei = F.softmax(self.dropout(wei), dim=-1)", "tp4_head_weights", kind='dropout and train/eval mode'),
    Mutant("head's dropout p hard-coded to 0.2", HEAD, "self.dropout = nn.Dropout(dropout)",
           "self.dropout = nn.Dropout(0.2)", "tp4_head", kind='dropout and train/eval mode'),
    Mutant("dropout inside attention_weights (the weights returned are dropped)", HEAD,
           "wei = F.softmax(wei, dim=-1)", "wei = self.dropout(F.softmax(wei, dim=-1))", "tp4_head_weights", kind='dropout and train/eval mode'),
    Mutant("dropout before the output projection", MHA, "out = self.dropout(self.proj(out))",
           "out = self.proj(self.dropout(out))", "tp4_mha", kind='dropout and train/eval mode'),
    Mutant("dropout not passed on to the heads", MHA, "Head(n_embd, head_size, block_size, dropout) for _",
           "Head(n_embd, head_size, block_size) for _", "tp4_mha", kind='dropout and train/eval mode'),
    Mutant("multi-head dropout p hard-coded to 0.2", MHA, "self.dropout = nn.Dropout(dropout)",
           "self.dropout = nn.Dropout(0.2)", "tp4_mha", kind='dropout and train/eval mode'),
    Mutant("dropout inside the MLP (between the layers) instead of at its end", FFWD,
           "nn.ReLU(),\n            nn.Linear(4 * n_embd, n_embd),\n            nn.Dropout(dropout),",
           "nn.ReLU(),\n            nn.Dropout(dropout),\n            nn.Linear(4 * n_embd, n_embd),", "tp4_ffwd", kind='dropout and train/eval mode'),
    Mutant("feed-forward dropout p hard-coded to 0.2", FFWD, "nn.Dropout(dropout)", "nn.Dropout(0.2)", "tp4_ffwd", kind='dropout and train/eval mode'),
    Mutant("dropout not passed on to the feed-forward", BLOCK, "self.ffwd = FeedForward(n_embd, dropout)",
           "self.ffwd = FeedForward(n_embd)", "tp4_block", kind='dropout and train/eval mode'),
    Mutant("dropout not passed on to the attention", BLOCK, "head_size, block_size, dropout)",
           "head_size, block_size)", "tp4_block", kind='dropout and train/eval mode'),
    Mutant("functional attention's dropout_p left at 0", FAST, "dropout_p=self.dropout.p if self.training else 0.0",
           "dropout_p=0.0", "tp4_fast_attention", kind='dropout and train/eval mode'),
    Mutant("fused attention: dropout before c_proj", FAST, "y = self.dropout(self.c_proj(y))",
           "y = self.c_proj(self.dropout(y))", "tp4_fast_attention", kind='dropout and train/eval mode'),
    Mutant("generate leaves the model in train mode (model.train() at its end)", GPT,
           "            idx = torch.cat((idx, idx_next), dim=1)\n        ### END SOLUTION",
           "            idx = torch.cat((idx, idx_next), dim=1)\n        self.train()\n        ### END SOLUTION",
           "tp4_generate", kind='dropout and train/eval mode'),

    # initialisation conventions
    Mutant("init with std 0.02 ** 2 (the variance, not the standard deviation)", GPT,
           "std=0.02)\n            if module.bias", "std=0.02 ** 2)\n            if module.bias", "tp4_gpt", kind='initialisation'),
    Mutant("embeddings left at PyTorch's N(0, 1)", GPT,
           "        elif isinstance(module, nn.Embedding):\n            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)\n",
           "", "tp4_gpt", kind='initialisation'),
    Mutant("Linear biases not zeroed", GPT,
           "            if module.bias is not None:\n                torch.nn.init.zeros_(module.bias)\n", "", "tp4_gpt", kind='initialisation'),
    Mutant("init with std 0.2", GPT, "std=0.02)\n            if module.bias", "std=0.2)\n            if module.bias",
           "tp4_gpt", kind='initialisation'),

    # numerically stable softmax and cross-entropy
    Mutant("softmax by hand, exp without subtracting the max (affinities)", HEAD, "wei = F.softmax(wei, dim=-1)",
           "wei = wei.exp() / wei.exp().sum(-1, keepdim=True)", "tp4_head_weights", kind='numerical stability'),
    Mutant("cross-entropy by hand: log of the softmax", BIGRAM,
           "loss = F.cross_entropy(logits.view(B * T, V), targets.view(B * T))",
           "loss = -F.softmax(logits.view(B * T, V), dim=-1)[torch.arange(B * T), targets.view(B * T)].log().mean()",
           "tp4_bigram", kind='numerical stability'),
    Mutant("softmax by hand in generate, exp without subtracting the max (GPT)", GPT,
           "probs = F.softmax(logits[:, -1, :], dim=-1)",
           "probs = logits[:, -1, :].exp() / logits[:, -1, :].exp().sum(-1, keepdim=True)", "tp4_generate", kind='numerical stability'),

    # arguments that must reach the computation; the global RNG
    Mutant("batch not moved to device", BATCH, "    x, y = x.to(device), y.to(device)\n", "", "tp4_get_batch", kind='argument reaching the computation'),
    Mutant("g=None replaced by a fixed generator (not the global one)", BATCH,
           "\n    ix = torch.randint(len(data) - block_size, (batch_size,), generator=g)",
           "\n    g = g if g is not None else torch.Generator().manual_seed(1337)"
           "\n    ix = torch.randint(len(data) - block_size, (batch_size,), generator=g)", "tp4_get_batch", kind='argument reaching the computation'),
    Mutant("get_batch reseeds the global RNG", BATCH,
           "\n    ix = torch.randint(len(data) - block_size, (batch_size,), generator=g)",
           "\n    torch.manual_seed(1337)  # reproducible\n    ix = torch.randint(len(data) - block_size, (batch_size,), generator=g)",
           "tp4_get_batch", kind='state shared or leaked'),
    Mutant("bigram generate: g=None replaced by a fixed generator", BIGRAM,
           "        for _ in range(max_new_tokens):\n            logits, _ = self(idx)  ",
           "        g = g if g is not None else torch.Generator().manual_seed(0)\n"
           "        for _ in range(max_new_tokens):\n            logits, _ = self(idx)  ", "tp4_bigram_generate", kind='argument reaching the computation'),
    Mutant("GPT generate: g=None replaced by a fixed generator", GPT,
           "        for _ in range(max_new_tokens):\n            idx_cond",
           "        g = g if g is not None else torch.Generator().manual_seed(0)\n"
           "        for _ in range(max_new_tokens):\n            idx_cond", "tp4_generate", kind='argument reaching the computation'),
    Mutant("positions built on the CPU whatever the device of idx", GPT, "torch.arange(T, device=idx.device)",
           "torch.arange(T)", "tp4_gpt", kind='argument reaching the computation'),
    Mutant("output layer sized by the global vocabulary (65), not vocab_size", GPT,
           "self.lm_head = nn.Linear(n_embd, vocab_size)", "self.lm_head = nn.Linear(n_embd, len(stoi))", "tp4_gpt", kind='hidden assumption about sizes'),

    # architecture contracts: buffers, widths that do not divide evenly
    Mutant("causal mask kept as a plain attribute (not a buffer)", HEAD,
           'self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))',
           "self.tril = torch.tril(torch.ones(block_size, block_size))", "tp4_head_weights", kind='architecture'),
    Mutant("head_size rounded up (ceil)", BLOCK, "head_size = n_embd // n_head", "head_size = math.ceil(n_embd / n_head)",
           "tp4_block", kind='architecture'),
    Mutant("number of heads recomputed as n_embd // head_size", BLOCK,
           "MultiHeadAttention(n_embd, n_head, head_size,", "MultiHeadAttention(n_embd, n_embd // head_size, head_size,",
           "tp4_block", kind='architecture'),

    # the optional exercise: LayerNorm from scratch
    Mutant("LayerNorm: unbiased variance (torch.var's default)", LN,
           "var = ((x - mean) ** 2).mean(-1, keepdim=True)", "var = x.var(-1, keepdim=True)", "tp4_layernorm"),
    Mutant("LayerNorm: eps outside the square root", LN, "torch.sqrt(var + self.eps)", "(torch.sqrt(var) + self.eps)",
           "tp4_layernorm"),
    Mutant("LayerNorm: weight and bias plain tensors, not parameters", LN,
           "self.weight = nn.Parameter(torch.ones(n_embd))\n        self.bias = nn.Parameter(torch.zeros(n_embd))",
           "self.weight = torch.ones(n_embd)\n        self.bias = torch.zeros(n_embd)", "tp4_layernorm"),
    Mutant("LayerNorm: eps argument ignored", LN, "torch.sqrt(var + self.eps)", "torch.sqrt(var + 1e-5)",
           "tp4_layernorm"),
    Mutant("LayerNorm: mean over dim 1 instead of the last", LN, "mean = x.mean(-1, keepdim=True)",
           "mean = x.mean(1, keepdim=True)", "tp4_layernorm"),
    Mutant("LayerNorm: F.layer_norm called (the rule of the exercise)", LN,
           "return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias",
           "return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)", "tp4_layernorm"),
]

# ---- correct alternatives: each replaces a whole solution cell -----------------------------------
ALT_TOK = '''
def build_vocab(text):
    """stoi, itos of the sorted distinct characters."""
    itos = dict(enumerate(sorted(list(set(text)))))
    return {c: i for i, c in itos.items()}, itos


def encode(s, stoi):
    """A string -> list of int."""
    return list(map(stoi.__getitem__, s))


def decode(ids, itos):
    """ids (list or tensor) -> str."""
    if torch.is_tensor(ids):
        ids = ids.tolist()
    return "".join([itos[i] for i in ids])


def train_val_split(data, frac=0.9):
    """data[:n], data[n:]."""
    n = int(frac * len(data))
    train, val = torch.split(data, [n, len(data) - n])
    return train, val
'''

ALT_BATCH = '''
def get_batch(data, block_size, batch_size, g=None, device="cpu"):
    """Chunks of block_size + 1 tokens gathered with one advanced index."""
    starts = torch.randint(0, len(data) - block_size, (batch_size,), generator=g)
    chunks = data[starts.unsqueeze(1) + torch.arange(block_size + 1)]  # (B, T + 1)
    return chunks[:, :-1].to(device), chunks[:, 1:].to(device)
'''

ALT_BIGRAM = '''
class BigramLanguageModel(nn.Module):
    """(B, C, T) cross-entropy; generation feeds only the last token."""

    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)
        loss = None if targets is None else F.cross_entropy(logits.transpose(1, 2), targets)
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, g=None):
        out = [idx]
        last = idx[:, -1:]
        for _ in range(max_new_tokens):
            probs = self(last)[0][:, -1].softmax(-1)
            last = torch.multinomial(probs, 1, generator=g)
            out.append(last)
        return torch.cat(out, dim=-1)
'''

ALT_AVG = '''
def average_loop(x):
    """Running sums in a loop."""
    B, T, C = x.shape
    out = torch.empty_like(x)
    for b in range(B):
        total = torch.zeros(C, dtype=x.dtype)
        for t in range(T):
            total = total + x[b, t]
            out[b, t] = total / (t + 1)
    return out


def average_matmul(x):
    """tril divided by the row lengths, einsum."""
    T = x.size(1)
    wei = torch.ones(T, T, dtype=x.dtype).tril() / torch.arange(1, T + 1, dtype=x.dtype).unsqueeze(1)
    return torch.einsum("ts,bsc->btc", wei, x)


def average_softmax(x):
    """-inf above the diagonal from torch.full(...).triu(1)."""
    T = x.size(1)
    wei = torch.full((T, T), float("-inf"), dtype=x.dtype).triu(1)
    return torch.softmax(wei, dim=1) @ x
'''

ALT_HEAD = '''
class Head(nn.Module):
    """einsum, a boolean mask buffer, division by sqrt(head_size), functional dropout."""

    def __init__(self, n_embd, head_size, block_size, dropout=0.0):
        super().__init__()
        self.head_size = head_size
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.ones(block_size, block_size, dtype=torch.bool).tril())
        self.dropout = nn.Dropout(dropout)

    def attention_weights(self, x):
        T = x.size(1)
        scores = torch.einsum("btd,bsd->bts", self.query(x), self.key(x)) / math.sqrt(self.head_size)
        scores = scores.masked_fill(~self.tril[:T, :T], float("-inf"))
        return scores.softmax(dim=2)

    def forward(self, x):
        wei = F.dropout(self.attention_weights(x), p=self.dropout.p, training=self.training)
        return torch.einsum("bts,bsd->btd", wei, self.value(x))
'''

ALT_MHA = '''
class MultiHeadAttention(nn.Module):
    """Heads appended one by one; concatenation with torch.cat on dim 2."""

    def __init__(self, n_embd, num_heads, head_size, block_size, dropout=0.0):
        super().__init__()
        self.heads = nn.ModuleList()
        for _ in range(num_heads):
            self.heads.append(Head(n_embd, head_size, block_size, dropout=dropout))
        self.proj = nn.Linear(head_size * num_heads, n_embd, bias=True)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        outs = tuple(head(x) for head in self.heads)
        return self.dropout(self.proj(torch.cat(outs, dim=2)))
'''

ALT_FFWD = '''
class FeedForward(nn.Module):
    """Two named layers and F.relu."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.fc_in = nn.Linear(n_embd, 4 * n_embd)
        self.fc_out = nn.Linear(4 * n_embd, n_embd)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.fc_out(F.relu(self.fc_in(x))))
'''

ALT_BLOCK = '''
class Block(nn.Module):
    """Keyword arguments, named intermediate results."""

    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.sa = MultiHeadAttention(n_embd=n_embd, num_heads=n_head, head_size=n_embd // n_head,
                                     block_size=block_size, dropout=dropout)
        self.ln2 = nn.LayerNorm(n_embd)
        self.ffwd = FeedForward(n_embd, dropout=dropout)

    def forward(self, x):
        attended = x + self.sa(self.ln1(x))
        return attended + self.ffwd(self.ln2(attended))
'''

ALT_GPT = '''
class GPTLanguageModel(nn.Module):
    """ModuleList of blocks, init by a loop over modules, flatten-based loss."""

    def __init__(self, vocab_size, n_embd, n_head, n_layer, block_size, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, block_size, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=True)
        for module in self.modules():
            self._init_weights(module)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            with torch.no_grad():
                module.weight.normal_(0.0, 0.02)
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()

    def forward(self, idx, targets=None):
        T = idx.size(1)
        x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T, device=idx.device))[None]
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    def generate(self, idx, max_new_tokens, g=None):
        was_training = self.training
        with torch.no_grad():
            for _ in range(max_new_tokens):
                ctx = idx if idx.size(1) <= self.block_size else idx[:, idx.size(1) - self.block_size:]
                probs = F.softmax(self(ctx)[0][:, -1], dim=-1)
                idx = torch.cat([idx, torch.multinomial(probs, 1, generator=g)], dim=1)
        self.train(was_training)
        return idx
'''

ALT_FAST = '''
class FastMultiHeadAttention(nn.Module):
    """chunk, reshape/permute, dropout_p from the training flag."""

    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = (t.reshape(B, T, self.n_head, hs).permute(0, 2, 1, 3) for t in self.c_attn(x).chunk(3, dim=-1))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout.p * self.training, is_causal=True)
        return self.dropout(self.c_proj(y.permute(0, 2, 1, 3).reshape(B, T, C)))
'''

ALT_LN = '''
class LayerNorm(nn.Module):
    """torch.var_mean, rsqrt, addcmul."""

    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_embd))
        self.bias = nn.Parameter(torch.zeros(n_embd))
        self.eps = eps

    def forward(self, x):
        var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)
        return torch.addcmul(self.bias, (x - mean) * torch.rsqrt(var + self.eps), self.weight)
'''

# ---- a second correct alternative per cell, for the probes of issue 27 (devices, generators, stable softmax,
# dropout written functionally): applied in a second round
ALT2_BATCH = '''
def get_batch(data, block_size, batch_size, g=None, device="cpu"):
    """Keyword arguments to randint, offsets as a list, .to(device=...)."""
    ix = torch.randint(high=len(data) - block_size, size=(batch_size,), generator=g).tolist()
    x = torch.stack([data[i:i + block_size] for i in ix]).to(device=device)
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix]).to(device=device)
    return x, y
'''

ALT2_BIGRAM = '''
class BigramLanguageModel(nn.Module):
    """A stable cross-entropy by hand (logsumexp, gather); a stable softmax by hand (max subtracted)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)
        if targets is None:
            return logits, None
        flat = logits.reshape(-1, logits.size(-1))
        logp = flat - flat.logsumexp(dim=-1, keepdim=True)
        return logits, -logp.gather(1, targets.reshape(-1, 1)).mean()

    def generate(self, idx, max_new_tokens, g=None):
        for _ in range(max_new_tokens):
            z = self(idx)[0][:, -1, :]
            e = (z - z.max(dim=-1, keepdim=True).values).exp()
            idx = torch.cat([idx, torch.multinomial(e / e.sum(dim=-1, keepdim=True), 1, generator=g)], dim=1)
        return idx
'''

ALT2_HEAD = '''
class Head(nn.Module):
    """A stable softmax by hand, a boolean mask buffer from .bool(), .mT."""

    def __init__(self, n_embd, head_size, block_size, dropout=0.0):
        super().__init__()
        self.key, self.query, self.value = (nn.Linear(n_embd, head_size, bias=False) for _ in range(3))
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)).bool())
        self.dropout = nn.Dropout(dropout)

    def attention_weights(self, x):
        T = x.shape[1]
        q, k = self.query(x), self.key(x)
        s = (q @ k.mT) / q.shape[-1] ** 0.5
        s = s.masked_fill(~self.tril[:T, :T], float("-inf"))
        e = (s - s.amax(dim=-1, keepdim=True)).exp()
        return e / e.sum(dim=-1, keepdim=True)

    def forward(self, x):
        return self.dropout(self.attention_weights(x)) @ self.value(x)
'''

ALT2_MHA = '''
class MultiHeadAttention(nn.Module):
    """Heads stacked then flattened; functional dropout with the module's p."""

    def __init__(self, n_embd, num_heads, head_size, block_size, dropout=0.0):
        super().__init__()
        self.heads = nn.ModuleList(Head(n_embd, head_size, block_size, dropout) for _ in range(num_heads))
        self.proj = nn.Linear(num_heads * head_size, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        y = torch.stack([h(x) for h in self.heads], dim=2).flatten(2)  # (B, T, nh, hs) -> (B, T, nh * hs)
        return F.dropout(self.proj(y), self.dropout.p, self.training)
'''

ALT2_FFWD = '''
class FeedForward(nn.Module):
    """torch.relu and F.dropout(training=self.training) at the end."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.up = nn.Linear(n_embd, 4 * n_embd)
        self.down = nn.Linear(4 * n_embd, n_embd)
        self.p = dropout

    def forward(self, x):
        return F.dropout(self.down(torch.relu(self.up(x))), p=self.p, training=self.training)
'''

ALT2_BLOCK = '''
class Block(nn.Module):
    """Tuple assignment of the LayerNorms, a local head size."""

    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        hs = n_embd // n_head
        self.sa = MultiHeadAttention(n_embd, n_head, hs, block_size, dropout)
        self.ffwd = FeedForward(n_embd, dropout)
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))
'''

ALT2_GPT = '''
class GPTLanguageModel(nn.Module):
    """Positions by slicing the table (no arange), (B, V, T) loss, a stable softmax by hand, init by
    nn.init.normal_ with positional arguments and constant_."""

    def __init__(self, vocab_size, n_embd, n_head, n_layer, block_size, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*(Block(n_embd, n_head, block_size, dropout) for _ in range(n_layer)))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.constant_(module.bias, 0.0)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.token_embedding_table(idx) + self.position_embedding_table.weight[:T]
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        loss = None if targets is None else F.cross_entropy(logits.transpose(1, 2), targets)
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, g=None):
        for _ in range(max_new_tokens):
            z = self(idx[:, max(0, idx.shape[1] - self.block_size):])[0][:, -1]
            e = (z - z.max(dim=-1, keepdim=True).values).exp()
            idx = torch.cat([idx, torch.multinomial(e / e.sum(dim=-1, keepdim=True), 1, generator=g)], dim=1)
        return idx
'''

ALT2_FAST = '''
class FastMultiHeadAttention(nn.Module):
    """One view (B, T, 3, nh, hs) and a permute; dropout_p from an if."""

    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        p = self.dropout.p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=p, is_causal=True)
        return self.dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, C)))
'''

ALT2_LN = '''
class LayerNorm(nn.Module):
    """Statistics with torch.mean / torch.var(correction=0), division by sqrt."""

    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))
        self.bias = nn.Parameter(torch.zeros(n_embd))

    def forward(self, x):
        mu = torch.mean(x, dim=-1, keepdim=True)
        var = torch.var(x, dim=-1, keepdim=True, correction=0)
        return self.weight * (x - mu) / (var + self.eps).sqrt() + self.bias
'''

_SOURCE = notebooks.read(NB)


def _whole(cell: str) -> str:
    return notebooks.cell_by_grade_id(_SOURCE, cell).source


ALTERNATIVES = [
    Mutant("alternative: dict(enumerate(...)), map, torch.split", TOK, _whole(TOK), ALT_TOK.strip(), None),
    Mutant("alternative: one advanced index of (B, T + 1) chunks", BATCH, _whole(BATCH), ALT_BATCH.strip(), None),
    Mutant("alternative: (B, C, T) cross-entropy, generation from the last token only", BIGRAM, _whole(BIGRAM),
           ALT_BIGRAM.strip(), None),
    Mutant("alternative: running sums, einsum, torch.full(-inf).triu(1)", AVG, _whole(AVG), ALT_AVG.strip(), None),
    Mutant("alternative: einsum, boolean mask buffer, F.dropout", HEAD, _whole(HEAD), ALT_HEAD.strip(), None),
    Mutant("alternative: heads appended in a loop, cat on dim 2", MHA, _whole(MHA), ALT_MHA.strip(), None),
    Mutant("alternative: named layers and F.relu", FFWD, _whole(FFWD), ALT_FFWD.strip(), None),
    Mutant("alternative: keyword arguments, named intermediates", BLOCK, _whole(BLOCK), ALT_BLOCK.strip(), None),
    Mutant("alternative: ModuleList of blocks, init loop, flatten loss, generate restores the mode", GPT,
           _whole(GPT), ALT_GPT.strip(), None),
    Mutant("alternative: chunk and permute, dropout_p from the training flag", FAST, _whole(FAST),
           ALT_FAST.strip(), None),
    Mutant("alternative: LayerNorm with var_mean, rsqrt, addcmul", LN, _whole(LN), ALT_LN.strip(), None),
    # the second round
    Mutant("alternative 2: randint keywords, offsets as a list, .to(device=...)", BATCH, _whole(BATCH),
           ALT2_BATCH.strip(), None),
    Mutant("alternative 2: stable cross-entropy and softmax by hand", BIGRAM, _whole(BIGRAM), ALT2_BIGRAM.strip(), None),
    Mutant("alternative 2: stable softmax by hand, boolean buffer", HEAD, _whole(HEAD), ALT2_HEAD.strip(), None),
    Mutant("alternative 2: heads stacked and flattened, F.dropout", MHA, _whole(MHA), ALT2_MHA.strip(), None),
    Mutant("alternative 2: F.dropout(training=self.training) at the end", FFWD, _whole(FFWD), ALT2_FFWD.strip(), None),
    Mutant("alternative 2: tuple-assigned LayerNorms", BLOCK, _whole(BLOCK), ALT2_BLOCK.strip(), None),
    Mutant("alternative 2: sliced position table, (B, V, T) loss, stable softmax by hand", GPT, _whole(GPT),
           ALT2_GPT.strip(), None),
    Mutant("alternative 2: one view and a permute", FAST, _whole(FAST), ALT2_FAST.strip(), None),
    Mutant("alternative 2: LayerNorm with torch.var(correction=0)", LN, _whole(LN), ALT2_LN.strip(), None),
]
MUTANTS += ALTERNATIVES


class TestTP4(mutation.MutantSuite):
    tp, source, mutants = TP, NB, MUTANTS
    # 14 core test cells and the optional LayerNorm (2 bonus points)
    points, bonus, test_cells = 26, 2, 15
