"""Mutation catalogue of 01_elbo: the usual mistakes (each must lose points on the named test cells,
with a message that says what is off) and other correct implementations (each must keep every point)."""

from tools.mutation import Alternative, Mutant

MUTANTS = [
    # ---- kl_normal -----------------------------------------------------------------------------
    Mutant(name="kl_missing_half", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"1/2", code='''
def kl_normal(qm, qv, pm, pv):
    return (torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1).sum(-1)
'''),
    Mutant(name="kl_variance_as_std", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"standard deviation", code='''
def kl_normal(qm, qv, pm, pv):
    # the std-parameterised formula with the variances plugged in as standard deviations
    return (torch.log(pv / qv) + (qv ** 2 + (qm - pm) ** 2) / (2 * pv ** 2) - 0.5).sum(-1)
'''),
    Mutant(name="kl_reversed", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"KL\(p \|\| q\)|reverse", code='''
def kl_normal(qm, qv, pm, pv):
    return 0.5 * (torch.log(qv / pv) + (pv + (pm - qm) ** 2) / qv - 1).sum(-1)
'''),
    Mutant(name="kl_mean_over_dims", cell="kl_normal", fails=("test_kl_normal_values", "test_kl_normal_shapes"),
           message=r"mean .*instead of the sum", code='''
def kl_normal(qm, qv, pm, pv):
    return 0.5 * (torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1).mean(-1)
'''),
    Mutant(name="kl_log_sign", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"sign", code='''
def kl_normal(qm, qv, pm, pv):
    return 0.5 * (torch.log(qv / pv) + (qv + (qm - pm) ** 2) / pv - 1).sum(-1)
'''),
    Mutant(name="kl_log_std_not_variance", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"half what it should be", code='''
def kl_normal(qm, qv, pm, pv):
    # the exercise-sheet slip: log sigma where log sigma^2 is needed
    return 0.5 * (0.5 * torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1).sum(-1)
'''),
    Mutant(name="kl_sums_everything", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"shape", code='''
def kl_normal(qm, qv, pm, pv):
    return 0.5 * (torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1).sum()
'''),
    Mutant(name="kl_to_standard_normal_only", cell="kl_normal",
           fails=("test_kl_normal_values", "test_kl_normal_shapes", "test_kl_normal_properties"),
           message=r"ignoring pm and pv", code='''
def kl_normal(qm, qv, pm, pv):
    # right for the VAE prior N(0, I), wrong for a general p: the hand example cannot tell
    shape = torch.broadcast_shapes(qm.shape, qv.shape, pm.shape, pv.shape)
    return 0.5 * (qm ** 2 + qv - torch.log(qv) - 1).expand(shape).sum(-1)
'''),
    # ---- log_marginal_linear_gaussian ------------------------------------------------------------
    Mutant(name="logp_sigma2_as_std", cell="log_marginal_linear_gaussian",
           fails=("test_log_marginal_values", "test_log_marginal_shapes"),
           message=r"standard deviation", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    C = W @ W.T + sigma2 ** 2 * torch.eye(W.shape[0], dtype=W.dtype)
    return torch.distributions.MultivariateNormal(b, covariance_matrix=C).log_prob(x)
'''),
    Mutant(name="logp_forgot_b", cell="log_marginal_linear_gaussian",
           fails=("test_log_marginal_values", "test_log_marginal_shapes"),
           message=r"subtract b", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    C = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    return torch.distributions.MultivariateNormal(torch.zeros_like(b), covariance_matrix=C).log_prob(x)
'''),
    Mutant(name="logp_conditional_at_zero", cell="log_marginal_linear_gaussian",
           fails=("test_log_marginal_values", "test_log_marginal_shapes"),
           message=r"W W\^T", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    # log p(x | z = 0): forgets that integrating z out adds W W^T to the covariance
    return torch.distributions.Normal(b, sigma2 ** 0.5).log_prob(x).sum(-1)
'''),
    Mutant(name="logp_quadratic_missing_half", cell="log_marginal_linear_gaussian",
           fails=("test_log_marginal_values", "test_log_marginal_shapes"), message=r"1/2", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    D = W.shape[0]
    C = W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)
    r = x - b
    quad = (r * torch.linalg.solve(C, r.unsqueeze(-1)).squeeze(-1)).sum(-1)
    return -0.5 * (D * math.log(2 * math.pi) + torch.logdet(C)) - quad
'''),
    Mutant(name="logp_sign", cell="log_marginal_linear_gaussian",
           fails=("test_log_marginal_values", "test_log_marginal_shapes"),
           message=r"sign", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    C = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    return -torch.distributions.MultivariateNormal(b, covariance_matrix=C).log_prob(x)
'''),
    Mutant(name="logp_flattens_batch", cell="log_marginal_linear_gaussian", fails=("test_log_marginal_shapes",),
           message=r"shape", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    C = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    dist = torch.distributions.MultivariateNormal(b, covariance_matrix=C)
    return dist.log_prob(x.reshape(-1, W.shape[0])).reshape(-1) if x.dim() > 2 else dist.log_prob(x)
'''),
    # ---- posterior_linear_gaussian ----------------------------------------------------------------
    Mutant(name="post_forgot_b", cell="posterior_linear_gaussian",
           fails=("test_posterior_values", "test_posterior_shapes"),
           message=r"subtract b", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    cov = torch.linalg.inv(torch.eye(W.shape[1], dtype=W.dtype) + W.T @ W / sigma2)
    return x @ W @ cov / sigma2, cov
'''),
    Mutant(name="post_no_prior", cell="posterior_linear_gaussian",
           fails=("test_posterior_values", "test_posterior_shapes"),
           message=r"prior", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    cov = torch.linalg.inv(W.T @ W / sigma2)
    return (x - b) @ W @ cov / sigma2, cov
'''),
    Mutant(name="post_returns_precision", cell="posterior_linear_gaussian",
           fails=("test_posterior_values", "test_posterior_shapes"),
           message=r"precision", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    precision = torch.eye(W.shape[1], dtype=W.dtype) + W.T @ W / sigma2
    mean = torch.linalg.solve(precision, ((x - b) @ W / sigma2).unsqueeze(-1)).squeeze(-1)
    return mean, precision
'''),
    Mutant(name="post_sigma2_as_std", cell="posterior_linear_gaussian",
           fails=("test_posterior_values", "test_posterior_shapes"),
           message=r"standard deviation", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    s2 = sigma2 ** 2
    cov = torch.linalg.inv(torch.eye(W.shape[1], dtype=W.dtype) + W.T @ W / s2)
    return (x - b) @ W @ cov / s2, cov
'''),
    Mutant(name="post_mean_missing_sigma2", cell="posterior_linear_gaussian",
           fails=("test_posterior_values", "test_posterior_shapes"),
           message=r"1 / sigma\^2", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    cov = torch.linalg.inv(torch.eye(W.shape[1], dtype=W.dtype) + W.T @ W / sigma2)
    return (x - b) @ W @ cov, cov
'''),
    # ---- elbo_linear_gaussian ---------------------------------------------------------------------
    Mutant(name="elbo_kl_sign", cell="elbo_linear_gaussian",
                  fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                         "test_elbo_linear_gaussian_shapes"),
                  message=r"sign", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    rec = -0.5 * D * math.log(2 * math.pi * sigma2) - 0.5 * (
        ((x - b - qm @ W.T) ** 2).sum(-1) + (qv * (W ** 2).sum(0)).sum(-1)) / sigma2
    return rec + kl_normal(qm, qv, torch.zeros_like(qm), torch.ones_like(qv))
'''),
    Mutant(name="elbo_negated", cell="elbo_linear_gaussian",
                  fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                         "test_elbo_linear_gaussian_shapes"),
                  message=r"sign", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    rec = -0.5 * D * math.log(2 * math.pi * sigma2) - 0.5 * (
        ((x - b - qm @ W.T) ** 2).sum(-1) + (qv * (W ** 2).sum(0)).sum(-1)) / sigma2
    return kl_normal(qm, qv, torch.zeros_like(qm), torch.ones_like(qv)) - rec
'''),
    Mutant(name="elbo_no_variance_term", cell="elbo_linear_gaussian",
           fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                  "test_elbo_linear_gaussian_shapes"),
           message=r"variance term", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    rec = -0.5 * D * math.log(2 * math.pi * sigma2) - 0.5 * ((x - b - qm @ W.T) ** 2).sum(-1) / sigma2
    return rec - kl_normal(qm, qv, torch.zeros_like(qm), torch.ones_like(qv))
'''),
    Mutant(name="elbo_kl_missing_half", cell="elbo_linear_gaussian",
           fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                  "test_elbo_linear_gaussian_shapes"),
           message=r"1/2", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    rec = -0.5 * D * math.log(2 * math.pi * sigma2) - 0.5 * (
        ((x - b - qm @ W.T) ** 2).sum(-1) + (qv * (W ** 2).sum(0)).sum(-1)) / sigma2
    return rec - (qm ** 2 + qv - torch.log(qv) - 1).sum(-1)
