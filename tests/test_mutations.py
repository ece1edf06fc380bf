"""The mutation suite: every known wrong implementation loses points on its intended test, with
a message that says what is off; every alternative correct implementation keeps full marks.

One test class per assignment, so that ``pytest -n 2 --dist loadscope`` spreads the assignments
over the workers.
"""

import importlib
import re
from functools import cache

import pytest

from tools import notebooks as nbs
from tools.mutation import run_isolated, run_notebook


def catalogue(assignment: str):
    """The assignment's mutation catalogue module, or None when it has none yet."""
    try:
        return importlib.import_module(f"tests.mutants.a{assignment}")
    except ModuleNotFoundError as error:
        if error.name != f"tests.mutants.a{assignment}":
            raise
        return None


@cache
def reference_run(assignment: str):
    return run_notebook(nbs.source_notebook(assignment))


@cache
def isolated_run(assignment: str):
    return run_isolated(nbs.source_notebook(assignment))


def pytest_generate_tests(metafunc):
    for kind, name in (("MUTANTS", "mutant"), ("ALTERNATIVES", "alternative")):
        if name in metafunc.fixturenames:
            entries = getattr(catalogue(metafunc.cls.assignment), kind, ())
            metafunc.parametrize(name, entries, ids=[e.name for e in entries])
    if "test_cell" in metafunc.fixturenames:
        cells = list(nbs.autograded_points(nbs.load(nbs.source_notebook(metafunc.cls.assignment))))
        metafunc.parametrize("test_cell", cells, ids=cells)


class MutationSuite:
    assignment: str

    def test_solution_gets_full_marks_without_experiments(self):
        result = reference_run(self.assignment)
        assert result.tests, f"{self.assignment} has no auto-graded test cells"
        assert not result.failed(), f"the solution fails tests: {result.failed()}"
        assert not result.errors, f"non-test cells fail: {result.errors}"

    def test_catalogue_covers_every_graded_function(self):
        nb = nbs.load(nbs.source_notebook(self.assignment))
        solution_cells = {nbs.grade_id(c) for c in nb["cells"] if c["cell_type"] == "code" and nbs.is_solution(c)}
        module = catalogue(self.assignment)
        assert module is not None, f"no mutation catalogue tests/mutants/a{self.assignment}.py"
        mutated = {m.cell for m in module.MUTANTS}
        alternative = {a.cell for a in module.ALTERNATIVES}
        assert solution_cells <= mutated, f"no mutant for {sorted(solution_cells - mutated)}"
        assert solution_cells <= alternative, f"no alternative for {sorted(solution_cells - alternative)}"
        tests = set(nbs.autograded_points(nb))
        exercises = nbs.exercise_tests(nb)
        for mutant in module.MUTANTS:
            assert set(mutant.fails) <= tests, f"{mutant.name} names unknown tests {set(mutant.fails) - tests}"
            # One failing exercise never costs another's points: a mistake in one function may fail
            # only the test cells of that function (those of a function that calls it test it with
            # a reference in its place).
            others = set(mutant.fails) - set(exercises[mutant.cell])
            assert not others, (f"{mutant.name} (a mistake in {mutant.cell}) names test cells of other exercises: "
                                f"{sorted(others)}")

    def test_test_cell_stands_alone(self, test_cell):
        """One failing exercise never costs another's points: each test cell passes on the imports,
        the given code and the solutions alone, without any other test cell having run."""
        result = isolated_run(self.assignment)
        assert not result.errors, f"non-test cells fail when no test cell runs: {result.errors}"
        assert result.tests[test_cell].passed, (
            f"{test_cell} fails when it runs without the other test cells (does it use a name one of them "
            f"defines?): {result.tests[test_cell].error}")

    def test_mutant_loses_points(self, mutant):
        result = run_notebook(nbs.source_notebook(self.assignment), {mutant.cell: mutant.code})
        failed = result.failed()
        kept = [gid for gid in mutant.fails if gid not in failed]
        assert not kept, f"{mutant.name} keeps its points on {kept}; failed: {failed}"
        # No collateral damage: the mutant may cost points only where the catalogue says it does.
        collateral = {gid: error for gid, error in failed.items() if gid not in mutant.fails}
        assert not collateral, (
            f"{mutant.name} also takes points from {sorted(collateral)}, which it does not name: "
            f"{collateral}")
        assert result.score < result.max_score
        if mutant.message:
            for gid in mutant.fails:
                assert re.search(mutant.message, failed[gid], re.IGNORECASE), (
                    f"{mutant.name}: the message of {gid} does not say what is off "
                    f"(expected /{mutant.message}/): {failed[gid]!r}"
                )

    def test_alternative_keeps_full_marks(self, alternative):
        result = run_notebook(nbs.source_notebook(self.assignment), {alternative.cell: alternative.code})
        assert not result.failed(), f"{alternative.name} loses points: {result.failed()}"


