"""TP6 (VAE and diffusion): do the tests catch the bugs students make, and pass every correct answer?

Each ``Mutant`` is one edit of a solution cell of the source notebook. A wrong one names
the test cell that must fail; a correct alternative (``caught_by=None``) must pass every
test cell. An alternative here replaces a whole solution cell by another complete, correct
answer written in a different style (``_alt``). The fast tests check the suite itself; the
slow ones execute the notebook in a kernel, in grading mode (see ``tests/mutation.py``).
"""
from __future__ import annotations

from graders.course import notebooks
from tests import mutation
from tests.mutation import ROOT, Mutant

TP = "TP6_generative"
SOURCE = ROOT / "source" / TP / "generative.ipynb"

AE = "tp6_autoencoder_solution"
PCA = "tp6_pca_solution"
REPARAM = "tp6_reparameterize_solution"
KL = "tp6_kl_solution"
VAE_LOSS = "tp6_vae_loss_solution"
VAE = "tp6_vae_solution"
PRIOR = "tp6_sample_prior_solution"
SCHED = "tp6_schedules_solution"
QSAMPLE = "tp6_q_sample_solution"
EMB = "tp6_time_embedding_solution"
DENOISER = "tp6_denoiser_solution"
LOSS = "tp6_diffusion_loss_solution"
TRAIN = "tp6_train_diffusion_solution"
STEP = "tp6_ddpm_step_solution"
SAMPLE = "tp6_ddpm_sample_solution"
DDIM = "tp6_ddim_solution"

_SOURCES = {notebooks.grade_id(c): c.source for c in notebooks.solution_cells(notebooks.read(SOURCE))}


def _alt(cell: str, name: str, text: str) -> Mutant:
    """A correct alternative: the whole solution cell replaced by ``text``."""
    return Mutant(name, cell, _SOURCES[cell], text.strip("\n"), None)


ALT_AE = '''
def reconstruction_loss(x, x_hat):
    """Squared error summed per image, mean over the batch."""
    return torch.sum((x_hat - x) ** 2) / x.shape[0]


class AutoEncoder(nn.Module):
    def __init__(self, d_in=784, d_latent=2, d_hidden=256, linear=False):
        super().__init__()
        if not linear:
            enc = [nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_latent)]
            dec = [nn.Linear(d_latent, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_in), nn.Sigmoid()]
        else:
            enc, dec = [nn.Linear(d_in, d_latent)], [nn.Linear(d_latent, d_in)]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z)
'''

ALT_PCA = '''
def pca_basis(X, k):
    mean = X.mean(dim=0)
    Xc = X - mean
    cov = Xc.T @ Xc / (X.shape[0] - 1)
    evals, evecs = torch.linalg.eigh(cov)
    order = torch.argsort(evals, descending=True)[:k]
    return mean, evecs[:, order].T.contiguous()


def principal_angles(A, B):
    Ua = torch.linalg.svd(A, full_matrices=False).Vh  # orthonormal rows spanning the rows of A
    Ub = torch.linalg.svd(B, full_matrices=False).Vh
    s = torch.linalg.svdvals(Ua @ Ub.T)
    return torch.acos(torch.clamp(s, max=1.0)).sort().values
'''

ALT_REPARAM = '''
def reparameterize(mu, logvar, generator=None):
    noise = torch.normal(0.0, 1.0, size=tuple(mu.shape), generator=generator).to(device=mu.device, dtype=mu.dtype)
    sigma = (logvar / 2).exp()
    return noise * sigma + mu
'''

ALT_KL = '''
def kl_divergence(mu, logvar):
    var = torch.exp(logvar)
    return 0.5 * torch.sum(mu ** 2 + var - 1.0 - logvar, dim=-1)
'''

ALT_VAE_LOSS = '''
def vae_loss(x, x_hat, mu, logvar, C=1.0):
    rec = ((x - x_hat) ** 2).reshape(len(x), -1).sum(1)
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp(), 1)
    return torch.mean(C * rec + kl)
'''

