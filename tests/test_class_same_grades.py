"""The same grades: serial `nbgrader autograde` and the parallel command write exactly the same
per-cell scores and problem reports for one real assignment's class.

A synthetic class of 30 submissions of the cheapest assignment to grade (tools/grading/synthclass.py:
the solution, the blank notebook, mutants and alternatives from its catalogue, broken and hostile
notebooks) is graded four times, each from the same ungraded state in a fresh copy of the course:
once serially with plain `nbgrader autograde` (the baseline), then with
`tools.grading.classgrade` on 2 local processes and SQLite, on 2 local processes and a real
PostgreSQL server, and on a real Dask scheduler with 2 workers and PostgreSQL (the PostgreSQL
gradebooks are the ungraded SQLite one, migrated). This is the expensive test of the class
grading (about 4 x 30 submissions).
"""

import json
import shutil

import pytest

from tests import class_services
from tools import pipeline
from tools.grading import classgrade, gradebook, sandbox, synthclass

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

ASSIGNMENT = "00_pytorch_warmup"  # the cheapest to autograde (quick mode)
N = 30


def _problems(course):
    """The problem report's entries and the integrity guard's verdicts (without run-specific numbers)."""
    folder = course / "reports" / ASSIGNMENT
    problems = sorted((p["student"], p["notebook"], str(p["cell"]), p["what"])
                      for p in json.loads((folder / "problems.json").read_text()))
    integrity = json.loads((folder / "integrity.json").read_text())["students"]
    verdicts = sorted((student, notebook, str(t.get("grade_id")), t["why"])
                      for student, notebooks in integrity.items() for notebook, entry in notebooks.items()
                      for t in entry.get("tamper") or [])
    return problems, verdicts


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("same_grades")
    base = pipeline.course_copy(root / "base", assignments=(ASSIGNMENT,))
    pipeline.generate(base, ASSIGNMENT)
    students = synthclass.hand_in(base, ASSIGNMENT, N)
    results = {}

    serial = shutil.copytree(base, root / "serial")
    pipeline.autograde(serial, ASSIGNMENT)  # plain nbgrader autograde, one process
    results["serial"] = (pipeline.scores(serial, ASSIGNMENT), _problems(serial), None)

    local = shutil.copytree(base, root / "local_sqlite")
    outcomes = classgrade.grade_class(local, ASSIGNMENT, jobs=2, progress=False)
    results["local_sqlite"] = (pipeline.scores(local, ASSIGNMENT), _problems(local), outcomes)

    if class_services.postgres_bin() is None:  # the PostgreSQL modes skip (CI fails) with how to install it
        return students, results
    with class_services.postgres_server() as pg, pytest.MonkeyPatch.context() as mp:
        for name in ("local_postgres", "dask_postgres"):
            course = shutil.copytree(base, root / name)
            url = pg(name)
            gradebook.migrate(f"sqlite:///{course / 'gradebook.db'}", url)
            (course / "gradebook.db").unlink()
            mp.setenv(gradebook.ENV_DB_URL, url)
            if name == "local_postgres":
                outcomes = classgrade.grade_class(course, ASSIGNMENT, jobs=2, progress=False)
            else:
                with class_services.dask_cluster(2, cwd=course) as (address, _, _):
                    outcomes = classgrade.grade_class(course, ASSIGNMENT, scheduler=address, progress=False)
            results[name] = (pipeline.scores(course, ASSIGNMENT, db_url=url), _problems(course), outcomes)
            mp.delenv(gradebook.ENV_DB_URL)
            assert not (course / "gradebook.db").exists()
    return students, results


def test_the_baseline_is_a_real_class(runs):
    students, results = runs
    scores, problems, _ = results["serial"]
    assert len(students) == N and set(scores) == set(students)
    assert sum(scores["solution"].values()) > 0 and sum(scores["blank"].values()) == 0
    full = sum(scores["solution"].values())
    assert any(0 < sum(s.values()) < full for s in scores.values())  # mutants lose some points, not all
    assert problems[1], "the hostile submission should have tamper verdicts"
    assert {what for _, _, _, what in problems[0]} >= {"duplicated grade_id", "wrong notebook name",
                                                    "unreadable notebook", "dead kernel", "output cut"}


@pytest.mark.parametrize("mode", ["local_sqlite", "local_postgres", "dask_postgres"])
def test_parallel_grades_equal_serial_nbgrader(runs, mode):
    _, results = runs
    if mode.endswith("postgres"):
        class_services.require_postgres()
    serial_scores, serial_problems, _ = results["serial"]
    scores, problems, outcomes = results[mode]
    assert all(o.status == "graded" and o.tries == 1 for o in outcomes), [o for o in outcomes if o.status != "graded"]
    diff = {s: (serial_scores.get(s), scores.get(s)) for s in set(serial_scores) | set(scores)
            if serial_scores.get(s) != scores.get(s)}
    assert not diff, diff
    assert problems == serial_problems
