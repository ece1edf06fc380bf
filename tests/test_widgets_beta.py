"""ModelExplorer (helpers.widgets): its callbacks, driven from code, without a browser."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.widgets import ModelExplorer  # noqa: E402


def _decoders(calls):
    def bright(z):
        calls.append(("bright", z.clone()))
        return torch.sigmoid(z[:, :1].expand(1, 16) * 4)

    def dark(z):
        calls.append(("dark", z.clone()))
        return torch.zeros(1, 4, 4)

    return {"bright": bright, "dark": dark}


def test_sliders_and_model_menu_drive_the_decoders():
    calls = []
    explorer = ModelExplorer(_decoders(calls), 2)
    assert explorer.draws == 1 and calls[-1][0] == "bright" and torch.equal(calls[-1][1], torch.zeros(1, 2))
    first_png = explorer.picture.value
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.sliders[0].value = 1.5  # what a browser does: the observer runs the callback
    assert explorer.draws == 2 and torch.allclose(calls[-1][1], torch.tensor([[1.5, 0.0]]))
    assert explorer.picture.value != first_png
    assert torch.allclose(explorer.image(), torch.sigmoid(torch.tensor(6.0)).expand(4, 4))
    explorer.model_menu.value = "dark"
    assert calls[-1][0] == "dark" and explorer.image().max() == 0 and "dark" in explorer.caption.value


def test_set_reset_randomize_redraw_once_and_clip():
    calls = []
    explorer = ModelExplorer(_decoders(calls), 3, low=-2.0, high=2.0)
    before = explorer.draws
    explorer.set([5.0, -1.0, 0.5])  # three sliders move, one redraw; 5 is clipped to the range
    assert explorer.draws == before + 1
    assert torch.allclose(explorer.z, torch.tensor([[2.0, -1.0, 0.5]]))
    explorer.reset_button.click()
    assert torch.equal(explorer.z, torch.zeros(1, 3)) and explorer.draws == before + 2
    explorer.random_button.click()
    z = explorer.z
    assert explorer.draws == before + 3 and (z != 0).any() and (z.abs() <= 2.0).all()


def test_conditional_decoders_get_the_label():
    seen = []

    def decode(z, label):
        seen.append(label)
        return torch.full((1, 1, 3, 3), label / 10)

    explorer = ModelExplorer({"cvae": decode}, 2, labels=range(10))
    assert seen == [0]
    explorer.label_menu.value = 7
    assert seen[-1] == 7 and torch.allclose(explorer.image(), torch.full((3, 3), 0.7))
    explorer.select(label=3)
    assert seen[-1] == 3 and "label 3" in explorer.caption.value


def test_bad_arguments_have_clear_errors():
    with pytest.raises(TypeError, match="non-empty dict"):
        ModelExplorer({}, 2)
    with pytest.raises(TypeError, match="function"):
        ModelExplorer({"a": "not a function"}, 2)
    with pytest.raises(ValueError, match="outside"):
        ModelExplorer({"a": lambda z: torch.full((1, 4), 2.0)}, 2)
    with pytest.raises(TypeError, match="return a tensor"):
        ModelExplorer({"a": lambda z: [0.5]}, 2)
    explorer = ModelExplorer({"a": lambda z: torch.zeros(1, 4)}, 2)
    with pytest.raises(ValueError, match="coordinates"):
        explorer.set([1.0])
    with pytest.raises(ValueError, match="no model"):
        explorer.select("b")
    with pytest.raises(ValueError, match="no labels"):
        explorer.select(label=1)
