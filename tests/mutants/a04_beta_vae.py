"""Mutation catalogue of 04_beta_vae: the usual mistakes must lose points, other correct code must not."""

from tools.mutation import Alternative, Mutant

# --- reparameterize ---------------------------------------------------------------------------------------------
_REPARAM = "def reparameterize(mu, logvar):\n    return {body}\n"

# --- beta_negative_elbo -----------------------------------------------------------------------------------------
_REC = 'F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)'
_KL = "0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)"


def _beta(rec=_REC, kl=_KL, out="(rec + beta * kl).mean(), kl.mean(), rec.mean()"):
    return f"""
def beta_negative_elbo(x, logits, mu, logvar, beta):
    rec = {rec}
    kl = {kl}
    return {out}
"""


# --- mmd ----------------------------------------------------------------------------------------------------------
def _mmd(sxx="(kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))",
         syy="(kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))", cross="2 * kxy.mean()"):
    return f"""
def mmd2_unbiased(x, y, kernel):
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    sxx = {sxx}
    syy = {syy}
    return sxx + syy - {cross}
"""


def _info(loss):
    return f"""
def info_vae_loss(x, logits, mu, logvar, z, z_prior, alpha, lam, kernel):
    _, kl, rec = beta_negative_elbo(x, logits, mu, logvar, 1.0)
    mmd = mmd2_unbiased(z, z_prior, kernel)
    return {loss}, kl, mmd
"""


# --- ConditionalVAE -----------------------------------------------------------------------------------------------
_CV_HEAD = """
class ConditionalVAE(nn.Module):
    def __init__(self, z_dim, n_classes=10, hidden=400, x_dim=784):
        super().__init__()
        self.z_dim, self.n_classes, self.x_dim = z_dim, n_classes, x_dim
        self.encoder = MLPEncoder(x_dim + n_classes, hidden, z_dim)
        self.decoder = MLPDecoder(z_dim + n_classes, hidden, x_dim)
"""


def _cv_elbo(enc_in="torch.cat([x, c], -1)", dec_in="torch.cat([z, c], -1)",
             c="F.one_hot(y, self.n_classes).to(x.dtype)", ret="beta_negative_elbo(x, logits, mu, logvar, 1.0)",
             z="reparameterize(mu, logvar)"):
    return f"""
    def negative_elbo_bound(self, x, y):
        c = {c}
        mu, logvar = self.encoder({enc_in})
        z = {z}
        logits = self.decoder({dec_in})
        return {ret}
"""


def _cv_sample(z="torch.randn(len(y), self.z_dim)", dec_in="torch.cat([z, c], -1)", out="torch.sigmoid(logits)"):
    return f"""
    def sample_x(self, y):
        z = {z}
        c = F.one_hot(y, self.n_classes).to(z.dtype)
        logits = self.decoder({dec_in})
        return {out}
"""


def _cvae(elbo=None, sample=None):
    return _CV_HEAD + (elbo or _cv_elbo()) + (sample or _cv_sample())


_ELBO_CELLS = ("test_beta_negative_elbo_values",)
_CV_ELBO = ("test_conditional_vae_elbo",)

