"""Grading a class in parallel on one machine, SQLite gradebook (tools/grading/classgrade.py), on
the toy course (tools.grading.minicourse, the real nbgrader_config.py).

One class graded with 2 local processes: the broken and hostile submissions of
tests/test_grading_robust.py get the grades and report entries a serial `nbgrader autograde` gives
them, all written at once into one gradebook and one report; a student whose nbgrader fails is
tried twice and reported; a SIGKILLed nbgrader is retried; a second run skips what is done and
redoes only a changed submission (or everything with --force); feedback in parallel; the LMS export.
"""

import csv
import json
import os
import signal
import threading
import time

import pytest

from tools.grading import classgrade, sandbox
from tools.grading import minicourse as mc

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

FULL = {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 1.0}
ZERO = {cell: 0.0 for cell in FULL}
SQUARE = "def square(x):\n    return x * x\n"
SLOW = '''def mean(x):
    return x.mean()

import pathlib, time
pathlib.Path("started.txt").write_text("running")
time.sleep(8)
'''


def _duplicated_id() -> dict:
    nb = mc.honest()
    copy = json.loads(json.dumps(next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")
                                      == "test_mean")))
    nb["cells"].insert(2, copy)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = mc.make_course(tmp_path_factory.mktemp("classgrade") / "course")
    mc.hand_in(course, "a_honest", mc.honest())
    mc.hand_in(course, "b_duplicate_id", _duplicated_id())
    mc.hand_in(course, "c_wrong_name", mc.honest(), name="toy_final_v2")
    mc.hand_in(course, "d_unreadable", '{"cells": [{"cell_type": "code", "source": "def square(x')
    mc.hand_in(course, "f_exit_midway", mc.submission({"square": SQUARE, "mean": "import os\nos._exit(3)"}))
    mc.hand_in(course, "g_blank", mc.released_notebook())
    mc.hand_in(course, "h_wrong", mc.honest(square="return x + x"))
    (course / "submitted" / "x_no_notebook" / "toy").mkdir(parents=True)
    (course / "submitted" / "x_no_notebook" / "toy" / "notes.txt").write_text("I forgot the notebook")
    mc.hand_in(course, "z_honest", mc.honest())
    return course


@pytest.fixture(scope="module")
def first_run(course):
    start = time.time()
    outcomes = classgrade.grade_class(course, mc.ASSIGNMENT, jobs=2, progress=False)
    return {o.student: o for o in outcomes}, time.time() - start


EXPECTED = {
    "a_honest": FULL, "b_duplicate_id": FULL, "c_wrong_name": FULL, "d_unreadable": ZERO,
    "f_exit_midway": {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 0.0},
    "g_blank": ZERO, "h_wrong": {"test_square_values": 0.0, "test_square_shape": 1.0, "test_mean": 1.0},
    "z_honest": FULL,
}


def test_parallel_class_gets_the_serial_grades_and_every_report_entry(course, first_run):
    outcomes, _ = first_run
    assert mc.scores(course) == EXPECTED
    assert {s: o.status for s, o in outcomes.items()} == {**{s: "graded" for s in EXPECTED}, "x_no_notebook": "failed"}
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    kinds = sorted((p["student"], p["what"]) for p in problems)
    assert kinds == [("b_duplicate_id", "duplicated grade_id"), ("c_wrong_name", "wrong notebook name"),
                     ("d_unreadable", "unreadable notebook"), ("f_exit_midway", "dead kernel"),
                     ("x_no_notebook", "not graded")], kinds
    integrity = json.loads((course / "reports" / "toy" / "integrity.json").read_text())
    assert set(integrity["students"]) == set(EXPECTED)  # every student's entry, none lost
    assert (course / "reports" / "toy" / "classgrade-autograde.md").read_text().count("graded") >= 8


def test_a_student_failing_twice_is_reported_not_skipped(course, first_run):
    outcomes, _ = first_run
    failed = outcomes["x_no_notebook"]
    assert failed.tries == 2 and "nbgrader exited with 1" in failed.error, failed
    entry = next(p for p in json.loads((course / "reports" / "toy" / "problems.json").read_text())
                 if p["student"] == "x_no_notebook")
    assert "2 tries failed" in entry["why"] and "reports/toy/logs/x_no_notebook.autograde.log" in entry["why"]
    log = (course / "reports" / "toy" / "logs" / "x_no_notebook.autograde.log").read_text()
    assert "No notebooks were matched" in log
    assert classgrade.main(["autograde", "toy", "--student", "x_no_notebook", "--course", str(course),
                            "--no-progress"]) == 1  # the exit status says so too


