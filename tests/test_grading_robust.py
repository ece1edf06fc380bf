"""No batch abort and no silent zero, and capped outputs, under the course's real
`nbgrader autograde` (tools/grading/robust.py, execute.py, outputs.py).

One toy course, one batch: an honest control first and last, then one submission per failure
kind. nbgrader 0.9.6 alone stops the whole batch at the duplicated grade_id (SchemaTooOldError),
gives the misnamed and the unreadable notebook nothing in the gradebook, scores the UserWarning
cell 0 and loses every point of the notebook whose last cell calls os._exit.
"""

import copy
import hashlib
import json

import pytest

from tools import notebooks as nbs
from tools import pipeline
from tools.grading import minicourse as mc
from tools.grading import sandbox

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

FULL = sum(mc.POINTS.values())
BIG = 10_000_000  # one 10 MB line per call: 100x the per-cell cap, 2x the per-notebook one. (100 MB took 30 s
# to grade idle, and ran past the 300 s cell timeout in one CI run with the other test worker busy.)


def _copy_of_test_cell(nb: dict, grade_id: str) -> dict:
    return copy.deepcopy(next(c for c in nb["cells"] if nbs.grade_id(c) == grade_id))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = mc.make_course(tmp_path_factory.mktemp("robust") / "course")
    mc.hand_in(course, "a_honest", mc.honest())
    duplicated = mc.honest()
    duplicated["cells"].insert(2, _copy_of_test_cell(duplicated, "test_mean"))  # pasted above its solution
    mc.hand_in(course, "b_duplicate_id", duplicated)
    mc.hand_in(course, "c_wrong_name", mc.honest(), name="toy_final_v2")
    mc.hand_in(course, "d_unreadable", '{"cells": [{"cell_type": "code", "source": "def square(x')
    mc.hand_in(course, "e_warning", mc.honest(
        square="import warnings; warnings.warn('a correct function may warn', UserWarning); return x * x"))
    mc.hand_in(course, "f_exit_at_end", mc.submission({"square": "def square(x):\n    return x * x\n",
                                                        "mean": "def mean(x):\n    return x.mean()\n"},
                                                       append=["import os\nos._exit(0)"]))
    mc.hand_in(course, "g_exit_midway", mc.submission({"square": "def square(x):\n    return x * x\n",
                                                        "mean": "import os\nos._exit(3)"}))
    mc.hand_in(course, "h_wrong_and_warns", mc.honest(square="import sys; print('hm', file=sys.stderr); return x + x"))
    mc.hand_in(course, "i_huge_output", mc.honest(square=f"print('x' * {BIG}); return x * x"))
    mc.hand_in(course, "z_honest", mc.honest())
    protected = [course / "source", course / "release", course / "nbgrader_config.py"]
    digest = lambda: {str(f): hashlib.sha256(f.read_bytes()).hexdigest()  # noqa: E731
                      for p in protected for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()}
    before = digest()
    log = pipeline.autograde(course, mc.ASSIGNMENT)  # raises unless nbgrader exits 0
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    return course, mc.scores(course), problems, log, before == digest()


def _problems(problems, student):
    return [p["what"] for p in problems if p["student"] == student]


def test_batch_completes_and_honest_controls_keep_full_marks(graded):
    course, scores, problems, log, unchanged = graded
    assert len(scores) == 10, sorted(scores)
    assert sum(scores["a_honest"].values()) == sum(scores["z_honest"].values()) == FULL
    assert unchanged, "the course's files changed during autograding"
    assert (course / "reports" / "toy" / "problems.md").read_text().count("|") > 10


def test_duplicated_grade_id_is_graded_and_reported(graded):
    _, scores, problems, log, _ = graded
    assert sum(scores["b_duplicate_id"].values()) == FULL
    assert _problems(problems, "b_duplicate_id") == ["duplicated grade_id"]
    assert "duplicated grade_id" in log


def test_wrong_file_name_is_graded_and_reported(graded):
    _, scores, problems, _, _ = graded
    assert sum(scores["c_wrong_name"].values()) == FULL
    assert _problems(problems, "c_wrong_name") == ["wrong notebook name"]
    assert any("toy_final_v2.ipynb" in p["why"] for p in problems)


def test_unreadable_notebook_scores_zero_in_the_gradebook_and_is_reported(graded):
    _, scores, problems, _, _ = graded
    assert scores["d_unreadable"] == {cell: 0.0 for cell in mc.POINTS}
    assert _problems(problems, "d_unreadable") == ["unreadable notebook"]


def test_warnings_on_stderr_do_not_fail_a_cell(graded):
    course, scores, problems, _, _ = graded
    assert sum(scores["e_warning"].values()) == FULL
    notebook = nbs.load(course / "autograded" / "e_warning" / "toy" / "toy.ipynb")
    shown = json.dumps(notebook)
    assert "a correct function may warn" in shown  # still visible to the reader
    # ... but a wrong function still fails, whatever it prints
    wrong = scores["h_wrong_and_warns"]
    assert wrong["test_square_values"] == 0 and wrong["test_mean"] == mc.POINTS["test_mean"], wrong


def test_dead_kernel_keeps_the_points_earned_before(graded):
    _, scores, problems, _, _ = graded
    assert sum(scores["f_exit_at_end"].values()) == FULL
    midway = scores["g_exit_midway"]
    assert midway == {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 0.0}, midway
    assert _problems(problems, "g_exit_midway") == ["dead kernel"]
    assert _problems(problems, "f_exit_at_end") == ["dead kernel"]


def test_outputs_are_capped_with_a_note(graded):
    course, scores, problems, _, _ = graded
    assert sum(scores["i_huge_output"].values()) == FULL
    path = course / "autograded" / "i_huge_output" / "toy" / "toy.ipynb"
    assert path.stat().st_size < 1_000_000, path.stat().st_size
    assert "characters of output cut here" in path.read_text()
    assert _problems(problems, "i_huge_output") == ["output cut"] * len(_problems(problems, "i_huge_output")) != []


def test_a_second_run_reports_afresh(graded):
    course, *_ = graded
    pipeline.autograde(course, mc.ASSIGNMENT, student="b_duplicate_id")
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    assert _problems(problems, "b_duplicate_id") == ["duplicated grade_id"]  # not twice
    assert _problems(problems, "c_wrong_name") == ["wrong notebook name"]  # others kept
