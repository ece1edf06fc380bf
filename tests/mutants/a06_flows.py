"""Mutation catalogue of 06_flows: the usual mistakes must lose points, other correct code must not."""

from tools.mutation import Alternative, Mutant

# ---------------------------------------------------------------------------------------------
# planar_u_hat


def _uhat(body):
    return f"""
def planar_u_hat(u, w):
{body}
"""


_UHAT_OK_TAIL = """
    safe = torch.where(w_sq > 0, w_sq, torch.ones_like(w_sq))
    return u + torch.where(w_sq > 0, (m - wu) / safe, torch.zeros_like(w_sq)) * w
"""

UHAT_MUTANTS = [
    Mutant(name="u_hat_divides_by_norm", cell="planar_u_hat",
           fails=("test_planar_u_hat_values", "test_planar_u_hat_batch"), message=r"\|\|w\|\|, not by \|\|w\|\|\^2",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True).sqrt()
    m = -1.0 + F.softplus(wu)""" + _UHAT_OK_TAIL)),
    Mutant(name="u_hat_m_without_minus_one", cell="planar_u_hat",
           fails=("test_planar_u_hat_values", "test_planar_u_hat_batch"), message=r"-1 is missing",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True)
    m = F.softplus(wu)""" + _UHAT_OK_TAIL)),
    Mutant(name="u_hat_forgets_minus_wu", cell="planar_u_hat",
           fails=("test_planar_u_hat_values", "test_planar_u_hat_batch"), message=r"subtract w\^T u|not invertible",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True)
    m = -1.0 + F.softplus(wu)
    safe = torch.where(w_sq > 0, w_sq, torch.ones_like(w_sq))
    return u + torch.where(w_sq > 0, m / safe, torch.zeros_like(w_sq)) * w
""")),
    Mutant(name="u_hat_inner_product_over_everything", cell="planar_u_hat",
           fails=("test_planar_u_hat_batch",), message=r"last dimension",
           code=_uhat("""
    wu = (w * u).sum()
    w_sq = (w * w).sum(-1, keepdim=True)
    m = -1.0 + F.softplus(wu)""" + _UHAT_OK_TAIL)),
    Mutant(name="u_hat_no_zero_guard", cell="planar_u_hat",
           fails=("test_planar_u_hat_values", "test_planar_u_hat_batch"), message=r"w = 0",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    return u + (-1.0 + F.softplus(wu) - wu) * w / (w * w).sum(-1, keepdim=True)
""")),
    Mutant(name="u_hat_only_when_violated", cell="planar_u_hat",  # fixing u only where w^T u < -1
           fails=("test_planar_u_hat_values", "test_planar_u_hat_batch"), message=r"m\(w\^T u\)",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True)
    m = torch.where(wu < -1, -1.0 + F.softplus(wu), wu)""" + _UHAT_OK_TAIL)),
    Mutant(name="u_hat_m_without_gradient", cell="planar_u_hat",  # the right values, but m(w^T u) is a constant
           fails=("test_planar_u_hat_values",), message=r"gradient of u_hat.*(no_grad|detach)",
           code=_uhat("""
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True)
    with torch.no_grad():
        m = -1.0 + F.softplus(wu)""" + _UHAT_OK_TAIL)),
    Mutant(name="u_hat_zero_branch_for_the_whole_batch", cell="planar_u_hat",  # w = 0 handled only when all of w is 0
           fails=("test_planar_u_hat_batch",), message=r"row by row",
           code=_uhat("""
    if torch.all(w == 0):
        return u
    wu = (w * u).sum(-1, keepdim=True)
    return u + (-1.0 + F.softplus(wu) - wu) * w / (w * w).sum(-1, keepdim=True)
""")),
]

UHAT_ALTERNATIVES = [
    Alternative(name="u_hat_log1p_exp_and_eps", cell="planar_u_hat", code=_uhat("""
    wu = torch.einsum("...i,...i->...", w, u).unsqueeze(-1)
    m = -1.0 + torch.log1p(torch.exp(wu))
    norm2 = torch.linalg.vector_norm(w, dim=-1, keepdim=True) ** 2
    return u + (m - wu) * w / (norm2 + 1e-30)
