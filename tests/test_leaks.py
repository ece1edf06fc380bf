"""tools.leaks: graded code is found in visible code whatever its spelling; generic lines are not."""

import ast
import json

import pytest

from tools import leaks

HEADER = "import math\nimport torch\nimport torch.nn.functional as F\n"


def form(code: str, inline: bool = False) -> str:
    """The canonical form of the last expression in ``code`` (a few statements)."""
    unit = leaks.Unit("x.py", None, HEADER + code, set(), set())
    unit.globals, unit.defined = leaks._file_names([unit.text])
    expressions = [e for e in leaks.visible_expressions(unit) if e.inlined == inline and e.root]
    return expressions[-1].node.form


def weight(code: str) -> int:
    return leaks.Canonicaliser({"torch": "torch", "F": "torch.nn.functional", "math": "math"}, set()).convert(
        ast.parse(code, mode="eval").body, None, False).weight


# --------------------------------------------------------------------------------------------------
# The canonical form


@pytest.mark.parametrize("copy", [
    "qm + torch.exp(0.5 * lv) * noise",             # renamed
    "torch.exp(0.5 * logvar) * eps + mu",           # operands reordered
    "mu + eps * torch.exp(logvar / 2)",             # x / 2 for 0.5 * x
    "mu + logvar.mul(.5).exp() * eps",              # method spelling, .5
    "mu + (0.5 * logvar).exp() * eps",
    "mu + torch.sqrt(torch.exp(logvar)) * eps",     # sqrt(exp(a)) = exp(a / 2)
    "mu + logvar.exp() ** 0.5 * eps",
    "mu + torch.exp(logvar).sqrt() * eps",
    "mu + eps * (logvar * 0.5).exp()",
    "mu + math.exp(0.5 * logvar) * eps",            # math.exp is exp too
    "torch.add(mu, torch.mul(torch.exp(0.5 * logvar), eps))",
])
def test_reparameterised_sample_respelled(copy):
    assert form(copy) == form("mu + torch.exp(0.5 * logvar) * eps")


@pytest.mark.parametrize("copy", [
    "-0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=-1)",
    "0.5 * torch.sum(m.pow(2) + s.exp() - s - 1, -1)",
    "(0.5 * (mu * mu + logvar.exp() - 1.0 - logvar)).sum(dim=-1)",
    "((torch.exp(logvar) + torch.square(mu) - 1 - logvar) / 2).sum(-1)",
    "-(1 + logvar - mu.pow(2) - logvar.exp()).sum(-1) / 2",
])
def test_closed_form_kl_respelled(copy):
    assert form(copy) == form("0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)")


@pytest.mark.parametrize("copy, original", [
    ("b - a", "-(a - b)"),
    ("x / v", "x * v ** -1"),
    ("x / v", "x * (1 / v)"),
    ("torch.logsumexp(w, 0) - math.log(n)", "torch.logsumexp(w, dim=0) - math.log(n)"),
    ("(x - m).pow(2) / v", "(m - x) ** 2 / v"),
    ("a @ (b @ c)", "(a @ b) @ c"),
    ("torch.matmul(a, b.t())", "a @ b.T"),
    ("torch.randn(n, k)", "torch.randn(n, k, generator=g, dtype=torch.float64, device=d)"),
    ("F.softplus(l)", "torch.nn.functional.softplus(l)"),
    ("x > y", "y < x"),
    ("(a - b).double().mean()", "(a - b).mean()"),                             # conversions change no value
    ("float(x.sum())", "x.sum().item()"),
    ("x.detach().clone().to(torch.float64).exp()", "torch.exp(x)"),
])
def test_equivalent_spellings(copy, original):
    assert form(copy) == form(original)


@pytest.mark.parametrize("other, original", [
    ("mu + torch.exp(logvar) * eps", "mu + torch.exp(0.5 * logvar) * eps"),   # the std is exp(logvar / 2)
    ("mu - torch.exp(0.5 * logvar) * eps", "mu + torch.exp(0.5 * logvar) * eps"),
    ("x.sum(0)", "x.sum(1)"),
    ("a @ b.T", "b.T @ a"),                                                    # not commutative
    ("a - b + c", "a - b - c"),
    ("torch.log(x)", "torch.exp(x)"),
])
def test_different_formulas_differ(other, original):
    assert form(other) != form(original)


def test_single_assignment_locals_are_inlined():
    split = "std = torch.exp(0.5 * logvar)\neps = torch.randn_like(std)\nz = mu + std * eps"
    assert form(split, inline=True) == form("mu + torch.exp(0.5 * logvar) * torch.randn_like(torch.exp(0.5 * logvar))")
    # A name bound twice is not replaced (its value depends on where it is read).
    twice = "s = logvar\ns = torch.exp(0.5 * s)\nz = mu + s * eps"
    assert form(twice, inline=True) == form("mu + s * eps")


def test_weights():
    assert weight("torch.randn(n, k, generator=g)") == 0   # a draw of noise, like a local eps
    assert weight("torch.randperm(n, generator=g)[:k]") == 2
    assert weight("x.flatten(1)") == 0
    assert weight("x.detach().clone().requires_grad_(True)") == 0
    assert weight("m + torch.sqrt(v) * eps") == 3
    assert weight("mu + torch.exp(0.5 * logvar) * eps") == 4
    assert weight("0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)") == 7
    assert weight("a / b") == 1


# --------------------------------------------------------------------------------------------------
# Finding leaks between notebooks


