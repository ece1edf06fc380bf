"""tools.leaks: graded code is found in visible code whatever its spelling; generic lines are not."""

import ast
import json

import pytest

from tools import leaks

HEADER = "import math\nimport torch\nimport torch.nn.functional as F\n"


def form(code: str, inline: bool = False) -> str:
    """The canonical form of the last expression in ``code`` (a few statements)."""
    unit = leaks.Unit("x.py", None, HEADER + code, set(), set())
    unit.globals, unit.defined = leaks._file_names([unit.text])
    expressions = [e for e in leaks.visible_expressions(unit) if e.inlined == inline and e.root]
    return expressions[-1].node.form


def weight(code: str) -> int:
    return leaks.Canonicaliser({"torch": "torch", "F": "torch.nn.functional", "math": "math"}, set()).convert(
        ast.parse(code, mode="eval").body, None, False).weight


# --------------------------------------------------------------------------------------------------
# The canonical form


@pytest.mark.parametrize("copy", [
    "qm + torch.exp(0.5 * lv) * noise",             # renamed
    "torch.exp(0.5 * logvar) * eps + mu",           # operands reordered
    "mu + eps * torch.exp(logvar / 2)",             # x / 2 for 0.5 * x
    "mu + logvar.mul(.5).exp() * eps",              # method spelling, .5
    "mu + (0.5 * logvar).exp() * eps",
    "mu + torch.sqrt(torch.exp(logvar)) * eps",     # sqrt(exp(a)) = exp(a / 2)
    "mu + logvar.exp() ** 0.5 * eps",
    "mu + torch.exp(logvar).sqrt() * eps",
    "mu + eps * (logvar * 0.5).exp()",
    "mu + math.exp(0.5 * logvar) * eps",            # math.exp is exp too
    "torch.add(mu, torch.mul(torch.exp(0.5 * logvar), eps))",
])
def test_reparameterised_sample_respelled(copy):
    assert form(copy) == form("mu + torch.exp(0.5 * logvar) * eps")


@pytest.mark.parametrize("copy", [
    "-0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=-1)",
    "0.5 * torch.sum(m.pow(2) + s.exp() - s - 1, -1)",
    "(0.5 * (mu * mu + logvar.exp() - 1.0 - logvar)).sum(dim=-1)",
    "((torch.exp(logvar) + torch.square(mu) - 1 - logvar) / 2).sum(-1)",
    "-(1 + logvar - mu.pow(2) - logvar.exp()).sum(-1) / 2",
])
def test_closed_form_kl_respelled(copy):
    assert form(copy) == form("0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)")


@pytest.mark.parametrize("copy, original", [
    ("b - a", "-(a - b)"),
    ("x / v", "x * v ** -1"),
    ("x / v", "x * (1 / v)"),
    ("torch.logsumexp(w, 0) - math.log(n)", "torch.logsumexp(w, dim=0) - math.log(n)"),
    ("(x - m).pow(2) / v", "(m - x) ** 2 / v"),
    ("a @ (b @ c)", "(a @ b) @ c"),
    ("torch.matmul(a, b.t())", "a @ b.T"),
    ("torch.randn(n, k)", "torch.randn(n, k, generator=g, dtype=torch.float64, device=d)"),
    ("F.softplus(l)", "torch.nn.functional.softplus(l)"),
    ("x > y", "y < x"),
    ("(a - b).double().mean()", "(a - b).mean()"),                             # conversions change no value
    ("float(x.sum())", "x.sum().item()"),
    ("x.detach().clone().to(torch.float64).exp()", "torch.exp(x)"),
])
def test_equivalent_spellings(copy, original):
    assert form(copy) == form(original)


@pytest.mark.parametrize("other, original", [
    ("mu + torch.exp(logvar) * eps", "mu + torch.exp(0.5 * logvar) * eps"),   # the std is exp(logvar / 2)
    ("mu - torch.exp(0.5 * logvar) * eps", "mu + torch.exp(0.5 * logvar) * eps"),
    ("x.sum(0)", "x.sum(1)"),
    ("a @ b.T", "b.T @ a"),                                                    # not commutative
    ("a - b + c", "a - b - c"),
    ("torch.log(x)", "torch.exp(x)"),
])
def test_different_formulas_differ(other, original):
    assert form(other) != form(original)


