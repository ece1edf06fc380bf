"""Mutation catalogue of 03_vae: the usual mistakes must lose points, other correct code must not."""

from tools.mutation import Alternative, Mutant

# ---------------------------------------------------------------------------------------------
# The VAE class is one solution cell: a mutant replaces one method and keeps the other two.
_HEAD = """
class VAE(nn.Module):
    def __init__(self, z_dim=10, hidden=(300, 300), x_dim=784, activation="tanh"):
        super().__init__()
        self.z_dim, self.x_dim = z_dim, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim, activation)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim, activation)
"""

ELBO = """
    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decoder(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
"""

IWAE = """
    def negative_iwae_bound(self, x, iw):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn((iw, *mu.shape))
        z = mu + std * eps
        logits = self.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
        log_w = log_px_z + log_pz - log_qz
        niwae = -(torch.logsumexp(log_w, dim=0) - math.log(iw))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return niwae.mean(), kl.mean(), (-log_px_z.mean(0)).mean()
"""

SAMPLE = """
    def sample_x(self, n, binary=False):
        z = torch.randn(n, self.z_dim)
        probs = torch.sigmoid(self.decoder(z))
        return torch.bernoulli(probs) if binary else probs
"""


def _vae(elbo=ELBO, iwae=IWAE, sample=SAMPLE):
    return _HEAD + elbo + iwae + sample


def _elbo(
    rec, kl, total="(rec + kl).mean(), kl.mean(), rec.mean()", z="mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)"
):
    return f"""
    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        z = {z}
        logits = self.decoder(z)
        rec = {rec}
        kl = {kl}
        return {total}
"""


_REC = 'F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)'
_KL = "0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)"


def _iwae(log_w_to_niwae, z="mu + std * eps"):
    return f"""
    def negative_iwae_bound(self, x, iw):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn((iw, *mu.shape))
        z = {z}
        eps = (z - mu) / std
        logits = self.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
        log_w = log_px_z + log_pz - log_qz
        niwae = {log_w_to_niwae}
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return niwae.mean(), kl.mean(), (-log_px_z.mean(0)).mean()
"""


def _iwae_body(body):
    """negative_iwae_bound with its own body after the encoder's mu, logvar and std."""
    return """
    def negative_iwae_bound(self, x, iw):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
""" + body.lstrip("\n")


def _sample(body):
    return f"""
    def sample_x(self, n, binary=False):
{body}
"""


_ELBO_TESTS_KL = ("test_negative_elbo_kl",)