MUTANTS = [
    # reparameterize
    Mutant(name="reparam_std_is_exp_logvar", cell="reparameterize", fails=("test_reparameterize",),
           message=r"exp\(logvar / 2\)|standard deviation",
           code=_REPARAM.format(body="mu + torch.exp(logvar) * torch.randn_like(mu)")),
    Mutant(name="reparam_variance_as_std", cell="reparameterize", fails=("test_reparameterize",),
           message=r"standard deviation|variance",
           code=_REPARAM.format(body="mu + logvar.exp().sqrt().pow(2) * torch.randn_like(mu)")),
    Mutant(name="reparam_no_noise", cell="reparameterize", fails=("test_reparameterize",), message=r"gradient|variance",
           code=_REPARAM.format(body="mu + 0.0 * logvar")),
    Mutant(name="reparam_detached", cell="reparameterize", fails=("test_reparameterize",), message=r"gradient",
           code=_REPARAM.format(body="(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).detach()")),
    Mutant(name="reparam_sigma_detached", cell="reparameterize", fails=("test_reparameterize",), message=r"gradient",
           code=_REPARAM.format(body="mu + torch.exp(0.5 * logvar).detach() * torch.randn_like(mu)")),
    Mutant(name="reparam_one_eps_per_row", cell="reparameterize", fails=("test_reparameterize",),
           message=r"correlated.*independent eps",
           code=_REPARAM.format(body="mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape[0], 1, dtype=mu.dtype)")),
    Mutant(name="reparam_one_eps_per_column", cell="reparameterize", fails=("test_reparameterize",),
           message=r"every row of z is the same",
           code=_REPARAM.format(body="mu + torch.exp(0.5 * logvar) * torch.randn(1, mu.shape[1], dtype=mu.dtype)")),
    # beta_negative_elbo
    Mutant(name="beta_on_reconstruction", cell="beta_negative_elbo",
           fails=("test_beta_negative_elbo_values", "test_beta_negative_elbo_beta"), message=r"beta",
           code=_beta(out="(beta * rec + kl).mean(), kl.mean(), rec.mean()")),
    Mutant(name="kl_returned_weighted", cell="beta_negative_elbo",
           fails=("test_beta_negative_elbo_values", "test_beta_negative_elbo_beta"), message=r"unweighted",
           code=_beta(out="(rec + beta * kl).mean(), (beta * kl).mean(), rec.mean()")),
    Mutant(name="beta_ignored", cell="beta_negative_elbo",
           fails=("test_beta_negative_elbo_values", "test_beta_negative_elbo_beta"), message=r"beta",
           code=_beta(out="(rec + kl).mean(), kl.mean(), rec.mean()")),
    Mutant(name="kl_missing_half", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"1/2",
           code=_beta(kl="(mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)")),
    Mutant(name="rec_mean_over_pixels", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"pixels",
           code=_beta(rec='F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(-1)')),
    Mutant(name="summed_over_batch", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"summed over the batch",
           code=_beta(out="(rec + beta * kl).sum(), kl.sum(), rec.sum()")),
    Mutant(name="kl_mean_over_latents", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"averaged over latent",
           code=_beta(kl="0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(-1)")),
    Mutant(name="unstable_log_sigmoid", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"stably.*-inf",
           code=_beta(rec="-(x * torch.log(torch.sigmoid(logits)) + (1 - x) * torch.log(1 - torch.sigmoid(logits)))"
                          ".sum(-1)")),
    # Part 1 states the requirement (rec from the logits, stably, tests at logits of +-200): the probability forms,
    # exact in 03's tests, clip here
    Mutant(name="sigmoid_then_binary_cross_entropy", cell="beta_negative_elbo", fails=_ELBO_CELLS,
           message=r"stably.*clips each log",
           code=_beta(rec='F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(-1)')),
    Mutant(name="bernoulli_of_probabilities", cell="beta_negative_elbo", fails=_ELBO_CELLS,
           message=r"stably.*clips the probabilities",
           code=_beta(rec="-torch.distributions.Bernoulli(probs=torch.sigmoid(logits)).log_prob(x).sum(-1)")),
    Mutant(name="computed_in_float32", cell="beta_negative_elbo", fails=_ELBO_CELLS, message=r"inputs' dtype", code="""
def beta_negative_elbo(x, logits, mu, logvar, beta):
    x, logits, mu, logvar = x.float(), logits.float(), mu.float(), logvar.float()
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
    return (rec + beta * kl).mean(), kl.mean(), rec.mean()
"""),
    Mutant(name="beta_squared", cell="beta_negative_elbo",
           fails=("test_beta_negative_elbo_values", "test_beta_negative_elbo_beta"),
           message=r"linear|d loss|weighted twice by beta",
           code=_beta(out="(rec + beta * beta * kl).mean(), kl.mean(), rec.mean()")),
    # active_units
    Mutant(name="active_units_tensor", cell="active_units", fails=("test_active_units",), message=r"Python int",
           code="def active_units(mu, threshold=0.01):\n    return (mu.var(0) > threshold).sum()\n"),
    Mutant(name="active_units_std", cell="active_units", fails=("test_active_units",), message=r"standard deviation",
           code="def active_units(mu, threshold=0.01):\n    return int((mu.std(0) > threshold).sum())\n"),
    Mutant(name="active_units_wrong_axis", cell="active_units", fails=("test_active_units",), message=r"dim 0",
           code="def active_units(mu, threshold=0.01):\n    return int((mu.var(1) > threshold).sum())\n"),
    Mutant(name="active_units_magnitude", cell="active_units", fails=("test_active_units",), message=r"variance",
           code="def active_units(mu, threshold=0.01):\n    return int((mu.pow(2).mean(0) > threshold).sum())\n"),
    Mutant(name="active_units_fixed_threshold", cell="active_units", fails=("test_active_units",),
           message=r"threshold",
           code="def active_units(mu, threshold=0.01):\n    return int((mu.var(0) > 0.01).sum())\n"),
    # rbf_kernel
    Mutant(name="rbf_on_distance", cell="rbf_kernel", fails=("test_rbf_kernel",), message=r"distance: square",
           code="def rbf_kernel(a, b, bandwidth):\n    return torch.exp(-torch.cdist(a, b) / (2 * bandwidth ** 2))\n"),
    Mutant(name="rbf_bandwidth_not_squared", cell="rbf_kernel", fails=("test_rbf_kernel",), message=r"not squared",
           code="def rbf_kernel(a, b, bandwidth):\n"
                "    return torch.exp(-(a[:, None] - b[None]).pow(2).sum(-1) / (2 * bandwidth))\n"),
    Mutant(name="rbf_missing_two", cell="rbf_kernel", fails=("test_rbf_kernel",), message=r"factor 2",
           code="def rbf_kernel(a, b, bandwidth):\n"
                "    return torch.exp(-(a[:, None] - b[None]).pow(2).sum(-1) / bandwidth ** 2)\n"),
    Mutant(name="rbf_transposed", cell="rbf_kernel", fails=("test_rbf_kernel",), message=r"\(n, m\)",
           code="def rbf_kernel(a, b, bandwidth):\n"
                "    return torch.exp(-(b[:, None] - a[None]).pow(2).sum(-1) / (2 * bandwidth ** 2))\n"),
    # mmd2_unbiased
    Mutant(name="mmd_biased", cell="mmd2_unbiased", fails=("test_mmd2_unbiased_values", "test_mmd2_unbiased_laws"),
           message=r"biased|bias", code=_mmd(sxx="kxx.mean()", syy="kyy.mean()")),
    Mutant(name="mmd_diagonal_kept_unbiased_divisor", cell="mmd2_unbiased",
           fails=("test_mmd2_unbiased_values", "test_mmd2_unbiased_laws"), message=r"diagonal|bias",
           code=_mmd(sxx="kxx.sum() / (n * (n - 1))", syy="kyy.sum() / (m * (m - 1))")),
    Mutant(name="mmd_cross_without_two", cell="mmd2_unbiased",
           fails=("test_mmd2_unbiased_values", "test_mmd2_unbiased_laws"), message=r"factor 2|cross term by 2",
           code=_mmd(cross="kxy.mean()")),
    Mutant(name="mmd_n_for_both", cell="mmd2_unbiased", fails=("test_mmd2_unbiased_values",), message=r"own count",
           code=_mmd(syy="(kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))")),
    Mutant(name="mmd_linear_time_pairs", cell="mmd2_unbiased",
           fails=("test_mmd2_unbiased_values", "test_mmd2_unbiased_laws"),
           message=r"reordered|all pairs|unbiased MMD\^2 estimate is off", code="""
def mmd2_unbiased(x, y, kernel):
    k = min(len(x), len(y)) // 2 * 2
    x1, x2, y1, y2 = x[0:k:2], x[1:k:2], y[0:k:2], y[1:k:2]
    h = kernel(x1, x2).diagonal() + kernel(y1, y2).diagonal() - kernel(x1, y2).diagonal() - kernel(x2, y1).diagonal()
    return h.mean()
"""),
    Mutant(name="mmd_fixed_rbf", cell="mmd2_unbiased", fails=("test_mmd2_unbiased_values",),
           message=r"kernel you are given", code="""
def mmd2_unbiased(x, y, kernel):
    kernel = lambda a, b: torch.exp(-torch.cdist(a, b).pow(2) / 2)
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return sxx + syy - 2 * kxy.mean()
"""),
    # info_vae_loss
    Mutant(name="info_weights_swapped", cell="info_vae_loss", fails=("test_info_vae_loss",), message=r"swapped",
           code=_info("rec + (1 - alpha) * mmd + (alpha + lam - 1) * kl")),
    Mutant(name="info_lam_only", cell="info_vae_loss", fails=("test_info_vae_loss",), message=r"alpha \+ lam - 1",
           code=_info("rec + (1 - alpha) * kl + lam * mmd")),
    Mutant(name="info_alpha_on_kl", cell="info_vae_loss", fails=("test_info_vae_loss",), message=r"1 - alpha",
           code=_info("rec + alpha * kl + (alpha + lam - 1) * mmd")),
    Mutant(name="info_mmd_sign", cell="info_vae_loss", fails=("test_info_vae_loss",), message=r"wrong sign",
           code=_info("rec + (1 - alpha) * kl - (alpha + lam - 1) * mmd")),
    Mutant(name="info_biased_mmd", cell="info_vae_loss", fails=("test_info_vae_loss",), message=r"biased", code="""
def info_vae_loss(x, logits, mu, logvar, z, z_prior, alpha, lam, kernel):
    _, kl, rec = beta_negative_elbo(x, logits, mu, logvar, 1.0)
    mmd = kernel(z, z).mean() + kernel(z_prior, z_prior).mean() - 2 * kernel(z, z_prior).mean()
    return rec + (1 - alpha) * kl + (alpha + lam - 1) * mmd, kl, mmd
"""),
    # ConditionalVAE
    Mutant(name="cvae_encoder_ignores_label", cell="ConditionalVAE", fails=("test_conditional_vae_label",),
           message=r"encoder ignores the label", code=_cvae(_cv_elbo(enc_in="torch.cat([x, 0 * c], -1)"))),
    Mutant(name="cvae_decoder_ignores_label", cell="ConditionalVAE", fails=("test_conditional_vae_label",),
           message=r"decoder ignores the label", code=_cvae(_cv_elbo(dec_in="torch.cat([z, 0 * c], -1)"))),
    Mutant(name="cvae_label_first", cell="ConditionalVAE", fails=("test_conditional_vae_label",),
           message=r"comes first",
           code=_cvae(_cv_elbo(enc_in="torch.cat([c, x], -1)", dec_in="torch.cat([c, z], -1)"))),
    Mutant(name="cvae_ten_classes_hard_coded", cell="ConditionalVAE",
           fails=("test_conditional_vae_elbo", "test_conditional_vae_label"), message=r"self\.n_classes",
           code=_cvae(_cv_elbo(c="F.one_hot(y, 10).to(x.dtype)"))),
    Mutant(name="cvae_decodes_the_mean", cell="ConditionalVAE", fails=_CV_ELBO,
           message=r"reparameterised sample", code=_cvae(_cv_elbo(dec_in="torch.cat([mu + 0 * z, c], -1)"))),
    Mutant(name="cvae_kl_doubled", cell="ConditionalVAE", fails=_CV_ELBO, message=r"1/2", code=_cvae(_cv_elbo(
        ret="(lambda r: (r[0] + r[1], 2 * r[1], r[2]))(beta_negative_elbo(x, logits, mu, logvar, 1.0))"))),
    Mutant(name="cvae_summed_over_batch", cell="ConditionalVAE", fails=_CV_ELBO, message=r"summed over the batch",
           code=_cvae(_cv_elbo(ret="tuple(len(x) * t for t in beta_negative_elbo(x, logits, mu, logvar, 1.0))"))),
    # the sample must be reparameterised: the gradient of rec reaches the encoder's mean and log-variance through it
    Mutant(name="cvae_sample_not_reparameterised", cell="ConditionalVAE", fails=_CV_ELBO,
           message=r"encoder's mean.*No gradient reaches it",
           code=_cvae(_cv_elbo(z="torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()"))),
    Mutant(name="cvae_sample_detached", cell="ConditionalVAE", fails=_CV_ELBO,
           message=r"encoder's mean.*No gradient reaches it",
           code=_cvae(_cv_elbo(z="reparameterize(mu, logvar).detach()"))),
    Mutant(name="cvae_sigma_detached", cell="ConditionalVAE", fails=_CV_ELBO, message=r"log-variance.*do not detach",
           code=_cvae(_cv_elbo(z="mu + torch.exp(0.5 * logvar).detach() * torch.randn_like(mu)"))),
    Mutant(name="cvae_sample_logits", cell="ConditionalVAE", fails=("test_conditional_vae_sample",),
           message=r"logits", code=_cvae(sample=_cv_sample(out="logits"))),
    Mutant(name="cvae_sample_binary", cell="ConditionalVAE", fails=("test_conditional_vae_sample",),
           message=r"binary", code=_cvae(sample=_cv_sample(out="torch.bernoulli(torch.sigmoid(logits))"))),
    Mutant(name="cvae_sample_ignores_label", cell="ConditionalVAE", fails=("test_conditional_vae_sample",),
           message=r"ignores the label", code=_cvae(sample=_cv_sample(dec_in="torch.cat([z, 0 * c], -1)"))),
    Mutant(name="cvae_sample_uniform_z", cell="ConditionalVAE", fails=("test_conditional_vae_sample",),
           message=r"N\(0, I\)", code=_cvae(sample=_cv_sample(z="torch.rand(len(y), self.z_dim)"))),
]

