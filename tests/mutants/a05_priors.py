"""Mutation catalogue of 05_priors: the usual mistakes must lose points, other correct code must not."""

from tools.mutation import Alternative, Mutant

# ---------------------------------------------------------------------------------------------
# log_mixture_of_gaussians


def _mog(body):
    return "def log_mixture_of_gaussians(z, means, logvars):\n" + body


_MOG_COMPONENTS = """
    diff = z.unsqueeze(-2) - means
    log_c = -0.5 * (diff.pow(2) * torch.exp(-logvars) + logvars + math.log(2 * math.pi)).sum(-1)
"""

# ---------------------------------------------------------------------------------------------
# MoGPrior: a class with three methods; a mutant changes one of them.

_MOG_INIT = """
class MoGPrior(nn.Module):
    def __init__(self, z_dim, n_components):
        super().__init__()
        self.z_dim, self.n_components = z_dim, n_components
        self.means = nn.Parameter(torch.randn(n_components, z_dim))
        self.logvars = nn.Parameter(torch.zeros(n_components, z_dim))
"""
_MOG_LOG_PROB = """
    def log_prob(self, z):
        return log_mixture_of_gaussians(z, self.means, self.logvars)
"""
_MOG_SAMPLE = """
    def sample(self, n):
        k = torch.randint(self.n_components, (n,))
        return self.means[k] + torch.exp(0.5 * self.logvars[k]) * torch.randn(n, self.z_dim)
"""


def _mog_prior(init=_MOG_INIT, log_prob=_MOG_LOG_PROB, sample=_MOG_SAMPLE):
    return init + log_prob + sample


# ---------------------------------------------------------------------------------------------
# VampPrior

_VAMP_INIT = """
class VampPrior(nn.Module):
    def __init__(self, z_dim, n_pseudo, encoder, x_dim=784):
        super().__init__()
        self.z_dim, self.n_pseudo, self.x_dim = z_dim, n_pseudo, x_dim
        self.encoder = encoder
        self.pseudo_inputs = nn.Parameter(torch.rand(n_pseudo, x_dim))
"""
_VAMP_LOG_PROB = """
    def log_prob(self, z):
        mu, logvar = self.encoder(self.pseudo_inputs)
        return log_mixture_of_gaussians(z, mu, logvar)
"""
_VAMP_SAMPLE = """
    def sample(self, n):
        k = torch.randint(self.n_pseudo, (n,))
        mu, logvar = self.encoder(self.pseudo_inputs[k])
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
"""


def _vamp(init=_VAMP_INIT, log_prob=_VAMP_LOG_PROB, sample=_VAMP_SAMPLE):
    return init + log_prob + sample


# ---------------------------------------------------------------------------------------------
# AffineCoupling: forward and inverse with replaceable pieces.

_COUPLING_INIT = """
class AffineCoupling(nn.Module):
    def __init__(self, z_dim, mask, hidden):
        super().__init__()
        self.z_dim = z_dim
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).clone())
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, 2 * z_dim))
"""


def _coupling(cond="z * self.mask", free="1 - self.mask", forward_log_det="s.sum(-1)",
              inverse_log_det="-s.sum(-1)", log_det_s="s", inv_cond="y * self.mask"):
    return _COUPLING_INIT + f"""
    def forward(self, z):
        free = {free}
        s, t = self.net({cond}).chunk(2, dim=-1)
        s_all = torch.tanh(s)
        s, t = s_all * free, t * free
        return z * torch.exp(s) + t, {forward_log_det.replace("s.sum", log_det_s + ".sum")}

    def inverse(self, y):
        free = {free}
        s, t = self.net({inv_cond}).chunk(2, dim=-1)
        s_all = torch.tanh(s)
        s, t = s_all * free, t * free
        return (y - t) * torch.exp(-s), {inverse_log_det.replace("s.sum", log_det_s + ".sum")}
"""


# ---------------------------------------------------------------------------------------------
# FlowPrior

def _flow(masks="first if i % 2 == 0 else 1 - first", order="reversed(self.layers)", base_at="z",
          total="total + log_det", sample_step="z, _ = layer(z)", sample_order="self.layers"):
    return f"""
class FlowPrior(nn.Module):
    def __init__(self, z_dim, n_layers, hidden):
        super().__init__()
        self.z_dim = z_dim
        first = (torch.arange(z_dim) % 2).float()
        self.layers = nn.ModuleList(AffineCoupling(z_dim, {masks}, hidden) for i in range(n_layers))

    def log_prob(self, z):
        z0 = z
        total = torch.zeros(z.shape[0])
        for layer in {order}:
            z, log_det = layer.inverse(z)
            total = {total}
        return Normal(0.0, 1.0).log_prob({base_at}).sum(-1) + total

    def sample(self, n):
        z = torch.randn(n, self.z_dim)
        for layer in {sample_order}:
            {sample_step}
        return z
"""