MUTANTS = [
    # --- negative_elbo_bound -----------------------------------------------------------------
    Mutant(
        name="kl_sign_flipped",
        cell="VAE",
        fails=("test_negative_elbo_kl", "test_negative_elbo_total", "test_negative_iwae_imperfect_q"),
        message=r"sign",
        code=_vae(elbo=_elbo(_REC, "-" + _KL, total="(rec + kl).mean(), kl.mean(), rec.mean()")),
    ),
    Mutant(
        name="kl_missing_half",
        cell="VAE",
        fails=("test_negative_elbo_kl", "test_negative_elbo_total", "test_negative_iwae_imperfect_q"),
        message=r"1/2",
        code=_vae(elbo=_elbo(_REC, "(mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)")),
    ),
    Mutant(
        name="kl_exercise_sheet_formula",
        cell="VAE",
        fails=("test_negative_elbo_kl", "test_negative_elbo_total", "test_negative_iwae_imperfect_q"),
        message=r"exercise-sheet|1/2",
        code=_vae(elbo=_elbo(_REC, "(mu.pow(2) + logvar.exp() - 0.5 * logvar - 1.0).sum(-1)")),
    ),
    Mutant(
        name="kl_log_sigma_not_log_var",
        cell="VAE",
        fails=("test_negative_elbo_kl", "test_negative_elbo_total", "test_negative_iwae_imperfect_q"),
        message=r"log σ where log σ²",
        code=_vae(elbo=_elbo(_REC, "0.5 * (mu.pow(2) + logvar.exp() - 0.5 * logvar - 1.0).sum(-1)")),
    ),
    Mutant(
        name="kl_missing_from_nelbo",
        cell="VAE",
        fails=("test_negative_elbo_total",),
        message=r"KL term is missing",
        code=_vae(elbo=_elbo(_REC, _KL, total="rec.mean(), kl.mean(), rec.mean()")),
    ),
    Mutant(
        name="kl_zero",
        cell="VAE",
        fails=("test_negative_elbo_kl", "test_negative_elbo_total", "test_negative_iwae_imperfect_q"),
        message=r"missing",
        code=_vae(elbo=_elbo(_REC, "torch.zeros(len(x))")),
    ),
    Mutant(
        name="nelbo_kl_subtracted",
        cell="VAE",
        fails=("test_negative_elbo_total",),
        message=r"sign",
        code=_vae(elbo=_elbo(_REC, _KL, total="(rec - kl).mean(), kl.mean(), rec.mean()")),
    ),
    Mutant(
        name="sum_over_batch",
        cell="VAE",
        fails=(
            "test_negative_elbo_kl",
            "test_negative_elbo_rec",
            "test_negative_elbo_total",
            "test_negative_elbo_batch",
            "test_negative_elbo_sampling",
            "test_negative_iwae_imperfect_q",
        ),
        message=r"summed over the batch",
        code=_vae(elbo=_elbo(_REC, _KL, total="(rec + kl).sum(), kl.sum(), rec.sum()")),
    ),
    Mutant(
        name="rec_mse_instead_of_bernoulli",
        cell="VAE",
        fails=(
            "test_negative_elbo_rec",
            "test_negative_elbo_total",
            "test_negative_elbo_sampling",
            "test_negative_iwae_imperfect_q",
        ),
        message=r"MSE|squared error",
        code=_vae(elbo=_elbo("(x - torch.sigmoid(logits)).pow(2).sum(-1)", _KL)),
    ),
    Mutant(
        name="rec_mean_over_pixels",
        cell="VAE",
        fails=(
            "test_negative_elbo_rec",
            "test_negative_elbo_total",
            "test_negative_elbo_sampling",
            "test_negative_iwae_imperfect_q",
        ),
        message=r"averaged over the pixels",
        code=_vae(elbo=_elbo('F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(-1)', _KL)),
    ),
    Mutant(
        name="no_sampling_z_is_mu",
        cell="VAE",
        fails=("test_negative_elbo_sampling", "test_negative_elbo_reparam"),
        message=r"z = mu",
        code=_vae(elbo=_elbo(_REC, _KL, z="mu")),
    ),
    Mutant(
        name="noise_scaled_by_variance",
        cell="VAE",
        fails=("test_negative_elbo_sampling",),
        message=r"standard deviation",
        code=_vae(elbo=_elbo(_REC, _KL, z="mu + logvar.exp() * torch.randn_like(mu)")),
    ),
    Mutant(
        name="not_reparameterised",
        cell="VAE",
        fails=("test_negative_elbo_reparam",),
        message=r"reparameteri",
        code=_vae(elbo=_elbo(_REC, _KL, z="torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()")),
    ),
    # --- negative_iwae_bound -----------------------------------------------------------------
    Mutant(
        name="iwae_without_minus_log_iw",
        cell="VAE",
        fails=("test_negative_iwae_values", "test_negative_iwae_monotone", "test_negative_iwae_imperfect_q"),
        message=r"log\(iw\)",
        code=_vae(iwae=_iwae("-torch.logsumexp(log_w, dim=0)")),
    ),
    Mutant(
        name="iwae_mean_of_log_weights",
        cell="VAE",
        fails=("test_negative_iwae_monotone", "test_negative_iwae_imperfect_q", "test_negative_iwae_gradient"),
        message=r"does not improve|matches the ELBO",
        code=_vae(iwae=_iwae("-log_w.mean(0)")),
    ),
    Mutant(
        name="iwae_one_z_repeated",
        cell="VAE",
        fails=("test_negative_iwae_monotone", "test_negative_iwae_imperfect_q", "test_negative_iwae_gradient"),
        message=r"does not improve|matches the ELBO",
        code=_vae(
            iwae=_iwae(
                "-(torch.logsumexp(log_w, dim=0) - math.log(iw))",
                z="(mu + std * torch.randn_like(mu)).expand(iw, *mu.shape)",
            )
        ),
    ),
    Mutant(
        name="iwae_log_q_missing",
        cell="VAE",
        fails=(
            "test_negative_iwae_values",
            "test_negative_iwae_iw1",
            "test_negative_iwae_monotone",
            "test_negative_iwae_imperfect_q",
            "test_negative_iwae_gradient",
        ),
        message=r"log w = log p\(x\|z\) \+ log p\(z\) - log q\(z\|x\)",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w + log_qz, dim=0) - math.log(iw))")),
    ),
    Mutant(
        name="iwae_sum_over_batch",
        cell="VAE",
        fails=(
            "test_negative_iwae_values",
            "test_negative_iwae_iw1",
            "test_negative_iwae_monotone",
            "test_negative_iwae_imperfect_q",
            "test_negative_iwae_gradient",
        ),
        message=r"summed over the batch",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w, dim=0) - math.log(iw)) * len(x)")),
    ),
    Mutant(
        name="iwae_prior_as_proposal",
        cell="VAE",
        fails=("test_negative_iwae_iw1", "test_negative_iwae_imperfect_q", "test_negative_iwae_gradient"),
        message=r"prior",
        code=_vae(iwae=_iwae_body("""
        z = torch.randn((iw, *mu.shape))  # z ~ p(z): the weights are p(x|z), a valid but different estimator
        logits = self.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        niwae = -(torch.logsumexp(log_px_z, dim=0) - math.log(iw))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return niwae.mean(), kl.mean(), (-log_px_z.mean(0)).mean()
""")),
    ),
    Mutant(
        name="iwae_log_prior_missing",
        cell="VAE",
        fails=(
            "test_negative_iwae_values",
            "test_negative_iwae_iw1",
            "test_negative_iwae_monotone",
            "test_negative_iwae_imperfect_q",
            "test_negative_iwae_gradient",
        ),
        message=r"log w = log p\(x\|z\) \+ log p\(z\) - log q\(z\|x\)|784 log 2",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_px_z - log_qz, dim=0) - math.log(iw))")),
    ),
    Mutant(
        name="iwae_log_q_with_log_sigma",
        cell="VAE",
        fails=("test_negative_iwae_imperfect_q", "test_negative_iwae_gradient"),
        message=r"standard errors",
        code=_vae(iwae=_iwae(
            "-(torch.logsumexp(log_px_z + log_pz + 0.5 * (eps.pow(2) + 0.5 * logvar + math.log(2 * math.pi)).sum(-1),"
            " dim=0) - math.log(iw))")),
    ),
    Mutant(
        name="iwae_noise_scaled_by_variance",
        cell="VAE",
        fails=("test_negative_iwae_imperfect_q", "test_negative_iwae_gradient"),
        message=r"standard errors",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w, dim=0) - math.log(iw))", z="mu + logvar.exp() * eps")),
    ),
    Mutant(
        name="iwae_logsumexp_over_batch",
        cell="VAE",
        fails=(
            "test_negative_iwae_values",
            "test_negative_iwae_iw1",
            "test_negative_iwae_monotone",
            "test_negative_iwae_imperfect_q",
            "test_negative_iwae_gradient",
        ),
        message=r"784 log 2|standard errors|does not improve",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w, dim=1) - math.log(iw))")),
    ),
    Mutant(
        name="iwae_samples_not_reparameterised",
        cell="VAE",
        fails=("test_negative_iwae_gradient",),
        message=r"reparameteri",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w, dim=0) - math.log(iw))",
                             z="torch.distributions.Normal(mu, std).sample((iw,))")),
    ),
    Mutant(
        name="iwae_log_weights_detached",
        cell="VAE",
        fails=("test_negative_iwae_gradient",),
        message=r"no gradient",
        code=_vae(iwae=_iwae("-(torch.logsumexp(log_w.detach(), dim=0) - math.log(iw))")),
    ),
    Mutant(
        name="iwae_rec_summed_over_samples",
        cell="VAE",
        fails=("test_negative_iwae_values", "test_negative_iwae_imperfect_q"),
        message=r"rec",
        code=_vae(iwae=_iwae_body("""
        eps = torch.randn((iw, *mu.shape))
        z = mu + std * eps
        logits = self.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_w = log_px_z - 0.5 * z.pow(2).sum(-1) + (0.5 * eps.pow(2) + 0.5 * logvar).sum(-1)
        niwae = -(torch.logsumexp(log_w, dim=0) - math.log(iw))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return niwae.mean(), kl.mean(), (-log_px_z.sum(0)).mean()
""")),
    ),
    Mutant(
        name="iwae_kl_missing_half",
        cell="VAE",
        fails=("test_negative_iwae_imperfect_q",),
        message=r"kl",
        code=_vae(iwae=_iwae_body("""
        eps = torch.randn((iw, *mu.shape))
        z = mu + std * eps
        logits = self.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_w = log_px_z - 0.5 * z.pow(2).sum(-1) + (0.5 * eps.pow(2) + 0.5 * logvar).sum(-1)
        niwae = -(torch.logsumexp(log_w, dim=0) - math.log(iw))
        kl = (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return niwae.mean(), kl.mean(), (-log_px_z.mean(0)).mean()
""")),
    ),
    # --- sample_x ------------------------------------------------------------------------------
    Mutant(
        name="sample_returns_logits",
        cell="VAE",
        fails=("test_sample_x", "test_sample_x_binary"),
        message=r"logits",
        code=_vae(sample=_sample("        return self.decoder(torch.randn(n, self.z_dim))")),
    ),
    Mutant(
        name="sample_z_uniform",
        cell="VAE",
        fails=("test_sample_x",),
        message=r"prior N\(0, I\)",
        code=_vae(
            sample=_sample(
                "        p = torch.sigmoid(self.decoder(torch.rand(n, self.z_dim)))\n"
                "        return torch.bernoulli(p) if binary else p"
            )
        ),
    ),
    Mutant(
        name="sample_binary_by_default",
        cell="VAE",
        fails=("test_sample_x",),
        message=r"decoder means",
        code=_vae(
            sample=_sample("        return torch.bernoulli(torch.sigmoid(self.decoder(torch.randn(n, self.z_dim))))")
        ),
    ),
    Mutant(
        name="sample_binary_rounds",
        cell="VAE",
        fails=("test_sample_x_binary",),
        message=r"Bernoulli draws",
        code=_vae(
            sample=_sample(
                "        p = torch.sigmoid(self.decoder(torch.randn(n, self.z_dim)))\n"
                "        return (p > 0.5).float() if binary else p"
            )
        ),
    ),
    # --- gaussian_vae_loss ---------------------------------------------------------------------
    Mutant(
        name="gaussian_pixel_mean_mse_recipe",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_shapes", "test_gaussian_vae_loss_constant"),
        message=r"recipe",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    mse = F.mse_loss(x_hat.flatten(1), x.flatten(1))
    kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).mean()
    return mse + kl
