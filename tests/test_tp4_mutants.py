"""TP4 (GPT): the reference passes, classic wrong solutions are caught, other correct ones pass.

Each mutant edits one solution cell of ``source/TP4_gpt/gpt.ipynb`` and executes the notebook
as grading does (see ``tests/mutation.py``): a bug must make its test cell fail (the notebook
runs only up to that cell). The correct alternatives (``caught_by=None``), one or more per
solution cell, each in a different style from the reference, are applied **together** and
the whole notebook must then score full marks: one run instead of one per alternative
(a whole run of this notebook costs several times a truncated one), and a stronger check,
since each alternative exercise is then built on the other alternatives.
"""
from __future__ import annotations

import time

import pytest

from graders import notebooks
from tests import mutation
from tests.mutation import ROOT, Mutant, apply, run_source

TP = "TP4_gpt"
NB = ROOT / "source" / TP / "gpt.ipynb"
POINTS = 26

TOK, BATCH, BIGRAM, AVG = ("tp4_tokenizer_solution", "tp4_get_batch_solution", "tp4_bigram_solution",
                           "tp4_averaging_solution")
HEAD, MHA, FFWD, BLOCK = "tp4_head_solution", "tp4_mha_solution", "tp4_ffwd_solution", "tp4_block_solution"
GPT, FAST = "tp4_gpt_solution", "tp4_fast_attention_solution"

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
]
MUTANTS += ALTERNATIVES


@pytest.fixture(scope="module")
def source_nb():
    return notebooks.read(NB)


def test_notebook_contract(source_nb):
    """Quick checks of the source notebook and of the suite itself (no kernel)."""
    assert source_nb.metadata.kernelspec.name == "python3"
    gids = [notebooks.grade_id(c) for c in source_nb.cells if notebooks.grade_id(c)]
    assert len(gids) == len(set(gids)), "grade_ids must be unique"
    for cell in source_nb.cells:
        assert cell.get("execution_count") is None and not cell.get("outputs"), f"{cell.id} stored with outputs"
        if notebooks.is_solution(cell):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, cell.id
        if notebooks.is_test(cell):
            assert notebooks.visible_lines(cell) < len(cell.source.splitlines()), f"{cell.id} has no hidden tests"
    assert notebooks.total_points(source_nb) == POINTS
    assert all(m.cell in gids and (m.caught_by is None or m.caught_by in gids) for m in MUTANTS)
    tests = {notebooks.grade_id(c) for c in notebooks.test_cells(source_nb)}
    for gid in tests:
        n = sum(m.caught_by == gid for m in MUTANTS)
        assert n >= 3, f"{gid} has {n} mutants, expected at least 3"
    solutions = {notebooks.grade_id(c) for c in notebooks.solution_cells(source_nb)}
    assert solutions == {m.cell for m in ALTERNATIVES}, "every solution cell needs a correct alternative"


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_each_edit_applies_once(source_nb, mutant):
    apply(source_nb, mutant)  # asserts that the edited text occurs exactly once


@pytest.mark.slow
def test_source_passes(source_nb, tmp_path):
    start = time.perf_counter()
    results = run_source(source_nb, TP, tmp_path)
    wall = time.perf_counter() - start
    failed = {g: o.message for g, o in results.items() if not o.passed}
    assert not failed, f"the reference solution fails: {failed}"
    assert len(results) == 14
    print(f"\nTP4 source notebook, grading mode: {wall:.1f} s")


test_wrong_mutants_are_caught = mutation.wrong_rounds_test(TP, NB, MUTANTS)


@pytest.mark.slow
def test_alternatives_pass_together(source_nb, tmp_path):
    nb = source_nb
    for alt in ALTERNATIVES:
        nb = apply(nb, alt)
    results = run_source(nb, TP, tmp_path)
    failed = {g: o.message for g, o in results.items() if not o.passed}
    assert not failed, f"the correct alternatives fail: {failed}"
    assert len(results) == 14
