"""Matplotlib figures the assignments share: image grids, reconstructions, curves, latents."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch

from .checks import check_positive_int, check_tensor
from .training import History


def _as_images(images, image_shape=None) -> torch.Tensor:
    """Turn ``(N, H, W)``, ``(N, 1, H, W)`` or flat ``(N, H*W)`` into ``(N, H, W)`` on the CPU."""
    check_tensor(images, "images")
    images = images.detach().cpu().float()
    if images.dim() == 4 and images.shape[1] == 1:
        return images[:, 0]
    if images.dim() == 3:
        return images
    if images.dim() == 2:
        if image_shape is None:
            side = math.isqrt(images.shape[1])
            if side * side != images.shape[1]:
                raise ValueError(f"flat images of length {images.shape[1]} are not square; pass image_shape")
            image_shape = (side, side)
        return images.reshape(len(images), *image_shape)
    raise ValueError(f"images must be (N, H, W), (N, 1, H, W) or (N, H*W), got {tuple(images.shape)}")


def show_images(images, nrow: int | None = None, ncol: int | None = None, *, titles=None,
                suptitle: str | None = None, image_shape=None, scale: float = 1.0, cmap: str = "gray"):
    """Show ``nrow x ncol`` images in a grid (e.g. 2x5 or 10x20); returns the figure.

    With only ``ncol`` (or neither) the grid has as many rows as needed; missing cells stay blank.
    """
    images = _as_images(images, image_shape)
    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    ncol = ncol or min(n, 10)
    nrow = nrow or math.ceil(n / ncol)
    check_positive_int(nrow, "nrow")
    check_positive_int(ncol, "ncol")
    if titles is not None and len(titles) < min(n, nrow * ncol):
        raise ValueError(f"got {len(titles)} titles for {min(n, nrow * ncol)} images")
    fig, axes = plt.subplots(nrow, ncol, figsize=(scale * ncol, scale * nrow * (1.25 if titles else 1)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_reconstructions(originals, reconstructions, *, titles=None, suptitle: str | None = None,
                         image_shape=None, scale: float = 1.0):
    """Originals in the top row, their reconstructions below; returns the figure."""
    originals = _as_images(originals, image_shape)
    reconstructions = _as_images(reconstructions, image_shape)
    if originals.shape != reconstructions.shape:
        raise ValueError(f"originals {tuple(originals.shape)} and reconstructions "
                         f"{tuple(reconstructions.shape)} must have the same shape")
    n = len(originals)
    row_titles = list(titles) + [""] * n if titles is not None else None
    fig = show_images(torch.cat([originals, reconstructions]), 2, n, titles=row_titles,
                      suptitle=suptitle, scale=scale)
    fig.axes[0].text(-0.1, 0.5, "original", transform=fig.axes[0].transAxes, rotation=90,
                     ha="right", va="center", fontsize=8)
    fig.axes[n].text(-0.1, 0.5, "reconstruction", transform=fig.axes[n].transAxes, rotation=90,
                     ha="right", va="center", fontsize=8)
    return fig


def plot_curves(curves, keys=None, *, x=None, xlabel: str = "epoch", ylabel: str = "",
                title: str | None = None, logx: bool = False, logy: bool = False, ax=None):
    """Plot metric curves: ``curves`` is a :class:`History` or a dict ``name -> list of values``.

    ``keys`` chooses which curves (default: all but ``epoch``/``iteration``). Returns the axes.
    """
    if isinstance(curves, History):
        table = {key: curves[key] for key in curves.keys()}
        x = x if x is not None else table.get("epoch")
    elif isinstance(curves, dict):
        table = dict(curves)
    else:
        raise TypeError(f"curves must be a History or a dict of lists, got {type(curves).__name__}")
    keys = list(keys) if keys is not None else [k for k in table if k not in ("epoch", "iteration")]
    missing = [k for k in keys if k not in table]
    if missing:
        raise KeyError(f"no curve named {missing}; available: {list(table)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for key in keys:
        values = [float(v) for v in table[key]]
        xs = x if x is not None else range(1, len(values) + 1)
        ax.plot(list(xs)[:len(values)], values, marker="o" if len(values) < 40 else None,
                markersize=3, label=key)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_latent_scatter(z, labels, *, title: str | None = None, ax=None, max_points: int = 5000):
    """2-D latent codes ``z`` (N, 2) as points coloured by their ``labels``; returns the axes."""
    check_tensor(z, "z", ndim=2)
    check_tensor(labels, "labels", ndim=1)
    if z.shape[1] != 2:
        raise ValueError(f"z must be 2-D codes of shape (N, 2), got {tuple(z.shape)}; project first")
    if len(z) != len(labels):
        raise ValueError(f"z and labels must have the same length, got {len(z)} and {len(labels)}")
    z, labels = z[:max_points].detach().cpu(), labels[:max_points].cpu()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7)
    ax.figure.colorbar(points, ax=ax, label="label")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax
