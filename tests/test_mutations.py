"""The mutation suite: every known wrong implementation loses points on its intended test, with
a message that says what is off; every alternative correct implementation keeps full marks."""

import importlib
import re
from functools import cache

import pytest

from tools import notebooks as nbs
from tools.mutation import run_notebook


def catalogue(assignment: str):
    """The assignment's mutation catalogue module, or None when it has none yet."""
    try:
        return importlib.import_module(f"tests.mutants.a{assignment}")
    except ModuleNotFoundError as error:
        if error.name != f"tests.mutants.a{assignment}":
            raise
        return None


def _cases(kind: str):
    for assignment in nbs.assignments():
        for entry in getattr(catalogue(assignment), kind, ()):
            yield pytest.param(assignment, entry, id=f"{assignment}-{entry.name}")


@cache
def reference_run(assignment: str):
    return run_notebook(nbs.source_notebook(assignment))


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_solution_gets_full_marks_without_experiments(assignment):
    result = reference_run(assignment)
    assert result.tests, f"{assignment} has no auto-graded test cells"
    assert not result.failed(), f"the solution fails tests: {result.failed()}"
    assert not result.errors, f"non-test cells fail: {result.errors}"


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_catalogue_covers_every_graded_function(assignment):
    nb = nbs.load(nbs.source_notebook(assignment))
    solution_cells = {nbs.grade_id(c) for c in nb["cells"] if c["cell_type"] == "code" and nbs.is_solution(c)}
    module = catalogue(assignment)
    assert module is not None, f"{assignment} has no mutation catalogue tests/mutants/a{assignment}.py"
    mutated = {m.cell for m in module.MUTANTS}
    alternative = {a.cell for a in module.ALTERNATIVES}
    assert solution_cells <= mutated, f"no mutant for {sorted(solution_cells - mutated)}"
    assert solution_cells <= alternative, f"no alternative implementation for {sorted(solution_cells - alternative)}"
    tests = set(nbs.autograded_points(nb))
    for mutant in module.MUTANTS:
        assert set(mutant.fails) <= tests, f"{mutant.name} names unknown tests {set(mutant.fails) - tests}"


@pytest.mark.parametrize("assignment,mutant", _cases("MUTANTS"))
def test_mutant_loses_points(assignment, mutant):
    result = run_notebook(nbs.source_notebook(assignment), {mutant.cell: mutant.code})
    failed = result.failed()
    kept = [gid for gid in mutant.fails if gid not in failed]
    assert not kept, f"{mutant.name} keeps its points on {kept}; failed: {failed}"
    assert result.score < result.max_score
    if mutant.message:
        for gid in mutant.fails:
            assert re.search(mutant.message, failed[gid], re.IGNORECASE), (
                f"{mutant.name}: the message of {gid} does not say what is off "
                f"(expected /{mutant.message}/): {failed[gid]!r}"
            )


@pytest.mark.parametrize("assignment,alternative", _cases("ALTERNATIVES"))
def test_alternative_keeps_full_marks(assignment, alternative):
    result = run_notebook(nbs.source_notebook(assignment), {alternative.cell: alternative.code})
    assert not result.failed(), f"{alternative.name} loses points: {result.failed()}"