""",
    ),
    Mutant(
        name="gaussian_sum_over_batch",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_shapes", "test_gaussian_vae_loss_constant"),
        message=r"batch",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / sigma_p ** 2 + 0.5 * x.shape[1] * math.log(2 * math.pi * sigma_p ** 2)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec + kl).sum()
""",
    ),
    Mutant(
        name="gaussian_sigma_not_squared",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_shapes", "test_gaussian_vae_loss_constant"),
        message=r"σ_p²|2 sigma_p\^2",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / sigma_p + 0.5 * x.shape[1] * math.log(2 * math.pi * sigma_p ** 2)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec + kl).mean()
""",
    ),
    Mutant(
        name="gaussian_kl_sign",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_shapes", "test_gaussian_vae_loss_constant"),
        message=r"sign",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / sigma_p ** 2 + 0.5 * x.shape[1] * math.log(2 * math.pi * sigma_p ** 2)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec - kl).mean()
""",
    ),
    Mutant(
        name="gaussian_without_constant",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_constant"),
        message=r"normalising constant",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / sigma_p ** 2
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec + kl).mean()
""",
    ),
    Mutant(
        name="gaussian_ignores_sigma_argument",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_shapes",),
        message=r"sigma_p argument",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / 0.4 ** 2 + 0.5 * x.shape[1] * math.log(2 * math.pi * 0.4 ** 2)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec + kl).mean()
""",
    ),
    Mutant(
        name="gaussian_kl_missing_half",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_values", "test_gaussian_vae_loss_shapes", "test_gaussian_vae_loss_constant"),
        message=r"1/2",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    x, x_hat = x.flatten(1), x_hat.flatten(1)
    rec = 0.5 * (x - x_hat).pow(2).sum(1) / sigma_p ** 2 + 0.5 * x.shape[1] * math.log(2 * math.pi * sigma_p ** 2)
    kl = (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return (rec + kl).mean()
""",
    ),
    Mutant(
        name="gaussian_flattens_everything",
        cell="gaussian_vae_loss",
        fails=("test_gaussian_vae_loss_shapes",),
        message=r"flatten",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    D = x.shape[-1]  # the last dimension only: wrong for images (N, 1, 28, 28)
    rec = 0.5 * (x - x_hat).pow(2).sum() / sigma_p ** 2 / len(x) + 0.5 * D * math.log(2 * math.pi * sigma_p ** 2)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return rec + kl.mean()
""",
    ),
    # --- LatentOptimization -------------------------------------------------------------------
    Mutant(
        name="latents_logvar_started_at_zero",
        cell="LatentOptimization",
        fails=("test_latent_optimization_init",),
        message=r"log sigma_i\^2 with sigma_i ~ N\(0, I\)",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.zeros(n, z_dim))  # sigma = 1, not the sheet's sigma ~ N(0, I)

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_logvar_log_abs_sigma",
        cell="LatentOptimization",
        fails=("test_latent_optimization_init",),
        message=r"log of the variance",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.randn(n, z_dim).abs().log())  # log sigma, not log sigma^2

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_sigma_is_the_mu_draw",
        cell="LatentOptimization",
        fails=("test_latent_optimization_init",),
        message=r"independent",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        draw = torch.randn(n, z_dim)
        self.mu = nn.Parameter(draw.clone())
        self.logvar = nn.Parameter(draw.pow(2).log())  # the same draw for mu and sigma

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_initialised_at_zero",
        cell="LatentOptimization",
        fails=("test_latent_optimization_init",),
        message=r"N\(0, I\)",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(n, z_dim))
        self.logvar = nn.Parameter(torch.randn(n, z_dim).pow(2).log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_logvar_initialised_at_one",
        cell="LatentOptimization",
        fails=("test_latent_optimization_init",),
        message=r"log sigma_i\^2",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.ones(n, z_dim))

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_not_parameters",
        cell="LatentOptimization",
        fails=("test_latent_optimization_shapes", "test_latent_optimization_sample"),
        message=r"nn.Parameter",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.register_buffer("mu", torch.randn(n, z_dim))
        self.register_buffer("logvar", torch.randn(n, z_dim).pow(2).log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_no_noise",
        cell="LatentOptimization",
        fails=("test_latent_optimization_sample",),
        message=r"no noise",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.randn(n, z_dim).pow(2).log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu.clone(), mu, logvar
""",
    ),
    Mutant(
        name="latents_noise_scaled_by_variance",
        cell="LatentOptimization",
        fails=("test_latent_optimization_sample",),
        message=r"standard deviation",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.randn(n, z_dim).pow(2).log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        return mu + torch.exp(logvar) * torch.randn_like(mu), mu, logvar
""",
    ),
    Mutant(
        name="latents_sample_detached",
        cell="LatentOptimization",
        fails=("test_latent_optimization_sample",),
        message=r"no gradient",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n, z_dim))
        self.logvar = nn.Parameter(torch.randn(n, z_dim).pow(2).log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        z = torch.normal(mu.detach(), torch.exp(0.5 * logvar.detach()))
        return z, mu, logvar
""",
    ),
    # --- latent_optimizer ---------------------------------------------------------------------
    Mutant(
        name="optimizer_learning_rates_swapped",
        cell="latent_optimizer",
        fails=("test_latent_optimizer_groups",),
        message=r"learning rate",
        code="""
def latent_optimizer(decoder, latents):
    return torch.optim.Adam([{"params": decoder.parameters(), "lr": 1e-2},
                             {"params": latents.parameters(), "lr": 1e-3}])
""",
    ),
    Mutant(
        name="optimizer_single_group",
        cell="latent_optimizer",
        fails=("test_latent_optimizer_groups",),
        message=r"1e-2",
        code="""
def latent_optimizer(decoder, latents):
    return torch.optim.Adam(list(decoder.parameters()) + list(latents.parameters()), lr=1e-3)
""",
    ),
    Mutant(
        name="optimizer_forgets_latents",
        cell="latent_optimizer",
        fails=("test_latent_optimizer_groups",),
        message=r"missing",
        code="""
def latent_optimizer(decoder, latents):
    return torch.optim.Adam(decoder.parameters(), lr=1e-3)
""",
    ),
    # --- log_likelihood_importance ------------------------------------------------------------
    Mutant(
        name="importance_without_minus_log_M",
        cell="log_likelihood_importance",
        fails=(
            "test_log_likelihood_importance_exact",
            "test_log_likelihood_importance_known",
            "test_log_likelihood_importance_proposal",
        ),
        message=r"log M",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = q.sample((M,))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        return torch.logsumexp(log_px_z + log_pz - q.log_prob(z).sum(-1), dim=0)
""",
    ),
    Mutant(
        name="importance_mean_of_log_weights",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_known", "test_log_likelihood_importance_proposal"),
        message=r"ELBO",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = q.sample((M,))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        return (log_px_z + log_pz - q.log_prob(z).sum(-1)).mean(0)
""",
    ),
    Mutant(
        name="importance_returns_batch_mean",
        cell="log_likelihood_importance",
        fails=(
            "test_log_likelihood_importance_exact",
            "test_log_likelihood_importance_known",
            "test_log_likelihood_importance_proposal",
        ),
        message=r"one log p\(x\) per image",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = q.sample((M,))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        return (torch.logsumexp(log_px_z + log_pz - q.log_prob(z).sum(-1), dim=0) - math.log(M)).mean()
""",
    ),
    Mutant(
        name="importance_without_proposal_density",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_known", "test_log_likelihood_importance_proposal"),
        message=r"log w = log p\(x\|z\) \+ log p\(z\) - log q\(z\|x\)",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn((M, *mu.shape))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        return torch.logsumexp(log_px_z, dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_prior_as_proposal",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_proposal",),
        message=r"prior",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, _ = model.encoder(x)
        z = torch.randn((M, *mu.shape))  # the proposal is the prior, not q(z|x)
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        return torch.logsumexp(log_px_z, dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_log_prior_missing",
        cell="log_likelihood_importance",
        fails=(
            "test_log_likelihood_importance_exact",
            "test_log_likelihood_importance_known",
            "test_log_likelihood_importance_proposal",
        ),
        message=r"784 log 2|log w = log p\(x\|z\) \+ log p\(z\) - log q\(z\|x\)",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = q.sample((M,))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        return torch.logsumexp(log_px_z - q.log_prob(z).sum(-1), dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_noise_scaled_by_variance",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_known", "test_log_likelihood_importance_proposal"),
        message=r"standard errors|log w = log p\(x\|z\)",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        eps = torch.randn((M, *mu.shape))
        z = mu + logvar.exp() * eps
        logits = model.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_log_q_with_log_sigma",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_known", "test_log_likelihood_importance_proposal"),
        message=r"standard errors|log w = log p\(x\|z\)",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        eps = torch.randn((M, *mu.shape))
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = model.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + 0.5 * logvar + math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_z_is_mu",
        cell="log_likelihood_importance",
        fails=("test_log_likelihood_importance_known", "test_log_likelihood_importance_proposal"),
        message=r"fresh",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = mu.expand(M, *mu.shape)  # no sampling
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        log_w = log_px_z + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
        return torch.logsumexp(log_w, dim=0) - math.log(M)
""",
    ),
    Mutant(
        name="importance_logsumexp_over_batch",
        cell="log_likelihood_importance",
        fails=(
            "test_log_likelihood_importance_exact",
            "test_log_likelihood_importance_known",
            "test_log_likelihood_importance_proposal",
        ),
        message=r"shape",
        code="""
def log_likelihood_importance(model, x, M=1000):
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        z = q.sample((M,))
        logits = model.decoder(z)
        log_px_z = torch.distributions.Bernoulli(logits=logits).log_prob(x.expand_as(logits)).sum(-1)
        log_w = log_px_z + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
        return torch.logsumexp(log_w, dim=1) - math.log(M)
""",
    ),
]

ALTERNATIVES = [
    Alternative(
        name="vae_with_torch_distributions",
        cell="VAE",
        code="""
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence


class VAE(nn.Module):
    def __init__(self, z_dim=10, hidden=(300, 300), x_dim=784, activation="tanh"):
        super().__init__()
        self.z_dim, self.x_dim = z_dim, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim, activation)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim, activation)

    def _q(self, x):
        mu, logvar = self.encoder(x)
        return Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)

    def negative_elbo_bound(self, x):
        q = self._q(x)
        z = q.rsample()
        rec = -Independent(Bernoulli(logits=self.decoder(z)), 1).log_prob(x)
        prior = Independent(Normal(torch.zeros_like(z), torch.ones_like(z)), 1)
        kl = kl_divergence(q, prior)
        return (rec + kl).mean(), kl.mean(), rec.mean()

    def negative_iwae_bound(self, x, iw):
        q = self._q(x)
        z = q.rsample((iw,))
        log_px_z = Independent(Bernoulli(logits=self.decoder(z)), 1).log_prob(x.expand(iw, *x.shape))
        log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_w = log_px_z + log_pz - q.log_prob(z)
        niwae = math.log(iw) - torch.logsumexp(log_w, 0)
        prior = Independent(Normal(torch.zeros_like(q.mean), torch.ones_like(q.mean)), 1)
        return niwae.mean(), kl_divergence(q, prior).mean(), -log_px_z.mean()

    def sample_x(self, n, binary=False):
        z = Normal(0.0, 1.0).sample((n, self.z_dim))
        p = Bernoulli(logits=self.decoder(z))
        return p.sample() if binary else p.probs
