"""Two-dimensional target densities for flow experiments, and densities on a grid.

The four energy functions ``U1``–``U4`` are those of Rezende & Mohamed (2015, Table 1): each
defines an unnormalised density ``p(z) ∝ exp(-U(z))`` on ``R^2``. As printed, U2–U4 do not confine
``z1`` (their ridges go on forever), so ``exp(-U)`` has infinite mass and no KL to it is defined. We
add to them a soft wall, zero for ``|z1| <= 3.5`` and a Gaussian fall-off of width 0.2 beyond, so
that they are proper densities, identical to the paper's inside ``|z1| <= 3.5``, with their mass
in the paper's window ``[-4, 4]^2`` (all but 3 % for U4, whose lower ridge dips below ``z2 = -4``
near ``z1 = 3``). U1 (a ring) is confined already. ``grid`` and
``density_on_grid`` turn any log-density into a normalised picture (infrastructure for plots;
nothing here is a graded exercise).
"""

from __future__ import annotations

import math

import torch

from .checks import check_positive_int, check_tensor


def _check_points(z) -> torch.Tensor:
    check_tensor(z, "z", floating=True)
    if z.dim() < 1 or z.shape[-1] != 2:
        raise ValueError(f"z must have shape (..., 2), got {tuple(z.shape)}")
    return z


def _w1(z):
    return torch.sin(2 * math.pi * z[..., 0] / 4)


def _w2(z):
    return 3 * torch.exp(-0.5 * ((z[..., 0] - 1) / 0.6) ** 2)


def _w3(z):
    return 3 * torch.sigmoid((z[..., 0] - 1) / 0.3)


WALL_START, WALL_WIDTH = 3.5, 0.2


def _wall(z):
    """0 for |z1| <= WALL_START, then 0.5 ((|z1| - WALL_START) / WALL_WIDTH)^2 (smooth: C^1)."""
    return 0.5 * (torch.relu(z[..., 0].abs() - WALL_START) / WALL_WIDTH) ** 2


def _neg_logaddexp(a, b):
    """-log(exp(a) + exp(b)), stable."""
    return -torch.logaddexp(a, b)


def energy_u1(z: torch.Tensor) -> torch.Tensor:
    """A ring of radius 2 cut by two Gaussian bumps at z1 = ±2."""
    z = _check_points(z)
    ring = 0.5 * ((z.norm(dim=-1) - 2) / 0.4) ** 2
    return ring + _neg_logaddexp(-0.5 * ((z[..., 0] - 2) / 0.6) ** 2, -0.5 * ((z[..., 0] + 2) / 0.6) ** 2)


def energy_u2(z: torch.Tensor) -> torch.Tensor:
    """A sine-shaped ridge (with the wall in z1)."""
    z = _check_points(z)
    return 0.5 * ((z[..., 1] - _w1(z)) / 0.4) ** 2 + _wall(z)


def energy_u3(z: torch.Tensor) -> torch.Tensor:
    """Two sine ridges that split apart around z1 = 1 (with the wall in z1)."""
    z = _check_points(z)
    return _neg_logaddexp(-0.5 * ((z[..., 1] - _w1(z)) / 0.35) ** 2,
                          -0.5 * ((z[..., 1] - _w1(z) + _w2(z)) / 0.35) ** 2) + _wall(z)


def energy_u4(z: torch.Tensor) -> torch.Tensor:
    """Two sine ridges, one shifted by a sigmoid step (with the wall in z1)."""
    z = _check_points(z)
    return _neg_logaddexp(-0.5 * ((z[..., 1] - _w1(z)) / 0.4) ** 2,
                          -0.5 * ((z[..., 1] - _w1(z) + _w3(z)) / 0.35) ** 2) + _wall(z)


ENERGIES = {"U1": energy_u1, "U2": energy_u2, "U3": energy_u3, "U4": energy_u4}


def grid(limit: float = 4.0, n: int = 200, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``(points, axis)``: the ``n * n`` points ``(n*n, 2)`` of a square grid on ``[-limit, limit]^2``
    (row-major: ``points.reshape(n, n, 2)[i, j] = (axis[j], axis[i])``) and its axis ``(n,)``."""
    check_positive_int(n, "n")
    if not (isinstance(limit, (int, float)) and limit > 0):
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    axis = torch.linspace(-limit, limit, n, dtype=dtype)
    z2, z1 = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([z1, z2], dim=-1).reshape(-1, 2), axis


def density_on_grid(log_density: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Normalise values of an (unnormalised) log-density at ``grid`` points into a density image
    ``(n, n)`` that sums to 1 / cell area over the grid (so it integrates to 1 there)."""
    check_tensor(axis, "axis", ndim=1, floating=True)
    n = axis.numel()
    check_tensor(log_density, "log_density", floating=True)
    if log_density.numel() != n * n:
        raise ValueError(f"log_density must hold one value per grid point ({n * n}), got {log_density.numel()}")
    if n < 2:
        raise ValueError("the grid needs at least 2 points per axis")
    cell = float(axis[1] - axis[0]) ** 2
    flat = log_density.reshape(-1).double()
    if not torch.isfinite(flat).any():
        raise ValueError("log_density has no finite value on the grid")
    prob = torch.softmax(torch.nan_to_num(flat, nan=-math.inf), dim=0) / cell
    return prob.reshape(n, n).to(log_density.dtype)


def log_normalizer(energy, limit: float = 6.0, n: int = 600) -> float:
    """``log ∫ exp(-U(z)) dz`` by a Riemann sum on a grid on ``[-limit, limit]^2`` (the default is
    accurate to about 1e-4 for U1–U4: their mass lies within ``[-6, 6]^2``)."""
    points, axis = grid(limit, n, dtype=torch.float64)
    cell = float(axis[1] - axis[0]) ** 2
    return float(torch.logsumexp(-energy(points), 0)) + math.log(cell)
