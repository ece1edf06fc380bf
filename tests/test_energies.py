import math

import pytest
import torch

from helpers.energies import ENERGIES, density_on_grid, energy_u1, energy_u2, grid, log_normalizer


def test_energies_shapes_and_finite():
    z = torch.randn(7, 3, 2)
    for name, energy in ENERGIES.items():
        out = energy(z)
        assert out.shape == (7, 3), name
        assert torch.isfinite(out).all(), name


def test_known_values():
    # U2 vanishes on its ridge z2 = sin(pi z1 / 2); U1 is symmetric under z -> -z and smallest on the ring
    z1 = torch.linspace(-3, 3, 11)
    ridge = torch.stack([z1, torch.sin(math.pi * z1 / 2)], -1)
    assert torch.allclose(energy_u2(ridge), torch.zeros(11), atol=1e-6)
    z = torch.randn(50, 2)
    assert torch.allclose(energy_u1(z), energy_u1(-z), atol=1e-5)
    assert energy_u1(torch.tensor([[2.0, 0.0]])) < energy_u1(torch.tensor([[0.0, 0.0]]))


def test_grid_and_density():
    points, axis = grid(2.0, 5)
    assert points.shape == (25, 2) and axis.shape == (5,)
    assert torch.equal(points.reshape(5, 5, 2)[1, 3], torch.stack([axis[3], axis[1]]))
    dens = density_on_grid(-(points ** 2).sum(-1), axis)
    cell = float(axis[1] - axis[0]) ** 2
    assert dens.shape == (5, 5)
    assert math.isclose(float(dens.sum()) * cell, 1.0, rel_tol=1e-5)


def test_log_normalizer_of_a_gaussian():
    gauss = lambda z: 0.5 * (z ** 2).sum(-1)  # noqa: E731
    assert math.isclose(log_normalizer(gauss), math.log(2 * math.pi), abs_tol=1e-4)
    for energy in ENERGIES.values():
        assert math.isfinite(log_normalizer(energy, n=200))


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        energy_u1(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="positive"):
        grid(-1.0, 10)
    with pytest.raises(ValueError, match="one value per grid point"):
        density_on_grid(torch.zeros(10), torch.linspace(-1, 1, 5))