""",
    ),
    Alternative(
        name="vae_float64_loops",
        cell="VAE",
        code="""
class VAE(nn.Module):
    def __init__(self, z_dim=10, hidden=(300, 300), x_dim=784, activation="tanh"):
        super().__init__()
        self.z_dim, self.x_dim = z_dim, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim, activation)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim, activation)

    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        sigma = torch.sqrt(torch.exp(logvar))
        z = mu + sigma * torch.randn(mu.shape)
        p = torch.sigmoid(self.decoder(z).double()).clamp(1e-12, 1 - 1e-12)
        xd = x.double()
        rec = -(xd * torch.log(p) + (1 - xd) * torch.log1p(-p)).sum(1)
        kl = torch.zeros(len(x), dtype=torch.float64)
        for j in range(mu.shape[1]):
            m, lv = mu[:, j].double(), logvar[:, j].double()
            kl = kl + 0.5 * (m * m + torch.exp(lv) - lv - 1)
        return (rec + kl).mean(), kl.mean(), rec.mean()

    def negative_iwae_bound(self, x, iw):
        mu, logvar = self.encoder(x)
        mu, logvar = mu.double(), logvar.double()
        std = torch.exp(0.5 * logvar)
        log_ws, recs = [], []
        for _ in range(iw):
            eps = torch.randn(mu.shape, dtype=torch.float64)
            z = mu + std * eps
            logits = self.decoder(z.float()).double()
            log_px_z = -F.binary_cross_entropy_with_logits(logits, x.double(), reduction="none").sum(1)
            log_ratio = (-0.5 * z ** 2 + 0.5 * eps ** 2 + 0.5 * logvar).sum(1)
            log_ws.append(log_px_z + log_ratio)
            recs.append(-log_px_z)
        log_w = torch.stack(log_ws)
        m = log_w.max(0).values
        niwae = -(m + torch.log(torch.exp(log_w - m).mean(0)))
        kl = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(1)
        return niwae.mean(), kl.mean(), torch.stack(recs).mean()

    def sample_x(self, n, binary=False):
        with torch.no_grad():
            probs = torch.sigmoid(self.decoder(torch.randn(n, self.z_dim)))
        if binary:
            return (torch.rand_like(probs) < probs).float()
        return probs
