"""Two limits that end a kernel without failing the submission, under the course's real
`nbgrader autograde` (tools/grading/execute.py): a cell that ignores the interrupt sent at the
cell timeout, and code that writes about 1 GB into its working copy.

nbgrader 0.9.6 alone fails the whole submission in the first case (nbclient raises
CellTimeoutError once the interrupted cell stays silent: 0 points, an error), and keeps the
gigabyte in autograded/ in the second. Here both are graded as a kernel that died in that cell:
the cells before keep their points, the rest score 0, the report says why, and the written files
are gone.
"""

import json

import pytest

from tools import pipeline
from tools.grading import minicourse as mc
from tools.grading import sandbox
from tools.grading.execute import usage

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

TIMEOUT = 20  # seconds per cell (importing torch in the guard cell takes seconds on a loaded machine)
CAP_MB = 50
LIMITS = f"""
# tests/test_grading_limits.py: a short cell timeout and a small working-copy cap
c.Execute.timeout = {TIMEOUT}
c.SandboxedExecute.max_working_copy_bytes = {CAP_MB} * 1024 ** 2
c.SandboxedExecute.max_working_copy_files = 2000
"""

IGNORES_INTERRUPT = '''def mean(x):
    return x.mean()

import time
while True:   # an honest retry loop: the bare except swallows the KeyboardInterrupt too
    try:
        time.sleep(1)
    except:
        pass
'''

WRITES_1GB = '''def mean(x):
    return x.mean()

_block = b"\\0" * (64 * 1024 ** 2)
for _i in range(16):   # 1 GB of "checkpoints" in the working copy
    with open(f"checkpoint_{_i}.bin", "wb") as _f:
        _f.write(_block)
'''

MANY_FILES = '''def mean(x):
    return x.mean()

import os
os.makedirs("cache/deep", exist_ok=True)
for _i in range(20000):
    open(f"cache/deep/{_i}.txt", "w").close()
'''

HONEST_SMALL_FILE = '''def mean(x):
    return x.mean()

with open("notes.txt", "w") as _f:   # a small file is fine
    _f.write("kept" * 1000)
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = mc.make_course(tmp_path_factory.mktemp("limits") / "course")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(LIMITS)
    square = "def square(x):\n    return x * x\n"
    mc.hand_in(course, "a_honest", mc.submission({"square": square, "mean": HONEST_SMALL_FILE}))
    mc.hand_in(course, "b_ignores_interrupt", mc.submission({"square": square, "mean": IGNORES_INTERRUPT}))
    mc.hand_in(course, "c_writes_1gb", mc.submission({"square": square, "mean": WRITES_1GB}))
    mc.hand_in(course, "d_many_files", mc.submission({"square": square, "mean": MANY_FILES}))
    mc.hand_in(course, "z_honest", mc.honest())
    log = pipeline.autograde(course, mc.ASSIGNMENT)  # raises unless nbgrader exits 0
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    return course, mc.scores(course), problems, log


def _problems(problems, student):
    return [(p["what"], p["cell"]) for p in problems if p["student"] == student]


BEFORE_MEAN = {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 0.0}


def test_honest_controls_keep_full_marks_and_their_small_files(graded):
    course, scores, problems, _ = graded
    assert sum(scores["a_honest"].values()) == sum(scores["z_honest"].values()) == sum(mc.POINTS.values())
    assert (course / "autograded" / "a_honest" / "toy" / "notes.txt").stat().st_size == 4000
    assert _problems(problems, "a_honest") == [] and _problems(problems, "z_honest") == []


def test_a_cell_that_ignores_the_interrupt_is_graded_as_a_dead_kernel(graded):
    course, scores, problems, _ = graded
    assert scores["b_ignores_interrupt"] == BEFORE_MEAN, scores["b_ignores_interrupt"]
    assert _problems(problems, "b_ignores_interrupt") == [("cell ignored the timeout", "mean")]
    why = next(p["why"] for p in problems if p["student"] == "b_ignores_interrupt")
    assert f"past the {TIMEOUT} s timeout and ignored the interrupt" in why
    notebook = (course / "autograded" / "b_ignores_interrupt" / "toy" / "toy.ipynb").read_text()
    assert "ignored the interrupt, so its kernel was stopped" in notebook


def test_a_gigabyte_in_the_working_copy_is_stopped_removed_and_reported(graded):
    course, scores, problems, _ = graded
    assert scores["c_writes_1gb"] == BEFORE_MEAN, scores["c_writes_1gb"]
    found = _problems(problems, "c_writes_1gb")
    assert found == [("working copy over its cap", "mean"), ("working copy over its cap", None)], found
    folder = course / "autograded" / "c_writes_1gb" / "toy"
    assert usage(folder)[0] < CAP_MB * 1024 ** 2, sorted(p.name for p in folder.iterdir())
    # stopped after a few of the 16 blocks; the largest files went first, what is left is under the cap
    assert len(list(folder.glob("checkpoint_*.bin"))) <= 1


def test_twenty_thousand_files_are_stopped_and_removed(graded):
    course, scores, problems, _ = graded
    assert scores["d_many_files"] == BEFORE_MEAN, scores["d_many_files"]
    assert [w for w, _ in _problems(problems, "d_many_files")] == ["working copy over its cap"] * 2
    assert not (course / "autograded" / "d_many_files" / "toy" / "cache").exists()
