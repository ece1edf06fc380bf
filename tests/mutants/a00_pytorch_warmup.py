"""Mutants and alternatives of 00_pytorch_warmup's graded functions."""

from tools.mutation import Alternative, Mutant

MUTANTS = [
    # balanced_subset_indices
    Mutant("subset_with_replacement", "balanced_subset_indices",
           fails=("test_balanced_subset_counts", "test_balanced_subset_seeded"),
           message=r"twice|without replacement", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        out.append(members[torch.randint(0, len(members), (per_class,), generator=g)])
    return torch.cat(out)
'''),
    Mutant("subset_global_rng", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"seed", code='''
def balanced_subset_indices(labels, per_class, seed):
    out = []
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        out.append(members[torch.randperm(len(members))[:per_class]])
    return torch.cat(out)
'''),
    Mutant("subset_first_of_each_class", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"seed|random", code='''
def balanced_subset_indices(labels, per_class, seed):
    return torch.cat([torch.nonzero(labels == c).flatten()[:per_class] for c in torch.unique(labels)])
'''),
    Mutant("subset_assumes_digits_0_to_9", "balanced_subset_indices",
           fails=("test_balanced_subset_counts", "test_balanced_subset_seeded"),
           message=r"class|indices", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in range(10):
        members = torch.nonzero(labels == c).flatten()
        out.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    return torch.cat(out)
'''),
    Mutant("subset_per_class_in_total", "balanced_subset_indices",
           fails=("test_balanced_subset_counts", "test_balanced_subset_seeded"),
           message=r"per.class|indices", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(len(labels), generator=g)[:per_class]
'''),
    Mutant("subset_returns_mask", "balanced_subset_indices",
           fails=("test_balanced_subset_counts", "test_balanced_subset_seeded"),
           message=r"integer|indices|bool", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(len(labels), dtype=torch.bool)
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        mask[members[torch.randperm(len(members), generator=g)[:per_class]]] = True
    return mask
'''),
    Mutant("subset_silently_short", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"ValueError", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        out.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    return torch.cat(out)
'''),
    Mutant("subset_reseeds_global_torch", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"global torch random state", code='''
def balanced_subset_indices(labels, per_class, seed):
    torch.manual_seed(seed)
    order = torch.randperm(len(labels))
    picked, counts = [], {}
    for i in order.tolist():
        c = int(labels[i])
        if counts.get(c, 0) < per_class:
            counts[c] = counts.get(c, 0) + 1
            picked.append(i)
    if any(counts[c] < per_class for c in counts):
        raise ValueError("a class is too small")
    return torch.tensor(picked)
'''),
    Mutant("subset_reseeds_global_torch_per_class", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"global torch random state", code='''
def balanced_subset_indices(labels, per_class, seed):
    out = []
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        if len(members) < per_class:
            raise ValueError("too few")
        torch.manual_seed(seed + int(c))
        out.append(members[torch.randperm(len(members))[:per_class]])
    return torch.cat(out)
'''),
    Mutant("subset_reseeds_global_numpy", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"global numpy random state", code='''
import numpy as np
def balanced_subset_indices(labels, per_class, seed):
    np.random.seed(seed)
    y = labels.numpy()
    out = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < per_class:
            raise ValueError("too few")
        out.append(np.random.choice(members, size=per_class, replace=False))
    return torch.as_tensor(np.concatenate(out))
'''),
    Mutant("subset_reseeds_global_python_random", "balanced_subset_indices", fails=("test_balanced_subset_seeded",),
           message=r"global Python random state", code='''
import random
def balanced_subset_indices(labels, per_class, seed):
    random.seed(seed)
    picked = []
    for c in torch.unique(labels).tolist():
        members = torch.nonzero(labels == c).flatten().tolist()
        if len(members) < per_class:
            raise ValueError("too few")
        picked += random.sample(members, per_class)
    return torch.tensor(picked)
'''),
    Mutant("subset_int32_indices", "balanced_subset_indices", fails=("test_balanced_subset_counts",),
           message=r"int64", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in torch.unique(labels):
        members = torch.nonzero(labels == c).flatten()
        if len(members) < per_class:
            raise ValueError("too few")
        out.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    return torch.cat(out).to(torch.int32)
'''),
    # accuracy
    Mutant("accuracy_returns_tensor", "accuracy", fails=("test_accuracy",), message=r"float", code='''
def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean()
'''),
    Mutant("accuracy_percentage", "accuracy", fails=("test_accuracy",), message=r"0\.75|fraction", code='''
def accuracy(logits, labels):
    return 100.0 * (logits.argmax(dim=1) == labels).float().mean().item()
'''),
    Mutant("accuracy_argmax_wrong_dim", "accuracy", fails=("test_accuracy",), code='''
def accuracy(logits, labels):
    return (logits.argmax(dim=0)[: len(labels)] == labels).float().mean().item()
'''),
    Mutant("accuracy_integer_division", "accuracy", fails=("test_accuracy",), code='''
def accuracy(logits, labels):
    return float((logits.argmax(dim=1) == labels).sum().item() // len(labels))
'''),
    Mutant("accuracy_numpy_float", "accuracy", fails=("test_accuracy",), message=r"Python float", code='''
import numpy as np
def accuracy(logits, labels):
    return np.mean((logits.argmax(dim=1) == labels).numpy())
'''),
    # cross_entropy
    Mutant("ce_batch_max_shift", "cross_entropy", fails=("test_cross_entropy_stable",),
           message=r"each row's own maximum", code='''
def cross_entropy(logits, labels):
    m = logits.max()  # the largest logit of the whole batch, not of each row
    lse = m + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[torch.arange(len(labels)), labels]).mean()
'''),
    Mutant("ce_naive_softmax", "cross_entropy", fails=("test_cross_entropy_stable",),
           message=r"log-sum-exp|overflow|inf|nan", code='''
def cross_entropy(logits, labels):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(labels)), labels]).mean()
'''),
    Mutant("ce_sum_not_mean", "cross_entropy",
           fails=("test_cross_entropy_values", "test_cross_entropy_stable", "test_cross_entropy_gradient"),
           message=r"mean over the batch, not the sum",
           code='''
def cross_entropy(logits, labels):
    return (torch.logsumexp(logits, 1) - logits[torch.arange(len(labels)), labels]).sum()
'''),
    Mutant("ce_wrong_sign", "cross_entropy",
           fails=("test_cross_entropy_values", "test_cross_entropy_stable", "test_cross_entropy_gradient"),
           message=r"wrong sign", code='''
def cross_entropy(logits, labels):
    return (logits[torch.arange(len(labels)), labels] - torch.logsumexp(logits, 1)).mean()
'''),
    Mutant("ce_normalise_over_batch", "cross_entropy",
           fails=("test_cross_entropy_values", "test_cross_entropy_stable", "test_cross_entropy_gradient"), code='''
def cross_entropy(logits, labels):
    return (torch.logsumexp(logits, 0)[labels] - logits[torch.arange(len(labels)), labels]).mean()
'''),
    Mutant("ce_calls_torch", "cross_entropy", fails=("test_cross_entropy_values",), message=r"by hand", code='''
def cross_entropy(logits, labels):
    return F.cross_entropy(logits, labels)
'''),
    Mutant("ce_returns_float", "cross_entropy",
           fails=("test_cross_entropy_values", "test_cross_entropy_stable", "test_cross_entropy_gradient"),
           message=r"tensor|gradient", code='''
def cross_entropy(logits, labels):
    return (torch.logsumexp(logits, 1) - logits[torch.arange(len(labels)), labels]).mean().item()
'''),
    Mutant("ce_detached", "cross_entropy", fails=("test_cross_entropy_gradient",), message=r"gradient", code='''
def cross_entropy(logits, labels):
    logits = logits.detach()
    return (torch.logsumexp(logits, 1) - logits[torch.arange(len(labels)), labels]).mean()
'''),
]

