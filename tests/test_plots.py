import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("shape,grid", [((10, 1, 28, 28), (2, 5)), ((200, 784), (10, 20)), ((7, 8, 8), (None, 4))])
def test_show_images_grids(shape, grid):
    fig = plots.show_images(torch.rand(shape), *grid)
    nrow, ncol = grid
    expected = (nrow or -(-shape[0] // ncol)) * ncol
    assert len(fig.axes) == expected
    assert len([ax for ax in fig.axes if ax.images]) == min(shape[0], expected)


def test_show_reconstructions_puts_originals_above():
    originals, recs = torch.zeros(4, 1, 28, 28), torch.ones(4, 1, 28, 28)
    fig = plots.show_reconstructions(originals, recs)
    assert len(fig.axes) == 8
    assert fig.axes[0].images[0].get_array().max() == 0 and fig.axes[4].images[0].get_array().min() == 1
    with pytest.raises(ValueError, match="same shape"):
        plots.show_reconstructions(originals, torch.ones(3, 1, 28, 28))


def test_plot_curves_from_history_and_dict():
    history = History([{"epoch": 1, "loss": 2.0, "val_loss": 2.5}, {"epoch": 2, "loss": 1.0, "val_loss": 1.8}])
    ax = plots.plot_curves(history, ylabel="loss")
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    ax = plots.plot_curves({"a": [1, 2, 3]}, logy=True)
    assert ax.get_yscale() == "log"
    with pytest.raises(KeyError, match="no curve"):
        plots.plot_curves(history, ["accuracy"])
    with pytest.raises(TypeError, match="History or a dict"):
        plots.plot_curves([1, 2])


def test_latent_scatter_and_bad_inputs():
    ax = plots.plot_latent_scatter(torch.randn(100, 2), torch.randint(0, 10, (100,)))
    assert len(ax.collections) == 1
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.plot_latent_scatter(torch.randn(100, 3), torch.zeros(100))
    with pytest.raises(ValueError, match="not square"):
        plots.show_images(torch.rand(3, 10))
    with pytest.raises(TypeError, match="torch.Tensor"):
        plots.show_images([[0.0]])
