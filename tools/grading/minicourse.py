"""A tiny made-up course for the autograding-safety tests and benchmark: one assignment ``toy``
with two solution cells and three test cells (visible and hidden tests), and a way to hand in
variants of it as students.

The course uses the real ``nbgrader_config.py`` (copied by ``tools.pipeline.course_copy``), so
everything it shows holds for the course's own autograde chain.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from .. import notebooks as nbs
from .. import pipeline

ASSIGNMENT = "toy"

#: A line of the hidden tests and a reference value they hold: neither may reach a student.
HIDDEN_MARK = "HIDDEN_REFERENCE_7f3a"

SETUP = "import torch\n"

SQUARE = '''def square(x):
    """x squared, elementwise."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
'''

TEST_SQUARE_VALUES = f'''# visible: square(2) is 4
assert square(torch.tensor(2.0)).item() == 4.0
### BEGIN HIDDEN TESTS
{HIDDEN_MARK} = torch.tensor([9.0, 0.25])
got = square(torch.tensor([3.0, -0.5]))
assert torch.equal(got, {HIDDEN_MARK}), f"square is off: got {{got}}"
### END HIDDEN TESTS
'''

TEST_SQUARE_SHAPE = '''# visible: the shape is kept
assert square(torch.zeros(2, 3)).shape == (2, 3)
'''

MEAN = '''def mean(x):
    """The mean of a 1-d tensor."""
    ### BEGIN SOLUTION
    return x.sum() / len(x)
    ### END SOLUTION
'''

TEST_MEAN = f'''assert float(mean(torch.tensor([1.0, 2.0, 3.0]))) == 2.0
### BEGIN HIDDEN TESTS
assert float(mean(torch.tensor([4.0, 0.0]))) == 2.0, "mean of [4, 0] is not 2"  # {HIDDEN_MARK}
### END HIDDEN TESTS
'''

#: grade_id -> points of the test cells.
POINTS = {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 1.0}


def _cell(cell_type: str, source: str, nbgrader: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "metadata": {}, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return cell


def _solution(grade_id: str, source: str) -> dict:
    return _cell("code", source, {"grade": False, "grade_id": grade_id, "locked": False, "solution": True})


def _test(grade_id: str, source: str) -> dict:
    return _cell("code", source, {"grade": True, "grade_id": grade_id, "locked": True,
                                  "points": POINTS[grade_id], "solution": False})


def source_notebook() -> dict:
    cells = [
        _cell("markdown", "# A toy assignment\nSquare a tensor, then average one."),
        _cell("code", SETUP, {"grade": False, "grade_id": "setup", "locked": True, "solution": False}),
        _solution("square", SQUARE),
        _test("test_square_values", TEST_SQUARE_VALUES),
        _test("test_square_shape", TEST_SQUARE_SHAPE),
        _solution("mean", MEAN),
        _test("test_mean", TEST_MEAN),
    ]
    return {"cells": cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def make_course(destination: Path) -> Path:
    """A course in ``destination`` with the real config and only the toy assignment, released."""
    course = pipeline.make_course(destination, ASSIGNMENT, source_notebook())
    global _RELEASED
    _RELEASED = nbs.load(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return course


def honest(square: str = "return x * x", mean: str = "return x.mean()") -> dict:
    """A correct submission (written differently from the reference), with extra code in the
    solution cells when asked."""
    return submission({"square": f"def square(x):\n    {square}\n", "mean": f"def mean(x):\n    {mean}\n"})


def submission(solutions: dict[str, str], append: list[str] = (), released: Path | None = None) -> dict:
    """The student version with ``solutions`` (grade_id -> source) in its solution cells and
    ``append`` as extra code cells at the end."""
    nb = nbs.with_sources(released_notebook() if released is None else nbs.load(released), solutions)
    nb["cells"] += [_cell("code", code) for code in append]
    return nb


_RELEASED: dict | None = None


def released_notebook() -> dict:
    """What ``generate_assignment`` makes of the toy source (the last course made, else a new one)."""
    global _RELEASED
    if _RELEASED is None:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            course = make_course(Path(tmp) / "course")
            _RELEASED = nbs.load(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return copy.deepcopy(_RELEASED)


def hand_in(course: Path, student: str, notebook: dict | str, name: str = ASSIGNMENT) -> Path:
    """Place ``notebook`` (a dict, or raw text for broken files) as ``student``'s submission."""
    target = course / "submitted" / student / ASSIGNMENT / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = notebook if isinstance(notebook, str) else json.dumps(notebook, indent=1)
    target.write_text(text, encoding="utf-8")
    return target


def scores(course: Path) -> dict[str, dict[str, float]]:
    """student -> grade_id -> auto score of the toy assignment's test cells."""
    return pipeline.scores(course, ASSIGNMENT)


def total(course: Path) -> dict[str, float]:
    return {student: sum(cells.values()) for student, cells in scores(course).items()}


def clean(course: Path) -> None:
    """Forget every submission and grade (the course and its release stay)."""
    for folder in ("submitted", "autograded", "feedback", "reports"):
        shutil.rmtree(course / folder, ignore_errors=True)
