"""The experiment code of 06_flows (ungraded cells the reference run's numbers depend on).

Experiment 2 fine-tunes every posterior from one trained encoder on one frozen decoder; an IAF posterior that
permuted the latent coordinates on its way out would start far from that encoder's q0 (an earlier version did,
and lost half a nat of ELBO to it). These tests run the notebook's own cells with the reference solutions.
"""

import pytest
import torch

from tools import notebooks as nbs


@pytest.fixture(scope="module")
def flows():
    """The namespace of the imports cell, the reference IAFStep and the IAFVAE cell of the source notebook."""
    nb = nbs.load(nbs.source_notebook("06_flows"))
    wanted = [c for c in nb["cells"] if c["cell_type"] == "code" and (
        "DEVICE = helpers.setup" in nbs.source_text(c)
        or nbs.grade_id(c) == "IAFStep"
        or nbs.source_text(c).startswith("class IAFVAE"))]
    assert len(wanted) == 3, "the imports, IAFStep and IAFVAE cells of 06_flows"
    namespace = {}
    for cell in wanted:
        exec(compile(nbs.source_text(cell), "06_flows", "exec"), namespace)
    return namespace


def _posterior_and_q0(model, x, n, seed):
    """The model's posterior sample (z, log_q) for seed, and q0 with the z0 it drew from the same seed."""
    torch.manual_seed(seed)
    z, log_q = model.posterior(x, n)
    mu, logvar = model.encoder(x)
    q0 = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    torch.manual_seed(seed)
    return z, log_q, q0, q0.rsample((n,))


class _Identity(torch.nn.Module):
    def forward(self, z, h):
        return z, z.new_zeros(z.shape[0])


@pytest.mark.parametrize("n_steps", [1, 2, 3])
def test_iaf_posterior_with_identity_steps_is_the_encoders_q0(flows, n_steps):
    # with steps that change nothing the posterior must be q0 itself, coordinates in the encoder's order
    torch.manual_seed(0)
    model = flows["IAFVAE"](z_dim=4, n_steps=n_steps, hidden=16, x_dim=10, context_dim=3, step_hidden=8).double()
    model.steps = torch.nn.ModuleList(_Identity() for _ in range(n_steps))
    x = torch.rand(5, 10, dtype=torch.float64)
    z, log_q, q0, z0 = _posterior_and_q0(model, x, 2, seed=1)
    assert z.shape == (2, 5, 4) and log_q.shape == (2, 5)
    assert torch.allclose(z, z0), "the IAF posterior reorders or moves the coordinates of q0's sample"
    assert torch.allclose(log_q, q0.log_prob(z0).sum(-1))


def test_iaf_posterior_density_is_the_change_of_variables(flows):
    # log q(z_K) = log q0(z0) - log |det dz_K/dz0| for the whole chain, with the Jacobian from autograd
    torch.manual_seed(0)
    model = flows["IAFVAE"](z_dim=3, n_steps=3, hidden=16, x_dim=10, context_dim=2, step_hidden=12).double()
    with torch.no_grad():
        for p in model.steps.parameters():
            p.add_(0.5 * torch.randn_like(p))  # away from the near-identity start
    x = torch.rand(1, 10, dtype=torch.float64)
    z, log_q, q0, z0 = _posterior_and_q0(model, x, 1, seed=2)
    h = model.context_net(x)

    def chain(v):
        out = v.reshape(1, 3)
        for i, step in enumerate(model.steps):
            out = step(out.flip(-1), h)[0].flip(-1) if i % 2 else step(out, h)[0]
        return out.reshape(3)

    assert torch.allclose(z.reshape(3), chain(z0.reshape(3)))
    jac = torch.autograd.functional.jacobian(chain, z0.reshape(3))
    want = q0.log_prob(z0).sum() - torch.linalg.slogdet(jac)[1]
    assert torch.allclose(log_q.reshape(()), want, atol=1e-10)
