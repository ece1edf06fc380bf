"""Grading a class on a Dask cluster into a PostgreSQL gradebook (tools/grading/classgrade.py):
a real `dask scheduler` and two `dask worker` processes on localhost, a real PostgreSQL server,
the toy course. A worker SIGKILLed in the middle of a student loses nothing: the student is graded
again on the other worker, and no nbgrader of the dead worker goes on writing."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests import class_services
from tools.grading import classgrade, gradebook, sandbox
from tools.grading import minicourse as mc

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

FULL = {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 1.0}
SLOW = '''def mean(x):
    return x.mean()

import os, pathlib, time
pathlib.Path("seen_env.txt").write_text(repr(sorted(k for k in os.environ if "DB_URL" in k or "GRADEBOOK" in k)))
pathlib.Path("started.txt").write_text("running")
time.sleep(8)
'''


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    with class_services.postgres_server() as pg:
        url = pg("dask_toy")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(gradebook.ENV_DB_URL, url)
            course = mc.make_course(tmp_path_factory.mktemp("dask") / "course")  # generate_assignment into PostgreSQL
            mc.hand_in(course, "a_honest", mc.honest())
            mc.hand_in(course, "g_blank", mc.released_notebook())
            mc.hand_in(course, "h_wrong", mc.honest(square="return x + x"))
            mc.hand_in(course, "k_killed", mc.submission({"square": "def square(x):\n    return x * x\n",
                                                          "mean": SLOW}))
            mc.hand_in(course, "z_honest", mc.honest())
            with class_services.dask_cluster(2, cwd=course) as (address, pids, _):
                marker = course / "autograded" / "k_killed" / "toy" / "started.txt"
                killed, finished = {}, threading.Event()

                def kill_worker_of_k():
                    while not finished.is_set() and not marker.exists():
                        time.sleep(0.1)
                    for pid in class_services.nbgrader_pids(course, "k_killed"):
                        worker = _parent(pid)
                        if worker in pids.values():
                            os.kill(worker, signal.SIGKILL)
                            killed.update(pid=worker, nbgrader=pid,
                                          address=next(a for a, p in pids.items() if p == worker))

                killer = threading.Thread(target=kill_worker_of_k)
                killer.start()
                try:
                    outcomes = classgrade.grade_class(course, "toy", scheduler=address, progress=False)
                finally:
                    finished.set()
                    killer.join()
                leftover = class_services.nbgrader_pids(course, "k_killed")
            yield course, {o.student: o for o in outcomes}, mc.scores(course), killed, pids, leftover, url


def test_the_cluster_grades_the_class_into_postgres(graded):
    course, outcomes, scores, *_ = graded
    assert all(o.status == "graded" for o in outcomes.values()), outcomes
    assert scores == {"a_honest": FULL, "g_blank": dict.fromkeys(FULL, 0.0), "k_killed": FULL,
                      "h_wrong": {"test_square_values": 0.0, "test_square_shape": 1.0, "test_mean": 1.0},
                      "z_honest": FULL}
    assert not (course / "gradebook.db").exists()  # nothing went to a SQLite file
    workers = {w for o in outcomes.values() for w in o.workers}
    assert len(workers) == 2, workers  # both workers took students


def test_a_killed_worker_loses_no_student(graded):
    _, outcomes, _, killed, pids, leftover, _ = graded
    assert killed, "the test never saw k_killed's kernel start on a worker"
    k = outcomes["k_killed"]
    assert k.tries == 2 and k.status == "graded", k
    (survivor,) = set(pids) - {killed["address"]}
    assert k.workers == [survivor], (k.workers, killed)  # retried elsewhere
    with pytest.raises(ProcessLookupError):
        os.kill(killed["nbgrader"], 0)  # the dead worker's nbgrader died with it
    assert leftover == []


def test_the_gradebook_url_never_reaches_student_code(graded):
    course, *_ = graded
    assert (course / "autograded" / "k_killed" / "toy" / "seen_env.txt").read_text() == "[]"


def test_a_cluster_needs_postgres(tmp_path, monkeypatch):
    monkeypatch.delenv(gradebook.ENV_DB_URL, raising=False)
    with pytest.raises(SystemExit, match="PostgreSQL"):
        classgrade.grade_class(tmp_path, "toy", scheduler="tcp://127.0.0.1:1", progress=False)
