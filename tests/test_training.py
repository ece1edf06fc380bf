import pytest
import torch
from torch import nn

from helpers import data, training
from helpers.training import fit, load_checkpoint


def _problem(n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    return x, y


@pytest.fixture
def full_mode(monkeypatch):
    """Quick mode off, whatever the environment says."""
    monkeypatch.delenv("VAE_COURSE_QUICK", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def _loss(model, batch):
    x, y = batch
    loss = ((model(x) - y) ** 2).mean()
    return loss, {"abs_error": (model(x) - y).abs().mean().item()}


def test_fit_epochs_learns_and_records_history(full_mode):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = _problem()
    history = fit(model, _loss, data.Batches(x, y, batch_size=16), torch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=30, evaluate=lambda m: {"val_loss": ((m(x) - y) ** 2).mean()}, progress=False)
    assert len(history) == 30 and history["epoch"] == list(range(1, 31))
    assert history["iteration"][-1] == 30 * 4
    assert history["loss"][-1] < 0.05 * history["loss"][0]
    assert set(history.keys()) >= {"loss", "abs_error", "val_loss"}
    assert isinstance(history["val_loss"][0], float)
    with pytest.raises(KeyError, match="no metric"):
        history["accuracy"]


def test_fit_iterations_stops_exactly(full_mode):
    model = nn.Linear(3, 1)
    x, y = _problem()
    history = fit(model, _loss, data.Batches(x, y, batch_size=16), torch.optim.SGD(model.parameters(), lr=0.01),
                  iterations=10, progress=False)
    assert history["iteration"] == [4, 8, 10]


def test_after_step_keeps_an_exponential_moving_average(full_mode):
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = _problem()
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    seen = []
    fit(model, _loss, data.Batches(x, y, batch_size=16), torch.optim.SGD(model.parameters(), lr=0.05),
        iterations=10, progress=False, after_step=lambda m: (seen.append(m), averaged.update_parameters(m)))
    assert len(seen) == 10 and all(m is model for m in seen)
    assert int(averaged.n_averaged) == 10
    assert not torch.equal(averaged.module.weight, model.weight)  # it lags behind the last step


def test_quick_mode_shrinks_epochs_not_code(monkeypatch):
    monkeypatch.setenv("VAE_COURSE_QUICK", "1")
    model = nn.Linear(3, 1)
    x, y = _problem(1000)
    history = fit(model, _loss, data.Batches(x, y, batch_size=10), torch.optim.SGD(model.parameters(), lr=0.01),
                  epochs=2, progress=False)
    assert history["iteration"] == [training.QUICK_BATCHES, 2 * training.QUICK_BATCHES]


def test_checkpoints_are_saved_and_reload(tmp_path):
    model = nn.Linear(3, 1)
    x, y = _problem()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    fit(model, _loss, data.Batches(x, y, batch_size=16), optimizer, epochs=3, checkpoint_dir=tmp_path,
        checkpoint_epochs=[1, 3], progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_001.pt", "epoch_003.pt"]
    fresh = nn.Linear(3, 1)
    extra = load_checkpoint(tmp_path / "epoch_003.pt", fresh, torch.optim.Adam(fresh.parameters()))
    assert extra["epoch"] == 3 and len(extra["history"]) == 3
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values(), strict=True))


def test_missing_or_mismatched_checkpoint(tmp_path):
    training.save_checkpoint(tmp_path / "epoch_001.pt", nn.Linear(3, 1))
    with pytest.raises(FileNotFoundError, match="epoch_001.pt"):
        load_checkpoint(tmp_path / "epoch_002.pt", nn.Linear(3, 1))
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(tmp_path / "epoch_001.pt", nn.Linear(4, 1))


def test_bad_arguments_and_bad_losses():
    model = nn.Linear(3, 1)
    x, y = _problem()
    batches = data.Batches(x, y, batch_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="exactly one"):
        fit(model, _loss, batches, optimizer, progress=False)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        fit(model, _loss, batches, optimizer, epochs=1, checkpoint_epochs=[1], progress=False)
    with pytest.raises(TypeError, match="scalar tensor"):
        fit(model, lambda m, b: 1.0, batches, optimizer, epochs=1, progress=False)
    with pytest.raises(TypeError, match="scalar tensor"):
        fit(model, lambda m, b: (m(b[0]) - b[1]) ** 2, batches, optimizer, epochs=1, progress=False)
    with pytest.raises(FloatingPointError, match="nan"):
        fit(model, lambda m, b: m(b[0]).sum() * float("nan"), batches, optimizer, epochs=1, progress=False)
    with pytest.raises(TypeError, match="dict"):
        fit(model, _loss, batches, optimizer, epochs=1, evaluate=lambda m: 3.0, progress=False)
