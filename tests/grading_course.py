"""A tiny nbgrader course for the autograding-integrity tests: one assignment, ``tiny``, with a
locked reference cell, a solution cell and two test cells (one visible + hidden, one comparing
with the locked reference after the reference is computed, as a careless author might write it).
Students are the source notebook with the solution cell (and optional extra cells) replaced."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from tools import pipeline

ASSIGNMENT = "tiny"
POINTS = {"test_log_normal_values": 2.0, "test_log_normal_reference": 1.0}

IMPORTS = "import math\n\nimport torch\n"
REFERENCE = '''def _reference(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
'''
SOLUTION = '''def log_normal(x, mu, sigma):
    """log N(x; mu, sigma^2), elementwise."""
    ### BEGIN SOLUTION
    return torch.distributions.Normal(mu, sigma).log_prob(x)
    ### END SOLUTION
'''
TEST_VALUES = '''# Visible test: a plain tensor with the standard normal's values.
_out = log_normal(torch.tensor([0.0, 1.0]), torch.zeros(2), torch.ones(2))
assert isinstance(_out, torch.Tensor), "return a tensor"
assert torch.allclose(_out, torch.tensor([-0.9189385, -1.4189385]), atol=1e-5), "wrong values"
### BEGIN HIDDEN TESTS
torch.manual_seed(0)
_x, _mu, _sigma = torch.randn(50), torch.randn(50), torch.rand(50) + 0.5
_got = log_normal(_x, _mu, _sigma)
_want = torch.distributions.Normal(_mu, _sigma).log_prob(_x)
assert torch.allclose(_got, _want, atol=1e-5), "the log-density is off"
assert torch.equal(_got > -1e9, torch.ones(50, dtype=torch.bool)), "not finite"
assert math.isclose(float(_got.sum()), float(_want.sum()), rel_tol=1e-5), "the sum is off"
### END HIDDEN TESTS
'''
TEST_REFERENCE = '''# A reference computed before the student's code runs (what the authoring rules now forbid).
_x = torch.linspace(-3.0, 3.0, 7)
_want = _reference(_x, torch.tensor(0.5), torch.tensor(2.0))
_got = log_normal(_x, torch.tensor(0.5), torch.tensor(2.0))
assert (_got - _want).abs().max() < 1e-5, "values off"
'''


def _meta(**nbgrader):
    return {"nbgrader": {"schema_version": 3, "solution": False, "grade": False, "locked": False,
                         "task": False, **nbgrader}}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny assignment\nThe log-density of a normal distribution."),
        nbformat.v4.new_code_cell(IMPORTS),
        nbformat.v4.new_code_cell(REFERENCE, metadata=_meta(grade_id="reference", locked=True)),
        nbformat.v4.new_code_cell(SOLUTION, metadata=_meta(grade_id="log_normal", solution=True)),
        nbformat.v4.new_code_cell(TEST_VALUES, metadata=_meta(
            grade_id="test_log_normal_values", grade=True, locked=True, points=POINTS["test_log_normal_values"])),
        nbformat.v4.new_code_cell(TEST_REFERENCE, metadata=_meta(
            grade_id="test_log_normal_reference", grade=True, locked=True,
            points=POINTS["test_log_normal_reference"])),
    ]
    return nb


def make_course(root: Path) -> Path:
    """The course's real nbgrader_config.py, the tiny assignment, its student version."""
    return pipeline.make_course(root, ASSIGNMENT, source_notebook())


def submit(root: Path, student: str, solution: str | None = None, *, before: str = "", after: str = "") -> Path:
    """The student version with the solution cell's code set (None: the reference solution) and
    unlocked cells of code added before (after the imports) and after the solution cell."""
    nb = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cells = nb.cells
    solution_cell = next(c for c in cells if c.metadata.get("nbgrader", {}).get("solution"))
    solution_cell.source = SOLUTION if solution is None else solution
    index = cells.index(solution_cell)
    if after:
        cells.insert(index + 1, nbformat.v4.new_code_cell(after))
    if before:
        cells.insert(2, nbformat.v4.new_code_cell(before))
    target = root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return target


def scores(root: Path) -> dict[str, dict[str, float]]:
    """student -> grade_id -> auto score."""
    return pipeline.scores(root, ASSIGNMENT)
