"""03_vae runs on Fashion-MNIST by changing one variable (``DATASET``).

The real Fashion-MNIST files are not on the course's offline machines, so this writes a small
synthetic one in torchvision's raw layout (idx files: 2,000 training and 1,000 test images, one
blocky pattern per class plus noise) and executes the whole source notebook on it in quick mode.
"""

import re
import struct
from pathlib import Path

import numpy as np

from tools import notebooks as nbs

NOTEBOOK = nbs.source_notebook("03_vae")


def _write_idx(path: Path, array: np.ndarray) -> None:
    """The idx format of (Fashion-)MNIST: magic (0, 0, type 0x08 = ubyte, ndim), big-endian sizes, bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _synthetic_fashion(root: Path) -> None:
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 2000), ("t10k", 1000)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28))
        for i, label in enumerate(labels):  # class c: a bright block whose place and size depend on c
            top, height = 2 + 2 * label, 6 + label
            images[i, top:top + height, 4:24 - label] = 220
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)


def _set_dataset(nb, value: str) -> None:
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("DATASET = ")]
    assert len(cells) == 1, "03_vae must have exactly one cell that sets DATASET"
    cells[0].source = f'DATASET = "{value}"'


def _images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def test_whole_notebook_runs_on_fashion_mnist(tmp_path):
    _synthetic_fashion(tmp_path / "data")
    work = tmp_path / "03_vae"
    work.mkdir()
    nb = nbs.execute_copy(NOTEBOOK, work, env={"VAE_COURSE_DATA": str(tmp_path / "data"), "VAE_COURSE_QUICK": "1"},
                          edit=lambda nb: _set_dataset(nb, "fashion_mnist"), timeout=600)

    everything = "\n".join(nbs.printed(c) for c in nb.cells)
    assert "fashion_mnist: 2000 training images" in everything
    assert "not available" not in everything
    experiment_5 = next(c for c in nb.cells if c.cell_type == "code" and "FASHION_ITERATIONS" in c.source)
    assert _images(experiment_5) == 3, "Experiment 5 must show test images, reconstructions and generations"
    # The homework asks for the reconstruction loss with the reconstructions: printed (and in each image's title).
    printed = nbs.printed(experiment_5)
    line = next((ln for ln in printed.splitlines() if "reconstruction loss" in ln), None)
    assert line is not None, f"Experiment 5 must print the reconstruction loss of its test images:\n{printed}"
    losses = [float(v) for v in re.findall(r"(?<![\w.])\d+\.\d(?![\w.])", line.split("(nats):", 1)[-1])]
    assert len(losses) == 11, f"ten reconstruction losses and their mean, got {line!r}"
    assert all(v > 0 for v in losses), f"-log p(x|z) of a binary image is positive, got {line!r}"