'''),
    Mutant(name="elbo_mean_over_dims", cell="elbo_linear_gaussian",
           fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                  "test_elbo_linear_gaussian_shapes"),
           message=r"mean over", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    normal = torch.distributions.Normal
    mean = qm @ W.T + b
    per_dim = normal(mean, sigma2 ** 0.5).log_prob(x) - 0.5 * (qv @ (W ** 2).T) / sigma2
    kl = 0.5 * (qm ** 2 + qv - torch.log(qv) - 1)
    return per_dim.mean(-1) - kl.mean(-1)
'''),
    Mutant(name="elbo_qv_as_std", cell="elbo_linear_gaussian",
           fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                  "test_elbo_linear_gaussian_shapes"),
           message=r"standard deviation", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    v = qv ** 2
    rec = -0.5 * D * math.log(2 * math.pi * sigma2) - 0.5 * (
        ((x - b - qm @ W.T) ** 2).sum(-1) + (v * (W ** 2).sum(0)).sum(-1)) / sigma2
    return rec - 0.5 * (qm ** 2 + v - torch.log(v) - 1).sum(-1)
'''),
    Mutant(name="elbo_spread_without_column_norms", cell="elbo_linear_gaussian",
                  fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                         "test_elbo_linear_gaussian_shapes"),
                  message=r"trace of W diag", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    residual = x - b - qm @ W.T
    expected_sq = (residual ** 2).sum(-1) + qv.sum(-1)  # E||W (z - qm)||^2 is not sum_k qv_k
    rec = -0.5 * D * math.log(2 * math.pi * float(sigma2)) - 0.5 * expected_sq / sigma2
    return rec - 0.5 * (qm ** 2 + qv - torch.log(qv) - 1).sum(-1)
'''),
    Mutant(name="elbo_constant_without_sigma2", cell="elbo_linear_gaussian",
                  fails=("test_elbo_linear_gaussian_values", "test_elbo_linear_gaussian_bound",
                         "test_elbo_linear_gaussian_shapes"),
                  message=r"sigma\^2 is missing inside the log", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    D = W.shape[0]
    residual = x - b - qm @ W.T
    expected_sq = (residual ** 2).sum(-1) + (qv * (W ** 2).sum(0)).sum(-1)
    rec = -0.5 * D * math.log(2 * math.pi) - 0.5 * expected_sq / sigma2
    return rec - 0.5 * (qm ** 2 + qv - torch.log(qv) - 1).sum(-1)
'''),
    # ---- data-level tables --------------------------------------------------------------------
    Mutant(name="elbo_data_unweighted", cell="elbo_data", fails=("test_elbo_data_values", "test_elbo_data_batch"),
           message=r"weighted by p_D", code='''
def elbo_data(p_data, p_xz, q_zx):
    return (q_zx * (torch.log(p_xz) - torch.log(q_zx))).sum(-1).mean(-1)
'''),
    Mutant(name="elbo_data_sign", cell="elbo_data",
           fails=("test_elbo_data_values", "test_elbo_data_batch"), message=r"sign", code='''
def elbo_data(p_data, p_xz, q_zx):
    return (p_data * (q_zx * (torch.log(q_zx) - torch.log(p_xz))).sum(-1)).sum(-1)
'''),
    Mutant(name="elbo_data_sums_everything", cell="elbo_data", fails=("test_elbo_data_batch",),
           message=r"sum over the table dimensions", code='''
def elbo_data(p_data, p_xz, q_zx):
    return (p_data.unsqueeze(-1) * q_zx * (torch.log(p_xz) - torch.log(q_zx))).sum()
'''),
    Mutant(name="joint_kl_reversed", cell="elbo_data_form_joint_kl", fails=("test_elbo_data_form_joint_kl",),
           message=r"reverse", code='''
def elbo_data_form_joint_kl(p_data, p_xz, q_zx):
    q_joint = p_data.unsqueeze(-1) * q_zx
    return (p_xz * (p_xz.log() - q_joint.log())).sum((-2, -1)), (p_data * p_data.log()).sum(-1)
'''),
    Mutant(name="joint_kl_without_p_data", cell="elbo_data_form_joint_kl", fails=("test_elbo_data_form_joint_kl",),
           message=r"q_D\(x, z\) = p_D\(x\) q\(z\|x\)", code='''
def elbo_data_form_joint_kl(p_data, p_xz, q_zx):
    return (q_zx * (q_zx.log() - p_xz.log())).sum((-2, -1)), (p_data * p_data.log()).sum(-1)
'''),
    Mutant(name="joint_entropy_sign", cell="elbo_data_form_joint_kl", fails=("test_elbo_data_form_joint_kl",),
           message=r"sign", code='''
def elbo_data_form_joint_kl(p_data, p_xz, q_zx):
    q_joint = p_data.unsqueeze(-1) * q_zx
    return (q_joint * (q_joint.log() - p_xz.log())).sum((-2, -1)), -(p_data * p_data.log()).sum(-1)
'''),
    Mutant(name="x_marginal_kl_reversed", cell="elbo_data_form_x_marginal", fails=("test_elbo_data_form_x_marginal",),
           message=r"reverse", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    p_x = p_xz.sum(-1)
    post = p_xz / p_x.unsqueeze(-1)
    kl_post = (q_zx * (q_zx.log() - post.log())).sum(-1)
    return (p_x * (p_x.log() - p_data.log())).sum(-1), (p_data * kl_post).sum(-1)
'''),
    Mutant(name="x_marginal_prior_not_posterior", cell="elbo_data_form_x_marginal",
           fails=("test_elbo_data_form_x_marginal",), message=r"prior p\(z\) instead of the posterior", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    p_x, p_z = p_xz.sum(-1), p_xz.sum(-2)
    kl = (q_zx * (q_zx.log() - p_z.unsqueeze(-2).log())).sum(-1)
    return (p_data * (p_data.log() - p_x.log())).sum(-1), (p_data * kl).sum(-1)
'''),
    Mutant(name="x_marginal_unweighted", cell="elbo_data_form_x_marginal", fails=("test_elbo_data_form_x_marginal",),
           message=r"weighted by p_D", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    p_x = p_xz.sum(-1)
    post = p_xz / p_x.unsqueeze(-1)
    kl_post = (q_zx * (q_zx.log() - post.log())).sum(-1)
    return (p_data * (p_data.log() - p_x.log())).sum(-1), kl_post.mean(-1)
'''),
    Mutant(name="x_marginal_joint_not_posterior", cell="elbo_data_form_x_marginal",
           fails=("test_elbo_data_form_x_marginal",), message=r"joint p\(x, z\) instead of the posterior", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    p_x = p_xz.sum(-1)
    kl_marginal = (p_data * (p_data.log() - p_x.log())).sum(-1)
    kl_post = (q_zx * (q_zx.log() - p_xz.log())).sum(-1)  # p(x, z), not p(z | x)
    return kl_marginal, (p_data * kl_post).sum(-1)
'''),
    Mutant(name="z_marginal_unweighted_aggregate", cell="elbo_data_form_z_marginal",
           fails=("test_elbo_data_form_z_marginal",), message=r"aggregate posterior", code='''
def elbo_data_form_z_marginal(p_data, p_xz, q_zx):
    q_joint = p_data.unsqueeze(-1) * q_zx
    q_z_wrong = q_zx.mean(-2)
    q_z, p_z = q_joint.sum(-2), p_xz.sum(-2)
    q_xz = q_joint / q_z.unsqueeze(-2)
    p_x_given_z = p_xz / p_z.unsqueeze(-2)
    inv = (q_xz * (q_xz.log() - p_x_given_z.log())).sum(-2)
    return (q_z_wrong * (q_z_wrong.log() - p_z.log())).sum(-1), (q_z * inv).sum(-1)
'''),
    Mutant(name="z_marginal_weighted_by_prior", cell="elbo_data_form_z_marginal",
           fails=("test_elbo_data_form_z_marginal",), message=r"prior p\(z\)", code='''
def elbo_data_form_z_marginal(p_data, p_xz, q_zx):
    q_joint = p_data.unsqueeze(-1) * q_zx
    q_z, p_z = q_joint.sum(-2), p_xz.sum(-2)
    q_xz = q_joint / q_z.unsqueeze(-2)
    p_x_given_z = p_xz / p_z.unsqueeze(-2)
    inv = (q_xz * (q_xz.log() - p_x_given_z.log())).sum(-2)
    return (q_z * (q_z.log() - p_z.log())).sum(-1), (p_z * inv).sum(-1)
'''),
    Mutant(name="z_marginal_kl_reversed", cell="elbo_data_form_z_marginal", fails=("test_elbo_data_form_z_marginal",),
           message=r"reverse", code='''
def elbo_data_form_z_marginal(p_data, p_xz, q_zx):
    q_joint = p_data.unsqueeze(-1) * q_zx
    q_z, p_z = q_joint.sum(-2), p_xz.sum(-2)
    q_xz = q_joint / q_z.unsqueeze(-2)
    p_x_given_z = p_xz / p_z.unsqueeze(-2)
    inv = (q_xz * (q_xz.log() - p_x_given_z.log())).sum(-2)
    return (p_z * (p_z.log() - q_z.log())).sum(-1), (q_z * inv).sum(-1)
'''),
    Mutant(name="data_forms_sum_everything", cell="elbo_data_form_x_marginal",
           fails=("test_elbo_data_form_x_marginal",),
           message=r"shape", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    p_x = p_xz.sum(-1)
    post = p_xz / p_x.unsqueeze(-1)
    kl_post = (q_zx * (q_zx.log() - post.log())).sum(-1)
    return (p_data * (p_data.log() - p_x.log())).sum(), (p_data * kl_post).sum()
'''),
]

ALTERNATIVES = [
    # ---- kl_normal -----------------------------------------------------------------------------
    Alternative(name="kl_torch_distributions", cell="kl_normal", code='''
def kl_normal(qm, qv, pm, pv):
    d = torch.distributions
    return d.kl_divergence(d.Normal(qm, qv.sqrt()), d.Normal(pm, pv.sqrt())).sum(-1)
'''),
    Alternative(name="kl_std_form_loop", cell="kl_normal", code='''
def kl_normal(qm, qv, pm, pv):
    # standard deviations, log sigma terms, and an explicit loop over the latent dimensions
    qm, qv, pm, pv = torch.broadcast_tensors(qm, qv, pm, pv)
    total = torch.zeros(qm.shape[:-1], dtype=qm.dtype)
    for j in range(qm.shape[-1]):
        sq, sp = qv[..., j].sqrt(), pv[..., j].sqrt()
        total = total + torch.log(sp / sq) + (sq ** 2 + (qm[..., j] - pm[..., j]) ** 2) / (2 * sp ** 2) - 0.5
    return total
'''),
    Alternative(name="kl_cross_entropy_minus_entropy_float64_internal", cell="kl_normal", code='''
def kl_normal(qm, qv, pm, pv):
    # computed in float64 internally, returned in the input dtype; cross-entropy minus entropy
    dtype = torch.promote_types(qm.dtype, qv.dtype)
    qm, qv, pm, pv = (t.double() for t in (qm, qv, pm, pv))
    cross_entropy = 0.5 * (torch.log(2 * math.pi * pv) + (qv + (qm - pm) ** 2) / pv)
    entropy = 0.5 * torch.log(2 * math.pi * math.e * qv)
    return (cross_entropy - entropy).sum(-1).to(dtype)
'''),
    # ---- log_marginal_linear_gaussian ------------------------------------------------------------
    Alternative(name="logp_torch_distributions", cell="log_marginal_linear_gaussian", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    C = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    return torch.distributions.MultivariateNormal(b, covariance_matrix=C).log_prob(x)
'''),
    Alternative(name="logp_woodbury_determinant_lemma", cell="log_marginal_linear_gaussian", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    # K x K computations only: Woodbury identity and the matrix determinant lemma
    D, K = W.shape
    s2 = float(sigma2)
    M = torch.eye(K, dtype=W.dtype) + W.T @ W / s2
    r = x - b
    Wr = r @ W                                                    # (..., K)
    quad = (r ** 2).sum(-1) / s2 - (Wr * torch.linalg.solve(M, Wr.unsqueeze(-1)).squeeze(-1)).sum(-1) / s2 ** 2
    logdet = D * math.log(s2) + torch.logdet(M)
    return -0.5 * (D * math.log(2 * math.pi) + logdet + quad)
'''),
    Alternative(name="logp_loop_over_rows_slogdet", cell="log_marginal_linear_gaussian", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    D = W.shape[0]
    C = W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)
    Cinv = torch.linalg.inv(C)
    _, logdet = torch.linalg.slogdet(C)
    flat = x.reshape(-1, D)
    out = torch.stack([-0.5 * (D * math.log(2 * math.pi) + logdet + (r - b) @ Cinv @ (r - b)) for r in flat])
    return out.reshape(x.shape[:-1])
'''),
    Alternative(name="logp_eigendecomposition_float64", cell="log_marginal_linear_gaussian", code='''
def log_marginal_linear_gaussian(x, W, b, sigma2):
    W64, r = W.double(), (x - b).double()
    C = W64 @ W64.T + float(sigma2) * torch.eye(W.shape[0], dtype=torch.float64)
    lam, U = torch.linalg.eigh(C)
    proj = r @ U
    out = -0.5 * (W.shape[0] * math.log(2 * math.pi) + torch.log(lam).sum() + (proj ** 2 / lam).sum(-1))
    return out.to(x.dtype)
'''),
    # ---- posterior_linear_gaussian ----------------------------------------------------------------
    Alternative(name="post_conditioning_full_batch_cov", cell="posterior_linear_gaussian", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    # condition the joint Gaussian of (z, x); return one covariance copy per x
    C = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    CinvW = torch.linalg.solve(C, W)
    cov = torch.eye(W.shape[1], dtype=W.dtype) - W.T @ CinvW
    cov = 0.5 * (cov + cov.T)
    mean = (x - b) @ CinvW
    return mean, cov.expand(*mean.shape[:-1], *cov.shape)
'''),
    Alternative(name="post_plain_inverse_not_symmetrised", cell="posterior_linear_gaussian", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    cov = torch.inverse(torch.eye(W.shape[1], dtype=W.dtype) + W.T @ W / sigma2)
    mean = torch.einsum("kj,dj,...d->...k", cov, W, x - b) / sigma2
    return mean, cov
'''),
    Alternative(name="post_solve_precision", cell="posterior_linear_gaussian", code='''
def posterior_linear_gaussian(x, W, b, sigma2):
    K = W.shape[1]
    precision = torch.eye(K, dtype=W.dtype) + W.T @ W / sigma2
    cov = torch.linalg.inv(precision)
    cov = (cov + cov.T) / 2
    rhs = ((x - b) @ W / sigma2).unsqueeze(-1)
    mean = torch.linalg.solve(precision, rhs).squeeze(-1)
    return mean, cov
'''),
    # ---- elbo_linear_gaussian ---------------------------------------------------------------------
    Alternative(name="elbo_entropy_form", cell="elbo_linear_gaussian", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    # second form: E_q[log p(x|z)] + E_q[log p(z)] + H(q), each in closed form
    D, K = W.shape
    s2 = torch.as_tensor(sigma2, dtype=W.dtype)
    e_sq = ((x - b - qm @ W.T) ** 2).sum(-1) + (qv @ (W ** 2).sum(0).unsqueeze(-1)).squeeze(-1)
    e_log_px = -0.5 * D * torch.log(2 * math.pi * s2) - 0.5 * e_sq / s2
    e_log_pz = -0.5 * K * math.log(2 * math.pi) - 0.5 * (qm ** 2 + qv).sum(-1)
    entropy = 0.5 * torch.log(2 * math.pi * math.e * qv).sum(-1)
    return e_log_px + e_log_pz + entropy
'''),
    Alternative(name="elbo_torch_distributions_and_kl_normal", cell="elbo_linear_gaussian", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    # log-density at the mean, minus the trace term, minus the student's own kl_normal
    at_mean = torch.distributions.Normal(qm @ W.T + b, math.sqrt(float(sigma2))).log_prob(x).sum(-1)
    trace = torch.einsum("...k,dk,dk->...", qv, W, W)
    kl = kl_normal(qm, qv, torch.zeros_like(qm), torch.ones_like(qv))
    return at_mean - 0.5 * trace / sigma2 - kl
'''),
    Alternative(name="elbo_via_exact_gap", cell="elbo_linear_gaussian", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    # log p(x) - KL(q || p(z|x)), a different (but exact) route
    d = torch.distributions
    D, K = W.shape
    C = W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)
    S = torch.linalg.inv(torch.eye(K, dtype=W.dtype) + W.T @ W / sigma2)
    S = (S + S.T) / 2
    m = (x - b) @ W @ S / sigma2
    logp = d.MultivariateNormal(b, covariance_matrix=C).log_prob(x)
    kl = d.kl_divergence(d.MultivariateNormal(qm, covariance_matrix=torch.diag_embed(qv)),
                         d.MultivariateNormal(m, covariance_matrix=S))
    return logp - kl
'''),
    Alternative(name="elbo_einsum_trace_float64", cell="elbo_linear_gaussian", code='''
def elbo_linear_gaussian(x, qm, qv, W, b, sigma2):
    dt = torch.promote_types(x.dtype, qm.dtype)
    x, qm, qv, W, b = (t.double() for t in (x, qm, qv, W, b))
    s2 = float(sigma2)
    D = W.shape[0]
    mean_x = torch.einsum("dk,...k->...d", W, qm) + b
    trace = torch.einsum("dk,...k,dk->...", W, qv, W)  # tr(W diag(qv) W^T)
    rec = -0.5 * (D * math.log(2 * math.pi * s2) + (((x - mean_x) ** 2).sum(-1) + trace) / s2)
    kl = 0.5 * (qm ** 2 + qv - qv.log() - 1).sum(-1)
    return (rec - kl).to(dt)
'''),
    # ---- data-level tables --------------------------------------------------------------------
    Alternative(name="elbo_data_loops", cell="elbo_data", code='''
def elbo_data(p_data, p_xz, q_zx):
    X, Z = p_xz.shape[-2:]
    flat_d, flat_p, flat_q = p_data.reshape(-1, X), p_xz.reshape(-1, X, Z), q_zx.reshape(-1, X, Z)
    out = []
    for pd, pxz, qzx in zip(flat_d, flat_p, flat_q):
        total = torch.zeros((), dtype=p_data.dtype)
        for x in range(X):
            for z in range(Z):
                total = total + pd[x] * qzx[x, z] * (torch.log(pxz[x, z]) - torch.log(qzx[x, z]))
        out.append(total)
    return torch.stack(out).reshape(p_data.shape[:-1])
'''),
    Alternative(name="elbo_data_entropy_form", cell="elbo_data", code='''
def elbo_data(p_data, p_xz, q_zx):
    # E[log p(x, z)] + H(q(z|x)), averaged with p_D, via xlogy
    cross = (q_zx * torch.log(p_xz)).sum(-1)
    entropy = -torch.special.xlogy(q_zx, q_zx).sum(-1)
    return torch.einsum("...x,...x->...", p_data, cross + entropy)
'''),
    Alternative(name="joint_kl_categorical", cell="elbo_data_form_joint_kl", code='''
def elbo_data_form_joint_kl(p_data, p_xz, q_zx):
    d = torch.distributions
    q_joint = (p_data.unsqueeze(-1) * q_zx).flatten(-2)
    kl = d.kl_divergence(d.Categorical(probs=q_joint), d.Categorical(probs=p_xz.flatten(-2)))
    return kl, -d.Categorical(probs=p_data).entropy()
'''),
    Alternative(name="x_marginal_categorical", cell="elbo_data_form_x_marginal", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    d = torch.distributions
    p_x = p_xz.sum(-1)
    kl_x = d.kl_divergence(d.Categorical(probs=p_data), d.Categorical(probs=p_x))
    kl_post = d.kl_divergence(d.Categorical(probs=q_zx), d.Categorical(probs=p_xz / p_x.unsqueeze(-1)))
    return kl_x, (p_data * kl_post).sum(-1)
'''),
    Alternative(name="x_marginal_via_log_p_x", cell="elbo_data_form_x_marginal", code='''
def elbo_data_form_x_marginal(p_data, p_xz, q_zx):
    # E_x KL(q(z|x) || p(z|x)) = E_x[log p(x) - ELBO(x)]
    log_p_x = torch.logsumexp(torch.log(p_xz), dim=-1)
    elbo_x = (q_zx * (torch.log(p_xz) - torch.log(q_zx))).sum(-1)
    kl_x = (p_data * (torch.log(p_data) - log_p_x)).sum(-1)
    return kl_x, (p_data * (log_p_x - elbo_x)).sum(-1)
'''),
    Alternative(name="z_marginal_loops", cell="elbo_data_form_z_marginal", code='''
def elbo_data_form_z_marginal(p_data, p_xz, q_zx):
    X, Z = p_xz.shape[-2:]
    flat_d, flat_p, flat_q = p_data.reshape(-1, X), p_xz.reshape(-1, X, Z), q_zx.reshape(-1, X, Z)
    first, second = [], []
    for pd, pxz, qzx in zip(flat_d, flat_p, flat_q):
        a = torch.zeros((), dtype=p_data.dtype)
        c = torch.zeros((), dtype=p_data.dtype)
        for z in range(Z):
            qz = sum(pd[x] * qzx[x, z] for x in range(X))
            pz = pxz[:, z].sum()
            a = a + qz * torch.log(qz / pz)
            for x in range(X):
                qxz = pd[x] * qzx[x, z] / qz
                c = c + qz * qxz * torch.log(qxz / (pxz[x, z] / pz))
        first.append(a)
        second.append(c)
    shape = p_data.shape[:-1]
    return torch.stack(first).reshape(shape), torch.stack(second).reshape(shape)
'''),
    Alternative(name="z_marginal_categorical", cell="elbo_data_form_z_marginal", code='''
def elbo_data_form_z_marginal(p_data, p_xz, q_zx):
    d = torch.distributions
    q_joint = p_data.unsqueeze(-1) * q_zx
    q_z, p_z = q_joint.sum(-2), p_xz.sum(-2)
    kl_prior = d.kl_divergence(d.Categorical(probs=q_z), d.Categorical(probs=p_z))
    q_x_given_z = (q_joint / q_z.unsqueeze(-2)).transpose(-1, -2)      # (..., Z, X): rows are distributions
    p_x_given_z = (p_xz / p_z.unsqueeze(-2)).transpose(-1, -2)
    kl_inv = d.kl_divergence(d.Categorical(probs=q_x_given_z), d.Categorical(probs=p_x_given_z))
    return kl_prior, (q_z * kl_inv).sum(-1)
'''),
]
