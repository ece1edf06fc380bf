"""Reading nbgrader notebooks: which cells are solutions, tests, written answers."""

from __future__ import annotations

import json
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


def points(cell: dict) -> float:
    return float(nbgrader_meta(cell).get("points", 0))


def autograded_points(nb: dict) -> dict[str, float]:
    """``grade_id -> points`` for every auto-graded test cell."""
    return {grade_id(c): points(c) for c in nb["cells"] if is_autograded_test(c)}


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
