import pytest
import torch

from helpers import data


@pytest.fixture(scope="module")
def mnist_test():
    try:
        return data.load_mnist("test", download=False)
    except data.DatasetNotFoundError as error:  # pragma: no cover - CI always has ../shared/data
        pytest.skip(str(error))


def test_load_mnist_shapes_range_and_labels(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10000, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (10000,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    flat, _ = data.load_mnist("test", download=False, flatten=True)
    assert flat.shape == (10000, 784) and torch.equal(flat[0], images[0].flatten())


def test_load_returns_fresh_tensors(mnist_test):
    images, _ = mnist_test
    images[0].zero_()
    again, _ = data.load_mnist("test", download=False)
    assert again[0].sum() > 0, "a caller's in-place change must not reach the cache"


def test_missing_dataset_error_names_folder_and_fix(tmp_path):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_mnist("train", root=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "VAE_COURSE_DATA" in message


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("validation")


def test_load_digits():
    images, labels = data.load_digits()
    assert images.shape == (1797, 1, 8, 8) and 0.0 <= images.min() and images.max() <= 1.0
    assert set(labels.tolist()) == set(range(10))


def test_binarization():
    images = torch.full((1000, 784), 0.3)
    static = data.binarize_static(images, seed=1)
    assert torch.equal(static, data.binarize_static(images, seed=1))
    assert set(static.unique().tolist()) <= {0.0, 1.0}
    assert abs(static.mean().item() - 0.3) < 6 * (0.3 * 0.7 / static.numel()) ** 0.5
    a, b = data.binarize_dynamic(images), data.binarize_dynamic(images)
    assert not torch.equal(a, b)
    assert set(a.unique().tolist()) <= {0.0, 1.0} and a.dtype == images.dtype
    assert abs(a.mean().item() - 0.3) < 6 * (0.3 * 0.7 / a.numel()) ** 0.5
    edges = torch.tensor([[0.0, 1.0] * 392], dtype=torch.float64).expand(50, -1)
    assert torch.equal(data.binarize_dynamic(edges), edges)  # p = 0 and p = 1 are exact
    same = [data.binarize_dynamic(images, generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(*same)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize_dynamic(images * 255)
    with pytest.raises(TypeError, match="floating"):
        data.binarize_static(torch.zeros(3, dtype=torch.uint8))


def test_balanced_subset_of_mnist(mnist_test):
    images, labels = mnist_test
    x, y = data.load_mnist("test", download=False, per_class=50, seed=3)
    assert x.shape == (500, 1, 28, 28) and torch.bincount(y).tolist() == [50] * 10
    assert torch.equal(y, torch.sort(y).values), "sorted by class"
    # every chosen image is a distinct test image with its own label
    flat = images.flatten(1)
    rows = [torch.nonzero((flat == img.flatten()).all(1)).flatten() for img in x[::25]]
    assert all(len(r) >= 1 and labels[r[0]] == label for r, label in zip(rows, y[::25], strict=True))
    assert len(torch.unique(x.flatten(1), dim=0)) == 500
    again, _ = data.load_mnist("test", download=False, per_class=50, seed=3)
    other, _ = data.load_mnist("test", download=False, per_class=50, seed=4)
    assert torch.equal(x, again) and not torch.equal(x, other)
    with pytest.raises(ValueError, match="fewer than per_class"):
        data.load_mnist("test", download=False, per_class=900)
    with pytest.raises(ValueError, match="per_class"):
        data.load_mnist("test", download=False, per_class=0)


def test_fixed_subset():
    x = torch.arange(100).float()
    y = torch.arange(100)
    a, b = data.fixed_subset(x, y, 10, seed=0)
    assert torch.equal(a.long(), b) and torch.equal(a, data.fixed_subset(x, y, 10, seed=0)[0])
    with pytest.raises(ValueError, match="larger than the dataset"):
        data.fixed_subset(x, y, 101)


def test_batches_cover_every_example_once_per_epoch_and_reshuffle():
    x = torch.arange(10).float()
    y = torch.arange(10)
    loader = data.Batches(x, y, batch_size=4, seed=0)
    assert len(loader) == 3
    first = [b for b in loader]
    assert [len(bx) for bx, _ in first] == [4, 4, 2]
    seen = torch.cat([bx for bx, _ in first])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(bx.long(), by) for bx, by in first), "tensors stay aligned"
    second = torch.cat([bx for bx, _ in loader])
    assert not torch.equal(seen, second), "a new order every epoch"
    again = torch.cat([bx for bx, _ in data.Batches(x, y, batch_size=4, seed=0)])
    assert torch.equal(seen, again), "the same seed reproduces the order"
    assert len(data.Batches(x, batch_size=4, drop_last=True)) == 2
    ordered = torch.cat([b for (b,) in data.Batches(x, batch_size=3, shuffle=False)])
    assert torch.equal(ordered, x)


def test_batches_transform_and_errors():
    x = torch.full((50, 4), 0.5)
    loader = data.Batches(x, batch_size=50, transform=data.binarize_dynamic, seed=0)
    [(a,)], [(b,)] = list(loader), list(loader)
    assert set(a.unique().tolist()) <= {0.0, 1.0} and not torch.equal(a, b)
    with pytest.raises(ValueError, match="same length"):
        data.Batches(x, torch.zeros(3), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        data.Batches(x, batch_size=0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        data.Batches([1, 2, 3], batch_size=2)
