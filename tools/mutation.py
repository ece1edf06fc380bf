"""The mutation harness: put an implementation in place of a solution, see which tests fail.

A catalogue ``tests/mutants/<assignment>.py`` lists :class:`Mutant` (wrong implementations that
must lose points on named tests) and :class:`Alternative` (other correct implementations that
must keep every point). The harness runs the source notebook's code cells in order in a fresh
namespace, in-process and in quick mode, skipping cells tagged ``experiment`` (training), so a
mutant costs seconds, not a full notebook run. Like nbgrader, it keeps going after a failing
cell; an auto-graded test cell earns its points exactly when it runs without an exception.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks as nbs


@dataclass(frozen=True)
class Mutant:
    """A wrong implementation of the solution cell ``cell`` (its nbgrader grade_id).

    ``fails``: grade_ids of the test cells that must lose their points.
    ``message``: a regular expression the failure message of those cells must match, so the
    student is told what is off (case-insensitive; optional).
    """

    name: str
    cell: str
    code: str
    fails: tuple[str, ...]
    message: str | None = None


@dataclass(frozen=True)
class Alternative:
    """Another correct implementation of the solution cell ``cell``: must keep every point."""

    name: str
    cell: str
    code: str


@dataclass
class CellResult:
    grade_id: str
    points: float
    passed: bool
    error: str = ""


@dataclass
class RunResult:
    tests: dict[str, CellResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # failures of non-test cells

    @property
    def score(self) -> float:
        return sum(r.points for r in self.tests.values() if r.passed)

    @property
    def max_score(self) -> float:
        return sum(r.points for r in self.tests.values())

    def failed(self) -> dict[str, str]:
        return {gid: r.error for gid, r in self.tests.items() if not r.passed}


_MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)


@contextlib.contextmanager
def _notebook_context(folder: Path):
    """cwd = the notebook's folder, quick mode on, a non-interactive matplotlib backend."""
    import matplotlib

    old_cwd, old_env = os.getcwd(), dict(os.environ)
    matplotlib.use("Agg")
    os.environ["VAE_COURSE_QUICK"] = "1"
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the notebook's prints are not test output
            yield
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
        import matplotlib.pyplot as plt

        plt.close("all")


def run_notebook(path: Path, replacements: dict[str, str] | None = None, *,
                 edit: Callable[[dict], None] | None = None, isolated: bool = False) -> RunResult:
    """Execute ``path``'s non-experiment code cells, solution cells replaced by grade_id.

    ``edit(nb)`` may change the loaded notebook (e.g. the order of its cells, as a student may) before
    it runs. ``isolated``: every test cell runs on what the imports, the given code and the solutions
    before it built, and whatever it binds is undone after it (see :func:`run_isolated`).
    """
    replacements = dict(replacements or {})
    nb = nbs.load(path)
    if edit is not None:
        edit(nb)
    known = {nbs.grade_id(c) for c in nb["cells"] if nbs.is_solution(c)}
    unknown = set(replacements) - known
    if unknown:
        raise KeyError(f"{path.name} has no solution cell with grade_id {sorted(unknown)}; it has {sorted(known)}")
    result = RunResult()
    namespace: dict = {"__name__": "__main__"}
    with _notebook_context(path.parent):
        for index, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code" or nbs.is_experiment(cell):
                continue
            gid = nbs.grade_id(cell)
            code = replacements.get(gid, nbs.source_text(cell)) if gid else nbs.source_text(cell)
            code = textwrap.dedent(code)
            if _MAGIC.search(code):
                raise ValueError(f"cell {index} of {path.name} uses an IPython magic or shell escape; "
                                 f"the course's notebooks are plain Python")
            test = nbs.is_autograded_test(cell)
            # Isolated, a test cell runs in the notebook's own namespace (the solutions' functions look
            # their globals up there, e.g. a reference a test substitutes), then every name it bound or
            # rebound is undone: nothing a test cell defines reaches the next one.
            before = dict(namespace) if isolated and test else None
            error = _exec(code, namespace, f"<{path.stem} cell {index}>")
            if before is not None:
                namespace.clear()
                namespace.update(before)
            if test:
                result.tests[gid] = CellResult(gid, nbs.points(cell), error is None, error or "")
            elif error is not None:
                result.errors.append(f"cell {index} ({gid or 'no grade_id'}): {error}")
    return result


def run_isolated(path: Path) -> RunResult:
    """Run every auto-graded test cell of ``path`` on its own: on the namespace that the imports,
    the given code and the solutions before it build, with no other test cell run at all.

    A test cell that fails here uses a name from another test cell, so a student who fails that
    other cell would lose this one's points too: every test cell must pass here with the reference
    solution. Non-test cells that fail (e.g. given code using a name a test cell defines) are
    listed in ``errors``.
    """
    return run_notebook(path, isolated=True)


def _exec(code: str, namespace: dict, filename: str) -> str | None:
    try:
        exec(compile(code, filename, "exec"), namespace)  # noqa: S102 (running course notebooks)
    except Exception as error:  # noqa: BLE001 (a student's cell may raise anything)
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return last
    return None
