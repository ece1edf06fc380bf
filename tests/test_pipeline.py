"""The nbgrader pipeline end to end, per assignment, in a temporary copy of the course:
generate the student version (it must equal the committed release/), autograde the solution
(every auto-graded point) and the blank student version (no point), validate both.

One test class per assignment, so that ``pytest -n 2 --dist loadscope`` spreads them over workers.
"""

import subprocess
import sys

import pytest

from tools import notebooks as nbs
from tools import pipeline


@pytest.fixture(scope="class")
def course(request, tmp_path_factory):
    assignment = request.cls.assignment
    course_dir = pipeline.course_copy(tmp_path_factory.mktemp(f"course_{assignment}"))
    pipeline.generate(course_dir, assignment)
    return course_dir, assignment


def _validate(course_dir, notebook):
    # `nbgrader validate` exits 0 whether or not the notebook passes: read what it says.
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)], cwd=course_dir,
                          env=pipeline.nbgrader_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout


class PipelineSuite:
    assignment: str

    def test_release_is_in_sync_with_source(self, course):
        course_dir, assignment = course
        fresh = course_dir / "release" / assignment / f"{assignment}.ipynb"
        committed = nbs.release_notebook(assignment)
        assert committed.exists(), f"release/{assignment} is missing: run `make release`"
        assert nbs.load(fresh) == nbs.load(committed), (
            f"release/{assignment} is out of date with source/: run `make release` and commit it")
        extra = {p.name for p in committed.parent.iterdir()} - {p.name for p in fresh.parent.iterdir()}
        assert not extra, f"release/{assignment} holds files that generate_assignment does not make: {extra}"

    def test_autograde_reference_full_marks_blank_zero(self, course):
        course_dir, assignment = course
        pipeline.demo_submissions(course_dir, assignment)
        pipeline.autograde(course_dir, assignment)
        grades = {g.student: g for g in pipeline.grades(course_dir)}
        expected = nbs.autograded_points(nbs.load(nbs.source_notebook(assignment)))
        reference, blank = grades["reference"], grades["blank"]
        assert set(reference.cells) == set(expected), "the gradebook's test cells differ from the source's"
        lost = {cell: score for cell, score in reference.cells.items() if score[0] != score[1]}
        assert not lost, f"the solution loses points under nbgrader autograde: {lost}"
        assert reference.auto_score == sum(expected.values()) > 0
        earned = {cell: score for cell, score in blank.cells.items() if score[0] != 0}
        assert not earned, f"the blank student version earns points: {earned}"
        assert blank.auto_max == reference.auto_max

    def test_validate_passes_solution_and_fails_blank(self, course):
        course_dir, assignment = course
        solution = _validate(course_dir, course_dir / "source" / assignment / f"{assignment}.ipynb")
        assert "Success! Your notebook passes all the tests." in solution, solution[-3000:]
        blank = _validate(course_dir, course_dir / "release" / assignment / f"{assignment}.ipynb")
        assert "VALIDATION FAILED" in blank and "NotImplementedError" in blank, blank[-3000:]


for _assignment in nbs.assignments():
    _name = f"TestPipeline_{_assignment}"
    globals()[_name] = type(_name, (PipelineSuite,), {"assignment": _assignment})
