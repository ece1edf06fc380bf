import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.widgets import LatentExplorer  # noqa: E402


def test_sliders_drive_the_decoder():
    calls = []

    def decode(z):
        calls.append(z.clone())
        return torch.full((1, 64), 0.5) * (1 + z[0, 0].clamp(-1, 1))

    explorer = LatentExplorer(decode, 2, names=["a", "b"])
    assert [s.description for s in explorer.sliders] == ["a", "b"]
    assert torch.equal(calls[-1], torch.zeros(1, 2))
    explorer.set([1.0, -2.0])
    assert torch.allclose(calls[-1], torch.tensor([[1.0, -2.0]]))
    assert explorer.image().shape == (8, 8) and explorer.image().max() == 1.0


def test_the_picture_is_redrawn_and_sliders_are_long():
    explorer = LatentExplorer(lambda z: torch.full((1, 16), 0.5) + 0.1 * z[0, 0], 2)
    first, draws = bytes(explorer.picture.value), explorer.draws
    assert first.startswith(b"\x89PNG") and draws == 1
    explorer.sliders[0].value = 1.0
    assert explorer.draws == 2 and bytes(explorer.picture.value) != first
    assert all(s.layout.width == "40em" and s.continuous_update is False for s in explorer.sliders)
    live = LatentExplorer(lambda z: torch.zeros(1, 4), 1, slider_width="60em", continuous_update=True)
    assert live.sliders[0].layout.width == "60em" and live.sliders[0].continuous_update is True
    with pytest.raises(TypeError, match="CSS length"):
        LatentExplorer(lambda z: torch.zeros(1, 4), 1, slider_width=300)


def test_bad_arguments():
    with pytest.raises(TypeError, match="function"):
        LatentExplorer("decoder", 2)
    with pytest.raises(ValueError, match="names"):
        LatentExplorer(lambda z: torch.zeros(1, 4), 2, names=["only one"])
    with pytest.raises(TypeError, match="return a tensor"):
        LatentExplorer(lambda z: [0.0], 2)
    explorer = LatentExplorer(lambda z: torch.zeros(1, 4), 2)
    with pytest.raises(ValueError, match="coordinates"):
        explorer.set([1.0])