# ---------------------------------------------------------------------------------------------
# negative_elbo_mc


def _elbo(z="mu + std * torch.randn_like(mu)", kl="Normal(mu, std).log_prob(z).sum(-1) - model.prior.log_prob(z)",
          rec='F.binary_cross_entropy_with_logits(model.decoder(z), x, reduction="none").sum(-1)',
          total="(rec + kl).mean(), kl.mean(), rec.mean()", std="torch.exp(0.5 * logvar)"):
    return f"""
def negative_elbo_mc(model, x):
    mu, logvar = model.encoder(x)
    std = {std}
    z = {z}
    kl = {kl}
    rec = {rec}
    return {total}
"""


# ---------------------------------------------------------------------------------------------
# log_likelihood_is


def _ll(log_p="model.prior.log_prob(z.reshape(-1, z.shape[-1])).reshape(z.shape[:2])",
        reduce="torch.logsumexp(log_w, dim=0) - math.log(n_samples)"):
    return f"""
def log_likelihood_is(model, x, n_samples):
    mu, logvar = model.encoder(x)
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn(n_samples, *mu.shape)
    log_q = Normal(mu, std).log_prob(z).sum(-1)
    log_p = {log_p}
    logits = model.decoder(z)
    log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
    log_w = log_px + log_p - log_q
    return {reduce}
"""


_MOG_VALUES = "test_log_mog_values"