ALT_VAE = '''
class VAE(nn.Module):
    """One head of size 2 * d_latent, split in two: as many parameters as two heads."""

    def __init__(self, d_in=784, d_hidden=400, d_latent=20):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU())
        self.head = nn.Linear(d_hidden, 2 * d_latent)
        self.dec = nn.Sequential(nn.Linear(d_latent, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_in), nn.Sigmoid())

    def encode(self, x):
        mu, logvar = self.head(self.trunk(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        return self.dec(z)

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        x_hat = self.decode(reparameterize(mu, logvar, generator=generator))
        return x_hat, mu, logvar
'''

ALT_PRIOR = '''
def sample_prior(model, n, d_latent, generator, device="cpu"):
    z = torch.normal(0.0, 1.0, size=(n, d_latent), generator=generator)
    with torch.inference_mode():
        out = model.decode(z.to(device))
    return out
'''

ALT_SCHED = '''
def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    if T == 1:
        return torch.tensor([beta_start], dtype=torch.float64)
    step = (beta_end - beta_start) / (T - 1)
    return torch.tensor([beta_start + i * step for i in range(T)], dtype=torch.float64)


def cosine_betas(T, s=0.008, max_beta=0.999):
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(T)], dtype=torch.float64)


def alphas_from_betas(betas):
    alphas = 1 - betas
    return alphas, torch.exp(torch.cumsum(torch.log(alphas), 0))
'''

ALT_QSAMPLE = '''
def q_sample(x0, t, noise, alpha_bars):
    shape = (x0.shape[0],) + (1,) * (x0.ndim - 1)
    a = torch.gather(alpha_bars.to(device=x0.device, dtype=x0.dtype), 0, t.to(x0.device)).reshape(shape)
    return torch.sqrt(a) * x0 + torch.sqrt(1.0 - a) * noise
'''

ALT_EMB = '''
def sinusoidal_embedding(t, dim, max_period=10000.0):
    h = dim // 2
    k = torch.arange(h, dtype=torch.float64, device=t.device)
    w = max_period ** (-k / h)
    a = t.to(torch.float64).reshape(-1, 1) * w.reshape(1, -1)
    return torch.cat((a.sin(), a.cos()), dim=-1).float()
'''

ALT_DENOISER = '''
class Denoiser(nn.Module):
    """Average pooling down, nearest upsampling up, a 1x1 output convolution."""

    def __init__(self, channels=1, base=32, t_dim=64):
        super().__init__()
        self.t_dim = t_dim
        self.time_mlp = nn.Sequential(nn.Linear(t_dim, 4 * base), nn.SiLU(), nn.Linear(4 * base, 4 * base))
        self.inc = nn.Conv2d(channels, base, 3, padding=1)
        self.enc = ResBlock(base, base, 4 * base)
        self.pool = nn.AvgPool2d(2)
        self.mid = ResBlock(base, 2 * base, 4 * base)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec = ResBlock(3 * base, base, 4 * base)
        self.outc = nn.Conv2d(base, channels, 1)

    def forward(self, x, t):
        if not torch.is_tensor(t):
            t = torch.tensor([t] * x.shape[0], device=x.device)
        elif t.dim() == 0 or t.shape[0] == 1:
            t = t.reshape(1).repeat(x.shape[0])
        e = self.time_mlp(sinusoidal_embedding(t.to(x.device), self.t_dim))
        a = self.enc(self.inc(x), e)
        b = self.mid(self.pool(a), e)
        return self.outc(self.dec(torch.cat([a, self.upsample(b)], 1), e))
'''

ALT_LOSS = '''
def diffusion_loss(model, x0, alpha_bars, generator):
    B = len(x0)
    t = torch.randint(low=0, high=len(alpha_bars), size=(B,), generator=generator)
    eps = torch.normal(0.0, 1.0, size=tuple(x0.shape), generator=generator)
    t, eps = t.to(x0.device), eps.to(device=x0.device, dtype=x0.dtype)
    pred = model(q_sample(x0, t, eps, alpha_bars), t)
    return ((pred - eps) ** 2).mean()
'''

ALT_TRAIN = '''
def train_diffusion(model, data, alpha_bars, steps, batch_size, lr, generator, progress=False):
    optimizer = torch.optim.Adam(params=list(model.parameters()), lr=lr)
    model.train()
    history = []
    step = 0
    while step < steps:
        batch = data[torch.randint(high=len(data), size=(batch_size,), generator=generator).to(data.device)]
        optimizer.zero_grad()
        l = diffusion_loss(model, batch, alpha_bars, generator)
        l.backward()
        optimizer.step()
        history.append(float(l))
        step += 1
    return history
'''

