"""How much faster does a VAE epoch run with helpers' in-memory pipeline?

Trains the same MLP VAE (784-400-20, Bernoulli decoder, Adam 1e-3, batch 128) for one epoch of
MNIST twice in this run:

* ``dataloader``: torchvision's ``MNIST`` dataset with ``transforms.ToTensor()`` behind a
  ``DataLoader`` (the pytorch/examples VAE set-up: one PIL image converted per example);
* ``helpers``: ``helpers.data.load_mnist`` tensors sliced by ``helpers.data.Batches``, with
  ``helpers.setup()`` (which also flushes denormal floats, as every course notebook does).

It prints images per second for both and their ratio; the last line is ``speedup N.NN``.
Run with ``make bench``; the data root is ``$VAE_COURSE_DATA`` (default data/).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers import data
from helpers.models import MLPDecoder, MLPEncoder


class BenchVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = MLPEncoder(784, 400, 20)
        self.decoder = MLPDecoder(20, 400, 784)

    def loss(self, x):
        mean, log_variance = self.encoder(x)
        z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + log_variance - mean.pow(2) - log_variance.exp())
        return (rec + kl) / len(x)


def train_one_epoch(batches, max_batches: int | None) -> tuple[int, float]:
    torch.manual_seed(0)
    model = BenchVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, start = 0, time.perf_counter()
    for i, batch in enumerate(batches):
        if max_batches is not None and i >= max_batches:
            break
        x = batch[0].flatten(1)
        loss = model.loss(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        images += len(x)
    return images, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=None, help="stop each epoch early (a smoke run)")
    args = parser.parse_args()
    from torchvision import datasets, transforms

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data root {helpers.data_root()}")
    data.load_mnist("train")  # fail early, with the course's message, when MNIST is missing
    torch.set_flush_denormal(False)  # the plain pytorch/examples set-up
    dataset = datasets.MNIST(str(helpers.data_root()), train=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    n_loader, t_loader = train_one_epoch(loader, args.batches)

    helpers.setup(seed=0, verbose=False)
    images, _ = data.load_mnist("train", flatten=True)
    n_helpers, t_helpers = train_one_epoch(data.Batches(images, batch_size=128, seed=0), args.batches)

    rate_loader, rate_helpers = n_loader / t_loader, n_helpers / t_helpers
    print(f"dataloader  {n_loader:6d} images in {t_loader:6.2f} s  {rate_loader:8.0f} images/s")
    print(f"helpers     {n_helpers:6d} images in {t_helpers:6.2f} s  {rate_helpers:8.0f} images/s")
    print(f"speedup {rate_helpers / rate_loader:.2f}")


if __name__ == "__main__":
    main()