""")),
    Alternative(name="u_hat_float64_loop_free_projection", cell="planar_u_hat", code=_uhat("""
    u, w = torch.broadcast_tensors(u, w)
    wu = (w * u).sum(-1)
    w_sq = (w ** 2).sum(-1)
    scale = torch.zeros_like(wu)
    nz = w_sq != 0
    scale[nz] = (F.softplus(wu[nz]) - 1 - wu[nz]) / w_sq[nz]
    return u + scale.unsqueeze(-1) * w
""")),
    Alternative(name="u_hat_python_branch_row_by_row", cell="planar_u_hat", code=_uhat("""
    u, w = torch.broadcast_tensors(u, w)
    rows = []
    for ui, wi in zip(u.reshape(-1, u.shape[-1]), w.reshape(-1, w.shape[-1]), strict=True):
        if torch.all(wi == 0):
            rows.append(ui)
        else:
            wu = torch.dot(wi, ui)
            rows.append(ui + (F.softplus(wu) - 1 - wu) * wi / torch.dot(wi, wi))
    return torch.stack(rows).reshape(u.shape)
""")),
]

# ---------------------------------------------------------------------------------------------
# planar_flow


def _flow(log_det, psi="(1 - h ** 2).unsqueeze(-1) * w", ret="f_z, log_abs_det"):
    return f"""
def planar_flow(z, u, w, b):
    b = torch.as_tensor(b, dtype=z.dtype)
    h = torch.tanh((z * w).sum(-1) + b)
    f_z = z + u * h.unsqueeze(-1)
    psi = {psi}
    log_abs_det = {log_det}
    return {ret}
"""


FLOW_MUTANTS = [
    Mutant(name="planar_no_abs", cell="planar_flow", fails=("test_planar_flow_logdet", "test_planar_flow_batch"),
           message=r"absolute value", code=_flow("torch.log(1 + (u * psi).sum(-1))")),
    Mutant(name="planar_wrong_sign", cell="planar_flow", fails=("test_planar_flow_logdet", "test_planar_flow_batch"),
           message=r"wrong sign", code=_flow("-torch.log(torch.abs(1 + (u * psi).sum(-1)))")),
    Mutant(name="planar_psi_one_minus_tanh", cell="planar_flow",
           fails=("test_planar_flow_logdet", "test_planar_flow_batch"), message=r"1 - tanh\^2",
           code=_flow("torch.log(torch.abs(1 + (u * psi).sum(-1)))", psi="(1 - h).unsqueeze(-1) * w")),
    Mutant(name="planar_missing_one_plus", cell="planar_flow",  # log |0| = -inf where u = 0
           fails=("test_planar_flow_values", "test_planar_flow_logdet", "test_planar_flow_batch"),
           message=r"1 \+|u = 0 must give the identity",
           code=_flow("torch.log(torch.abs((u * psi).sum(-1)))")),
    Mutant(name="planar_logdet_summed_over_batch", cell="planar_flow",
           fails=("test_planar_flow_values", "test_planar_flow_logdet", "test_planar_flow_batch"),
           message=r"shape \(N,\)|log_abs_det (is )?\(N,\)",
           code=_flow("torch.log(torch.abs(1 + (u * psi).sum(-1))).sum()")),
    Mutant(name="planar_f_without_b", cell="planar_flow",  # its log-determinant is not that of its own map
           fails=("test_planar_flow_values", "test_planar_flow_logdet", "test_planar_flow_batch"),
           message=r"f\(z\)|from autograd",
           code="""
def planar_flow(z, u, w, b):
    b = torch.as_tensor(b, dtype=z.dtype)
    h = torch.tanh((z * w).sum(-1))
    f_z = z + u * h.unsqueeze(-1)
    t = torch.tanh((z * w).sum(-1) + b)
    log_abs_det = torch.log(torch.abs(1 + (u * (1 - t ** 2).unsqueeze(-1) * w).sum(-1)))
    return f_z, log_abs_det
