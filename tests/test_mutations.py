"""The mutation suite: every known wrong implementation loses points on its intended test, with
a message that says what is off; every alternative correct implementation keeps full marks.

One test class per assignment, so that ``pytest -n 2 --dist loadscope`` spreads the assignments
over the workers.
"""

import importlib
import re
from functools import cache

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


@cache
def reference_run(assignment: str):
    return run_notebook(nbs.source_notebook(assignment))


def pytest_generate_tests(metafunc):
    for kind, name in (("MUTANTS", "mutant"), ("ALTERNATIVES", "alternative")):
        if name in metafunc.fixturenames:
            entries = getattr(catalogue(metafunc.cls.assignment), kind, ())
            metafunc.parametrize(name, entries, ids=[e.name for e in entries])


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
        for mutant in module.MUTANTS:
            assert set(mutant.fails) <= tests, f"{mutant.name} names unknown tests {set(mutant.fails) - tests}"

    def test_mutant_loses_points(self, mutant):
        result = run_notebook(nbs.source_notebook(self.assignment), {mutant.cell: mutant.code})
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

    def test_alternative_keeps_full_marks(self, alternative):
        result = run_notebook(nbs.source_notebook(self.assignment), {alternative.cell: alternative.code})
        assert not result.failed(), f"{alternative.name} loses points: {result.failed()}"


for _assignment in nbs.assignments():
    _name = f"TestMutants_{_assignment}"
    globals()[_name] = type(_name, (MutationSuite,), {"assignment": _assignment})