""",
    ),
    Alternative(
        name="gaussian_with_torch_distributions",
        cell="gaussian_vae_loss",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    from torch.distributions import Normal, kl_divergence
    n = x.shape[0]
    log_lik = Normal(x_hat.reshape(n, -1), sigma_p).log_prob(x.reshape(n, -1)).sum(1)
    kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1)
    return (kl - log_lik).mean()
""",
    ),
    Alternative(
        name="gaussian_float64_mse_rescaled",
        cell="gaussian_vae_loss",
        code="""
def gaussian_vae_loss(x, x_hat, mu, logvar, sigma_p=0.4):
    D = x[0].numel()
    mse_sum = F.mse_loss(x_hat.double(), x.double(), reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + logvar.double() - mu.double() ** 2 - logvar.double().exp()) / x.shape[0]
    return mse_sum / (2 * sigma_p ** 2) + D * math.log(sigma_p) + 0.5 * D * math.log(2 * math.pi) + kl
""",
    ),
    Alternative(
        name="latents_with_init_functions",
        cell="LatentOptimization",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        self.mu = nn.Parameter(torch.empty(n, z_dim))
        self.logvar = nn.Parameter(torch.empty(n, z_dim))
        nn.init.normal_(self.mu, 0.0, 1.0)
        with torch.no_grad():
            self.logvar.copy_(2 * torch.randn(n, z_dim).abs().log())

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        z = torch.distributions.Normal(mu, logvar.mul(0.5).exp()).rsample()
        return z, mu, logvar
""",
    ),
    Alternative(
        name="latents_sigma_drawn_first_chi_square",
        cell="LatentOptimization",
        code="""
class LatentOptimization(nn.Module):
    def __init__(self, n, z_dim):
        super().__init__()
        # another order of random draws, and sigma^2 ~ chi-square(1) sampled directly
        self.logvar = nn.Parameter(torch.distributions.Chi2(torch.tensor(1.0)).sample((n, z_dim)).log())
        self.mu = nn.Parameter(torch.distributions.Normal(0.0, 1.0).sample((n, z_dim)))

    def forward(self, idx):
        mu, logvar = self.mu[idx], self.logvar[idx]
        eps = torch.randn(len(idx), self.mu.shape[1])
        return mu + eps * logvar.exp().sqrt(), mu, logvar
""",
    ),
    Alternative(
        name="optimizer_groups_other_order",
        cell="latent_optimizer",
        code="""
def latent_optimizer(decoder, latents):
    groups = [dict(params=[latents.mu, latents.logvar], lr=0.01), dict(params=list(decoder.parameters()))]
    return torch.optim.Adam(groups, lr=0.001)
""",
    ),
    Alternative(
        name="importance_with_distributions_float64_chunks",
        cell="log_likelihood_importance",
        code="""
def log_likelihood_importance(model, x, M=1000):
    from torch.distributions import Bernoulli, Normal
    with torch.no_grad():
        mu, logvar = model.encoder(x)
        q = Normal(mu.double(), torch.exp(0.5 * logvar.double()))
        chunks = []
        for start in range(0, M, 128):
            z = q.sample((min(128, M - start),))
            logits = model.decoder(z.float()).double()
            log_w = (Bernoulli(logits=logits).log_prob(x.double().expand_as(logits)).sum(-1)
                     + Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1))
            chunks.append(log_w)
        log_w = torch.cat(chunks)
        return torch.logsumexp(log_w, 0) - math.log(M)