"""),
]

FLOW_ALTERNATIVES = [
    Alternative(name="planar_cosh_and_einsum", cell="planar_flow", code="""
def planar_flow(z, u, w, b):
    a = torch.einsum("...i,...i->...", z, w.expand_as(z)) + b
    f_z = z + u * torch.tanh(a)[:, None]
    d = 1.0 / torch.cosh(a) ** 2
    return f_z, (1 + d * (u * w).sum(-1)).abs().log()
"""),
    Alternative(name="planar_loop_over_rows", cell="planar_flow", code="""
def planar_flow(z, u, w, b):
    n = z.shape[0]
    u, w = u.expand(n, -1), w.expand(n, -1)
    b = torch.as_tensor(b, dtype=z.dtype).expand(n)
    fs, lds = [], []
    for i in range(n):
        a = torch.dot(w[i], z[i]) + b[i]
        fs.append(z[i] + u[i] * torch.tanh(a))
        lds.append(torch.log(torch.abs(1 + torch.dot(u[i], w[i]) * (1 - torch.tanh(a) ** 2))))
    return torch.stack(fs), torch.stack(lds)
"""),
]

# ---------------------------------------------------------------------------------------------
# PlanarFlowVAE: one solution cell; a mutant replaces one method and keeps the other.
_HEAD = """
class NoFlowParameters(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width

    def forward(self, x):
        return x.new_zeros(x.shape[0], 0, self.width)


class PlanarFlowVAE(nn.Module):
    def __init__(self, z_dim, n_flows, hidden=400, x_dim=784):
        super().__init__()
        self.z_dim, self.n_flows, self.x_dim = z_dim, n_flows, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim)
        width = 2 * z_dim + 1
        self.flow_net = nn.Sequential(
            nn.Linear(x_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_flows * width), nn.Unflatten(-1, (n_flows, width))
        ) if n_flows else NoFlowParameters(width)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim)
"""


_EPS = "torch.randn((n, *mu.shape), dtype=mu.dtype)"


def _posterior(uhat="planar_u_hat(u, w)", update="log_q - log_det", order="range(self.n_flows)",
               sample=f"mu + std * {_EPS}", log_q0="Normal(mu, std).log_prob(z).sum(-1)"):
    return f"""
    def posterior(self, x, n):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
        z = {sample}
        log_q = {log_q0}
        params = self.flow_net(x)
        k, batch = self.z_dim, mu.shape[0]
        z = z.reshape(n * batch, k)
        log_q = log_q.reshape(n * batch)
        for step in {order}:
            p = params[:, step].repeat(n, 1)
            u, w, b = p[:, :k], p[:, k:2 * k], p[:, 2 * k]
            z, log_det = planar_flow(z, {uhat}, w, b)
            log_q = {update}
        return z.reshape(n, batch, k), log_q.reshape(n, batch)
"""


POSTERIOR = _posterior()


def _elbo(kl="log_q - Normal(0.0, 1.0).log_prob(z).sum(-1)", rec=".sum(-1)",
          total="(rec + kl).mean(), kl.mean(), rec.mean()"):
    return f"""
    def negative_elbo_bound(self, x):
        z, log_q = self.posterior(x, 1)
        z, log_q = z[0], log_q[0]
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none"){rec}
        kl = {kl}
        return {total}
