"""Interactive explorers (ipywidgets) for the companion notebooks."""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.image
import torch
from matplotlib.figure import Figure

from .checks import check_positive_int
from .plots import _as_images


def _latent_sliders(names: list[str], low: float, high: float, step: float, width: str,
                    continuous_update: bool) -> list[widgets.FloatSlider]:
    """One slider per latent coordinate, at 0 (both explorers)."""
    if not low < high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    if not isinstance(width, str) or not width.strip():
        raise TypeError(f"slider_width must be a CSS length such as '40em', got {width!r}")
    return [widgets.FloatSlider(value=0.0, min=low, max=high, step=step, description=name,
                                continuous_update=continuous_update, layout=widgets.Layout(width=width))
            for name in names]


def _slider_point(sliders) -> torch.Tensor:
    """The sliders' values as a latent batch ``(1, z_dim)``."""
    return torch.tensor([[s.value for s in sliders]], dtype=torch.float32)


def _values_for(sliders, z) -> list[float]:
    """``z`` as one float per slider, or a clear error."""
    values = torch.as_tensor(z, dtype=torch.float32).flatten().tolist()
    if len(values) != len(sliders):
        raise ValueError(f"z has {len(values)} coordinates, the explorer {len(sliders)}")
    return values


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
        names = names or [f"z{i + 1}" for i in range(z_dim)]
        if len(names) != z_dim:
            raise ValueError(f"got {len(names)} names for {z_dim} latent coordinates")
        self.decode, self.image_shape = decode, image_shape
        self.continuous_update = bool(continuous_update)
        self.sliders = _latent_sliders(names, low, high, step, slider_width, self.continuous_update)
        self.picture = widgets.Image(format="png")
        self.draws = 0  # how many times the image was drawn (tests, and a check that sliders are live)
        for slider in self.sliders:
            slider.observe(lambda _change: self.draw(), names="value")
        self.widget = widgets.HBox([widgets.VBox(self.sliders), self.picture])
        self.draw()

    @property
    def z(self) -> torch.Tensor:
        return _slider_point(self.sliders)

    def set(self, z) -> None:
        for slider, value in zip(self.sliders, _values_for(self.sliders, z), strict=True):
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