""",
    ),
    Alternative(
        name="vae_interface_of_the_helpers_modules",
        cell="VAE",
        code="""
class VAE(nn.Module):
    def __init__(self, z_dim=10, hidden=(300, 300), x_dim=784, activation="tanh"):
        super().__init__()
        self.z_dim, self.x_dim = z_dim, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim, activation)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim, activation)

    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x.reshape(-1, self.encoder.in_dim))
        z = mu + torch.randn(len(x), self.encoder.z_dim) * (0.5 * logvar).exp()
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum") / len(x)
        kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp()) / len(x)
        return rec + kl, kl, rec

    def negative_iwae_bound(self, x, iw):
        # the other order of random draws: one image at a time, samples along dimension 1
        values, kls, recs = [], [], []
        for image in x:
            mu, logvar = (t[0] for t in self.encoder(image[None]))
            std = (0.5 * logvar).exp()
            eps = torch.randn(iw, self.decoder.z_dim)
            z = mu + std * eps
            log_px_z = -F.binary_cross_entropy_with_logits(
                self.decoder(z), image.expand(iw, self.decoder.out_dim), reduction="none").sum(1)
            log_w = log_px_z + (-0.5 * z ** 2 + 0.5 * eps ** 2 + 0.5 * logvar).sum(1)
            values.append(math.log(iw) - torch.logsumexp(log_w, 0))
            kls.append(0.5 * (mu ** 2 + std ** 2 - logvar - 1).sum())
            recs.append(-log_px_z.mean())
        return torch.stack(values).mean(), torch.stack(kls).mean(), torch.stack(recs).mean()

    def sample_x(self, n, binary=False):
        z = torch.randn(n, self.decoder.z_dim)
        probs = torch.sigmoid(self.decoder(z))
        return torch.bernoulli(probs) if binary else probs
""",
    ),
    Alternative(
        name="sample_x_with_encoder_z_dim",
        cell="VAE",
        code=_vae(sample=_sample(
            "        z = torch.randn(n, self.encoder.z_dim)\n"
            "        return torch.distributions.Bernoulli(logits=self.decoder(z)).sample() if binary else "
            "self.decoder(z).sigmoid()")),
    ),
    Alternative(
        name="importance_loop_over_images_samples_first",
        cell="log_likelihood_importance",
        code="""
def log_likelihood_importance(model, x, M=1000):
    out = []
    with torch.no_grad():
        for image in x.double():
            mu, logvar = (t[0].double() for t in model.encoder(image[None].float()))
            std = torch.exp(0.5 * logvar)
            z = mu + std * torch.randn(M, model.decoder.z_dim, dtype=torch.float64)
            logits = model.decoder(z.float()).double()
            log_px_z = (image * F.logsigmoid(logits) + (1 - image) * F.logsigmoid(-logits)).sum(1)
            log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
            log_qz = torch.distributions.Normal(mu, std).log_prob(z).sum(1)
            log_w = log_px_z + log_pz - log_qz
            out.append(torch.logsumexp(log_w, 0) - math.log(M))
    return torch.stack(out).float()
""",
    ),
]
