"""Mutation catalogue of 02_reparameterization: the usual wrong implementations (each must lose points on the
named test cells, with a message that says what is off) and other correct ones (each must keep every point)."""

from tools.mutation import Alternative, Mutant

MUTANTS = [
    # ---- sample_gaussian -------------------------------------------------------------------------------------
    Mutant(name="sample_variance_as_std", cell="sample_gaussian",
           fails=("test_sample_gaussian_moments", "test_sample_gaussian_is_gaussian", "test_sample_gaussian_gradients"),
           message=r"variance as the standard deviation", code='''
def sample_gaussian(m, v):
    return m + v * torch.randn_like(m)
'''),
    Mutant(name="sample_same_eps_every_row", cell="sample_gaussian",
           fails=("test_sample_gaussian_moments", "test_sample_gaussian_independence",
                  "test_sample_gaussian_is_gaussian", "test_sample_gaussian_gradients"),
           message=r"rows .*correlated", code='''
def sample_gaussian(m, v):
    eps = torch.randn(m.shape[-1], dtype=m.dtype, device=m.device)
    return m + torch.sqrt(v) * eps
'''),
    Mutant(name="sample_same_eps_every_dimension", cell="sample_gaussian",
           fails=("test_sample_gaussian_independence", "test_sample_gaussian_is_gaussian",
                  "test_sample_gaussian_gradients"),
           message=r"dimensions .*correlated", code='''
def sample_gaussian(m, v):
    eps = torch.randn(*m.shape[:-1], 1, dtype=m.dtype, device=m.device)
    return m + torch.sqrt(v) * eps
'''),
    Mutant(name="sample_reseeds_every_call", cell="sample_gaussian", fails=("test_sample_gaussian_independence",),
           message=r"two consecutive calls", code='''
def sample_gaussian(m, v):
    torch.manual_seed(0)
    return m + torch.sqrt(v) * torch.randn_like(m)
'''),
    Mutant(name="sample_torch_normal", cell="sample_gaussian", fails=("test_sample_gaussian_gradients",),
           message=r"gradient", code='''
def sample_gaussian(m, v):
    return torch.normal(m, torch.sqrt(v))
'''),
    Mutant(name="sample_distribution_sample", cell="sample_gaussian", fails=("test_sample_gaussian_gradients",),
           message=r"no gradient", code='''
def sample_gaussian(m, v):
    return D.Normal(m, torch.sqrt(v)).sample()
'''),
    Mutant(name="sample_detached_variance", cell="sample_gaussian", fails=("test_sample_gaussian_gradients",),
           message=r"could not differentiate", code='''
def sample_gaussian(m, v):
    return m + torch.sqrt(v.detach()) * torch.randn_like(m)
'''),
    Mutant(name="sample_uniform_noise_standardised", cell="sample_gaussian",
           fails=("test_sample_gaussian_is_gaussian",), message=r"not (look )?Gaussian.*uniform", code='''
def sample_gaussian(m, v):
    eps = (2 * torch.rand_like(m) - 1) * math.sqrt(3.0)  # mean 0, variance 1, but uniform
    return m + torch.sqrt(v) * eps
'''),
    Mutant(name="sample_uniform_noise_rand", cell="sample_gaussian",
                  fails=("test_sample_gaussian_moments", "test_sample_gaussian_is_gaussian",
                         "test_sample_gaussian_gradients"),
                  message=r"uniform", code='''
def sample_gaussian(m, v):
    return m + torch.sqrt(v) * torch.rand_like(m)
'''),
    Mutant(name="sample_treats_v_as_log_variance", cell="sample_gaussian",
           fails=("test_sample_gaussian_moments", "test_sample_gaussian_is_gaussian", "test_sample_gaussian_gradients"),
           message=r"log-variance", code='''
def sample_gaussian(m, v):
    return m + torch.exp(0.5 * v) * torch.randn_like(m)
'''),
    # ---- log_normal ------------------------------------------------------------------------------------------
    Mutant(name="log_normal_missing_log_2pi", cell="log_normal",
           fails=("test_log_normal_values", "test_log_normal_broadcast", "test_log_normal_extreme"),
           message=r"log\(2 pi\)", code='''
def log_normal(x, m, v):
    return -0.5 * (torch.log(v) + (x - m) ** 2 / v).sum(-1)
'''),
    Mutant(name="log_normal_variance_as_std", cell="log_normal",
           fails=("test_log_normal_values", "test_log_normal_broadcast", "test_log_normal_extreme"),
           message=r"v as the standard deviation", code='''
def log_normal(x, m, v):
    return -0.5 * (math.log(2 * math.pi) + 2 * torch.log(v) + (x - m) ** 2 / v ** 2).sum(-1)
'''),
    Mutant(name="log_normal_missing_half_on_log_v", cell="log_normal",
           fails=("test_log_normal_values", "test_log_normal_broadcast", "test_log_normal_extreme"),
           message=r"1/2 in front of log v", code='''
def log_normal(x, m, v):
    return (-0.5 * math.log(2 * math.pi) - torch.log(v) - 0.5 * (x - m) ** 2 / v).sum(-1)
'''),
    Mutant(name="log_normal_density_then_log", cell="log_normal", fails=("test_log_normal_extreme",),
           message=r"never compute the density", code='''
def log_normal(x, m, v):
    density = torch.exp(-0.5 * (x - m) ** 2 / v) / torch.sqrt(2 * math.pi * v)
    return torch.log(density).sum(-1)
'''),
    # ---- log_bernoulli_with_logits -----------------------------------------------------------------------------
    Mutant(name="bernoulli_sigmoid_then_log", cell="log_bernoulli_with_logits", fails=("test_log_bernoulli_stability",),
           message=r"not finite.*sigmoid", code='''
def log_bernoulli_with_logits(x, logits):
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(-1)
'''),
    Mutant(name="bernoulli_clamped_probability", cell="log_bernoulli_with_logits",
           fails=("test_log_bernoulli_stability",), message=r"not exact.*clamp", code='''
def log_bernoulli_with_logits(x, logits):
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(-1)
'''),
    Mutant(name="bernoulli_naive_softplus", cell="log_bernoulli_with_logits", fails=("test_log_bernoulli_stability",),
           message=r"overflow", code='''
def log_bernoulli_with_logits(x, logits):
    return (x * logits - torch.log(1 + torch.exp(logits))).sum(-1)
'''),
    Mutant(name="bernoulli_swapped_targets", cell="log_bernoulli_with_logits",
           fails=("test_log_bernoulli_values", "test_log_bernoulli_stability"),
           message=r"swapped", code='''
def log_bernoulli_with_logits(x, logits):
    return ((1 - x) * logits - F.softplus(logits)).sum(-1)
'''),
    Mutant(name="bernoulli_bce_on_probabilities", cell="log_bernoulli_with_logits",
           fails=("test_log_bernoulli_stability",), message=r"not exact", code='''
def log_bernoulli_with_logits(x, logits):
    return -F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(-1)  # clamps log at -100
'''),
    # ---- log_mean_exp ------------------------------------------------------------------------------------------
    Mutant(name="log_mean_exp_naive", cell="log_mean_exp", fails=("test_log_mean_exp_stability",),
           message=r"overflow", code='''
def log_mean_exp(x, dim):
    return torch.log(torch.exp(x).mean(dim))
'''),
    Mutant(name="log_mean_exp_without_log_M", cell="log_mean_exp",
           fails=("test_log_mean_exp_values", "test_log_mean_exp_stability"),
           message=r"log of the sum.*subtract log M", code='''
def log_mean_exp(x, dim):
    return torch.logsumexp(x, dim)
'''),
    Mutant(name="log_mean_exp_keeps_dim", cell="log_mean_exp",
           fails=("test_log_mean_exp_values", "test_log_mean_exp_stability"),
           message=r"remove the averaged dimension", code='''
def log_mean_exp(x, dim):
    return torch.logsumexp(x, dim, keepdim=True) - math.log(x.shape[dim])
'''),
    Mutant(name="log_mean_exp_log_M_of_last_dim", cell="log_mean_exp", fails=("test_log_mean_exp_values",),
           message=r"off by", code='''
def log_mean_exp(x, dim):
    return torch.logsumexp(x, dim) - math.log(x.shape[-1])
'''),
    # ---- score_function_gradient -------------------------------------------------------------------------------
    Mutant(name="score_missing_inverse_variance", cell="score_function_gradient",
                  fails=("test_score_function_gradient_values", "test_score_function_gradient_nondifferentiable"),
                  message=r"divide by v", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    fz = f(z).reshape(n, 1)
    return (fz * (z - m)).mean(0), (fz * ((z - m) ** 2 / v - 1) / (2 * v)).mean(0)
'''),
    Mutant(name="score_variance_missing_minus_one", cell="score_function_gradient",
                  fails=("test_score_function_gradient_values", "test_score_function_gradient_nondifferentiable"),
                  message=r"check the score", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    fz = f(z).reshape(n, 1)
    return (fz * (z - m) / v).mean(0), (fz * (z - m) ** 2 / (2 * v ** 2)).mean(0)
'''),
    Mutant(name="score_differentiates_through_f", cell="score_function_gradient",
           fails=("test_score_function_gradient_nondifferentiable",), message=r"differentiat", code='''
def score_function_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    z = m_ + v_.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    grad_m, grad_v = torch.autograd.grad(f(z).mean(), (m_, v_))
    return grad_m, grad_v
'''),
    Mutant(name="score_returns_graph", cell="score_function_gradient",
           fails=("test_score_function_gradient_interface",), message=r"autograd history", code='''
def score_function_gradient(f, m, v, n):
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    fz = f(z).reshape(n, 1)
    return (fz * (z - m) / v).mean(0), (fz * ((z - m) ** 2 / v - 1) / (2 * v)).mean(0)
'''),
    Mutant(name="score_same_eps_every_dimension", cell="score_function_gradient",
                  fails=("test_score_function_gradient_values", "test_score_function_gradient_nondifferentiable"),
                  message=r"check the score|every dimension", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    z = m + v.sqrt() * torch.randn(n, 1, dtype=m.dtype)  # one eps shared by all dimensions
    fz = f(z).reshape(n, 1)
    return (fz * (z - m) / v).mean(0), (fz * ((z - m) ** 2 / v - 1) / (2 * v)).mean(0)
'''),
    Mutant(name="score_of_m_divided_by_std", cell="score_function_gradient",
                  fails=("test_score_function_gradient_values", "test_score_function_gradient_nondifferentiable"),
                  message=r"divided by sqrt\(v\)", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    fz = f(z).reshape(n, 1)
    return (fz * (z - m) / v.sqrt()).mean(0), (fz * ((z - m) ** 2 / v - 1) / (2 * v)).mean(0)
'''),
    Mutant(name="score_of_v_missing_half", cell="score_function_gradient",
                  fails=("test_score_function_gradient_values", "test_score_function_gradient_nondifferentiable"),
                  message=r"with the 1/2", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    fz = f(z).reshape(n, 1)
    return (fz * (z - m) / v).mean(0), (fz * ((z - m) ** 2 / v - 1) / v).mean(0)
'''),
    # ---- reparameterization_gradient ---------------------------------------------------------------------------
    Mutant(name="reparam_variance_as_std", cell="reparameterization_gradient",
                  fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f"),
                  message=r"v as the standard deviation", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    z = m_ + v_ * torch.randn(n, *m.shape, dtype=m.dtype)
    return torch.autograd.grad(f(z).mean(), (m_, v_))
'''),
    Mutant(name="reparam_chain_rule_missing_half", cell="reparameterization_gradient",
                  fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f"),
                  message=r"factor 2", code='''
def reparameterization_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    eps = torch.randn(n, *m.shape, dtype=m.dtype)
    z = (m + v.sqrt() * eps).requires_grad_(True)
    (g,) = torch.autograd.grad(f(z).sum(), z)
    return g.mean(0), (g * eps / v.sqrt()).mean(0)
'''),
    Mutant(name="reparam_is_score_function", cell="reparameterization_gradient",
                  fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f"),
                  message=r"pathwise|score", code='''
def reparameterization_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    with torch.no_grad():
        z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
        fz = f(z).reshape(n, 1)
        return (fz * (z - m) / v).mean(0), (fz * ((z - m) ** 2 / v - 1) / (2 * v)).mean(0)
'''),
    Mutant(name="reparam_torch_normal", cell="reparameterization_gradient",
           fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f"),
           message=r"gradient", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    z = torch.normal(m_.expand(n, *m.shape), v_.sqrt().expand(n, *m.shape))
    return torch.autograd.grad(f(z).mean(), (m_, v_))
'''),
    Mutant(name="reparam_backward_into_callers_tensors", cell="reparameterization_gradient",
                  fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f",
                         "test_reparameterization_gradient_interface"),
                  message=r"caller", code='''
def reparameterization_gradient(f, m, v, n):
    m.requires_grad_(True)
    v.requires_grad_(True)
    z = m + v.sqrt() * torch.randn(n, *m.shape, dtype=m.dtype)
    f(z).mean().backward()
    return m.grad.detach().clone(), v.grad.detach().clone()
'''),
    Mutant(name="reparam_same_eps_every_dimension", cell="reparameterization_gradient",
           fails=("test_reparameterization_gradient_through_f",), message=r"standard errors", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    z = m_ + v_.sqrt() * torch.randn(n, 1, dtype=m.dtype)  # unbiased for f = |z|^2, sum sin z; not for |z W|^2
    return torch.autograd.grad(f(z).mean(), (m_, v_))
'''),
    Mutant(name="reparam_gradient_with_respect_to_std", cell="reparameterization_gradient",
                  fails=("test_reparameterization_gradient_values", "test_reparameterization_gradient_through_f"),
                  message=r"standard deviation sqrt\(v\)", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    s_ = v.detach().sqrt().requires_grad_(True)
    z = m_ + s_ * torch.randn(n, *m.shape, dtype=m.dtype)
    return torch.autograd.grad(f(z).mean(), (m_, s_))
'''),
    # ---- importance_log_likelihood -----------------------------------------------------------------------------
    Mutant(name="importance_logsumexp_without_log_M", cell="importance_log_likelihood",
                  fails=("test_importance_log_likelihood_posterior", "test_importance_log_likelihood_values",
                         "test_importance_log_likelihood_stability", "test_importance_log_likelihood_batch"),
           message=r"forgot the - log M", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample((M,))
    return torch.logsumexp(log_joint(z) - proposal.log_prob(z), dim=0)
'''),
    Mutant(name="importance_naive_average", cell="importance_log_likelihood",
           fails=("test_importance_log_likelihood_stability",), message=r"log space", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample((M,))
    return torch.log(torch.exp(log_joint(z) - proposal.log_prob(z)).mean(0))
'''),
    Mutant(name="importance_mean_of_log_weights", cell="importance_log_likelihood",
                  fails=("test_importance_log_likelihood_values", "test_importance_log_likelihood_batch"),
                  message=r"ELBO", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample((M,))
    return (log_joint(z) - proposal.log_prob(z)).mean(0)
'''),
    Mutant(name="importance_missing_proposal_density", cell="importance_log_likelihood",
                  fails=("test_importance_log_likelihood_posterior", "test_importance_log_likelihood_values",
                         "test_importance_log_likelihood_stability", "test_importance_log_likelihood_batch"),
                  message=r"divide by q", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample((M,))
    return torch.logsumexp(log_joint(z), dim=0) - math.log(M)
'''),
    Mutant(name="importance_one_sample_repeated", cell="importance_log_likelihood",
                  fails=("test_importance_log_likelihood_values", "test_importance_log_likelihood_batch"),
                  message=r"expected M = ", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample().expand(M, *proposal.batch_shape, *proposal.event_shape)
    return torch.logsumexp(log_joint(z) - proposal.log_prob(z), dim=0) - math.log(M)
'''),
    Mutant(name="importance_two_sample_sets", cell="importance_log_likelihood",
                  fails=("test_importance_log_likelihood_posterior", "test_importance_log_likelihood_values",
                         "test_importance_log_likelihood_stability", "test_importance_log_likelihood_batch"),
                  message=r"samples (were )?drawn", code='''
def importance_log_likelihood(log_joint, proposal, M):
    log_w = log_joint(proposal.sample((M,))) - proposal.log_prob(proposal.sample((M,)))
    return torch.logsumexp(log_w, dim=0) - math.log(M)
'''),
    Mutant(name="importance_logsumexp_over_last_dim", cell="importance_log_likelihood",
           fails=("test_importance_log_likelihood_batch",), message=r"shape", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.sample((M,))
    return torch.logsumexp(log_joint(z) - proposal.log_prob(z), dim=-1) - math.log(M)
'''),
]

ALTERNATIVES = [
    # ---- sample_gaussian -------------------------------------------------------------------------------------
    Alternative(name="sample_with_distributions_rsample", cell="sample_gaussian", code='''
def sample_gaussian(m, v):
    return D.Normal(m, v.sqrt()).rsample()
'''),
    Alternative(name="sample_float64_noise_via_torch_normal", cell="sample_gaussian", code='''
def sample_gaussian(m, v):
    eps = torch.normal(torch.zeros(m.shape, dtype=torch.float64), torch.ones(m.shape, dtype=torch.float64))
    return (m.double() + torch.exp(0.5 * torch.log(v.double())) * eps).to(m.dtype)
'''),
    Alternative(name="sample_loop_over_rows", cell="sample_gaussian", code='''
def sample_gaussian(m, v):
    flat_m, flat_v = m.reshape(-1, m.shape[-1]), v.reshape(-1, v.shape[-1])
    rows = [mi + vi.sqrt() * torch.randn(mi.shape, dtype=mi.dtype) for mi, vi in zip(flat_m, flat_v, strict=True)]
    return torch.stack(rows).reshape(m.shape)
'''),
    # ---- log_normal ------------------------------------------------------------------------------------------
    Alternative(name="sample_independent_normal_rsample", cell="sample_gaussian", code='''
def sample_gaussian(m, v):
    return D.Independent(D.Normal(m, v.sqrt()), 1).rsample()
'''),
    Alternative(name="log_normal_with_distributions", cell="log_normal", code='''
def log_normal(x, m, v):
    return D.Normal(m, v.sqrt()).log_prob(x).sum(-1)
'''),
    Alternative(name="log_normal_float64_loop_over_dimensions", cell="log_normal", code='''
def log_normal(x, m, v):
    x, m, v = torch.broadcast_tensors(x, m, v)
    total = torch.zeros(x.shape[:-1], dtype=torch.float64)
    for j in range(x.shape[-1]):
        xj, mj, vj = x[..., j].double(), m[..., j].double(), v[..., j].double()
        total = total - 0.5 * torch.log(2 * math.pi * vj) - (xj - mj) ** 2 / (2 * vj)
    return total.to(x.dtype)
'''),
    Alternative(name="log_normal_multivariate_diagonal", cell="log_normal", code='''
def log_normal(x, m, v):
    return D.MultivariateNormal(m, covariance_matrix=torch.diag_embed(v)).log_prob(x)
'''),
    # ---- log_bernoulli_with_logits -----------------------------------------------------------------------------
    Alternative(name="bernoulli_bce_with_logits", cell="log_bernoulli_with_logits", code='''
def log_bernoulli_with_logits(x, logits):
    x, logits = torch.broadcast_tensors(x, logits)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
'''),
    Alternative(name="bernoulli_distribution", cell="log_bernoulli_with_logits", code='''
def log_bernoulli_with_logits(x, logits):
    return D.Bernoulli(logits=logits).log_prob(x).sum(-1)
'''),
    Alternative(name="bernoulli_logsigmoid", cell="log_bernoulli_with_logits", code='''
def log_bernoulli_with_logits(x, logits):
    return (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum(-1)
'''),
    Alternative(name="bernoulli_manual_stable_softplus", cell="log_bernoulli_with_logits", code='''
def log_bernoulli_with_logits(x, logits):
    softplus = logits.clamp(min=0) + torch.log1p(torch.exp(-logits.abs()))
    return (x * logits - softplus).sum(-1)
'''),
    # ---- log_mean_exp ------------------------------------------------------------------------------------------
    Alternative(name="log_mean_exp_manual_max_shift", cell="log_mean_exp", code='''
def log_mean_exp(x, dim):
    top = x.max(dim=dim, keepdim=True).values
    return (top + torch.log(torch.exp(x - top).mean(dim=dim, keepdim=True))).squeeze(dim)
'''),
    Alternative(name="log_mean_exp_float64", cell="log_mean_exp", code='''
def log_mean_exp(x, dim):
    size = torch.tensor(float(x.size(dim)), dtype=torch.float64)
    return (torch.logsumexp(x.double(), dim) - torch.log(size)).to(x.dtype)
'''),
    Alternative(name="log_mean_exp_loop_logaddexp", cell="log_mean_exp", code='''
def log_mean_exp(x, dim):
    slices = x.unbind(dim)
    total = slices[0]
    for piece in slices[1:]:
        total = torch.logaddexp(total, piece)
    return total - math.log(len(slices))
'''),
    # ---- score_function_gradient -------------------------------------------------------------------------------
    Alternative(name="score_surrogate_with_distributions", cell="score_function_gradient", code='''
def score_function_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    q = D.Normal(m_, v_.sqrt())
    z = q.sample((n,))
    with torch.no_grad():
        fz = f(z)
    surrogate = (fz * q.log_prob(z).sum(-1)).mean()
    grad_m, grad_v = torch.autograd.grad(surrogate, (m_, v_))
    return grad_m, grad_v
'''),
    Alternative(name="score_leave_one_out_baseline_float64", cell="score_function_gradient", code='''
def score_function_gradient(f, m, v, n):
    m64, v64 = m.detach().double(), v.detach().double()
    with torch.no_grad():
        z = m64 + v64.sqrt() * torch.randn(n, *m.shape, dtype=torch.float64)
        fz = f(z.to(m.dtype)).double().reshape(n, 1)
        if n > 1:  # leave-one-out mean of f as a baseline: still unbiased, lower variance
            fz = fz - (fz.sum() - fz) / (n - 1)
        grad_m = (fz * (z - m64) / v64).mean(0)
        grad_v = (fz * ((z - m64) ** 2 / v64 - 1) / (2 * v64)).mean(0)
    return grad_m.to(m.dtype), grad_v.to(v.dtype)
'''),
    Alternative(name="score_noise_drawn_dimension_first", cell="score_function_gradient", code='''
def score_function_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    eps = torch.randn(m.shape[0], n, dtype=m.dtype).T  # another order of the random draws
    z = m + v.sqrt() * eps
    with torch.no_grad():
        fz = f(z)[:, None]
    return (fz * eps / v.sqrt()).mean(0), (fz * (eps ** 2 - 1) / (2 * v)).mean(0)
'''),
    # ---- reparameterization_gradient ---------------------------------------------------------------------------
    Alternative(name="reparam_rsample_and_backward_on_fresh_leaves", cell="reparameterization_gradient", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    v_ = v.detach().clone().requires_grad_(True)
    z = D.Normal(m_, v_.sqrt()).rsample((n,))
    f(z).mean().backward()
    return m_.grad, v_.grad
'''),
    Alternative(name="reparam_manual_chain_rule", cell="reparameterization_gradient", code='''
def reparameterization_gradient(f, m, v, n):
    m, v = m.detach(), v.detach()
    eps = torch.randn(n, *m.shape, dtype=m.dtype)
    z = (m + v.sqrt() * eps).requires_grad_(True)
    (g,) = torch.autograd.grad(f(z).sum(), z)
    return g.mean(0), (g * eps / (2 * v.sqrt())).mean(0)
'''),
    Alternative(name="reparam_log_variance_and_own_sampler", cell="reparameterization_gradient", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().clone().requires_grad_(True)
    log_v = v.detach().log().requires_grad_(True)
    z = sample_gaussian(m_.expand(n, *m.shape), log_v.exp().expand(n, *m.shape))
    grad_m, grad_log_v = torch.autograd.grad(f(z).mean(), (m_, log_v))
    return grad_m, grad_log_v / v.detach()  # d/dv = d/dlog v * dlog v/dv
'''),
    Alternative(name="reparam_noise_drawn_dimension_first_float64", cell="reparameterization_gradient", code='''
def reparameterization_gradient(f, m, v, n):
    m_ = m.detach().double().requires_grad_(True)
    v_ = v.detach().double().requires_grad_(True)
    eps = torch.randn(m.shape[0], n, dtype=torch.float64).T
    values = f((m_ + v_.sqrt() * eps).to(m.dtype))
    grad_m, grad_v = torch.autograd.grad(values.double().mean(), (m_, v_))
    return grad_m.to(m.dtype), grad_v.to(v.dtype)
'''),
    # ---- importance_log_likelihood -----------------------------------------------------------------------------
    Alternative(name="importance_loop_with_rsample", cell="importance_log_likelihood", code='''
def importance_log_likelihood(log_joint, proposal, M):
    log_w = []
    for _ in range(M):
        z = proposal.rsample() if proposal.has_rsample else proposal.sample()
        log_w.append(log_joint(z) - proposal.log_prob(z))
    return torch.logsumexp(torch.stack(log_w), dim=0) - math.log(M)
'''),
    Alternative(name="importance_via_log_mean_exp_float64", cell="importance_log_likelihood", code='''
def importance_log_likelihood(log_joint, proposal, M):
    z = proposal.rsample(torch.Size([M]))
    log_w = log_joint(z).double() - proposal.log_prob(z).double()
    return log_mean_exp(log_w, 0).to(z.dtype)
'''),
]