MUTANTS = [
    # --- log_mixture_of_gaussians ---------------------------------------------------------------
    Mutant(name="mog_missing_log_k", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable", "test_log_mog_duplicate"), message=r"log K",
           code=_mog(_MOG_COMPONENTS + "    return torch.logsumexp(log_c, dim=-1)\n")),
    Mutant(name="mog_log_k_twice", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable", "test_log_mog_duplicate"), message=r"log K",
           code=_mog(_MOG_COMPONENTS + "    return torch.logsumexp(log_c, dim=-1) - 2 * math.log(means.shape[0])\n")),
    Mutant(name="mog_per_dimension", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable"), message=r"per coordinate",
           code=_mog("""
    diff = z.unsqueeze(-2) - means
    log_c = -0.5 * (diff.pow(2) * torch.exp(-logvars) + logvars + math.log(2 * math.pi))
    return (torch.logsumexp(log_c, dim=-2) - math.log(means.shape[0])).sum(-1)
""")),
    Mutant(name="mog_variance_as_std", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable"), message=r"standard deviation",
           code=_mog("""
    diff = z.unsqueeze(-2) - means
    log_c = Normal(means, torch.exp(logvars)).log_prob(z.unsqueeze(-2)).sum(-1)
    return torch.logsumexp(log_c, dim=-1) - math.log(means.shape[0])
""")),
    Mutant(name="mog_mean_of_log_densities", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable"), message=r"log-sum-exp",
           code=_mog(_MOG_COMPONENTS + "    return log_c.mean(-1)\n")),
    Mutant(name="mog_max_component", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_duplicate"), message=r"largest component|logsumexp",
           code=_mog(_MOG_COMPONENTS + "    return log_c.max(-1).values - math.log(means.shape[0])\n")),
    Mutant(name="mog_log_of_sum_of_exp", cell="log_mixture_of_gaussians",
           fails=("test_log_mog_stable",), message=r"logsumexp",
           code=_mog(_MOG_COMPONENTS + "    return torch.log(torch.exp(log_c).mean(-1))\n")),
    Mutant(name="mog_sum_over_batch_dim", cell="log_mixture_of_gaussians",
           fails=(_MOG_VALUES, "test_log_mog_stable", "test_log_mog_duplicate"), message=r"batch|shape",
           code=_mog(_MOG_COMPONENTS + "    return torch.logsumexp(log_c, dim=0) - math.log(means.shape[0])\n")),
    # --- MoGPrior -------------------------------------------------------------------------------
    Mutant(name="mog_prior_buffers_not_parameters", cell="MoGPrior",
           fails=("test_mog_prior_parameters",), message=r"nn\.Parameter",
           code=_mog_prior(init="""
class MoGPrior(nn.Module):
    def __init__(self, z_dim, n_components):
        super().__init__()
        self.z_dim, self.n_components = z_dim, n_components
        self.register_buffer("means", torch.randn(n_components, z_dim))
        self.register_buffer("logvars", torch.zeros(n_components, z_dim))
""")),
    Mutant(name="mog_prior_missing_log_k", cell="MoGPrior",
           fails=("test_mog_prior_log_prob",), message=r"log K|integrates",
           code=_mog_prior(log_prob="""
    def log_prob(self, z):
        return log_mixture_of_gaussians(z, self.means, self.logvars) + math.log(self.n_components)
""")),
    Mutant(name="mog_prior_sample_variance_as_std", cell="MoGPrior",
           fails=("test_mog_prior_sample",), message=r"standard deviation is exp\(logvars / 2\)",
           code=_mog_prior(sample="""
    def sample(self, n):
        k = torch.randint(self.n_components, (n,))
        return self.means[k] + torch.exp(self.logvars[k]) * torch.randn(n, self.z_dim)
""")),
    Mutant(name="mog_prior_sample_logvar_as_log_std_squared", cell="MoGPrior",
           fails=("test_mog_prior_sample",), message=r"standard deviation; multiply",
           code=_mog_prior(sample="""
    def sample(self, n):
        k = torch.randint(self.n_components, (n,))
        return self.means[k] + torch.exp(0.25 * self.logvars[k]) * torch.randn(n, self.z_dim)
""")),
    Mutant(name="mog_prior_sample_one_component", cell="MoGPrior",
           fails=("test_mog_prior_sample",), message=r"equal probability",
           code=_mog_prior(sample="""
    def sample(self, n):
        return self.means[0] + torch.exp(0.5 * self.logvars[0]) * torch.randn(n, self.z_dim)
""")),
    Mutant(name="mog_prior_sample_shared_noise", cell="MoGPrior",
           fails=("test_mog_prior_sample",), message=r"correlated.*independent noise for every coordinate",
           code=_mog_prior(sample="""
    def sample(self, n):
        k = torch.randint(self.n_components, (n,))
        return self.means[k] + torch.exp(0.5 * self.logvars[k]) * torch.randn(n, 1)
""")),
    Mutant(name="mog_prior_sample_component_per_coordinate", cell="MoGPrior",
           fails=("test_mog_prior_sample",), message=r"mean|variance|probability",
           code=_mog_prior(sample="""
    def sample(self, n):
        k = torch.randint(self.n_components, (n, self.z_dim))
        j = torch.arange(self.z_dim)
        return self.means[k, j] + torch.exp(0.5 * self.logvars[k, j]) * torch.randn(n, self.z_dim)
""")),
    # --- VampPrior ------------------------------------------------------------------------------
    Mutant(name="vamp_pseudo_inputs_detached", cell="VampPrior",
           fails=("test_vamp_prior_gradients",), message=r"pseudo-inputs",
           code=_vamp(log_prob="""
    def log_prob(self, z):
        mu, logvar = self.encoder(self.pseudo_inputs.detach())
        return log_mixture_of_gaussians(z, mu, logvar)
""")),
    Mutant(name="vamp_prior_under_no_grad", cell="VampPrior",
           fails=("test_vamp_prior_gradients",), message=r"no gradient",
           code=_vamp(log_prob="""
    def log_prob(self, z):
        with torch.no_grad():
            mu, logvar = self.encoder(self.pseudo_inputs)
        return log_mixture_of_gaussians(z, mu, logvar)
""")),
    Mutant(name="vamp_pseudo_inputs_buffer", cell="VampPrior",
           fails=("test_vamp_prior_parameters", "test_vamp_prior_gradients"), message=r"parameter|pseudo-inputs",
           code=_vamp(init="""
class VampPrior(nn.Module):
    def __init__(self, z_dim, n_pseudo, encoder, x_dim=784):
        super().__init__()
        self.z_dim, self.n_pseudo, self.x_dim = z_dim, n_pseudo, x_dim
        self.encoder = encoder
        self.register_buffer("pseudo_inputs", torch.rand(n_pseudo, x_dim))
""")),
    Mutant(name="vamp_encoder_copied", cell="VampPrior",
           fails=("test_vamp_prior_parameters", "test_vamp_prior_gradients"), message=r"not a copy",
           code=_vamp(init="""
import copy as _copy


class VampPrior(nn.Module):
    def __init__(self, z_dim, n_pseudo, encoder, x_dim=784):
        super().__init__()
        self.z_dim, self.n_pseudo, self.x_dim = z_dim, n_pseudo, x_dim
        self.encoder = _copy.deepcopy(encoder)
        self.pseudo_inputs = nn.Parameter(torch.rand(n_pseudo, x_dim))
""")),
    Mutant(name="vamp_missing_log_k", cell="VampPrior",
           fails=("test_vamp_prior_log_prob",), message=r"log K|integrates",
           code=_vamp(log_prob="""
    def log_prob(self, z):
        mu, logvar = self.encoder(self.pseudo_inputs)
        return log_mixture_of_gaussians(z, mu, logvar) + math.log(self.n_pseudo)
""")),
    Mutant(name="vamp_logvar_as_log_std", cell="VampPrior",
           fails=("test_vamp_prior_log_prob", "test_vamp_prior_gradients"), message=r"standard deviation|the mixture's",
           code=_vamp(log_prob="""
    def log_prob(self, z):
        mu, logvar = self.encoder(self.pseudo_inputs)
        return log_mixture_of_gaussians(z, mu, 2 * logvar)
""")),
    Mutant(name="vamp_standard_normal", cell="VampPrior",
           fails=("test_vamp_prior_log_prob", "test_vamp_prior_gradients"),
           message=r"standard normal|no gradient reaches the pseudo-inputs",
           code=_vamp(log_prob="""
    def log_prob(self, z):
        return Normal(0.0, 1.0).log_prob(z).sum(-1) + 0 * self.pseudo_inputs.sum()
""")),
    Mutant(name="vamp_sample_variance_as_std", cell="VampPrior",
           fails=("test_vamp_prior_sample",), message=r"variance",
           code=_vamp(sample="""
    def sample(self, n):
        k = torch.randint(self.n_pseudo, (n,))
        mu, logvar = self.encoder(self.pseudo_inputs[k])
        return mu + torch.exp(logvar) * torch.randn_like(mu)
""")),
    Mutant(name="vamp_sample_shared_noise", cell="VampPrior",
           fails=("test_vamp_prior_sample",), message=r"correlated within a component",
           code=_vamp(sample="""
    def sample(self, n):
        k = torch.randint(self.n_pseudo, (n,))
        mu, logvar = self.encoder(self.pseudo_inputs[k])
        return mu + torch.exp(0.5 * logvar) * torch.randn(n, 1)
""")),
    Mutant(name="vamp_sample_means_only", cell="VampPrior",
           fails=("test_vamp_prior_sample",), message=r"variance",
           code=_vamp(sample="""
    def sample(self, n):
        k = torch.randint(self.n_pseudo, (n,))
        return self.encoder(self.pseudo_inputs[k])[0]
""")),
    # --- AffineCoupling -------------------------------------------------------------------------
    Mutant(name="coupling_forward_log_det_sign", cell="AffineCoupling",
           fails=("test_coupling_log_det", "test_coupling_invertible"), message=r"opposite sign|minus",
           code=_coupling(forward_log_det="-s.sum(-1)")),
    Mutant(name="coupling_inverse_log_det_same_sign", cell="AffineCoupling",
           fails=("test_coupling_invertible", "test_coupling_log_det"), message=r"minus|opposite sign",
           code=_coupling(inverse_log_det="s.sum(-1)")),
    Mutant(name="coupling_conditions_on_all_coordinates", cell="AffineCoupling",
           fails=("test_coupling_invertible", "test_coupling_structure", "test_coupling_log_det"),
           message=r"mask = 1|mask \* z",
           code=_coupling(cond="z", inv_cond="y")),
    Mutant(name="coupling_mask_roles_swapped", cell="AffineCoupling",
           fails=("test_coupling_invertible", "test_coupling_structure"), message=r"unchanged|identity",
           code=_coupling(free="self.mask", cond="z * (1 - self.mask)", inv_cond="y * (1 - self.mask)")),
    Mutant(name="coupling_log_det_over_all_coordinates", cell="AffineCoupling",
           fails=("test_coupling_log_det",), message=r"log \|det\|",
           code=_coupling(log_det_s="s_all")),
    Mutant(name="coupling_log_det_zero", cell="AffineCoupling",
           fails=("test_coupling_log_det",), message=r"is 0",
           code=_coupling(forward_log_det="0 * s.sum(-1)", inverse_log_det="0 * s.sum(-1)")),
    # --- FlowPrior ------------------------------------------------------------------------------
    Mutant(name="flow_same_mask_every_layer", cell="FlowPrior",
           fails=("test_flow_prior_structure",), message=r"alternate",
           code=_flow(masks="first")),
    Mutant(name="flow_log_det_sign", cell="FlowPrior",
           fails=("test_flow_prior_log_prob", "test_flow_prior_sample"), message=r"integrate|own log_prob",
           code=_flow(total="total - log_det")),
    Mutant(name="flow_base_at_input", cell="FlowPrior",
           fails=("test_flow_prior_log_prob", "test_flow_prior_sample"), message=r"base density|own log_prob",
           code=_flow(base_at="z0")),
    Mutant(name="flow_no_log_det", cell="FlowPrior",
           fails=("test_flow_prior_log_prob", "test_flow_prior_sample"), message=r"integrate|own log_prob",
           code=_flow(total="total")),
    Mutant(name="flow_sample_through_inverse", cell="FlowPrior",
           fails=("test_flow_prior_sample",), message=r"forward maps",
           code=_flow(sample_step="z, _ = layer.inverse(z)", sample_order="reversed(self.layers)")),
    Mutant(name="flow_log_prob_wrong_order", cell="FlowPrior",
           fails=("test_flow_prior_sample",), message=r"opposite order",
           code=_flow(order="self.layers")),
    Mutant(name="flow_log_prob_ignores_layers", cell="FlowPrior",
           fails=("test_flow_prior_log_prob", "test_flow_prior_sample"), message=r"standard normal|own log_prob",
           code=_flow(base_at="z0", total="torch.zeros(z.shape[0])")),
    # --- negative_elbo_mc -------------------------------------------------------------------------
    Mutant(name="elbo_analytic_standard_kl", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_kl", "test_nelbo_mc_outputs", "test_nelbo_mc_gradients"),
           message=r"N\(0, I\)|model\.prior",
           code=_elbo(kl="0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1) + 0 * model.prior.log_prob(z)")),
    Mutant(name="elbo_prior_at_mu", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_kl", "test_nelbo_mc_same_z", "test_nelbo_mc_outputs", "test_nelbo_mc_gradients"),
           message=r"at mu|both at the sample z",
           code=_elbo(kl="Normal(mu, std).log_prob(z).sum(-1) - model.prior.log_prob(mu)")),
    Mutant(name="elbo_log_q_at_mu", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_kl", "test_nelbo_mc_outputs"), message=r"log q at mu|both at the sample z",
           code=_elbo(kl="Normal(mu, std).log_prob(mu).sum(-1) - model.prior.log_prob(z)")),
    Mutant(name="elbo_kl_sign_flipped", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_kl", "test_nelbo_mc_gradients"), message=r"sign",
           code=_elbo(kl="model.prior.log_prob(z) - Normal(mu, std).log_prob(z).sum(-1)")),
    Mutant(name="elbo_two_draws", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_same_z", "test_nelbo_mc_outputs"), message=r"different z|both at the sample z",
           code=_elbo(kl="Normal(mu, std).log_prob(z).sum(-1) - model.prior.log_prob(mu + std * torch.randn_like(mu))"
                      )),
    Mutant(name="elbo_std_is_exp_logvar", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_same_z", "test_nelbo_mc_outputs", "test_nelbo_mc_kl", "test_nelbo_mc_gradients"),
           message=r"exp\(logvar / 2\)",
           code=_elbo(std="torch.exp(logvar)")),
    Mutant(name="elbo_not_reparameterised", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_gradients",), message=r"reparameterised",
           code=_elbo(z="(mu + std * torch.randn_like(mu)).detach()")),
    # Gradient paths of the Monte Carlo KL: the values are right, the gradients are not.
    Mutant(name="elbo_kl_at_detached_z", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_gradients",), message=r"do not detach z",
           code=_elbo(kl="Normal(mu, std).log_prob(z.detach()).sum(-1) - model.prior.log_prob(z.detach())")),
    Mutant(name="elbo_log_p_at_detached_z", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_gradients",), message=r"do not detach z",
           code=_elbo(kl="Normal(mu, std).log_prob(z).sum(-1) - model.prior.log_prob(z.detach())")),
    Mutant(name="elbo_log_q_at_detached_z", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_gradients",), message=r"respect to the encoder's logvar.*nor z in log q",
           code=_elbo(kl="Normal(mu, std).log_prob(z.detach()).sum(-1) - model.prior.log_prob(z)")),
    Mutant(name="elbo_sigma_detached_in_sample", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_gradients",), message=r"do not detach sigma",
           code=_elbo(z="mu + std.detach() * torch.randn_like(mu)")),
    Mutant(name="elbo_rec_summed_over_batch", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_rec", "test_nelbo_mc_outputs"), message=r"summed over the batch",
           code=_elbo(total="(rec + kl).mean(), kl.mean(), rec.sum()")),
    Mutant(name="elbo_rec_mse", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_rec",), message=r"Bernoulli",
           code=_elbo(rec="((torch.sigmoid(model.decoder(z)) - x) ** 2).sum(-1)")),
    Mutant(name="elbo_nelbo_missing_kl", cell="negative_elbo_mc",
           fails=("test_nelbo_mc_outputs",), message=r"kl \+ rec",
           code=_elbo(total="rec.mean(), kl.mean(), rec.mean()")),
    # --- log_likelihood_is ----------------------------------------------------------------------
    Mutant(name="ll_missing_log_s", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact", "test_log_likelihood_is_bound"), message=r"log S",
           code=_ll(reduce="torch.logsumexp(log_w, dim=0)")),
    Mutant(name="ll_mean_of_log_weights", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact", "test_log_likelihood_is_bound"), message=r"ELBO",
           code=_ll(reduce="log_w.mean(0)")),
    Mutant(name="ll_log_of_mean_of_exp", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact",), message=r"underflows.*log-sum-exp",
           code=_ll(reduce="torch.log(torch.exp(log_w).mean(0))")),
    Mutant(name="ll_prior_as_proposal", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact", "test_log_likelihood_is_bound"), message=r"ELBO",
           code="""
def log_likelihood_is(model, x, n_samples):
    z = model.prior.sample(n_samples * x.shape[0]).reshape(n_samples, x.shape[0], -1)
    logits = model.decoder(z)
    log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
    return torch.logsumexp(log_px, dim=0) - math.log(n_samples)
"""),
    Mutant(name="ll_standard_normal_prior", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact", "test_log_likelihood_is_bound"), message=r"model\.prior",
           code=_ll(log_p="Normal(0.0, 1.0).log_prob(z).sum(-1)")),
    Mutant(name="ll_reduced_over_images", cell="log_likelihood_is",
           fails=("test_log_likelihood_is_exact", "test_log_likelihood_is_bound"), message=r"shape|images",
           code=_ll(reduce="torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])")),
]

ALTERNATIVES = [
    Alternative(name="mog_torch_distributions", cell="log_mixture_of_gaussians", code="""
def log_mixture_of_gaussians(z, means, logvars):
    K = means.shape[0]
    comps = Independent(Normal(means, torch.exp(0.5 * logvars)), 1)
    mix = MixtureSameFamily(Categorical(logits=torch.zeros(K, dtype=means.dtype)), comps)
    return mix.log_prob(z)
"""),
    Alternative(name="mog_loop_over_components_float64", cell="log_mixture_of_gaussians", code="""
def log_mixture_of_gaussians(z, means, logvars):
    out = None
    for m, lv in zip(means.double(), logvars.double()):
        var = lv.exp()
        term = (-0.5 * (torch.log(2 * math.pi * var) + (z.double() - m) ** 2 / var)).sum(1)
        out = term if out is None else torch.logaddexp(out, term)
    return (out - math.log(len(means))).to(z.dtype)
"""),
    Alternative(name="mog_manual_max_shift", cell="log_mixture_of_gaussians", code="""
def log_mixture_of_gaussians(z, means, logvars):
    diff = z[:, None, :] - means[None]
    log_c = -0.5 * (diff ** 2 / logvars.exp() + logvars).sum(-1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
    top = log_c.max(dim=1, keepdim=True).values
    return top.squeeze(1) + torch.log(torch.exp(log_c - top).mean(dim=1))
"""),
    Alternative(name="mog_prior_torch_distributions", cell="MoGPrior", code="""
class MoGPrior(nn.Module):
    def __init__(self, z_dim, n_components):
        super().__init__()
        self.z_dim, self.n_components = z_dim, n_components
        self.means = nn.Parameter(torch.randn(n_components, z_dim))
        self.logvars = nn.Parameter(torch.zeros(n_components, z_dim))

    def _mixture(self):
        comps = Independent(Normal(self.means, torch.exp(0.5 * self.logvars)), 1)
        return MixtureSameFamily(Categorical(logits=torch.zeros(self.n_components)), comps)

    def log_prob(self, z):
        return self._mixture().log_prob(z)

    def sample(self, n):
        return self._mixture().sample((n,))
"""),
    Alternative(name="mog_prior_multinomial_sampling", cell="MoGPrior", code="""
class MoGPrior(nn.Module):
    def __init__(self, z_dim, n_components):
        super().__init__()
        self.z_dim, self.n_components = z_dim, n_components
        self.means = nn.Parameter(0.5 * torch.randn(n_components, z_dim))
        self.logvars = nn.Parameter(torch.full((n_components, z_dim), -0.5))

    def log_prob(self, z):
        return log_mixture_of_gaussians(z, self.means, self.logvars)

    def sample(self, n):
        eps = torch.randn(n, self.z_dim)
        k = torch.multinomial(torch.ones(self.n_components), n, replacement=True)
        return torch.addcmul(self.means[k], eps, self.logvars[k].mul(0.5).exp())
"""),
    Alternative(name="vamp_torch_distributions", cell="VampPrior", code="""
class VampPrior(nn.Module):
    def __init__(self, z_dim, n_pseudo, encoder, x_dim=784):
        super().__init__()
        self.z_dim, self.n_pseudo, self.x_dim = z_dim, n_pseudo, x_dim
        self.encoder = encoder
        self.pseudo_inputs = nn.Parameter(0.5 + 0.1 * torch.randn(n_pseudo, x_dim))

    def _mixture(self):
        mu, logvar = self.encoder(self.pseudo_inputs)
        comps = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
        return MixtureSameFamily(Categorical(logits=torch.zeros(self.n_pseudo)), comps)

    def log_prob(self, z):
        return self._mixture().log_prob(z)

    def sample(self, n):
        return self._mixture().sample((n,))
"""),
    Alternative(name="vamp_encode_all_then_pick", cell="VampPrior", code="""
class VampPrior(nn.Module):
    def __init__(self, z_dim, n_pseudo, encoder, x_dim=784):
        super().__init__()
        self.z_dim, self.n_pseudo, self.x_dim = z_dim, n_pseudo, x_dim
        self.encoder = encoder
        self.pseudo_inputs = nn.Parameter(torch.rand(n_pseudo, x_dim))

    def log_prob(self, z):
        mu, logvar = self.encoder(self.pseudo_inputs)
        log_c = Normal(mu[None], torch.exp(0.5 * logvar)[None]).log_prob(z[:, None]).sum(-1)
        return torch.logsumexp(log_c, 1) - math.log(self.n_pseudo)

    def sample(self, n):
        mu, logvar = self.encoder(self.pseudo_inputs)
        k = torch.randint(self.n_pseudo, (n,))
        return Normal(mu[k], torch.exp(0.5 * logvar[k])).rsample()
"""),
    Alternative(name="coupling_separate_scale_and_shift_nets", cell="AffineCoupling", code="""
class AffineCoupling(nn.Module):
    def __init__(self, z_dim, mask, hidden):
        super().__init__()
        self.z_dim = z_dim
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).clone())
        self.scale = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, z_dim), nn.Tanh())
        self.shift = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, z_dim))

    def forward(self, z):
        zm = z * self.mask
        s = self.scale(zm) * (1 - self.mask)
        t = self.shift(zm) * (1 - self.mask)
        return zm + (1 - self.mask) * (z * torch.exp(s) + t), s.sum(1)

    def inverse(self, y):
        ym = y * self.mask
        s = self.scale(ym) * (1 - self.mask)
        t = self.shift(ym) * (1 - self.mask)
        return ym + (1 - self.mask) * ((y - t) * torch.exp(-s)), -s.sum(1)
"""),
    Alternative(name="coupling_other_convention_learned_tanh_scale", cell="AffineCoupling", code="""
class AffineCoupling(nn.Module):
    # y = (z - t) * exp(-s) forward: another convention, the same kind of layer
    def __init__(self, z_dim, mask, hidden):
        super().__init__()
        self.z_dim = z_dim
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).clone())
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ELU(), nn.Linear(hidden, 2 * z_dim))
        self.factor = nn.Parameter(torch.ones(z_dim))

    def _st(self, v):
        s, t = self.net(v * self.mask).chunk(2, -1)
        free = 1 - self.mask
        return self.factor * torch.tanh(s) * free, t * free

    def forward(self, z):
        s, t = self._st(z)
        return (z - t) * torch.exp(-s), -s.sum(-1)

    def inverse(self, y):
        s, t = self._st(y)
        return y * torch.exp(s) + t, s.sum(-1)
"""),
    Alternative(name="flow_masks_start_with_one_and_distributions", cell="FlowPrior", code="""
class FlowPrior(nn.Module):
    def __init__(self, z_dim, n_layers, hidden):
        super().__init__()
        self.z_dim = z_dim
        layers = []
        for i in range(n_layers):
            mask = ((torch.arange(z_dim) + i + 1) % 2).float()
            layers.append(AffineCoupling(z_dim, mask, hidden))
        self.flows = nn.ModuleList(layers)

    def log_prob(self, z):
        log_det = 0
        for layer in self.flows[::-1]:
            z, ld = layer.inverse(z)
            log_det = log_det + ld
        base = Independent(Normal(torch.zeros(self.z_dim), torch.ones(self.z_dim)), 1)
        return base.log_prob(z) + log_det

    def sample(self, n):
        base = Independent(Normal(torch.zeros(self.z_dim), torch.ones(self.z_dim)), 1)
        z = base.sample((n,))
        for layer in self.flows:
            z = layer(z)[0]
        return z
"""),
    Alternative(name="flow_log_prob_float64_base", cell="FlowPrior", code="""
class FlowPrior(nn.Module):
    def __init__(self, z_dim, n_layers, hidden):
        super().__init__()
        self.z_dim = z_dim
        even = torch.tensor([1.0 if j % 2 == 0 else 0.0 for j in range(z_dim)])
        self.layers = nn.ModuleList([AffineCoupling(z_dim, even if i % 2 else 1 - even, hidden)
                                     for i in range(n_layers)])

    def log_prob(self, z):
        total = 0.0
        for layer in reversed(self.layers):
            z, ld = layer.inverse(z)
            total = total + ld
        base = -0.5 * (z.double() ** 2).sum(-1) - 0.5 * self.z_dim * math.log(2 * math.pi)
        return base.to(z.dtype) + total

    def sample(self, n):
        with torch.no_grad():
            z = torch.randn(n, self.z_dim)
            for layer in self.layers:
                z, _ = layer.forward(z)
        return z
"""),
    Alternative(name="elbo_rsample_and_distributions", cell="negative_elbo_mc", code="""
def negative_elbo_mc(model, x):
    mu, logvar = model.encoder(x)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    z = q.rsample()
    log_px = torch.distributions.Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
    kl = q.log_prob(z) - model.prior.log_prob(z)
    rec = -log_px
    return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
    Alternative(name="elbo_explicit_log_q_float64", cell="negative_elbo_mc", code="""
def negative_elbo_mc(model, x):
    mu, logvar = model.encoder(x)
    eps = torch.randn(mu.shape)
    z = mu + eps * (0.5 * logvar).exp()
    log_q = (-0.5 * (eps.double() ** 2 + logvar.double() + math.log(2 * math.pi))).sum(1)
    kl = log_q.float() - model.prior.log_prob(z)
    logits = model.decoder(z)
    rec = (F.softplus(logits) - x * logits).sum(1)
    return rec.mean() + kl.mean(), kl.mean(), rec.mean()
"""),
    Alternative(name="elbo_sticking_the_landing", cell="negative_elbo_mc", code="""
def negative_elbo_mc(model, x):
    # log q with mu and sigma detached, z keeping its path: the same expected gradient, less variance (Roeder et al.)
    mu, logvar = model.encoder(x)
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn_like(std)
    kl = Normal(mu.detach(), std.detach()).log_prob(z).sum(-1) - model.prior.log_prob(z)
    rec = F.binary_cross_entropy_with_logits(model.decoder(z), x, reduction="none").sum(-1)
    return (rec + kl).mean(), kl.mean(), rec.mean()
"""),
    Alternative(name="ll_float64_manual_max_shift", cell="log_likelihood_is", code="""
def log_likelihood_is(model, x, n_samples):
    mu, logvar = model.encoder(x)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn(n_samples, *mu.shape)
    z = mu + std * eps
    log_q = (-0.5 * (eps.double() ** 2 + logvar.double() + math.log(2 * math.pi))).sum(-1)
    log_p = model.prior.log_prob(z.reshape(-1, z.shape[-1])).reshape(z.shape[:2]).double()
    logits = model.decoder(z).double()
    log_px = (x.double() * logits - F.softplus(logits)).sum(-1)
    log_w = log_px + log_p - log_q
    top = log_w.max(0).values
    return top + torch.log(torch.exp(log_w - top).mean(0))
"""),
    Alternative(name="ll_loop_over_samples", cell="log_likelihood_is", code="""
def log_likelihood_is(model, x, n_samples):
    mu, logvar = model.encoder(x)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    total = None
    for _ in range(n_samples):
        z = q.sample()
        log_w = (torch.distributions.Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
                 + model.prior.log_prob(z) - q.log_prob(z))
        total = log_w if total is None else torch.logaddexp(total, log_w)
    return total - math.log(n_samples)
"""),
    Alternative(name="ll_chunked_per_image", cell="log_likelihood_is", code="""
def log_likelihood_is(model, x, n_samples):
    out = []
    for xi in x:
        mu, logvar = model.encoder(xi[None])
        z = mu + torch.exp(0.5 * logvar) * torch.randn(n_samples, mu.shape[1])
        log_q = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(1)
        logits = model.decoder(z)
        log_px = -F.binary_cross_entropy_with_logits(logits, xi.expand_as(logits), reduction="none").sum(1)
        out.append(torch.logsumexp(log_px + model.prior.log_prob(z) - log_q, 0) - math.log(n_samples))
    return torch.stack(out)
"""),
]