ALTERNATIVES = [
    Alternative(name="reparam_sqrt_and_randn", cell="reparameterize", code="""
def reparameterize(mu, logvar):
    eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)
    return eps * logvar.exp().sqrt() + mu
"""),
    Alternative(name="reparam_rsample", cell="reparameterize", code="""
def reparameterize(mu, logvar):
    return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()
"""),
    Alternative(name="beta_with_distributions", cell="beta_negative_elbo", code="""
def beta_negative_elbo(x, logits, mu, logvar, beta):
    from torch.distributions import Bernoulli, Normal, kl_divergence
    rec = -Bernoulli(logits=logits).log_prob(x).sum(-1).mean()
    q = Normal(mu, torch.exp(0.5 * logvar))
    kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1).mean()
    return rec + beta * kl, kl, rec
"""),
    Alternative(name="beta_logsigmoid_loop_float64", cell="beta_negative_elbo", code="""
def beta_negative_elbo(x, logits, mu, logvar, beta):
    rec = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum(1)
    kl = torch.zeros(len(mu), dtype=mu.dtype)
    for j in range(mu.shape[1]):
        kl = kl + 0.5 * (mu[:, j] ** 2 + torch.exp(logvar[:, j]) - logvar[:, j] - 1)
    loss = rec.mean() + beta * kl.mean()
    return loss, kl.mean(), rec.mean()
"""),
    Alternative(name="active_units_divides_by_n", cell="active_units", code="""
def active_units(mu, threshold=0.01):
    return int((mu.var(dim=0, correction=0) > threshold).sum())
"""),
    Alternative(name="active_units_biased_numpy", cell="active_units", code="""
def active_units(mu, threshold=0.01):
    import numpy as _np
    v = _np.var(mu.detach().cpu().numpy(), axis=0)
    return int(sum(1 for value in v if value > threshold))
"""),
    Alternative(name="rbf_cdist", cell="rbf_kernel", code="""
def rbf_kernel(a, b, bandwidth):
    return torch.exp(-0.5 * torch.cdist(a, b).pow(2) / bandwidth ** 2)
"""),
    Alternative(name="rbf_expanded_square", cell="rbf_kernel", code="""
def rbf_kernel(a, b, bandwidth):
    d2 = (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)
    return torch.exp(-d2.clamp_min(0) / (2 * bandwidth * bandwidth))
"""),
    Alternative(name="mmd_masks", cell="mmd2_unbiased", code="""
def mmd2_unbiased(x, y, kernel):
    n, m = x.shape[0], y.shape[0]
    off_x = ~torch.eye(n, dtype=torch.bool)
    off_y = ~torch.eye(m, dtype=torch.bool)
    return kernel(x, x)[off_x].mean() + kernel(y, y)[off_y].mean() - 2 * kernel(x, y).sum() / (n * m)
"""),
    Alternative(name="mmd_float64", cell="mmd2_unbiased", code="""
def mmd2_unbiased(x, y, kernel):
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x).double(), kernel(y, y).double(), kernel(x, y).double()
    total = (kxx.sum() - kxx.trace()) / (n * (n - 1)) + (kyy.sum() - kyy.trace()) / (m * (m - 1))
    return (total - 2 * kxy.mean()).to(x.dtype)
"""),
    Alternative(name="info_written_out", cell="info_vae_loss", code="""
def info_vae_loss(x, logits, mu, logvar, z, z_prior, alpha, lam, kernel):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum() / len(x)
    mmd = mmd2_unbiased(z, z_prior, kernel)
    loss = rec + kl - alpha * kl + (alpha + lam - 1) * mmd
    return loss, kl, mmd
"""),
    Alternative(name="cvae_own_onehot_and_sample", cell="ConditionalVAE", code=_CV_HEAD + """
    def _onehot(self, y, like):
        c = torch.zeros(len(y), self.n_classes, dtype=like.dtype, device=like.device)
        return c.scatter(1, y.view(-1, 1), 1.0)

    def negative_elbo_bound(self, x, y):
        c = self._onehot(y, x)
        mu, logvar = self.encoder(torch.cat((x, c), dim=1))
        std = logvar.mul(0.5).exp()
        z = torch.distributions.Normal(mu, std).rsample()
        logits = self.decoder(torch.cat((z, c), dim=1))
        rec = -torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(1)
        kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu, std),
                                               torch.distributions.Normal(0.0, 1.0)).sum(1)
        return (rec + kl).mean(), kl.mean(), rec.mean()

    def sample_x(self, y):
        z = torch.distributions.Normal(0.0, 1.0).sample((len(y), self.z_dim))
        return self.decoder(torch.cat((z, self._onehot(y, z)), dim=1)).sigmoid()
"""),
]
