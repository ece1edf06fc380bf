"""One training loop for every assignment: progress bar, per-epoch history, checkpoints.

The loss is the caller's: ``loss_fn(model, batch)`` returns a scalar tensor, or a tuple
``(loss, metrics)`` with a dict of extra numbers to log (e.g. ``{"kl": ..., "rec": ...}``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from .checks import check_positive_int
from .config import quick_mode
from .progress import tqdm  # tqdm.auto, leaving a text line behind in saved notebooks

#: In quick mode every epoch stops after this many batches (sizes shrink, the code path stays).
QUICK_BATCHES = 10


class History:
    """Per-epoch records: ``history["loss"]`` is the list of mean training losses, one per epoch;
    ``history["val_loss"]`` whatever ``evaluate`` returned under that name; ``history.records``
    holds the raw dicts (with ``epoch`` and ``iteration``)."""

    def __init__(self, records: list[dict] | None = None):
        self.records = list(records or [])

    def append(self, record: dict) -> None:
        self.records.append(dict(record))

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for record in self.records:
            seen.update(dict.fromkeys(record))
        return list(seen)

    def __getitem__(self, key: str) -> list:
        if key not in self.keys():
            raise KeyError(f"no metric {key!r} in the history; it has {self.keys()}")
        return [record.get(key, math.nan) for record in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        last = self.records[-1] if self.records else {}
        return f"History({len(self)} epochs, last={last})"


def _split_loss(output) -> tuple[torch.Tensor, dict]:
    loss, metrics = (output if isinstance(output, tuple) and len(output) == 2 else (output, {}))
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        got = type(loss).__name__ if not isinstance(loss, torch.Tensor) else f"shape {tuple(loss.shape)}"
        raise TypeError(
            f"loss_fn must return a scalar tensor, or (scalar tensor, dict of metrics); got {got}"
        )
    if not isinstance(metrics, dict):
        raise TypeError(f"the metrics that loss_fn returns must be a dict, got {type(metrics).__name__}")
    return loss.reshape(()), metrics


def _to_device(batch, device):
    if device is None:
        return batch
    return tuple(t.to(device) for t in batch) if isinstance(batch, tuple) else batch.to(device)


def fit(model: torch.nn.Module, loss_fn: Callable, batches: Iterable, optimizer: torch.optim.Optimizer,
        *, epochs: int | None = None, iterations: int | None = None,
        evaluate: Callable[[torch.nn.Module], dict] | None = None,
        after_step: Callable[[torch.nn.Module], None] | None = None,
        checkpoint_dir: str | Path | None = None, checkpoint_epochs: Iterable[int] = (),
        device=None, progress: bool = True, desc: str = "training",
        quick_batches: int = QUICK_BATCHES) -> History:
    """Train ``model`` for ``epochs`` passes over ``batches`` or for ``iterations`` steps.

    After every epoch (a full pass, or the last partial one) the mean training loss and metrics
    are recorded, ``evaluate(model)`` (run in eval mode without gradients) adds its dict, and
    the model is checkpointed when the epoch is in ``checkpoint_epochs``. ``after_step(model)``,
    if given, runs after every optimiser step: e.g. ``AveragedModel.update_parameters`` to keep
    an exponential moving average of the weights. In quick mode each epoch stops after
    ``quick_batches`` batches.
    """
    if (epochs is None) == (iterations is None):
        raise ValueError("give exactly one of epochs= or iterations=")
    if epochs is not None:
        check_positive_int(epochs, "epochs")
    if iterations is not None:
        check_positive_int(iterations, "iterations")
    checkpoint_epochs = set(checkpoint_epochs)
    if checkpoint_epochs and checkpoint_dir is None:
        raise ValueError("checkpoint_epochs needs a checkpoint_dir to save into")
    batch_limit = quick_batches if quick_mode() else None  # read once, not per batch
    per_epoch = len(batches) if hasattr(batches, "__len__") else None
    if batch_limit is not None and per_epoch is not None:
        per_epoch = min(per_epoch, batch_limit)
    total = iterations if iterations is not None else (epochs * per_epoch if per_epoch else None)

    history, step, epoch = History(), 0, 0
    bar = tqdm(total=total, desc=desc, disable=not progress, dynamic_ncols=True)
    running = None
    model.train()
    while True:
        epoch += 1
        sums, count = {}, 0
        for b, batch in enumerate(batches):
            if (batch_limit is not None and b >= batch_limit) or (iterations is not None and step >= iterations):
                break
            loss, metrics = _split_loss(loss_fn(model, _to_device(batch, device)))
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(
                    f"the loss became {loss.item()} at epoch {epoch}, step {step + 1}: check the loss "
                    f"function for log(0) or exp overflow, or lower the learning rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step(model)
            step, count = step + 1, count + 1
            value = loss.item()
            running = value if running is None else 0.95 * running + 0.05 * value
            for key, metric in {"loss": value, **metrics}.items():
                sums[key] = sums.get(key, 0.0) + float(metric)
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{running:.4g}", refresh=False)  # shown at the bar's own pace
        if count == 0:
            break
        record = {"epoch": epoch, "iteration": step, **{k: v / count for k, v in sums.items()}}
        if evaluate is not None:
            record.update(_evaluate(model, evaluate))
        history.append(record)
        if epoch in checkpoint_epochs:
            save_checkpoint(Path(checkpoint_dir) / checkpoint_name(epoch), model, optimizer,
                            epoch=epoch, history=history.records)
        done_epochs = epochs is not None and epoch >= epochs
        done_steps = iterations is not None and step >= iterations
        if done_epochs or done_steps:
            break
    bar.close()
    return history


def _evaluate(model, evaluate) -> dict:
    model.eval()
    try:
        with torch.no_grad():
            result = evaluate(model)
    finally:
        model.train()
    if not isinstance(result, dict):
        raise TypeError(f"evaluate(model) must return a dict of metrics, got {type(result).__name__}")
    return {key: float(value) for key, value in result.items()}


def checkpoint_name(epoch: int) -> str:
    return f"epoch_{epoch:03d}.pt"


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer=None, **extra) -> Path:
    """Save the model's (and optimiser's) state with any extra picklable values."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), **extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    torch.save(state, path)
    return path


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer=None) -> dict:
    """Load a checkpoint saved by :func:`save_checkpoint` (or :func:`fit`) into ``model``.

    Returns the extra values stored with it (``epoch``, ``history``...).
    """
    path = Path(path)
    if not path.is_file():
        folder = path.parent
        available = sorted(p.name for p in folder.glob("*.pt")) if folder.is_dir() else []
        hint = f"checkpoints in {folder}: {available}" if available else f"{folder} has no checkpoints"
        raise FileNotFoundError(f"no checkpoint at {path} ({hint}); train with fit(..., "
                                f"checkpoint_dir=..., checkpoint_epochs=[...]) first")
    state = torch.load(path, map_location="cpu", weights_only=False)
    try:
        model.load_state_dict(state.pop("model"))
    except RuntimeError as error:
        raise ValueError(f"the checkpoint {path} does not fit this model's architecture: {error}") from None
    optimizer_state = state.pop("optimizer", None)
    if optimizer is not None and optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    return state
