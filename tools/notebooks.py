"""Reading nbgrader notebooks: which cells are solutions, tests, written answers."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = REPO_ROOT / "source"
RELEASE = REPO_ROOT / "release"

#: Cells with this tag (training runs, long experiments) are skipped by the mutation harness;
#: no graded test may depend on them.
EXPERIMENT_TAG = "experiment"


def assignments() -> list[str]:
    """Every assignment: a folder ``source/<name>/`` holding ``<name>.ipynb``."""
    return sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb") if p.stem == p.parent.name)


def source_notebook(assignment: str) -> Path:
    return SOURCE / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    return RELEASE / assignment / f"{assignment}.ipynb"


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source_text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell: dict) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_grade(cell: dict) -> bool:
    return bool(nbgrader_meta(cell).get("grade"))


def is_autograded_test(cell: dict) -> bool:
    return cell["cell_type"] == "code" and is_grade(cell) and not is_solution(cell)


def is_experiment(cell: dict) -> bool:
    return EXPERIMENT_TAG in cell.get("metadata", {}).get("tags", [])


def grade_id(cell: dict) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def with_sources(nb: dict, sources: dict[str, str]) -> dict:
    """A copy of ``nb`` whose cells with these grade_ids hold these sources (a student's hand-in)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if grade_id(cell) in sources:
            cell["source"] = sources[grade_id(cell)]
    return nb


def points(cell: dict) -> float:
    return float(nbgrader_meta(cell).get("points", 0))


def autograded_points(nb: dict) -> dict[str, float]:
    """``grade_id -> points`` for every auto-graded test cell."""
    return {grade_id(c): points(c) for c in nb["cells"] if is_autograded_test(c)}


def snake_case(name: str) -> str:
    """``ConditionalVAE`` -> ``conditional_vae``, ``MoGPrior`` -> ``mog_prior``; snake names stay."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def exercise_tests(nb: dict) -> dict[str, list[str]]:
    """``solution grade_id -> grade_ids of its test cells``: the exercise each test cell grades.

    A test cell belongs to the solution cell whose name its grade_id starts with
    (``test_score_function_gradient_values`` -> ``score_function_gradient``, ``test_conditional_vae_elbo``
    -> ``ConditionalVAE``), else to the nearest solution cell above it.
    """
    solutions = [grade_id(c) for c in nb["cells"] if c["cell_type"] == "code" and is_solution(c)]
    by_prefix = sorted(((f"test_{snake_case(s)}", s) for s in solutions), key=lambda item: -len(item[0]))
    owned: dict[str, list[str]] = {s: [] for s in solutions}
    current = None
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and is_solution(cell):
            current = grade_id(cell)
        elif is_autograded_test(cell):
            gid = grade_id(cell)
            named = next((s for prefix, s in by_prefix if gid == prefix or gid.startswith(prefix + "_")), None)
            owner = named or current
            if owner is not None:
                owned[owner].append(gid)
    return owned


def marked_lines(nb: dict, begin: str, end: str) -> list[str]:
    """The lines strictly between ``begin`` and ``end`` markers, over all cells."""
    lines, inside = [], False
    for cell in nb["cells"]:
        for line in source_text(cell).splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside:
                lines.append(line)
    return lines


def printed(cell: dict) -> str:
    """What an executed code cell printed (its stream outputs)."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def execute_copy(notebook: Path, folder: Path, *, env: dict[str, str | None] | None = None,
                 edit: Callable | None = None, timeout: int | None = None):
    """Execute a copy of ``notebook`` in ``folder`` (its files, e.g. checkpoints, land there).

    The kernel gets this process's environment with ``env`` applied (a ``None`` value removes the
    variable) and without ``MPLBACKEND``, so that figures become outputs through the kernel's own
    inline backend. ``edit(nb)`` may change the copy's cells before it runs. Returns the executed
    notebook (an ``nbformat`` node), with every cell's timing in its metadata.
    """
    import nbformat
    from nbclient import NotebookClient

    folder = Path(folder)
    target = folder / Path(notebook).name
    shutil.copy(notebook, target)
    nb = nbformat.read(target, as_version=4)
    if edit is not None:
        edit(nb)
    kernel_env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    for key, value in (env or {}).items():
        if value is None:
            kernel_env.pop(key, None)
        else:
            kernel_env[key] = value
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute(env=kernel_env)
    return nb