ALTERNATIVES = [
    Alternative("subset_numpy", "balanced_subset_indices", code='''
import numpy as np
def balanced_subset_indices(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    y = labels.numpy()
    out = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < per_class:
            raise ValueError("too few")
        out.append(rng.choice(members, size=per_class, replace=False))
    return torch.as_tensor(np.concatenate(out))
'''),
    Alternative("subset_multinomial_generator", "balanced_subset_indices", code='''
def balanced_subset_indices(labels, per_class, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    out = []
    for c in labels.unique(sorted=False):
        members = (labels == c).nonzero(as_tuple=True)[0]
        if members.numel() < per_class:
            raise ValueError(f"class {int(c)} is too small")
        weights = torch.ones(members.numel(), dtype=torch.float64)
        out.append(members[torch.multinomial(weights, per_class, replacement=False, generator=g)])
    return torch.cat(out)
'''),
    Alternative("subset_python_random_instance", "balanced_subset_indices", code='''
import random as _rnd
def balanced_subset_indices(labels, per_class, seed):
    rng = _rnd.Random(seed)  # a private generator: the global one is untouched
    by_class = {}
    for i, c in enumerate(labels.tolist()):
        by_class.setdefault(c, []).append(i)
    picked = []
    for c in sorted(by_class):
        if len(by_class[c]) < per_class:
            raise ValueError("a class is too small")
        picked += rng.sample(by_class[c], per_class)
    return torch.tensor(picked, dtype=torch.int64)
'''),
    Alternative("subset_manual_seed_inside_fork_rng", "balanced_subset_indices", code='''
def balanced_subset_indices(labels, per_class, seed):
    with torch.random.fork_rng():  # the global state is restored on exit
        torch.manual_seed(seed)
        order = torch.randperm(len(labels))
    picked, counts = [], {}
    for i in order.tolist():
        c = int(labels[i])
        if counts.get(c, 0) < per_class:
            counts[c] = counts.get(c, 0) + 1
            picked.append(i)
    for c in torch.unique(labels).tolist():
        if counts.get(c, 0) < per_class:
            raise ValueError("a class is too small")
    return torch.tensor(picked)
'''),
    Alternative("accuracy_loop", "accuracy", code='''
def accuracy(logits, labels):
    right = 0
    for row, label in zip(logits, labels):
        right += int(torch.argmax(row) == label)
    return right / len(labels)
'''),
    Alternative("accuracy_softmax_float64", "accuracy", code='''
def accuracy(logits, labels):
    return float(torch.eq(torch.softmax(logits.double(), -1).argmax(-1), labels).double().mean())
'''),
    Alternative("ce_max_subtraction", "cross_entropy", code='''
def cross_entropy(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    log_probs = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(labels)), labels].mean()
'''),
    Alternative("ce_log_softmax_onehot", "cross_entropy", code='''
def cross_entropy(logits, labels):
    onehot = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return -(onehot * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
'''),
    Alternative("ce_float64_internally", "cross_entropy", code='''
def cross_entropy(logits, labels):
    s = logits.double()
    m = s.max(dim=1, keepdim=True).values
    lse = (m + (s - m).exp().sum(1, keepdim=True).log()).squeeze(1)
    return (lse - s.gather(1, labels.view(-1, 1)).squeeze(1)).mean().to(logits.dtype)
'''),
    Alternative("ce_loop", "cross_entropy", code='''
def cross_entropy(logits, labels):
    total = 0.0
    for row, y in zip(logits, labels):
        total = total + torch.logsumexp(row, 0) - row[y]
    return total / len(labels)
'''),
]