def test_a_killed_nbgrader_is_retried(course, first_run):
    mc.hand_in(course, "k_killed", mc.submission({"square": SQUARE, "mean": SLOW}))
    marker = course / "autograded" / "k_killed" / "toy" / "started.txt"
    pid_file = course / "reports" / "toy" / "logs" / "k_killed.autograde.pid"  # while its nbgrader runs
    killed, finished = [], threading.Event()

    def kill_once():
        while not finished.is_set() and not marker.exists():
            time.sleep(0.1)
        if pid_file.exists():
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_once)
    killer.start()
    try:
        (outcome,) = classgrade.grade_class(course, "toy", students=["k_killed"], jobs=2, progress=False)
    finally:
        finished.set()
        killer.join()
    assert killed, "the test never saw k_killed's kernel start"
    assert outcome.status == "graded" and outcome.tries == 2, outcome
    assert mc.scores(course)["k_killed"] == FULL
    assert not pid_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)


def test_a_second_run_skips_what_is_done_and_redoes_a_changed_submission(course, first_run):
    before = mc.scores(course)
    mc.hand_in(course, "h_wrong", mc.honest())  # handed in again, fixed
    outcomes = {o.student: o for o in classgrade.grade_class(course, "toy", jobs=2, progress=False)}
    redone = {s for s, o in outcomes.items() if o.tries}
    assert redone == {"h_wrong", "x_no_notebook"}, redone  # a failed student is tried again, never skipped
    assert all(o.status == "skipped" for s, o in outcomes.items() if s not in redone)
    after = mc.scores(course)
    assert after["h_wrong"] == FULL
    assert {s: v for s, v in after.items() if s != "h_wrong"} == {s: v for s, v in before.items() if s != "h_wrong"}
    forced = classgrade.grade_class(course, "toy", students=["a_honest"], force=True, jobs=2, progress=False)
    assert forced[0].status == "graded" and forced[0].tries == 1


def test_feedback_in_parallel(course, first_run):
    outcomes = classgrade.grade_class(course, "toy", kind="feedback", jobs=2, progress=False)
    assert {o.student for o in outcomes if o.status == "graded"} >= set(EXPECTED)
    for student in EXPECTED:
        page = (course / "feedback" / student / "toy" / "toy.html").read_text()
        assert mc.HIDDEN_MARK not in page and "hidden tests ran here" in page, student
    again = classgrade.grade_class(course, "toy", kind="feedback", jobs=2, progress=False)
    assert all(o.status == "skipped" for o in again if o.student in EXPECTED)


def test_export_for_canvas_and_moodle(course, first_run):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="vae-course") as gb:
        gb.add_student("y_enrolled", first_name="Ada", last_name="Lovelace", email="ada@example.org")
    written = classgrade.export(course, course / "grades.csv", ["canvas", "moodle"])
    assert [p.name for p in written] == ["grades.csv", "grades_canvas.csv", "grades_moodle.csv"]
    nbgrader_rows = list(csv.DictReader(open(written[0])))
    canvas = list(csv.reader(open(written[1])))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"]
    by_login = {row[3]: row[5] for row in canvas[1:]}
    moodle = {row["Username"]: row["toy"] for row in csv.DictReader(open(written[2]))}
    scores = mc.scores(course)
    for student, cells in scores.items():
        assert float(by_login[student]) == float(moodle[student]) == sum(cells.values()), student
    assert by_login["y_enrolled"] == moodle["y_enrolled"] == ""  # enrolled, nothing handed in: left empty
    assert ["Lovelace, Ada", "", "", "y_enrolled", "", ""] in canvas
    assert "x_no_notebook" not in by_login  # never graded, so not in the gradebook
    assert {r["student_id"] for r in nbgrader_rows} >= set(scores)
    for row in nbgrader_rows:  # the LMS column is nbgrader export's own "score"
        if row["student_id"] in scores:
            assert float(row["score"]) == float(by_login[row["student_id"]]), row


def test_each_kernel_gets_its_share_of_the_cores(course, first_run, monkeypatch):
    """J kernels whose torch each starts one thread per core oversubscribe the machine (2 jobs on
    2 cores ran 1.50x serial nbgrader instead of 1.86x): each job's kernel gets cores // J threads, unless the
    instructor set OMP_NUM_THREADS."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(classgrade, "default_jobs", lambda: 8)
    assert classgrade.thread_overrides(1) == {"OMP_NUM_THREADS": "8"}
    assert classgrade.thread_overrides(3) == {"OMP_NUM_THREADS": "2"}
    assert classgrade.thread_overrides(16) == {"OMP_NUM_THREADS": "1"}
    notebook = mc.submission({"square": SQUARE, "mean": 'def mean(x):\n    return x.mean()\n\nimport os, pathlib\n'
                             'pathlib.Path("threads.txt").write_text(os.environ.get("OMP_NUM_THREADS", "unset"))\n'})
    mc.hand_in(course, "t_threads", notebook)
    seen = course / "autograded" / "t_threads" / "toy" / "threads.txt"
    classgrade.grade_class(course, "toy", students=["t_threads"], jobs=4, progress=False)
    assert seen.read_text() == "2"  # inside the sandboxed kernel
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert classgrade.thread_overrides(4) == {}
    classgrade.grade_class(course, "toy", students=["t_threads"], jobs=4, force=True, progress=False)
    assert seen.read_text() == "3"
