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


def test_u2_to_u4_are_proper_densities():
    # the printed U2-U4 have infinite mass along z1; with the wall, the normaliser no longer grows with the box
    for name in ("U2", "U3", "U4"):
        box6 = log_normalizer(ENERGIES[name], limit=6.0, n=600)
        box10 = log_normalizer(ENERGIES[name], limit=10.0, n=1000)
        assert abs(box6 - box10) < 1e-3, (name, box6, box10)
    # ... and most of it lies in the window [-4, 4]^2 the notebook plots
    for name in ("U1", "U2", "U3"):
        assert log_normalizer(ENERGIES[name]) - log_normalizer(ENERGIES[name], limit=4.0, n=400) < 1e-2, name


def test_u2_to_u4_match_the_paper_inside_the_wall():
    # Rezende & Mohamed (2015), Table 1, written out again here, for |z1| <= 3.5
    g = torch.Generator().manual_seed(0)
    z = torch.stack([torch.rand(500, generator=g) * 7 - 3.5, torch.randn(500, generator=g) * 2], -1).double()
    z1, z2 = z[:, 0], z[:, 1]
    w1 = torch.sin(2 * math.pi * z1 / 4)
    w2 = 3 * torch.exp(-0.5 * ((z1 - 1) / 0.6) ** 2)
    w3 = 3 / (1 + torch.exp(-(z1 - 1) / 0.3))
    paper = {
        "U2": 0.5 * ((z2 - w1) / 0.4) ** 2,
        "U3": -torch.log(torch.exp(-0.5 * ((z2 - w1) / 0.35) ** 2) + torch.exp(-0.5 * ((z2 - w1 + w2) / 0.35) ** 2)),
        "U4": -torch.log(torch.exp(-0.5 * ((z2 - w1) / 0.4) ** 2) + torch.exp(-0.5 * ((z2 - w1 + w3) / 0.35) ** 2)),
    }
    for name, want in paper.items():
        assert torch.allclose(ENERGIES[name](z), want, atol=1e-9), name
    # beyond the wall the ridge z2 = w1(z1) is cut off: (1, 1) and (5, 1) both lie on it
    near, far = torch.tensor([[1.0, 1.0]], dtype=torch.float64), torch.tensor([[5.0, 1.0]], dtype=torch.float64)
    for name in ("U2", "U3", "U4"):
        assert ENERGIES[name](near) < 0.1 and ENERGIES[name](far) > 20, name


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