for _assignment in nbs.assignments():
    _name = f"TestMutants_{_assignment}"
    globals()[_name] = type(_name, (MutationSuite,), {"assignment": _assignment})


# --- a reference lives only inside its test cell (04_beta_vae) ------------------------------------------------------
# A test cell that grades its exercise with references of earlier graded functions in their place must leave
# nothing bound, whatever fails in it: a student may move it (and its exercise) above the earlier functions' tests
# (nbgrader grades the submitted order) and make it fail on purpose; wrong earlier functions must still lose points.

_RAISES = {
    "info_vae_loss": "def info_vae_loss(*args, **kwargs):\n    raise RuntimeError('not done')\n",
    "ConditionalVAE": """
class ConditionalVAE(nn.Module):
    def __init__(self, z_dim, n_classes=10, hidden=400, x_dim=784):
        super().__init__()
        self.encoder = MLPEncoder(x_dim + n_classes, hidden, z_dim)
        self.decoder = MLPDecoder(z_dim + n_classes, hidden, x_dim)

    def negative_elbo_bound(self, x, y):
        raise RuntimeError("not done")

    def sample_x(self, y):
        raise RuntimeError("not done")
""",
}
# test cell -> (its exercise, a mutant of each earlier function it grades with a reference in its place)
_GRADED_WITH_REFERENCES = {
    "test_info_vae_loss": ("info_vae_loss", ("beta_ignored", "mmd_biased")),
    "test_conditional_vae_elbo": ("ConditionalVAE", ("reparam_std_is_exp_logvar", "beta_ignored")),
    "test_conditional_vae_label": ("ConditionalVAE", ("reparam_std_is_exp_logvar", "beta_ignored")),
    "test_conditional_vae_sample": ("ConditionalVAE", ("reparam_std_is_exp_logvar",)),
}


def _move_before(nb: dict, moved: list[str], anchor: str) -> None:
    """Move the cells with grade_ids ``moved`` (in that order) just above the cell ``anchor``."""
    cells = {nbs.grade_id(c): c for c in nb["cells"]}
    rest = [c for c in nb["cells"] if nbs.grade_id(c) not in moved]
    at = next(i for i, c in enumerate(rest) if nbs.grade_id(c) == anchor)
    nb["cells"] = rest[:at] + [cells[gid] for gid in moved] + rest[at:]


@pytest.mark.parametrize("moved,mutant_name", [(cell, name) for cell, (_, names) in _GRADED_WITH_REFERENCES.items()
                                               for name in names])
def test_04_beta_vae_references_do_not_outlive_their_test_cell(moved, mutant_name):
    """``moved`` and its exercise (which raises) go just above the first test of the earlier function, right after
    that function's (wrong) solution cell: the earlier function's tests must still fail."""
    exercise = _GRADED_WITH_REFERENCES[moved][0]
    mutant = next(m for m in catalogue("04_beta_vae").MUTANTS if m.name == mutant_name)
    anchor = mutant.fails[0]
    result = run_notebook(nbs.source_notebook("04_beta_vae"), {exercise: _RAISES[exercise], mutant.cell: mutant.code},
                          edit=lambda nb: _move_before(nb, [exercise, moved], anchor))
    failed = result.failed()
    assert moved in failed, f"{moved} passes with an {exercise} that raises"
    kept = [gid for gid in mutant.fails if gid not in failed]
    assert not kept, (f"with {moved} moved above {anchor} and failing, a wrong {mutant.cell} keeps its points on "
                      f"{kept}: the reference {moved} grades with stayed bound after it")