"""


ELBO = _elbo()

VAE_MUTANTS = [
    Mutant(name="vae_no_u_hat", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",), message=r"planar_u_hat",
           code=_HEAD + _posterior(uhat="u") + ELBO),
    Mutant(name="vae_adds_log_det", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"added the log-determinants", code=_HEAD + _posterior(update="log_q + log_det") + ELBO),
    Mutant(name="vae_forgets_log_det", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"subtract the log-determinants", code=_HEAD + _posterior(update="log_q") + ELBO),
    Mutant(name="vae_prior_at_z0", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",), message=r"at z0",
           code=_HEAD + POSTERIOR + """
    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
        z0 = mu + std * torch.randn_like(mu)
        log_q = Normal(mu, std).log_prob(z0).sum(-1)
        params = self.flow_net(x)
        k, z = self.z_dim, z0
        for step in range(self.n_flows):
            u, w, b = params[:, step, :k], params[:, step, k:2 * k], params[:, step, 2 * k]
            z, log_det = planar_flow(z, planar_u_hat(u, w), w, b)
            log_q = log_q - log_det
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(-1)
        kl = log_q - Normal(0.0, 1.0).log_prob(z0).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
    Mutant(name="vae_closed_form_kl", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",), message=r"closed-form",
           code=_HEAD + POSTERIOR + """
    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        z, _ = self.posterior(x, 1)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z[0]), x, reduction="none").sum(-1)
        kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
    Mutant(name="vae_rec_mean_over_pixels", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",), message=r"pixels",
           code=_HEAD + POSTERIOR + _elbo(rec=".mean(-1)")),
    Mutant(name="vae_kl_summed_over_batch", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",),
           message=r"summed over the batch",
           code=_HEAD + POSTERIOR + _elbo(total="(rec.mean() + kl.sum()), kl.sum(), rec.mean()")),
    Mutant(name="vae_flows_in_reverse_order", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"order|not log q_K", code=_HEAD + _posterior(order="reversed(range(self.n_flows))") + ELBO),
    # gradient paths: the right values, the wrong gradients
    Mutant(name="vae_sample_not_reparameterised", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"not \.sample\(\)",
           code=_HEAD + _posterior(sample="Normal(mu, std).sample((n,))") + ELBO),
    Mutant(name="vae_z0_detached", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",), message=r"not detached",
           code=_HEAD + _posterior(sample=f"(mu + std * {_EPS}).detach()") + ELBO),
    Mutant(name="vae_sigma_detached", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"dz/dlogvar is off.*sigma detached",
           code=_HEAD + _posterior(sample=f"mu + std.detach() * {_EPS}") + ELBO),
    Mutant(name="vae_variance_as_scale", cell="PlanarFlowVAE", fails=("test_flow_vae_posterior",),
           message=r"exp\(logvar\), the variance",
           code=_HEAD + _posterior(sample=f"mu + torch.exp(logvar) * {_EPS}") + ELBO),
    Mutant(name="vae_elbo_own_sample_not_reparameterised", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",),
           message=r"rec does not pass its gradient", code=_HEAD + POSTERIOR + """
    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        q0 = Normal(mu, torch.exp(0.5 * logvar))
        z = q0.sample()
        log_q = q0.log_prob(z).sum(-1)
        params = self.flow_net(x)
        k = self.z_dim
        for step in range(self.n_flows):
            u, w, b = params[:, step, :k], params[:, step, k:2 * k], params[:, step, 2 * k]
            z, log_det = planar_flow(z, planar_u_hat(u, w), w, b)
            log_q = log_q - log_det
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(-1)
        kl = log_q - Normal(0.0, 1.0).log_prob(z).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
    Mutant(name="vae_prior_detached", cell="PlanarFlowVAE", fails=("test_flow_vae_elbo",),
           message=r"log p\(z_K\).*detached",
           code=_HEAD + POSTERIOR + _elbo(kl="log_q - Normal(0.0, 1.0).log_prob(z.detach()).sum(-1)")),
]

