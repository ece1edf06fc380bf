"""Encoder and decoder building blocks shared by the assignments.

Encoders map images to the parameters of a diagonal Gaussian ``q(z|x)``: they return
``(mean, log_variance)``, each of shape ``(N, z_dim)``. Decoders map latents ``(N, z_dim)`` to
one output per pixel (logits for a Bernoulli decoder, means for a Gaussian one: the caller
chooses the likelihood, which is the graded part of the course).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .checks import check_positive_int, check_tensor


def _flat_input(x, in_dim: int, name: str = "x") -> torch.Tensor:
    """Accept ``(N, in_dim)`` or images ``(N, C, H, W)`` with ``C*H*W == in_dim``."""
    check_tensor(x, name, floating=True)
    if x.dim() >= 2 and x.shape[-1] == in_dim:
        return x
    if x.dim() >= 4 and math.prod(x.shape[-3:]) == in_dim:
        return x.flatten(-3)
    raise ValueError(
        f"{name} must have shape (N, {in_dim}) or (N, C, H, W) with C*H*W = {in_dim}, "
        f"got {tuple(x.shape)}"
    )


ACTIVATIONS = {"tanh": nn.Tanh, "elu": nn.ELU, "relu": nn.ReLU, "softplus": nn.Softplus}


def _mlp(in_dim: int, hidden, out_dim: int, activation: str) -> nn.Sequential:
    """Linear layers with ``activation`` between them; ``hidden`` is one width or a sequence of widths."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    widths = [hidden] if isinstance(hidden, int) else list(hidden)
    for i, width in enumerate(widths):
        check_positive_int(width, f"hidden[{i}]")
    layers, previous = [], in_dim
    for width in widths:
        layers += [nn.Linear(previous, width), ACTIVATIONS[activation]()]
        previous = width
    return nn.Sequential(*layers, nn.Linear(previous, out_dim))


def _check_latent(z, z_dim: int) -> torch.Tensor:
    check_tensor(z, "z", floating=True)
    if z.dim() < 2 or z.shape[-1] != z_dim:
        raise ValueError(f"z must have shape (N, {z_dim}), got {tuple(z.shape)}")
    return z


class MLPEncoder(nn.Module):
    """``x -> tanh(W1 x + b1) -> (mean, log_variance)``: the encoder of the AEVB paper.

    ``hidden`` is the width of the hidden layer, or a sequence of widths for a deeper MLP;
    ``activation`` is ``"tanh"`` (the AEVB paper's), ``"elu"``, ``"relu"`` or ``"softplus"``.
    """

    def __init__(self, in_dim: int = 784, hidden: int | Sequence[int] = 400, z_dim: int = 20,
                 activation: str = "tanh"):
        super().__init__()
        check_positive_int(in_dim, "in_dim")
        check_positive_int(z_dim, "z_dim")
        self.in_dim, self.z_dim = in_dim, z_dim
        self.net = _mlp(in_dim, hidden, 2 * z_dim, activation)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_variance = self.net(_flat_input(x, self.in_dim)).chunk(2, dim=-1)
        return mean, log_variance


class MLPDecoder(nn.Module):
    """``z -> tanh(W1 z + b1) -> W2 h + b2``: ``out_dim`` values per latent (flat images).

    ``hidden`` is the width of the hidden layer, or a sequence of widths for a deeper MLP;
    ``activation`` as for :class:`MLPEncoder`.
    """

    def __init__(self, z_dim: int = 20, hidden: int | Sequence[int] = 400, out_dim: int = 784,
                 activation: str = "tanh"):
        super().__init__()
        check_positive_int(z_dim, "z_dim")
        check_positive_int(out_dim, "out_dim")
        self.z_dim, self.out_dim = z_dim, out_dim
        self.net = _mlp(z_dim, hidden, out_dim, activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(_check_latent(z, self.z_dim))


class ConvEncoder(nn.Module):
    """Two stride-2 convolutions (28 -> 14 -> 7) and a linear layer to ``(mean, log_variance)``."""

    def __init__(self, z_dim: int = 20, channels: int = 32):
        super().__init__()
        check_positive_int(z_dim, "z_dim")
        check_positive_int(channels, "channels")
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(2 * channels * 7 * 7, 2 * z_dim),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _flat_input(x, 784).reshape(-1, 1, 28, 28)
        mean, log_variance = self.net(x).chunk(2, dim=-1)
        return mean, log_variance


class ConvDecoder(nn.Module):
    """A linear layer from the latent to 7x7 feature maps, then two transposed convolutions
    (7 -> 14 -> 28): one value per pixel, shape ``(N, 1, 28, 28)``."""

    def __init__(self, z_dim: int = 20, channels: int = 32):
        super().__init__()
        check_positive_int(z_dim, "z_dim")
        check_positive_int(channels, "channels")
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.Linear(z_dim, 2 * channels * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (2 * channels, 7, 7)),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(_check_latent(z, self.z_dim))