def _cell(source, grade_id=None, solution=False, grade=False, cell_type="code"):
    meta = {}
    if grade_id:
        meta["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
                            "schema_version": 3, "task": False, **({"points": 1} if grade else {})}
    cell = {"cell_type": cell_type, "metadata": meta, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


SAMPLER = '''def sample(mu, logvar):
    """One reparameterised sample."""
    ### BEGIN SOLUTION
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(mu)
    ### END SOLUTION
'''
KL = '''def kl(mu, logvar):
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
    ### END SOLUTION
'''
LOG_DENSITY = '''def log_density(x, m, v):
    ### BEGIN SOLUTION
    return -0.5 * (math.log(2 * math.pi) + torch.log(v) + (x - m) ** 2 / v).sum(-1)
    ### END SOLUTION
'''
TEST = '''z = sample(torch.zeros(3), torch.zeros(3))
assert z.shape == (3,)
### BEGIN HIDDEN TESTS
_want = _m + torch.exp(0.5 * _lv) * torch.randn_like(_m)
### END HIDDEN TESTS
'''


@pytest.fixture
def course(tmp_path):
    _notebook(tmp_path / "source" / "a" / "a.ipynb", [
        _cell("import math\nimport torch\n"),
        _cell(SAMPLER, "sample", solution=True),
        _cell(KL, "kl", solution=True),
        _cell(LOG_DENSITY, "log_density", solution=True),
        _cell(TEST, "test_sample", grade=True),
        _cell("**Rubric:** ...", "answer_q", solution=True, grade=True, cell_type="markdown"),
    ])
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("import torch\n\ndef shift(x, n):\n    return x[:n]\n")
    return tmp_path


def _leaks(course, visible_cells=(), helper=None):
    _notebook(course / "source" / "b" / "b.ipynb", [_cell("import torch\nimport math\n"), *visible_cells])
    if helper is not None:
        (course / "helpers" / "extra.py").write_text(helper)
    return leaks.find_leaks(*leaks.course_units(course))


def test_own_solution_and_hidden_tests_are_not_leaks(course):
    assert _leaks(course) == []


@pytest.mark.parametrize("visible", [
    "z = qm + qlv.mul(0.5).exp() * e",
    "def draw(m, lv):\n    s = (lv / 2).exp()\n    noise = torch.randn_like(m)\n    return noise * s + m\n",
    "print(torch.exp(0.5 * logvar) * torch.randn_like(mu) + mu)",
])
def test_renamed_reordered_respelled_copy_is_found(course, visible):
    found = _leaks(course, [_cell(visible)])
    assert [leak.graded_function for leak in found] == ["a:sample"], leaks.format_leaks(found)
    assert found[0].visible.unit.where == "source/b/b.ipynb" and found[0].visible.unit.cell == 1


def test_kl_copied_into_a_visible_test_is_found(course):
    visible = _cell("got = kl(m, lv)\nwant = -0.5 * torch.sum(1 + lv - m ** 2 - lv.exp(), dim=-1)\n"
                    "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n", "test_kl", grade=True)
    found = _leaks(course, [visible])
    assert [(leak.graded_function, leak.visible.line) for leak in found] == [("a:kl", 2)]
    message = leaks.format_leaks(found)
    assert "source/b/b.ipynb cell 1, line 2: want = -0.5 * torch.sum(" in message
    assert "a:kl" in message and "return 0.5 * (mu.pow(2)" in message


def test_copy_in_helpers_and_in_markdown_is_found(course):
    helper = ("import torch\n\ndef noisy(mean, log_var):\n"
              "    return mean + torch.exp(log_var * 0.5) * torch.randn_like(mean)\n")
    markdown = _cell("Sample with `mu + torch.exp(0.5 * logvar) * eps` and see.", cell_type="markdown")
    found = _leaks(course, [markdown], helper=helper)
    assert {(leak.visible.unit.where, leak.graded_function) for leak in found} == {
        ("helpers/extra.py", "a:sample"), ("source/b/b.ipynb", "a:sample")}


def test_visible_code_of_the_same_notebook_counts(course):
    nb = json.loads((course / "source" / "a" / "a.ipynb").read_text())
    nb["cells"].append(_cell("z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n"))
    (course / "source" / "a" / "a.ipynb").write_text(json.dumps(nb))
    found = _leaks(course)
    assert [(leak.visible.unit.where, leak.visible.unit.cell) for leak in found] == [("source/a/a.ipynb", 6)]


@pytest.mark.parametrize("generic", [
    "z = torch.randn(n, k, generator=g)",
    "flat = x.flatten(1)",
    "std = torch.exp(0.5 * logvar)",                # a part of the graded line, too light alone
    "mu + eps",
    "loss = model(x).mean()\nloss.backward()\nopt.step()",
    "m_ = m.detach().clone().requires_grad_(True)",
    "total = (a.pow(2) + b.exp()).sum(-1)",          # a fragment of the KL with other constants
])
def test_generic_lines_are_not_leaks(course, generic):
    found = _leaks(course, [_cell(generic)])
    assert found == [], leaks.format_leaks(found)


def test_unparseable_cell_names_its_place(course):
    with pytest.raises(SyntaxError, match=r"source/b/b.ipynb cell 1"):
        _leaks(course, [_cell("%timeit f(x)\n")])


def test_a_part_of_a_graded_line_counts_from_part_weight(course):
    light = "d = (x - mu) ** 2 / var"                                        # weight 3: generic
    heavy = "s = math.log(2 * math.pi) + torch.log(var) + (x - mu) ** 2 / var"  # the bracket of the line
    assert _leaks(course, [_cell(light)]) == []
    found = _leaks(course, [_cell(heavy)])
    assert [leak.graded_function for leak in found] == ["a:log_density"]
    assert found[0].matched.weight >= leaks.PART_WEIGHT