VAE_ALTERNATIVES = [
    # log q0 with mu and sigma detached (the score term has mean zero): the "sticking the landing" gradient
    Alternative(name="vae_log_q0_sticking_the_landing", cell="PlanarFlowVAE",
                code=_HEAD + _posterior(log_q0="Normal(mu.detach(), std.detach()).log_prob(z).sum(-1)") + ELBO),
    Alternative(name="vae_explicit_loop_and_distributions", cell="PlanarFlowVAE", code=_HEAD + """
    def posterior(self, x, n):
        mu, logvar = self.encoder(x)
        q0 = torch.distributions.Independent(Normal(mu, (0.5 * logvar).exp()), 1)
        z = q0.rsample((n,))
        log_q = q0.log_prob(z)
        params = self.flow_net(x)
        k = self.z_dim
        zs, lqs = [], []
        for s in range(n):
            zz, lq = z[s], log_q[s]
            for step in range(self.n_flows):
                u, w, b = params[:, step].split([k, k, 1], dim=-1)
                zz, ld = planar_flow(zz, planar_u_hat(u, w), w, b.squeeze(-1))
                lq = lq - ld
            zs.append(zz)
            lqs.append(lq)
        return torch.stack(zs), torch.stack(lqs)

    def negative_elbo_bound(self, x):
        mu, logvar = self.encoder(x)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        z = mu + std * eps
        log_q = (-0.5 * eps ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)
        params = self.flow_net(x)
        k = self.z_dim
        for step in range(self.n_flows):
            u, w, b = params[:, step, :k], params[:, step, k:2 * k], params[:, step, 2 * k]
            z, ld = planar_flow(z, planar_u_hat(u, w), w, b)
            log_q = log_q - ld
        logits = self.decoder(z)
        rec = -torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(-1)
        kl = log_q + 0.5 * (z ** 2 + math.log(2 * math.pi)).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
]

# ---------------------------------------------------------------------------------------------
# elbo_and_log_likelihood


_LOG_W = "log_px_z + Normal(0.0, 1.0).log_prob(z).sum(-1) - log_q"


def _is(log_w=_LOG_W, ret="log_w.mean(0), torch.logsumexp(log_w, 0) - math.log(M)", rec=".sum(-1)"):
    return f"""
def elbo_and_log_likelihood(model, x, M):
    z, log_q = model.posterior(x, M)
    logits = model.decoder(z)
    log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none"){rec}
    log_w = {log_w}
    return {ret}
"""


IS_MUTANTS = [
    Mutant(name="is_mean_of_log_w", cell="elbo_and_log_likelihood", fails=("test_elbo_and_log_likelihood",),
           message=r"mean of log w", code=_is(ret="log_w.mean(0), log_w.mean(0)")),
    Mutant(name="is_forgets_log_m", cell="elbo_and_log_likelihood", fails=("test_elbo_and_log_likelihood",),
           message=r"1/M|log M", code=_is(ret="log_w.mean(0), torch.logsumexp(log_w, 0)")),
    Mutant(name="is_no_prior", cell="elbo_and_log_likelihood", fails=("test_elbo_and_log_likelihood",),
           message=r"prior", code=_is(log_w="log_px_z - log_q")),
    Mutant(name="is_log_q_sign", cell="elbo_and_log_likelihood", fails=("test_elbo_and_log_likelihood",),
           message=r"wrong sign|sign of log q", code=_is(log_w=_LOG_W.replace("- log_q", "+ log_q"))),
    Mutant(name="is_unstable_log_mean_exp", cell="elbo_and_log_likelihood", fails=("test_elbo_and_log_likelihood",),
           message=r"logsumexp", code=_is(ret="log_w.mean(0), torch.log(torch.exp(log_w).mean(0))")),
]

IS_ALTERNATIVES = [
    Alternative(name="is_max_shift_and_bernoulli", cell="elbo_and_log_likelihood", code="""
def elbo_and_log_likelihood(model, x, M):
    z, log_q = model.posterior(x, M)
    log_px_z = torch.distributions.Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
    log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_w = (log_px_z + log_pz - log_q).double()
    top = log_w.max(0).values
    log_px = top + torch.log(torch.exp(log_w - top).mean(0))
    return log_w.mean(0).float(), log_px.float()
"""),
]

# ---------------------------------------------------------------------------------------------
# IAFStep

_IAF_INIT = """
class IAFStep(nn.Module):
    def __init__(self, z_dim, hidden, context_dim):
        super().__init__()
        self.z_dim = z_dim
        d_in = torch.arange(1, z_dim + 1)
        d_hidden = torch.arange(hidden) % z_dim
        self.register_buffer("mask_in", (d_hidden[:, None] {cmp_in} d_in[None, :]).float())
        self.register_buffer("mask_out", (d_in[:, None] {cmp_out} d_hidden[None, :]).float())
        self.z_in = nn.Linear(z_dim, hidden)
        self.h_in = nn.Linear(context_dim, hidden, bias=False)
        self.m_out = nn.Linear(hidden, z_dim)
        self.s_out = nn.Linear(hidden, z_dim)
        with torch.no_grad():
            self.s_out.bias.fill_(4.0)

    def forward(self, z, h):
        a = F.elu(F.linear(z, self.z_in.weight * self.mask_in, self.z_in.bias) + {context})
        m = F.linear(a, self.m_out.weight * self.mask_out, self.m_out.bias)
        s = F.linear(a, self.s_out.weight * self.mask_out, self.s_out.bias)
        sigma = torch.sigmoid(s)
        return sigma * z + (1 - sigma) * m, {log_det}
"""


def _iaf(cmp_in=">=", cmp_out=">", context="self.h_in(h)", log_det="F.logsigmoid(s).sum(-1)"):
    return _IAF_INIT.format(cmp_in=cmp_in, cmp_out=cmp_out, context=context, log_det=log_det)


IAF_MUTANTS = [
    Mutant(name="iaf_mask_sees_itself", cell="IAFStep", fails=("test_iaf_autoregressive", "test_iaf_logdet"),
           message=r"see z_k itself|see z_j only for j < i|log \|det", code=_iaf(cmp_out=">=")),
    Mutant(name="iaf_mask_sees_the_future", cell="IAFStep", fails=("test_iaf_autoregressive", "test_iaf_logdet"),
           message=r"depends on z_j for some j > i|output 1|not triangular", code=_iaf(cmp_in="<=")),
    Mutant(name="iaf_log_one_minus_sigma", cell="IAFStep", fails=("test_iaf_logdet",), message=r"log\(1 - sigma\)",
           code=_iaf(log_det="torch.log(1 - torch.sigmoid(s)).sum(-1)")),
    Mutant(name="iaf_log_det_summed_over_batch", cell="IAFStep", fails=("test_iaf_autoregressive", "test_iaf_logdet"),
           message=r"shape \(N,\)|log_det \(N,\)",
           code=_iaf(log_det="F.logsigmoid(s).sum()")),
    Mutant(name="iaf_ignores_context", cell="IAFStep", fails=("test_iaf_context",), message=r"context|depend on h",
           code=_iaf(context="0.0 * self.h_in(h)")),
    Mutant(name="iaf_log_det_sign", cell="IAFStep", fails=("test_iaf_logdet",), message=r"wrong sign",
           code=_iaf(log_det="-F.logsigmoid(s).sum(-1)")),
    # a strict input mask: output i cannot see z_{i-1} (the Jacobian stays triangular)
    Mutant(name="iaf_strict_input_mask", cell="IAFStep", fails=("test_iaf_autoregressive",),
           message=r"does not depend on z_j for some j < i", code=_iaf(cmp_in=">")),
]

_MADE_DEGREES = """
        k = z_dim
        d_in = torch.arange(1, k + 1)
        d_hidden = torch.arange(hidden) % k
        mask_in = (d_hidden[:, None] >= d_in[None, :]).float()
        mask_out = (d_in[:, None] > d_hidden[None, :]).float()
"""

IAF_ALTERNATIVES = [
    # masks as frozen parameters (not buffers), applied in forward
    Alternative(name="iaf_masks_as_frozen_parameters", cell="IAFStep", code="""
class IAFStep(nn.Module):
    def __init__(self, z_dim, hidden, context_dim):
        super().__init__()""" + _MADE_DEGREES + """
        self.mask_in = nn.Parameter(mask_in, requires_grad=False)
        self.mask_out = nn.Parameter(torch.cat([mask_out, mask_out]), requires_grad=False)
        self.w_in = nn.Parameter(torch.randn(hidden, k) / k ** 0.5)
        self.b_in = nn.Parameter(torch.zeros(hidden))
        self.w_h = nn.Parameter(torch.randn(hidden, context_dim) / context_dim ** 0.5)
        self.w_out = nn.Parameter(torch.randn(2 * k, hidden) / hidden ** 0.5 * 0.1)
        self.b_out = nn.Parameter(torch.cat([torch.zeros(k), torch.full((k,), 3.0)]))

    def forward(self, z, h):
        a = torch.tanh(z @ (self.w_in * self.mask_in).T + self.b_in + h @ self.w_h.T)
        m, s = (a @ (self.w_out * self.mask_out).T + self.b_out).chunk(2, dim=-1)
        sigma = torch.sigmoid(s)
        return sigma * z + (1 - sigma) * m, torch.log(sigma).sum(-1)
"""),
    # masked weights zeroed at the start and kept at zero by gradient hooks (no mask in forward)
    Alternative(name="iaf_masked_weights_kept_zero_by_hooks", cell="IAFStep", code="""
class IAFStep(nn.Module):
    def __init__(self, z_dim, hidden, context_dim):
        super().__init__()""" + _MADE_DEGREES + """
        self.z_in = nn.Linear(k, hidden)
        self.h_in = nn.Linear(context_dim, hidden)
        self.out = nn.Linear(hidden, 2 * k)
        mask_out = torch.cat([mask_out, mask_out])
        with torch.no_grad():
            self.z_in.weight.mul_(mask_in)
            self.out.weight.mul_(mask_out)
            self.out.bias[k:] = 3.5
        self.z_in.weight.register_hook(lambda grad: grad * mask_in.to(grad.dtype))
        self.out.weight.register_hook(lambda grad: grad * mask_out.to(grad.dtype))

    def forward(self, z, h):
        a = F.relu(self.z_in(z) + self.h_in(h))
        m, s = self.out(a).chunk(2, dim=-1)
        return torch.sigmoid(s) * z + (1 - torch.sigmoid(s)) * m, F.logsigmoid(s).sum(-1)
"""),
    Alternative(name="iaf_two_hidden_layers_shifted_form", cell="IAFStep", code="""
class IAFStep(nn.Module):
    def __init__(self, z_dim, hidden, context_dim):
        super().__init__()
        k = z_dim
        deg_in = torch.arange(1, k + 1)
        deg_h = torch.randint(0, k, (hidden,), generator=torch.Generator().manual_seed(0))
        deg_h[:k] = torch.arange(k)
        self.register_buffer("m1", (deg_h[:, None] >= deg_in[None, :]).double())
        self.register_buffer("m2", (deg_h[:, None] >= deg_h[None, :]).double())
        self.register_buffer("m3", (deg_in[:, None] > deg_h[None, :]).double().repeat(2, 1))
        self.l1 = nn.Linear(k, hidden)
        self.c1 = nn.Linear(context_dim, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.l3 = nn.Linear(hidden, 2 * k)
        nn.init.constant_(self.l3.bias[k:], 2.0)

    def forward(self, z, h):
        a = torch.relu(F.linear(z, self.l1.weight * self.m1.to(z.dtype), self.l1.bias) + self.c1(h))
        a = torch.relu(F.linear(a, self.l2.weight * self.m2.to(z.dtype), self.l2.bias))
        m, s = F.linear(a, self.l3.weight * self.m3.to(z.dtype), self.l3.bias).chunk(2, dim=-1)
        sigma = torch.sigmoid(s)
        z_new = z + (1 - sigma) * (m - z)
        return z_new, torch.log(sigma).sum(dim=1)
"""),
]

MUTANTS = UHAT_MUTANTS + FLOW_MUTANTS + VAE_MUTANTS + IS_MUTANTS + IAF_MUTANTS
ALTERNATIVES = UHAT_ALTERNATIVES + FLOW_ALTERNATIVES + VAE_ALTERNATIVES + IS_ALTERNATIVES + IAF_ALTERNATIVES
