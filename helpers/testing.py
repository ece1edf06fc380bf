"""What the notebooks' hidden tests share (infrastructure for tests, never a graded solution).

Hidden test cells import from here instead of pasting the same helper into several cells, so
every test cell stands alone: it runs on the imports, the given code and the solutions, never on
a name another test cell defined (a student who fails that other cell would lose this one's points
too; ``tests/test_mutations.py`` checks it).

``substituted`` is how a test of one exercise keeps the points of another out of it: an exercise
whose specification calls an earlier graded function (a VAE calling ``reparameterize``) is tested
with a reference in that function's place, so a mistake in the earlier function costs only its
own tests. The test cell's visible part sets ``_references = {}`` (a student's own run tests their
own code), a hidden block fills it with the references, and every call of the exercise, visible or
hidden, runs inside ``with substituted(globals(), **_references):``, so nothing stays bound after
the cell, whatever fails in it (a student may move cells: nbgrader grades the submitted order).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping

import torch

from .models import MLPDecoder, MLPEncoder

_MISSING = object()


@contextlib.contextmanager
def substituted(namespace: MutableMapping, **references) -> Iterator[None]:
    """Bind ``references`` (name -> object) in ``namespace`` (a notebook's ``globals()``) while
    the block runs, then put back what was there (or remove a name that was not)."""
    saved = {name: namespace.get(name, _MISSING) for name in references}
    namespace.update(references)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def scalar(value, name: str) -> float:
    """``value`` as a float, after checking it is a plain, finite, one-element torch.Tensor."""
    assert type(value) is torch.Tensor, f"{name} must be a plain torch.Tensor, got {type(value).__name__}"
    assert value.numel() == 1, f"{name} must be a scalar (averaged over the batch), got shape {tuple(value.shape)}"
    assert bool(torch.isfinite(value).all()), f"{name} is not finite"
    return float(value.detach())


def near(a: float, b: float, tol: float = 1e-4) -> bool:
    """``a`` equals ``b`` up to a relative tolerance ``tol`` (absolute near 0)."""
    return abs(a - b) <= tol * (1 + abs(b))


# --- fixed networks that record their inputs (04) ----------------------------------------------------------------


class RecordingEncoder(MLPEncoder):
    """A real :class:`helpers.models.MLPEncoder` without hidden layer and with fixed weights drawn from
    ``seed``: ``mu = W_mu v + b_mu`` (``W_mu`` ~ ``mean_scale`` N(0, 1), ``b_mu`` ~ 0.3 N(0, 1)) and
    ``logvar = W_lv v + logvar_bias`` (``W_lv`` ~ ``logvar_scale`` N(0, 1), 0 by default). It fails with an
    ``AssertionError`` that names the expected width (``what`` says what that width is) when an input
    has another width, and records every input, detached, in ``inputs``.
    """

    def __init__(self, in_dim: int, z_dim: int, seed: int, logvar_bias: float = -40.0, *,
                 mean_scale: float = 0.8, logvar_scale: float = 0.0, what: str = ""):
        super().__init__(in_dim, (), z_dim)
        g = torch.Generator().manual_seed(seed)
        mean_weight = mean_scale * torch.randn(z_dim, in_dim, generator=g)
        mean_bias = 0.3 * torch.randn(z_dim, generator=g)
        logvar_weight = logvar_scale * torch.randn(z_dim, in_dim, generator=g)
        with torch.no_grad():
            self.net[0].weight.copy_(torch.cat([mean_weight, logvar_weight]))
            self.net[0].bias.copy_(torch.cat([mean_bias, torch.full((z_dim,), float(logvar_bias))]))
        self.what = what
        self.inputs: list[torch.Tensor] = []

    def forward(self, v):
        assert v.shape[-1] == self.in_dim, (
            f"the encoder got inputs of width {v.shape[-1]}, not {self.in_dim}{self.what}")
        self.inputs.append(v.detach())
        return super().forward(v)


class RecordingDecoder(MLPDecoder):
    """A real :class:`helpers.models.MLPDecoder` (one tanh layer of ``hidden`` units) with fixed weights
    drawn from ``seed`` (weights ~ ``scale`` N(0, 1), biases ~ 0.5 N(0, 1)). It fails with an
    ``AssertionError`` that names the expected width (``what`` says what that width is) when an input
    has another width, and records every input, detached, in ``inputs``.
    """

    def __init__(self, in_dim: int, out_dim: int, seed: int, *, hidden: int = 6, scale: float = 2.0,
                 what: str = ""):
        super().__init__(in_dim, hidden, out_dim)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for layer in (self.net[0], self.net[2]):
                layer.weight.copy_(scale * torch.randn(layer.weight.shape, generator=g))
                layer.bias.copy_(0.5 * torch.randn(layer.bias.shape, generator=g))
        self.what = what
        self.inputs: list[torch.Tensor] = []

    def forward(self, v):
        assert v.shape[-1] == self.z_dim, (
            f"the decoder got inputs of width {v.shape[-1]}, not {self.z_dim}{self.what}")
        self.inputs.append(v.detach())
        return super().forward(v)
# --------------------------------------------------------------------------------------------------
# A value against its reference, with the usual mistakes named


def check_close(got, want, what: str, mistakes=(), rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Pass when ``got`` is close to ``want`` (compared in float64); otherwise fail with a message
    that says what is off.

    ``got`` must be a plain torch.Tensor of ``want``'s shape. ``mistakes`` lists ``(hint, value)``
    pairs, ``value`` being what a usual mistake gives on these inputs: the message is ``"<what> is
    off: <hint>"`` for the first one ``got`` matches, else it says by how much ``got`` is off. It
    never shows ``want`` (the student sees the message).
    """
    assert type(got) is torch.Tensor, f"{what} must be a torch.Tensor, got {type(got).__name__}"
    want = torch.as_tensor(want, dtype=torch.float64)
    assert got.shape == want.shape, f"{what} has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    got = got.detach().cpu().to(torch.float64)
    if torch.allclose(got, want, rtol=rtol, atol=atol):
        return
    for hint, value in mistakes:
        value = torch.as_tensor(value, dtype=torch.float64)
        if value.shape == got.shape and torch.allclose(got, value, rtol=rtol, atol=atol):
            raise AssertionError(f"{what} is off: {hint}")
    err = (got - want).abs().max().item()
    rel = ((got - want).abs() / want.abs().clamp(min=1e-12)).max().item()
    raise AssertionError(f"{what} is off by up to {err:.3g} (relative {rel:.2g}); none of the usual mistakes "
                         "matches: compare your formula with the one in the text term by term")
