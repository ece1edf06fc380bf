"""The gradebook under many writers (tools/grading/gradebook.py): SQLite with the course's
turn-taking, a real PostgreSQL server, and the migration of a SQLite gradebook into it.

The stress test runs what every parallel nbgrader process does to the gradebook (student,
submission, one grade per test cell, commit), from 8 processes at once on one SQLite file, with
transactions held open a little (as nbgrader's slower steps do): no process may fail ("database is
locked"), and every grade must be there with its value.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from tests import class_services
from tools.grading import gradebook

PROCESSES, STUDENTS, CELLS = 8, 6, 3

SETUP = '''
from nbgrader.api import Gradebook
with Gradebook(URL, course_id="vae-course") as gb:
    gb.update_or_create_assignment("toy")
    gb.add_notebook("toy", "toy")
    for c in range(CELLS):
        gb.add_grade_cell(f"test_{c}", "toy", "toy", max_score=2.0, cell_type="code")
'''

WRITER = '''
import sys, time
from nbgrader.api import Gradebook
from tools.grading import gradebook
gradebook.install()
worker = int(sys.argv[1])
for i in range(STUDENTS):
    student = f"w{worker}_s{i}"
    with Gradebook(URL, course_id="vae-course") as gb:
        gb.update_or_create_student(student, first_name=f"W{worker}")
    with Gradebook(URL, course_id="vae-course") as gb:
        submission = gb.update_or_create_submission("toy", student)
        notebook = submission.notebooks[0]
        for grade in notebook.grades:
            grade.auto_score = (worker + i + int(grade.name[-1])) % 3
            time.sleep(0.01)   # a transaction that stays open a while, as in a slow preprocessor
        gb.db.commit()
print("ok", worker)
'''


def _script(body: str, url: str) -> str:
    return f"URL = {url!r}\nSTUDENTS = {STUDENTS}\nCELLS = {CELLS}\n" + textwrap.dedent(body)


def _expected() -> dict[str, dict[str, float]]:
    return {f"w{w}_s{i}": {f"test_{c}": float((w + i + c) % 3) for c in range(CELLS)}
            for w in range(PROCESSES) for i in range(STUDENTS)}


def _stored(url: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook
    with Gradebook(url, course_id="vae-course") as gb:
        return {s.student.id: {g.name: float(g.auto_score) for g in s.notebooks[0].grades}
                for s in gb.find_assignment("toy").submissions}


def _run_writers(url: str, env: dict) -> list[tuple[subprocess.Popen, str]]:
    procs = [subprocess.Popen([sys.executable, "-c", _script(WRITER, url), str(w)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for w in range(PROCESSES)]
    return [(p, p.communicate(timeout=300)[0]) for p in procs]


def _env(**extra) -> dict:
    from tools import pipeline
    env = pipeline.nbgrader_env()
    env.pop(gradebook.ENV_LOCK, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def stressed_sqlite(tmp_path_factory):
    db = tmp_path_factory.mktemp("sqlite") / "gradebook.db"
    url = f"sqlite:///{db}"
    subprocess.run([sys.executable, "-c", _script(SETUP, url)], check=True, env=_env())
    results = _run_writers(url, _env(**{gradebook.ENV_LOCK: str(gradebook.lock_path(url))}))
    return url, results


def test_sqlite_many_writers_lose_nothing(stressed_sqlite):
    url, results = stressed_sqlite
    for proc, output in results:
        assert proc.returncode == 0 and "database is locked" not in output, output[-2000:]
    assert _stored(url) == _expected()


def test_the_lock_is_only_taken_where_classgrade_asks(tmp_path):
    # The formgrader keeps a gradebook open for its whole life: it must not hold the lock.
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    subprocess.run([sys.executable, "-c", _script(SETUP, url)], check=True, env=_env())
    probe = textwrap.dedent('''
        import os, sys
        from nbgrader.api import Gradebook
        from tools.grading import gradebook
        gradebook.install()
        with Gradebook(sys.argv[1], course_id="vae-course") as gb:
            gb.update_or_create_student("s")
            print(os.path.exists(sys.argv[1].split(":///")[1] + ".lock"))
    ''')
    plain = subprocess.run([sys.executable, "-c", probe, url], env=_env(), capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "False"
    locked = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, check=True,
                            env=_env(**{gradebook.ENV_LOCK: str(gradebook.lock_path(url))}))
    assert locked.stdout.strip() == "True"


@pytest.fixture(scope="module")
def postgres():
    with class_services.postgres_server() as url:
        yield url


def test_postgres_many_writers_lose_nothing(postgres):
    url = postgres("stress")
    subprocess.run([sys.executable, "-c", _script(SETUP, url)], check=True, env=_env())
    for proc, output in _run_writers(url, _env()):
        assert proc.returncode == 0, output[-2000:]
    assert _stored(url) == _expected()


def test_migrate_sqlite_into_postgres(stressed_sqlite, postgres, tmp_path):
    from tools.grading import classgrade
    source, _ = stressed_sqlite
    target = postgres("migrated")
    (tmp_path / "nbgrader_config.py").write_text("")  # a course root, for the command line
    assert classgrade.main(["migrate", "--from", source, "--to", target, "--course", str(tmp_path)]) == 0
    assert _stored(target) == _stored(source) == _expected()
    with pytest.raises(ValueError, match="already holds a gradebook"):
        gradebook.migrate(source, target)
    counts = gradebook.migrate(source, target, replace=True)
    assert counts["grade"] == PROCESSES * STUDENTS * CELLS
    # nbgrader itself accepts the copy: its version check and its queries
    from nbgrader.api import Gradebook
    with Gradebook(target, course_id="vae-course") as gb:
        assert len(gb.students) == PROCESSES * STUDENTS
        assert json.dumps(gb.find_assignment("toy").to_dict(), default=str)