def test_single_assignment_locals_are_inlined():
    split = "std = torch.exp(0.5 * logvar)\neps = torch.randn_like(std)\nz = mu + std * eps"
    assert form(split, inline=True) == form("mu + torch.exp(0.5 * logvar) * torch.randn_like(torch.exp(0.5 * logvar))")
    # A name bound twice is not replaced (its value depends on where it is read).
    twice = "s = logvar\ns = torch.exp(0.5 * s)\nz = mu + s * eps"
    assert form(twice, inline=True) == form("mu + s * eps")


def test_weights():
    assert weight("torch.randn(n, k, generator=g)") == 0   # a draw of noise, like a local eps
    assert weight("torch.randperm(n, generator=g)[:k]") == 2
    assert weight("x.flatten(1)") == 0
    assert weight("x.detach().clone().requires_grad_(True)") == 0
    assert weight("m + torch.sqrt(v) * eps") == 3
    assert weight("mu + torch.exp(0.5 * logvar) * eps") == 4
    assert weight("0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)") == 7
    assert weight("a / b") == 1


# --------------------------------------------------------------------------------------------------
# Finding leaks between notebooks


def _cell(source, grade_id=None, solution=False, grade=False, cell_type="code"):
    meta = {}
    if grade_id:
        meta["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
                            "schema_version": 3, "task": False, **({"points": 1} if grade else {})}
    cell = {"cell_type": cell_type, "metadata": meta, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


SAMPLER = '''def sample(mu, logvar):
    """One reparameterised sample."""
    ### BEGIN SOLUTION
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(mu)
    ### END SOLUTION
'''
KL = '''def kl(mu, logvar):
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
    ### END SOLUTION
'''
LOG_DENSITY = '''def log_density(x, m, v):
    ### BEGIN SOLUTION
    return -0.5 * (math.log(2 * math.pi) + torch.log(v) + (x - m) ** 2 / v).sum(-1)
    ### END SOLUTION
'''
TEST = '''z = sample(torch.zeros(3), torch.zeros(3))
assert z.shape == (3,)
### BEGIN HIDDEN TESTS
_want = _m + torch.exp(0.5 * _lv) * torch.randn_like(_m)
### END HIDDEN TESTS
'''


@pytest.fixture
def course(tmp_path):
    _notebook(tmp_path / "source" / "a" / "a.ipynb", [
        _cell("import math\nimport torch\n"),
        _cell(SAMPLER, "sample", solution=True),
        _cell(KL, "kl", solution=True),
        _cell(LOG_DENSITY, "log_density", solution=True),
        _cell(TEST, "test_sample", grade=True),
        _cell("**Rubric:** ...", "answer_q", solution=True, grade=True, cell_type="markdown"),
    ])
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("import torch\n\ndef shift(x, n):\n    return x[:n]\n")
    return tmp_path


def _leaks(course, visible_cells=(), helper=None):
    _notebook(course / "source" / "b" / "b.ipynb", [_cell("import torch\nimport math\n"), *visible_cells])
    if helper is not None:
        (course / "helpers" / "extra.py").write_text(helper)
    return leaks.find_leaks(*leaks.course_units(course))


def test_own_solution_and_hidden_tests_are_not_leaks(course):
    assert _leaks(course) == []


@pytest.mark.parametrize("visible", [
    "z = qm + qlv.mul(0.5).exp() * e",
    "def draw(m, lv):\n    s = (lv / 2).exp()\n    noise = torch.randn_like(m)\n    return noise * s + m\n",
    "print(torch.exp(0.5 * logvar) * torch.randn_like(mu) + mu)",
])
def test_renamed_reordered_respelled_copy_is_found(course, visible):
    found = _leaks(course, [_cell(visible)])
    assert [leak.graded_function for leak in found] == ["a:sample"], leaks.format_leaks(found)
    assert found[0].visible.unit.where == "source/b/b.ipynb" and found[0].visible.unit.cell == 1


def test_kl_copied_into_a_visible_test_is_found(course):
    visible = _cell("got = kl(m, lv)\nwant = -0.5 * torch.sum(1 + lv - m ** 2 - lv.exp(), dim=-1)\n"
                    "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n", "test_kl", grade=True)
    found = _leaks(course, [visible])
    assert [(leak.graded_function, leak.visible.line) for leak in found] == [("a:kl", 2)]
    message = leaks.format_leaks(found)
    assert "source/b/b.ipynb cell 1, line 2: want = -0.5 * torch.sum(" in message
    assert "a:kl" in message and "return 0.5 * (mu.pow(2)" in message


def test_copy_in_helpers_and_in_markdown_is_found(course):
    helper = ("import torch\n\ndef noisy(mean, log_var):\n"
              "    return mean + torch.exp(log_var * 0.5) * torch.randn_like(mean)\n")
    markdown = _cell("Sample with `mu + torch.exp(0.5 * logvar) * eps` and see.", cell_type="markdown")
    found = _leaks(course, [markdown], helper=helper)
    assert {(leak.visible.unit.where, leak.graded_function) for leak in found} == {
        ("helpers/extra.py", "a:sample"), ("source/b/b.ipynb", "a:sample")}


def test_visible_code_of_the_same_notebook_counts(course):
    nb = json.loads((course / "source" / "a" / "a.ipynb").read_text())
    nb["cells"].append(_cell("z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n"))
    (course / "source" / "a" / "a.ipynb").write_text(json.dumps(nb))
    found = _leaks(course)
    assert [(leak.visible.unit.where, leak.visible.unit.cell) for leak in found] == [("source/a/a.ipynb", 6)]


@pytest.mark.parametrize("generic", [
    "z = torch.randn(n, k, generator=g)",
    "flat = x.flatten(1)",
    "std = torch.exp(0.5 * logvar)",                # a part of the graded line, too light alone
    "mu + eps",
    "loss = model(x).mean()\nloss.backward()\nopt.step()",
    "m_ = m.detach().clone().requires_grad_(True)",
    "total = (a.pow(2) + b.exp()).sum(-1)",          # a fragment of the KL with other constants
])
def test_generic_lines_are_not_leaks(course, generic):
    found = _leaks(course, [_cell(generic)])
    assert found == [], leaks.format_leaks(found)


def test_unparseable_cell_names_its_place(course):
    with pytest.raises(SyntaxError, match=r"source/b/b.ipynb cell 1"):
        _leaks(course, [_cell("%timeit f(x)\n")])


def test_a_part_of_a_graded_line_counts_from_part_weight(course):
    light = "d = (x - mu) ** 2 / var"                                        # weight 3: generic
    heavy = "s = math.log(2 * math.pi) + torch.log(var) + (x - mu) ** 2 / var"  # the bracket of the line
    assert _leaks(course, [_cell(light)]) == []
    found = _leaks(course, [_cell(heavy)])
    assert [leak.graded_function for leak in found] == ["a:log_density"]
    assert found[0].matched.weight >= leaks.PART_WEIGHT


# 06_flows as of 3382ce6 (issue 20): the graded posterior, and the visible experiment code [31] and [35]
# that is a template of it under other names.
FLOWS_IMPORTS = '''import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal
from helpers.progress import tqdm

import helpers
from helpers import pick
from helpers.data import Batches, binarize_dynamic, binarize_static, fixed_subset, load_mnist
from helpers.energies import ENERGIES, density_on_grid, grid, log_normalizer
from helpers.models import MLPDecoder, MLPEncoder
from helpers.training import fit

DEVICE = helpers.setup(seed=0)'''
FLOWS_U_HAT = '''def planar_u_hat(u, w):
    """The reparameterised u of a planar flow: u_hat = u + (m(w^T u) - w^T u) w / ||w||^2, m(a) = -1 + softplus(a).

    u, w: tensors of shape (..., k) that broadcast against each other (e.g. u (N, k), w (k,)); the inner products
    are over the last dimension. Returns u_hat with the broadcast shape (..., k); w^T u_hat = m(w^T u) >= -1.
    Where w = 0 (all k entries), return u_hat = u (the formula is 0/0 there).
    """
    ### BEGIN SOLUTION
    wu = (w * u).sum(-1, keepdim=True)
    w_sq = (w * w).sum(-1, keepdim=True)
    m = -1.0 + F.softplus(wu)
    safe = torch.where(w_sq > 0, w_sq, torch.ones_like(w_sq))
    return u + torch.where(w_sq > 0, (m - wu) / safe, torch.zeros_like(w_sq)) * w
    ### END SOLUTION'''
FLOWS_PLANAR = '''def planar_flow(z, u, w, b):
    """One planar map f(z) = z + u tanh(w^T z + b) and log |det df/dz| = log |1 + u^T psi(z)|.

    z: (N, k); u, w: (k,) or (N, k); b: a number, a 0-dim tensor or (N,). psi(z) = (1 - tanh^2(w^T z + b)) w.
    Returns (f_z (N, k), log_abs_det (N,)). u is used as given (no planar_u_hat here).
    """
    ### BEGIN SOLUTION
    b = torch.as_tensor(b, dtype=z.dtype, device=z.device)
    h = torch.tanh((z * w).sum(-1) + b)
    f_z = z + u * h.unsqueeze(-1)
    psi = (1 - h ** 2).unsqueeze(-1) * w
    log_abs_det = torch.log(torch.abs(1 + (u * psi).sum(-1)))
    return f_z, log_abs_det
    ### END SOLUTION'''
FLOWS_POSTERIOR = '''class NoFlowParameters(nn.Module):
    """The flow_net of a posterior without flow steps: an empty (N, 0, width) tensor of parameters."""

    def __init__(self, width):
        super().__init__()
        self.width = width

    def forward(self, x):
        return x.new_zeros(x.shape[0], 0, self.width)


class PlanarFlowVAE(nn.Module):
    """A VAE whose posterior is a planar flow of length n_flows on top of a diagonal Gaussian q0(z0|x).

    ``self.encoder(x)`` -> (mu, logvar), each (N, z_dim); ``self.flow_net(x)`` -> (N, n_flows, 2 z_dim + 1), the
    parameters (u, w, b) of every step for every image; ``self.decoder(z)`` -> Bernoulli logits (..., x_dim).
    """

    def __init__(self, z_dim, n_flows, hidden=400, x_dim=784):
        super().__init__()
        self.z_dim, self.n_flows, self.x_dim = z_dim, n_flows, x_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim)
        width = 2 * z_dim + 1
        self.flow_net = nn.Sequential(
            nn.Linear(x_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_flows * width), nn.Unflatten(-1, (n_flows, width))
        ) if n_flows else NoFlowParameters(width)
        self.decoder = MLPDecoder(z_dim, hidden, x_dim)

    def posterior(self, x, n):
        """(z, log_q): n samples per image of the flow posterior and their log-density.

        z: (n, N, z_dim), z_K = f_K(...f_1(z0)) with z0 = mu + sigma * eps (reparameterised, eps ~ N(0, I));
        log_q: (n, N), log q_K(z_K|x) = log q0(z0|x) - sum_k log|det J_k|.
        """
        ### BEGIN SOLUTION
        mu, logvar = self.encoder(x)
        eps = torch.randn((n, *mu.shape), dtype=mu.dtype, device=mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        log_q = -0.5 * (eps ** 2 + logvar + math.log(2 * math.pi)).sum(-1)
        params = self.flow_net(x)
        k, batch = self.z_dim, mu.shape[0]
        z = z.reshape(n * batch, k)
        log_q = log_q.reshape(n * batch)
        for step in range(self.n_flows):
            p = params[:, step].repeat(n, 1)  # the same image's parameters for each of its n samples
            u, w, b = p[:, :k], p[:, k:2 * k], p[:, 2 * k]
            z, log_det = planar_flow(z, planar_u_hat(u, w), w, b)
            log_q = log_q - log_det
        return z.reshape(n, batch, k), log_q.reshape(n, batch)
        ### END SOLUTION

    def negative_elbo_bound(self, x):
        """(nelbo, kl, rec): scalars averaged over the batch, with one sample z0 ~ q0(z0|x) per image.

        rec = -log p(x|z_K) (summed over pixels); kl = log q0(z0|x) - sum_k log|det J_k| - log p(z_K);
        nelbo = rec + kl.
        """
        ### BEGIN SOLUTION
        z, log_q = self.posterior(x, 1)
        z, log_q = z[0], log_q[0]
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(-1)
        kl = log_q - Normal(0.0, 1.0).log_prob(z).sum(-1)
        return (rec + kl).mean(), kl.mean(), rec.mean()
        ### END SOLUTION'''
FLOWS_CELL_31 = '''class PlanarFlow2D(nn.Module):
    """K planar maps with free parameters on a N(0, I) base in 2-D."""

    def __init__(self, K):
        super().__init__()
        g = torch.Generator().manual_seed(K)
        self.u = nn.Parameter(0.1 * torch.randn(K, 2, generator=g))
        self.w = nn.Parameter(0.1 * torch.randn(K, 2, generator=g))
        self.b = nn.Parameter(torch.zeros(K))

    def sample(self, n):
        z = torch.randn(n, 2)
        log_q = Normal(0.0, 1.0).log_prob(z).sum(-1)
        for k in range(len(self.b)):
            z, log_det = planar_flow(z, planar_u_hat(self.u[k], self.w[k]), self.w[k], self.b[k])
            log_q = log_q - log_det
        return z, log_q


class IAF2D(nn.Module):
    """IAF steps on a learned diagonal Gaussian base in 2-D; no context (h = 0), coordinates reversed between steps."""

    def __init__(self, n_steps, hidden=64):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(2))
        self.log_scale = nn.Parameter(torch.zeros(2))
        self.steps = nn.ModuleList(IAFStep(2, hidden, 1) for _ in range(n_steps))

    def sample(self, n):
        q0 = Normal(self.loc, self.log_scale.exp())
        z = q0.rsample((n,))
        log_q = q0.log_prob(z).sum(-1)
        h = torch.zeros(n, 1)
        for i, step in enumerate(self.steps):
            z, log_det = step(z.flip(-1) if i else z, h)
            log_q = log_q - log_det
        return z, log_q


def fit_2d(flow, energy, steps, batch, desc, lr):
    """Minimise E_q[log q(z) + beta U(z)] with beta annealed from 0.01 to 1; returns the per-step loss at beta = 1."""
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr)
    losses = []
    for t in tqdm(range(steps), desc=desc, leave=False):
        beta = min(1.0, 0.01 + t / (0.5 * steps))
        z, log_q = flow.sample(batch)
        energy_z = energy(z)
        loss = log_q.mean() + beta * energy_z.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append((log_q + energy_z).mean().item())
    return losses'''
FLOWS_CELL_35 = '''class IAFVAE(nn.Module):
    """A VAE whose posterior is a diagonal Gaussian followed by IAF steps with a context h(x)."""

    def __init__(self, z_dim, n_steps, hidden=400, x_dim=784, context_dim=20, step_hidden=64):
        super().__init__()
        self.z_dim, self.x_dim, self.context_dim = z_dim, x_dim, context_dim
        self.encoder = MLPEncoder(x_dim, hidden, z_dim)
        self.context_net = nn.Sequential(nn.Linear(x_dim, hidden), nn.Tanh(), nn.Linear(hidden, context_dim))
        self.steps = nn.ModuleList(IAFStep(z_dim, step_hidden, context_dim) for _ in range(n_steps))
        self.decoder = MLPDecoder(z_dim, hidden, x_dim)

    def posterior(self, x, n):
        mu, logvar = self.encoder(x)
        q0 = Normal(mu, torch.exp(0.5 * logvar))
        z = q0.rsample((n,))
        log_q = q0.log_prob(z).sum(-1).reshape(-1)
        h = self.context_net(x).expand(n, -1, -1).reshape(-1, self.context_dim)
        shape = z.shape
        z = z.reshape(-1, self.z_dim)
        for i, step in enumerate(self.steps):
            # every other step works on the reversed order, so that each coordinate goes first once; the order is
            # restored after it, because the decoder reads the coordinates in the encoder's order (a flow that
            # returned them reversed would start far from the trained q0 it fine-tunes)
            if i % 2:
                z, log_det = step(z.flip(-1), h)
                z = z.flip(-1)
            else:
                z, log_det = step(z, h)
            log_q = log_q - log_det
        return z.reshape(shape), log_q.reshape(shape[:-1])'''


def _flows_course(tmp_path, visible):
    """A course whose 06_flows holds the graded planar-flow functions and ``visible`` cells."""
    _notebook(tmp_path / "source" / "06_flows" / "06_flows.ipynb", [
        _cell(FLOWS_IMPORTS),
        _cell(FLOWS_U_HAT, "planar_u_hat", solution=True),
        _cell(FLOWS_PLANAR, "planar_flow", solution=True),
        _cell(FLOWS_POSTERIOR, "PlanarFlowVAE", solution=True),
        *(_cell(text) for text in visible),
    ])
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    return leaks.course_units(tmp_path)


def test_a_template_of_a_graded_function_under_other_names_is_found(tmp_path):
    """06 [31] (PlanarFlow2D.sample) and [35] (IAFVAE.posterior) of 3382ce6 are a template of the graded
    PlanarFlowVAE.posterior: the loop calling planar_u_hat / planar_flow with log_q -= log_det, and the
    encode / draw / log-density / align / loop / return of the whole function. No line is heavy enough
    to be a line leak; the structure is."""
    units = _flows_course(tmp_path, [FLOWS_CELL_31, FLOWS_CELL_35])
    assert leaks.find_leaks(*units) == []  # the canonical forms of lines miss it: the names differ
    found = leaks.find_structure_leaks(*units)
    assert [(leak.visible.unit.cell, leak.visible.name, leak.graded_function) for leak in found] == [
        (4, "loop on line 14", "06_flows:loop in PlanarFlowVAE.posterior"),
        (5, "IAFVAE.posterior", "06_flows:PlanarFlowVAE.posterior"),
    ], leaks.format_structure_leaks(found)
    loop, function = found
    assert loop.share >= leaks.LOOP_SHARE and loop.weight >= leaks.LOOP_WEIGHT
    assert function.share >= leaks.STRUCT_SHARE and function.weight >= leaks.STRUCT_WEIGHT
    message = leaks.format_structure_leaks(found)
    assert "cell 4, line 14: loop on line 14 has the structure of graded 06_flows:loop in " in message
    assert "= planar_flow/planar_u_hat (carried) (graded line" in message and "updateSub" in message


RENAMED = '''class Posterior(nn.Module):
    def draw(self, images, count):
        loc, log_scale2 = self.enc(images)
        noise = torch.randn(count, *loc.shape)
        codes = loc + (log_scale2 / 2).exp() * noise
        density = (-(noise.pow(2) + log_scale2 + math.log(2 * math.pi)) / 2).sum(-1)
        table = self.steps_net(images)
        d, N = self.dim, loc.shape[0]
        codes = codes.reshape(count * N, d)
        density = density.reshape(count * N)
        for i in range(self.length):
            row = table[:, i].repeat(count, 1)
            a, c, e = row[:, :d], row[:, d:2 * d], row[:, 2 * d]
            codes, jac = planar_flow(codes, planar_u_hat(a, c), c, e)
            density -= jac
        return codes.reshape(count, N, d), density.reshape(count, N)
'''


def test_a_renamed_copy_of_a_graded_function_is_found(tmp_path):
    found = leaks.find_structure_leaks(*_flows_course(tmp_path, [RENAMED]))
    assert {(leak.visible.name, leak.graded_function) for leak in found} == {
        ("Posterior.draw", "06_flows:PlanarFlowVAE.posterior"),
        ("loop on line 11", "06_flows:loop in PlanarFlowVAE.posterior")}, leaks.format_structure_leaks(found)
    assert all(leak.share > 0.9 for leak in found)


@pytest.mark.parametrize("generic", [
    # a training loop: a 2-target call and an update, but nothing carried and no graded call
    "for _ in range(steps):\n    loss = nll(p)\n    (grad,) = torch.autograd.grad(loss, p)\n    p -= lr * grad\n",
    # a VAE's forward pass: encode, draw, decode, a loss; no loop, no graded call
    "def forward(self, x):\n    mu, logvar = self.encoder(x)\n"
    "    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n    logits = self.decoder(z)\n"
    "    return F.binary_cross_entropy_with_logits(logits, x, reduction='sum'), z\n",
    # a flow that samples through its own steps (no planar_flow): the loop alone is not the graded loop
    "def sample(self, n):\n    z = torch.randn(n, 2)\n    for step in self.steps:\n        z, _ = step(z)\n"
    "    return z\n",
])
def test_generic_structure_is_not_a_leak(tmp_path, generic):
    found = leaks.find_structure_leaks(*_flows_course(tmp_path, [generic]))
    assert found == [], leaks.format_structure_leaks(found)


def test_skeleton_keeps_what_statements_do_not_their_names():
    unit = leaks.Unit("x.py", None, HEADER + "def f(a, b):\n    a, t = g(a, torch.exp(b))\n    s = s - t\n"
                      "    y = a.reshape(-1)\n    return y, s\n", set(), set())
    unit.globals, unit.defined = leaks._file_names([unit.text])
    (block,) = [b for b in leaks.visible_blocks(unit, frozenset({"g"})) if b.name == "f"]
    assert [step.label() for step in block.steps] == ["= exp/g (carried)", "updateSub", "=", "return"]
    assert [step.weight for step in block.steps] == [2.0, 1.0, 0.25, 0.5]