ALT_STEP = '''
def ddpm_step(x_t, t, eps_hat, betas, generator):
    a = 1 - betas
    abar = torch.cumprod(a, 0)
    coef = (betas[t] / torch.sqrt(1 - abar[t])).to(x_t.dtype)
    x = (x_t - coef * eps_hat) / torch.sqrt(a[t]).to(x_t.dtype)
    if t > 0:
        x = x + torch.sqrt(betas[t]).to(x_t.dtype) * torch.randn(x_t.shape, generator=generator).to(x_t.device)
    return x
'''

ALT_SAMPLE = '''
def ddpm_sample(model, shape, betas, generator, device="cpu"):
    x = torch.randn(shape, generator=generator).to(device)
    if isinstance(model, nn.Module):
        model.train(False)
    for t in reversed(range(betas.shape[0])):
        with torch.no_grad():
            eps = model(x, t)
        x = ddpm_step(x, t, eps, betas, generator)
    return x.detach()
'''

ALT_DDIM = '''
def ddim_sample(model, shape, alpha_bars, n_steps, generator, device="cpu"):
    if hasattr(model, "eval"):
        model.eval()
    T = alpha_bars.shape[0]
    steps = [int(v) for v in torch.linspace(T - 1, 0, n_steps).round()]
    x = torch.randn(shape, generator=generator).to(device)
    for cur, nxt in zip(steps, steps[1:] + [None]):
        a = alpha_bars[cur].item()
        a_next = 1.0 if nxt is None else alpha_bars[nxt].item()
        with torch.no_grad():
            e = model(x, cur)
        x = (a_next ** 0.5) * (x - (1 - a) ** 0.5 * e) / a ** 0.5 + (1 - a_next) ** 0.5 * e
    return x
'''

ALT_REPARAM_GLOBAL = '''
def reparameterize(mu, logvar, generator=None):
    if generator is None:
        eps = torch.randn_like(mu)
    else:
        eps = torch.randn(tuple(mu.shape), generator=generator, dtype=mu.dtype).to(mu.device)
    return torch.addcmul(mu, torch.exp(logvar * 0.5), eps)
'''

ALT_KL_DIST_FREE = '''
def kl_divergence(mu, logvar):
    return torch.sum(mu * mu + torch.exp(logvar) - logvar - 1, dim=1) / 2
'''

ALT_TRAIN_FLAGS = '''
def train_diffusion(model, data, alpha_bars, steps, batch_size, lr, generator, progress=False):
    model.train(True)
    adam = torch.optim.Adam(model.parameters(), lr)
    out = []
    for _ in range(steps):
        rows = torch.randint(0, data.shape[0], (batch_size,), generator=generator)
        loss = diffusion_loss(model, data[rows.to(data.device)], alpha_bars, generator)
        adam.zero_grad(set_to_none=False)
        loss.backward()
        adam.step()
        out.append(loss.detach().item())
    return out
'''

ALT_PCA_SVD_BASES = '''
def pca_basis(X, k):
    mean = X.mean(0, keepdim=True)
    U, S, Vh = torch.linalg.svd(X - mean)
    return mean.squeeze(0), Vh[:k].clone()


def principal_angles(A, B):
    Ua = torch.linalg.svd(A.T, full_matrices=False)[0]
    Ub = torch.linalg.svd(B.T, full_matrices=False)[0]
    s = torch.linalg.svdvals(Ua.T @ Ub)
    return torch.arccos(torch.clip(s, max=1.0)).sort().values
'''

AE_LOSS = "return (x - x_hat).pow(2).flatten(1).sum(1).mean()"
PCA_SVD = "_, _, Vh = torch.linalg.svd(X - mean, full_matrices=False)"
ANGLES_RET = "return torch.arccos(cos.clamp(-1.0, 1.0))"
VAE_LOSS_RET = "return C * reconstruction_loss(x, x_hat) + kl_divergence(mu, logvar).mean()"
Q_AB = "ab = alpha_bars.to(x0.device)[t].to(x0.dtype).view(-1, *([1] * (x0.dim() - 1)))"
EMB_CAT = "return torch.cat([torch.sin(args), torch.cos(args)], dim=1)"
DEN_T = ("t = torch.as_tensor(t, device=x.device).reshape(-1)\n"
         "        if t.numel() == 1:\n"
         "            t = t.expand(x.shape[0])")
