"""Interactive explorers (ipywidgets) for the companion notebooks."""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from .checks import check_positive_int
from .plots import _as_images


class LatentExplorer:
    """Sliders for each latent coordinate and the decoded image, redrawn on every change.

    ``decode`` maps a latent batch ``(1, z_dim)`` to an image batch (``(1, H*W)``, ``(1, H, W)``
    or ``(1, 1, H, W)``) with values in [0, 1]. ``explorer.widget`` is what a notebook displays;
    ``explorer.set(z)`` moves the sliders from code.

    The image is redrawn when a slider is released (``continuous_update=False``: decoding and
    drawing on every pixel of a drag would lag behind the mouse); ``continuous_update=True``
    redraws while dragging. ``slider_width`` (a CSS length) makes the sliders long enough for
    fine control; ``step`` is their resolution.
    """

    def __init__(self, decode: Callable[[torch.Tensor], torch.Tensor], z_dim: int, *, low: float = -3.0,
                 high: float = 3.0, step: float = 0.1, names: list[str] | None = None, image_shape=None,
                 slider_width: str = "40em", continuous_update: bool = False):
        check_positive_int(z_dim, "z_dim")
        if not callable(decode):
            raise TypeError(f"decode must be a function of a latent batch, got {type(decode).__name__}")
        if not low < high:
            raise ValueError(f"low must be below high, got low={low}, high={high}")
        names = names or [f"z{i + 1}" for i in range(z_dim)]
        if len(names) != z_dim:
            raise ValueError(f"got {len(names)} names for {z_dim} latent coordinates")
        if not isinstance(slider_width, str) or not slider_width.strip():
            raise TypeError(f"slider_width must be a CSS length such as '40em', got {slider_width!r}")
        self.decode, self.image_shape = decode, image_shape
        self.continuous_update = bool(continuous_update)
        self.sliders = [widgets.FloatSlider(value=0.0, min=low, max=high, step=step, description=name,
                                            continuous_update=self.continuous_update,
                                            layout=widgets.Layout(width=slider_width)) for name in names]
        self.picture = widgets.Image(format="png")
        self.draws = 0  # how many times the image was drawn (tests, and a check that sliders are live)
        for slider in self.sliders:
            slider.observe(lambda _change: self.draw(), names="value")
        self.widget = widgets.HBox([widgets.VBox(self.sliders), self.picture])
        self.draw()

    @property
    def z(self) -> torch.Tensor:
        return torch.tensor([[s.value for s in self.sliders]], dtype=torch.float32)

    def set(self, z) -> None:
        values = torch.as_tensor(z, dtype=torch.float32).flatten().tolist()
        if len(values) != len(self.sliders):
            raise ValueError(f"z has {len(values)} coordinates, the explorer {len(self.sliders)}")
        for slider, value in zip(self.sliders, values, strict=True):
            slider.value = value

    def image(self) -> torch.Tensor:
        with torch.no_grad():
            out = self.decode(self.z)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"decode must return a tensor, got {type(out).__name__}")
        return _as_images(out, self.image_shape)[0]

    def draw(self) -> None:
        """Render the decoded image into ``self.picture`` (an ``ipywidgets.Image``: the front-end
        shows it whenever it has the widget, unlike output captured into an ``Output`` widget
        before it is displayed, which JupyterLab 4 drops)."""
        image = self.image()
        fig = Figure(figsize=(2.5, 2.5))
        ax = fig.subplots()
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
        ax.set_title("z = (" + ", ".join(f"{v:.1f}" for v in self.z[0].tolist()) + ")", fontsize=8)
        ax.axis("off")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        self.picture.value = buffer.getvalue()
        self.draws += 1