class ModelExplorer:
    """Pick one of several trained decoders (and, for a conditional model, a label), move latent sliders and see the
    decoded image.

    ``decoders`` maps a name (e.g. ``"beta = 0.5"``) to a function of a latent batch ``(1, z_dim)``; with ``labels``
    (e.g. ``range(10)`` for a conditional VAE) each function takes the label as well, ``decode(z, label)``, and a second
    menu picks it. A decoder returns an image batch (``(1, H*W)``, ``(1, H, W)`` or ``(1, 1, H, W)``) of values in
    [0, 1]. ``explorer.widget`` is what a notebook displays. The image is a PNG in an ``ipywidgets.Image``, so it
    shows in JupyterLab and classic Notebook alike without an interactive matplotlib backend; every callback
    (``on_model``, ``on_label``, ``on_slider``, ``reset``, ``randomize``) can be driven from code, which is how the
    tests check them without a browser.
    """

    def __init__(self, decoders: dict, z_dim: int, *, labels=None, low: float = -3.0, high: float = 3.0,
                 step: float = 0.1, image_shape=None, scale: int = 4, slider_width: str = "30em"):
        check_positive_int(z_dim, "z_dim")
        check_positive_int(scale, "scale")
        if not isinstance(decoders, dict) or not decoders:
            raise TypeError("decoders must be a non-empty dict: name -> decode function")
        for name, decode in decoders.items():
            if not callable(decode):
                raise TypeError(f"decoders[{name!r}] must be a function of a latent batch, got {type(decode).__name__}")
        self.decoders, self.z_dim, self.image_shape, self.scale = dict(decoders), z_dim, image_shape, scale
        self.labels = list(labels) if labels is not None else None
        if self.labels is not None and not self.labels:
            raise ValueError("labels must name at least one label (or be None for unconditional decoders)")
        self.model_menu = widgets.Dropdown(options=list(self.decoders), description="model")
        self.label_menu = (widgets.Dropdown(options=self.labels, description="label")
                           if self.labels is not None else None)
        self.sliders = _latent_sliders([f"z{i + 1}" for i in range(z_dim)], low, high, step, slider_width,
                                       continuous_update=False)
        self.reset_button = widgets.Button(description="z = 0")
        self.random_button = widgets.Button(description="z ~ N(0, I)")
        self.picture = widgets.Image(format="png")
        self.caption = widgets.Label()
        self.draws = 0  # how many times the image was redrawn (the tests read it)
        self._generator = torch.Generator().manual_seed(0)
        self._quiet = False  # set while several sliders move at once: one redraw at the end
        self.model_menu.observe(self.on_model, names="value")
        if self.label_menu is not None:
            self.label_menu.observe(self.on_label, names="value")
        for slider in self.sliders:
            slider.observe(self.on_slider, names="value")
        self.reset_button.on_click(lambda _button: self.reset())
        self.random_button.on_click(lambda _button: self.randomize())
        menus = [self.model_menu] + ([self.label_menu] if self.label_menu is not None else [])
        controls = widgets.VBox([*menus, widgets.HBox([self.reset_button, self.random_button]), *self.sliders])
        self.widget = widgets.HBox([controls, widgets.VBox([self.picture, self.caption])])
        self.draw()

    @property
    def model(self) -> str:
        return self.model_menu.value

    @property
    def label(self):
        return self.label_menu.value if self.label_menu is not None else None

    @property
    def z(self) -> torch.Tensor:
        return _slider_point(self.sliders)

    # -- callbacks ------------------------------------------------------------------------------------------------
    def on_model(self, _change=None) -> None:
        self.draw()

    def on_label(self, _change=None) -> None:
        self.draw()

    def on_slider(self, _change=None) -> None:
        if not self._quiet:
            self.draw()

    def reset(self) -> None:
        self.set(torch.zeros(self.z_dim))

    def randomize(self) -> None:
        """Move the sliders to a draw of N(0, I), clipped to the sliders' range."""
        self.set(torch.randn(self.z_dim, generator=self._generator))

    # -- from code ------------------------------------------------------------------------------------------------
    def select(self, model: str | None = None, label=None) -> None:
        if model is not None:
            if model not in self.decoders:
                raise ValueError(f"no model named {model!r}; the explorer has {list(self.decoders)}")
            self.model_menu.value = model
        if label is not None:
            if self.label_menu is None:
                raise ValueError("this explorer has no labels (its decoders are unconditional)")
            if label not in self.labels:
                raise ValueError(f"label {label!r} is not one of {self.labels}")
            self.label_menu.value = label

    def set(self, z) -> None:
        values = _values_for(self.sliders, z)
        self._quiet = True
        try:
            for slider, value in zip(self.sliders, values, strict=True):
                slider.value = min(max(value, slider.min), slider.max)
        finally:
            self._quiet = False
        self.draw()

    def image(self) -> torch.Tensor:
        """The decoded image ``(H, W)`` for the current model, label and sliders."""
        decode = self.decoders[self.model]
        with torch.no_grad():
            out = decode(self.z) if self.labels is None else decode(self.z, self.label)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"decoder {self.model!r} must return a tensor, got {type(out).__name__}")
        image = _as_images(out, self.image_shape)[0]
        if image.min() < 0 or image.max() > 1:
            raise ValueError(f"decoder {self.model!r} returned values outside [0, 1]: return probabilities "
                             f"(e.g. sigmoid of the logits)")
        return image

    def png(self) -> bytes:
        import io

        image = self.image().clamp(0, 1)
        big = image.repeat_interleave(self.scale, 0).repeat_interleave(self.scale, 1).numpy()
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, big, cmap="gray", vmin=0.0, vmax=1.0, format="png")
        return buffer.getvalue()

    def draw(self) -> None:
        self.picture.value = self.png()
        label = "" if self.labels is None else f", label {self.label}"
        self.caption.value = f"{self.model}{label}: z = (" + ", ".join(f"{v:.1f}" for v in self.z[0].tolist()) + ")"
        self.draws += 1
