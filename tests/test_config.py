import random

import numpy as np
import pytest
import torch

import helpers
from helpers import config


def test_data_root_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("VAE_COURSE_DATA", raising=False)
    assert config.data_root() == config.REPO_ROOT / "data"
    monkeypatch.setenv("VAE_COURSE_DATA", str(tmp_path))
    assert config.data_root() == tmp_path.resolve()


@pytest.mark.parametrize("nbgrader,quick,expected", [
    (None, None, False), ("autograde", None, True), ("validate", None, True),
    (None, "1", True), (None, "0", False), (None, "", False),
])
def test_quick_mode(monkeypatch, nbgrader, quick, expected):
    for name, value in (("NBGRADER_EXECUTION", nbgrader), ("VAE_COURSE_QUICK", quick)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert config.quick_mode() is expected
    assert config.pick("full", "quick") == ("quick" if expected else "full")


def test_device_default_and_override(monkeypatch):
    monkeypatch.delenv("VAE_COURSE_DEVICE", raising=False)
    assert config.device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv("VAE_COURSE_DEVICE", "cpu")
    assert config.device() == torch.device("cpu")
    monkeypatch.setenv("VAE_COURSE_DEVICE", "not-a-device")
    with pytest.raises(ValueError, match="VAE_COURSE_DEVICE"):
        config.device()


def test_seed_everything_seeds_python_numpy_and_torch():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    helpers.seed_everything(123)
    first = draw()
    helpers.seed_everything(123)
    assert draw() == first
    helpers.seed_everything(124)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        helpers.seed_everything(bad)


def test_setup_prints_mode_and_returns_device(capsys, monkeypatch):
    monkeypatch.setenv("VAE_COURSE_QUICK", "1")
    dev = helpers.setup(seed=0)
    assert isinstance(dev, torch.device)
    assert "quick" in capsys.readouterr().out
