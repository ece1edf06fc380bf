"""Cells run in the assignment's order, whatever order a student hands them in
(tools/grading/robust.py, RestoreCellOrder), under the course's real ``nbgrader autograde``.

The toy assignment has the course's pattern for an exercise that calls an earlier one (authoring
guide, rule 9): ``test_total`` grades ``total`` with a reference ``square`` substituted while it
runs. Handed in in its own order, a ``square`` that only forwards to a captured function fails its
test. Handed in with ``test_total`` dragged above ``test_square`` (nbgrader 0.9.6 runs the
submitted order), the student's ``total`` captures the reference ``square`` during ``test_total``
and the forwarding ``square`` then passed ``test_square`` with the reference's answers: points for
code the student never wrote. Restoring the order closes that, and an honest student who moved
cells, or added helper cells, loses nothing.
"""

import copy
import json

import pytest

from tools import notebooks as nbs
from tools import pipeline
from tools.grading import minicourse as mc
from tools.grading import sandbox

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

ASSIGNMENT = "order"
POINTS = {"test_square": 3.0, "test_total": 2.0}

SETUP = "import torch\nfrom helpers.testing import substituted\n"

SQUARE = '''def square(x):
    """x squared, elementwise."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
'''

TEST_SQUARE = '''assert torch.equal(square(torch.tensor([2.0])), torch.tensor([4.0])), "square(2) is not 4"
### BEGIN HIDDEN TESTS
assert torch.equal(square(torch.tensor([3.0, -0.5])), torch.tensor([9.0, 0.25])), "square is off"
### END HIDDEN TESTS
'''

TOTAL = '''def total(x):
    """The sum of the squares of x, through square()."""
    ### BEGIN SOLUTION
    return square(x).sum()
    ### END SOLUTION
'''

# The visible part tests the student's own square; the autograder substitutes its own (rule 9).
TEST_TOTAL = '''_references = {}
### BEGIN HIDDEN TESTS
_references = {"square": lambda x: x * x}
### END HIDDEN TESTS
with substituted(globals(), **_references):
    assert float(total(torch.tensor([1.0, 2.0]))) == 5.0, "total of [1, 2] is not 5"
'''

# A square that forwards to whatever total() captured, and a total that captures the square it sees.
CAPTURING = {
    "square": "def square(x):\n    return _captured(x)\n",
    "total": "def total(x):\n    global _captured\n    _captured = square\n    return square(x).sum()\n",
}
HONEST = {"square": "def square(x):\n    return x ** 2\n", "total": "def total(x):\n    return sum(square(x))\n"}


def _source() -> dict:
    nb = mc.source_notebook()
    cell, solution = mc._cell, mc._solution

    def test(grade_id, source):
        return cell("code", source, {"grade": True, "grade_id": grade_id, "locked": True,
                                     "points": POINTS[grade_id], "solution": False})

    nb["cells"] = [
        cell("markdown", "# Cells in order\nSquare a tensor, then sum its squares."),
        cell("code", SETUP, {"grade": False, "grade_id": "setup", "locked": True, "solution": False}),
        solution("square", SQUARE), test("test_square", TEST_SQUARE),
        solution("total", TOTAL), test("test_total", TEST_TOTAL),
    ]
    return nb


def _moved(nb: dict, moving: list[str], above: str) -> dict:
    """``nb`` with the cells ``moving`` (grade_ids, in that order) just above the cell ``above``."""
    nb = copy.deepcopy(nb)
    cells = [c for c in nb["cells"] if nbs.grade_id(c) in moving]
    cells.sort(key=lambda c: moving.index(nbs.grade_id(c)))
    rest = [c for c in nb["cells"] if nbs.grade_id(c) not in moving]
    at = next(i for i, c in enumerate(rest) if nbs.grade_id(c) == above)
    nb["cells"] = rest[:at] + cells + rest[at:]
    return nb


def _hand_in(course, student: str, nb: dict) -> None:
    target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = pipeline.make_course(tmp_path_factory.mktemp("order") / "course", ASSIGNMENT, _source())
    released = nbs.load(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    capturing = nbs.with_sources(released, CAPTURING)
    honest = nbs.with_sources(released, HONEST)
    helper = copy.deepcopy(honest)  # an added helper cell just above the solution that uses it
    at = next(i for i, c in enumerate(helper["cells"]) if nbs.grade_id(c) == "total")
    helper["cells"].insert(at, mc._cell("code", "def _squares(x):\n    return square(x)\n"))
    helper["cells"][at + 1]["source"] = "def total(x):\n    return _squares(x).sum()\n"
    _hand_in(course, "a_capturing_in_order", capturing)
    _hand_in(course, "b_capturing_moved", _moved(capturing, ["total", "test_total"], above="square"))
    _hand_in(course, "c_honest_moved", _moved(honest, ["total", "test_total"], above="square"))
    _hand_in(course, "d_honest_helper_moved", _moved(helper, ["test_square"], above="setup"))
    pipeline.autograde(course, ASSIGNMENT)
    problems = (course / "reports" / ASSIGNMENT / "problems.md").read_text()
    return pipeline.scores(course, ASSIGNMENT), problems


def test_capturing_a_reference_earns_nothing_in_the_assignments_order(graded):
    scores, _ = graded
    assert scores["a_capturing_in_order"] == {"test_square": 0.0, "test_total": 2.0}


def test_moving_cells_does_not_let_a_test_capture_a_reference(graded):
    scores, problems = graded
    assert scores["b_capturing_moved"] == {"test_square": 0.0, "test_total": 2.0}, (
        "a square() that forwards to the reference captured in a test cell moved above its own test "
        "kept that test's points")
    assert "b_capturing_moved" in problems and "cells moved" in problems


def test_honest_work_keeps_full_marks_when_cells_are_moved(graded):
    scores, problems = graded
    for student in ("c_honest_moved", "d_honest_helper_moved"):
        assert scores[student] == POINTS, (student, scores[student])