LOSS_T = "t = torch.randint(0, T, (x0.shape[0],), generator=generator).to(x0.device)"
LOSS_NOISE = "noise = torch.randn(x0.shape, generator=generator).to(x0)"
LOSS_RET = "return F.mse_loss(model(x_t, t), noise)"
TRAIN_IDX = "idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator).to(data.device)"
SAMPLE_LOOP = "for t in range(len(betas) - 1, -1, -1):"
DDIM_TS = "ts = torch.linspace(T - 1, 0, n_steps).round().long().tolist()"

MUTANTS = [
    # --- 1. auto-encoder ------------------------------------------------------------------
    # issue 27: initialisation conventions the text states (escaped before: no test measured them)
    Mutant("weights re-initialised N(0, 0.01), biases zeroed", AE,
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())",
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())\n"
           "        for m in self.modules():\n"
           "            if isinstance(m, nn.Linear):\n"
           "                nn.init.normal_(m.weight, std=0.01)\n"
           "                nn.init.zeros_(m.bias)", "tp6_autoencoder", kind='initialisation'),
    Mutant("reconstruction loss with F.mse_loss (also averaged over the pixels)", AE,
           AE_LOSS, "return F.mse_loss(x_hat, x)", "tp6_autoencoder"),
    Mutant("the linear flag is ignored (always the non-linear model)", AE,
           "if linear:", "if False:", "tp6_autoencoder"),
    Mutant("input size hard-coded to 784", AE,
           "self.encoder = nn.Sequential(nn.Linear(d_in, d_hidden)",
           "self.encoder = nn.Sequential(nn.Linear(784, d_hidden)", "tp6_autoencoder"),
    Mutant("Xavier initialisation instead of nn.Linear's default", AE,
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())",
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())\n"
           "        for m in self.modules():\n"
           "            if isinstance(m, nn.Linear):\n"
           "                nn.init.xavier_uniform_(m.weight)", "tp6_autoencoder", kind='initialisation'),
    Mutant("biases zeroed", AE,
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())",
           "nn.Linear(d_hidden, d_in), nn.Sigmoid())\n"
           "        for m in self.modules():\n"
           "            if isinstance(m, nn.Linear):\n"
           "                nn.init.zeros_(m.bias)", "tp6_autoencoder", kind='initialisation'),
    _alt(AE, "correct: layer lists, sum / B, forward without encode/decode", ALT_AE),

    # --- 2. PCA and principal angles --------------------------------------------------------
    # issue 27: numerical stability of a hand-written arccos
    Mutant("cosines not clamped before arccos (nan for 1 + 1e-7)", PCA,
           ANGLES_RET, "return torch.arccos(cos)", "tp6_pca", kind='numerical stability'),
    Mutant("PCA without centring the data", PCA,
           PCA_SVD, "_, _, Vh = torch.linalg.svd(X, full_matrices=False)", "tp6_pca"),
    Mutant("PCA keeps the k smallest-variance directions (eigh's order)", PCA,
           "return mean, Vh[:k]", "return mean, Vh[-k:]", "tp6_pca"),
    Mutant("principal angles without orthonormalising the bases", PCA,
           "Qa, _ = torch.linalg.qr(A.T)          # (D, k), orthonormal columns spanning the rows of A\n"
           "    Qb, _ = torch.linalg.qr(B.T)",
           "Qa, Qb = A.T, B.T", "tp6_pca"),
    _alt(PCA, "correct: eigh of the covariance, angles from SVD bases, sorted", ALT_PCA),
    _alt(PCA, "correct: full SVD, keepdim mean, bases from SVD, torch.clip", ALT_PCA_SVD_BASES),

    # --- 3. reparameterisation ---------------------------------------------------------------
    # issue 27: a generator g=None meaning the global generator; a given generator leaving the global
    # RNG unchanged; numerical stability (all three escaped before)
    Mutant("generator=None replaced by a fresh generator (the same eps every call)", REPARAM,
           "eps = torch.randn(mu.shape, generator=generator).to(mu)",
           "eps = torch.randn(mu.shape, generator=generator if generator is not None else torch.Generator()).to(mu)",
           "tp6_reparameterize", kind='argument reaching the computation'),
    Mutant("the generator's seed copied into the global RNG", REPARAM,
           "eps = torch.randn(mu.shape, generator=generator).to(mu)",
           "if generator is not None:\n        torch.manual_seed(generator.initial_seed())\n    eps = torch.randn(mu.shape).to(mu)",
           "tp6_reparameterize", kind='state shared or leaked'),
    Mutant("sigma = sqrt(exp(logvar)) (overflows in float32 from logvar = 89)", REPARAM,
           "std = torch.exp(0.5 * logvar)", "std = torch.exp(logvar).sqrt()", "tp6_reparameterize", kind='numerical stability'),
    Mutant("sigma = exp(logvar) (forgets the 1/2)", REPARAM,
           "std = torch.exp(0.5 * logvar)", "std = torch.exp(logvar)", "tp6_reparameterize"),
    Mutant("eps from the global RNG (generator ignored)", REPARAM,
           "eps = torch.randn(mu.shape, generator=generator).to(mu)", "eps = torch.randn_like(mu)", "tp6_reparameterize"),
    Mutant("sigma detached (no gradient to logvar)", REPARAM,
           "return mu + std * eps", "return mu + std.detach() * eps", "tp6_reparameterize"),
    _alt(REPARAM, "correct: torch.normal, (logvar / 2).exp(), noise * sigma + mu", ALT_REPARAM),
    _alt(REPARAM, "correct: randn_like when generator is None, addcmul", ALT_REPARAM_GLOBAL),

    # --- 4. KL ---------------------------------------------------------------------------------
    # issue 27: numerical stability of a hand-written KL (both escaped before)
    Mutant("log sigma^2 as the log of an exponential (underflows)", KL,
           "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)",
           "var = torch.exp(0.5 * logvar) ** 2\n    return -0.5 * (1 + torch.log(var) - mu.pow(2) - var).sum(dim=1)", "tp6_kl", kind='numerical stability'),
    Mutant("KL by torch.distributions (logs of sigma: infinite for logvar = -200)", KL,
           "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)",
           "return torch.distributions.kl_divergence(torch.distributions.Normal(mu, torch.exp(0.5 * logvar)),\n"
           "                                             torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(dim=1)",
           "tp6_kl", kind='numerical stability'),
    Mutant("KL summed over the whole batch (a scalar)", KL,
           ".sum(dim=1)", ".sum()", "tp6_kl"),
    Mutant("KL averaged over the latent dimensions", KL,
           ".sum(dim=1)", ".mean(dim=1)", "tp6_kl"),
    Mutant("KL without the 1/2", KL,
           "return -0.5 * (", "return -(", "tp6_kl"),
    _alt(KL, "correct: 0.5 * sum(mu^2 + var - 1 - logvar)", ALT_KL),
    _alt(KL, "correct: mu * mu, divided by 2", ALT_KL_DIST_FREE),

    # --- 5. VAE loss ---------------------------------------------------------------------------
    Mutant("C weights the KL instead of the reconstruction", VAE_LOSS,
           VAE_LOSS_RET, "return reconstruction_loss(x, x_hat) + C * kl_divergence(mu, logvar).mean()", "tp6_vae_loss"),
    Mutant("KL summed over the batch, reconstruction averaged", VAE_LOSS,
           VAE_LOSS_RET, "return C * reconstruction_loss(x, x_hat) + kl_divergence(mu, logvar).sum()", "tp6_vae_loss"),
    Mutant("reconstruction term with F.mse_loss", VAE_LOSS,
           VAE_LOSS_RET, "return C * F.mse_loss(x_hat, x) + kl_divergence(mu, logvar).mean()", "tp6_vae_loss"),
    _alt(VAE_LOSS, "correct: both terms written out, one mean", ALT_VAE_LOSS),

    # --- 6. VAE --------------------------------------------------------------------------------
    # issue 27: generator=None meaning the global generator; the stated initialisation (both escaped before)
    Mutant("forward without a generator uses a fixed one", VAE,
           "z = reparameterize(mu, logvar, generator)\n",
           "z = reparameterize(mu, logvar, generator if generator is not None else torch.Generator().manual_seed(0))\n",
           "tp6_vae", kind='argument reaching the computation'),
    Mutant("the logvar head's weights zero-initialised", VAE,
           "self.fc_logvar = nn.Linear(d_hidden, d_latent)\n",
           "self.fc_logvar = nn.Linear(d_hidden, d_latent)\n        nn.init.zeros_(self.fc_logvar.weight)\n", "tp6_vae", kind='initialisation'),
    Mutant("logvar from the mu head", VAE,
           "return self.fc_mu(h), self.fc_logvar(h)", "return self.fc_mu(h), self.fc_mu(h)", "tp6_vae"),
    Mutant("forward decodes mu (no sampling)", VAE,
           "return self.decode(z), mu, logvar", "return self.decode(mu), mu, logvar", "tp6_vae"),
    Mutant("forward does not pass the generator", VAE,
           "z = reparameterize(mu, logvar, generator)\n", "z = reparameterize(mu, logvar)\n", "tp6_vae"),
    Mutant("VAE input size hard-coded to 784", VAE,
           "self.fc1 = nn.Linear(d_in, d_hidden)", "self.fc1 = nn.Linear(784, d_hidden)", "tp6_vae", kind='hidden assumption about sizes'),
    _alt(VAE, "correct: one head of size 2 d_latent, chunked", ALT_VAE),

    # --- 7. sampling from the prior -------------------------------------------------------------
    # issue 27: an argument that must reach the computation (escaped before)
    Mutant("the device argument ignored", PRIOR,
           "z = torch.randn((n, d_latent), generator=generator).to(device)",
           "z = torch.randn((n, d_latent), generator=generator)", "tp6_sample_prior", kind='argument reaching the computation'),
    Mutant("prior samples from the global RNG", PRIOR,
           "z = torch.randn((n, d_latent), generator=generator).to", "z = torch.randn((n, d_latent)).to", "tp6_sample_prior"),
    Mutant("uniform instead of Gaussian codes", PRIOR,
           "z = torch.randn((n, d_latent), generator=generator).to", "z = torch.rand((n, d_latent), generator=generator).to",
           "tp6_sample_prior"),
    Mutant("decoding with gradients (no torch.no_grad())", PRIOR,
           "    with torch.no_grad():\n        return model.decode(z)", "    return model.decode(z)", "tp6_sample_prior"),
    _alt(PRIOR, "correct: torch.normal, inference_mode", ALT_PRIOR),

    # --- 8. schedules --------------------------------------------------------------------------
    Mutant("alpha_bars by cumsum", SCHED,
           "torch.cumprod(alphas, dim=0)", "torch.cumsum(alphas, dim=0)", "tp6_schedules"),
    Mutant("cosine schedule without s", SCHED,
           "f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2", "f = torch.cos(t * math.pi / 2) ** 2", "tp6_schedules"),
    Mutant("cosine betas not clipped", SCHED,
           "(1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)", "(1 - alpha_bar[1:] / alpha_bar[:-1])",
           "tp6_schedules"),
    _alt(SCHED, "correct: Python lists, exp(cumsum(log))", ALT_SCHED),

    # --- 9. q_sample ---------------------------------------------------------------------------
    Mutant("alpha_bars[t] not reshaped (broadcasts on the last dimension)", QSAMPLE,
           Q_AB, "ab = alpha_bars.to(x0.device)[t].to(x0.dtype)", "tp6_q_sample"),
    Mutant("timesteps read as 1-based (alpha_bars[t - 1])", QSAMPLE,
           Q_AB, Q_AB.replace("[t]", "[t - 1]"), "tp6_q_sample"),
    Mutant("returns the schedule's float64", QSAMPLE,
           Q_AB, Q_AB.replace(".to(x0.dtype)", ""), "tp6_q_sample"),
    # issue 27: hidden assumptions about sizes (caught before and after: the tests use other sizes
    # than the notebook's, D == B and 2-D inputs among them)
    Mutant("alpha_bars[t] reshaped for 4-D images only", QSAMPLE,
           Q_AB, "ab = alpha_bars.to(x0.device)[t].to(x0.dtype).view(-1, 1, 1, 1)", "tp6_q_sample", kind='hidden assumption about sizes'),
    _alt(QSAMPLE, "correct: gather and reshape", ALT_QSAMPLE),

    # --- 10. time embedding --------------------------------------------------------------------
    Mutant("cosines before sines", EMB,
           EMB_CAT, "return torch.cat([torch.cos(args), torch.sin(args)], dim=1)", "tp6_time_embedding"),
    Mutant("frequencies over dim instead of dim / 2", EMB,
           "/ half)", "/ dim)", "tp6_time_embedding"),
    Mutant("max_period ignored", EMB,
           "math.log(max_period)", "math.log(10000.0)", "tp6_time_embedding"),
    _alt(EMB, "correct: float64 powers, reshape", ALT_EMB),

    # --- 11. denoiser --------------------------------------------------------------------------
    Mutant("t assumed to be a tensor (a Python int fails)", DENOISER,
           DEN_T, "t = t.to(x.device)", "tp6_denoiser"),
    Mutant("BatchNorm after the first convolution (mixes the batch)", DENOISER,
           "self.conv_in = nn.Conv2d(channels, base, 3, padding=1)",
           "self.conv_in = nn.Sequential(nn.Conv2d(channels, base, 3, padding=1), nn.BatchNorm2d(base))", "tp6_denoiser"),
    Mutant("the first image's t for the whole batch", DENOISER,
           "sinusoidal_embedding(t, self.t_dim)", "sinusoidal_embedding(t[:1], self.t_dim)", "tp6_denoiser"),
    _alt(DENOISER, "correct: pooling and nearest upsampling, t repeated", ALT_DENOISER),

    # --- 12. diffusion loss --------------------------------------------------------------------
    Mutant("t drawn from 1..T-1", LOSS,
           LOSS_T, LOSS_T.replace("randint(0, T", "randint(1, T"), "tp6_diffusion_loss"),
    Mutant("noise from the global RNG", LOSS,
           LOSS_NOISE, "noise = torch.randn_like(x0)", "tp6_diffusion_loss"),
    Mutant("regresses x0 instead of the noise", LOSS,
           LOSS_RET, "return F.mse_loss(model(x_t, t), x0)", "tp6_diffusion_loss"),
    _alt(LOSS, "correct: keyword randint, torch.normal, explicit mean", ALT_LOSS),

    # --- 13. training loop -----------------------------------------------------------------------
    # issue 27: a model left in eval mode; an optimiser created inside the loop (both escaped before)
    Mutant("the model left in eval() mode (no model.train())", TRAIN,
           "    model.train()\n", "", "tp6_train_diffusion", kind='dropout and train/eval mode'),
    Mutant("Adam created inside the loop (its moments reset every step)", TRAIN,
           "        loss = diffusion_loss(model, data[idx], alpha_bars, generator)",
           "        opt = torch.optim.Adam(model.parameters(), lr=lr)\n"
           "        loss = diffusion_loss(model, data[idx], alpha_bars, generator)", "tp6_train_diffusion", kind='state shared or leaked'),
    Mutant("batch size hard-coded to 128", TRAIN,
           TRAIN_IDX, TRAIN_IDX.replace("(batch_size,)", "(128,)"), "tp6_train_diffusion"),
    Mutant("minibatches from the global RNG", TRAIN,
           TRAIN_IDX, TRAIN_IDX.replace(", generator=generator", ""), "tp6_train_diffusion"),
    Mutant("lr not passed to Adam (its default 1e-3)", TRAIN,
           "torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())", "tp6_train_diffusion"),
    Mutant("gradients never zeroed (accumulated over the steps)", TRAIN,
           "opt.zero_grad(set_to_none=True)", "pass", "tp6_train_diffusion", kind='state shared or leaked'),
    _alt(TRAIN, "correct: a while loop, zero_grad first, float(loss)", ALT_TRAIN),
    _alt(TRAIN, "correct: train(True), positional lr, zero_grad(set_to_none=False)", ALT_TRAIN_FLAGS),

    # --- 14. DDPM step ---------------------------------------------------------------------------
    # issue 27: a given generator leaving the global RNG unchanged (escaped before)
    Mutant("the generator's seed copied into the global RNG for z", STEP,
           "z = torch.randn(x_t.shape, generator=generator).to(x_t)",
           "torch.manual_seed(generator.initial_seed())\n    z = torch.randn(x_t.shape).to(x_t)", "tp6_ddpm_step", kind='state shared or leaked'),
    Mutant("sigma_t = beta_t (no square root)", STEP,
           "return mean + math.sqrt(beta) * z", "return mean + beta * z", "tp6_ddpm_step"),
    Mutant("noise added at t = 0 too", STEP,
           "    if t == 0:\n        return mean\n", "", "tp6_ddpm_step"),
    Mutant("z from the global RNG", STEP,
           "z = torch.randn(x_t.shape, generator=generator).to(x_t)", "z = torch.randn_like(x_t)", "tp6_ddpm_step"),
    _alt(STEP, "correct: tensor arithmetic, noise only if t > 0", ALT_STEP),

    # --- 15. DDPM sampling -----------------------------------------------------------------------
    # issue 27: arguments that must reach the computation; the global RNG left alone (escaped before)
    Mutant("the device argument ignored (x_T stays on the CPU)", SAMPLE,
           "x = torch.randn(shape, generator=generator).to(device)",
           "x = torch.randn(shape, generator=generator)", "tp6_ddpm_sample", kind='argument reaching the computation'),
    Mutant("x_T from the global RNG reseeded with the generator's seed", SAMPLE,
           "x = torch.randn(shape, generator=generator).to(device)",
           "torch.manual_seed(generator.initial_seed())\n    x = torch.randn(shape).to(device)", "tp6_ddpm_sample", kind='state shared or leaked'),
    Mutant("timesteps T..1 (off by one)", SAMPLE,
           SAMPLE_LOOP, "for t in range(len(betas), 0, -1):", "tp6_ddpm_sample"),
    Mutant("x_T from the global RNG", SAMPLE,
           "x = torch.randn(shape, generator=generator).to(device)", "x = torch.randn(shape).to(device)", "tp6_ddpm_sample"),
    Mutant("sampling with gradients (no torch.no_grad())", SAMPLE,
           "    with torch.no_grad():\n        for t in", "    if True:\n        for t in", "tp6_ddpm_sample"),
    _alt(SAMPLE, "correct: reversed(range), train(False), no_grad per step", ALT_SAMPLE),

    # --- 16. DDIM --------------------------------------------------------------------------------
    # issue 27: a sampler left in train mode; an argument that must reach the computation (escaped before)
    Mutant("DDIM leaves the model in train() mode", DDIM,
           "    if isinstance(model, nn.Module):\n        model.eval()\n    T = len(alpha_bars)", "    T = len(alpha_bars)",
           "tp6_ddim", kind='dropout and train/eval mode'),
    Mutant("DDIM ignores the device argument", DDIM,
           "x = torch.randn(shape, generator=generator).to(device)",
           "x = torch.randn(shape, generator=generator)", "tp6_ddim", kind='argument reaching the computation'),
    Mutant("DDIM ends at alpha_bars[0]'s noise level instead of alpha_bar = 1", DDIM,
           "else 1.0", "else float(alpha_bars[0])", "tp6_ddim"),
    Mutant("DDIM timesteps by a fixed stride (misses t = 0)", DDIM,
           DDIM_TS, "ts = list(range(T - 1, -1, -(T // n_steps)))[:n_steps]", "tp6_ddim"),
    Mutant("DDIM x_T from the global RNG", DDIM,
           "x = torch.randn(shape, generator=generator).to(device)", "x = torch.randn(shape).to(device)", "tp6_ddim"),
    _alt(DDIM, "correct: zip of consecutive timesteps, .item(), powers", ALT_DDIM),
]


class TestTP6(mutation.MutantSuite):
    tp, source, mutants = TP, SOURCE, MUTANTS
    points, bonus, test_cells = 26, 4, 16   # the bonus: exercises 2 (PCA) and 16 (DDIM)
