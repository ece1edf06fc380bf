"""The nbgrader pipeline as functions: generate, submit, autograde, read the gradebook.

Used by ``make demo`` (``python -m tools.demo``) in the course root and by the tests in a
temporary copy of the course.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import notebooks as nbs


class NbgraderError(RuntimeError):
    pass


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader needs: this Python's bin/ on PATH (it shells out to alembic)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    # The course's code (tools.grading, which nbgrader_config.py loads, and helpers, which the
    # notebooks import) comes from this repository, also for a course in a temporary folder.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(nbs.REPO_ROOT), env.get("PYTHONPATH")) if p)
    env["VAE_COURSE_QUICK"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def nbgrader(*args: str, course_dir: Path) -> str:
    """Run ``nbgrader ARGS`` in ``course_dir``; raise with its output when it fails."""
    command = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(command, cwd=course_dir, env=nbgrader_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise NbgraderError(f"{' '.join(command[2:])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def generate(course_dir: Path, assignment: str) -> Path:
    """``nbgrader generate_assignment``: source/<a> -> release/<a> (the student version)."""
    nbgrader("generate_assignment", assignment, "--force", course_dir=course_dir)
    return course_dir / "release" / assignment


def submit(course_dir: Path, student: str, assignment: str, notebook: Path) -> Path:
    """Place ``notebook`` as ``student``'s submission of ``assignment``."""
    target = course_dir / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    return target


DEMO_STUDENTS = ("reference", "blank")


def demo_submissions(course_dir: Path, assignment: str) -> None:
    """Two demonstration students: ``reference`` hands in the solution notebook, ``blank`` the
    untouched student version."""
    submit(course_dir, "reference", assignment, course_dir / "source" / assignment / f"{assignment}.ipynb")
    submit(course_dir, "blank", assignment, course_dir / "release" / assignment / f"{assignment}.ipynb")


def autograde(course_dir: Path, assignment: str, student: str | None = None) -> str:
    args = ["autograde", assignment, "--force"]
    if student:
        args.append(f"--student={student}")
    return nbgrader(*args, course_dir=course_dir)


def export(course_dir: Path, csv_path: Path) -> Path:
    nbgrader("export", f"--to={csv_path}", course_dir=course_dir)
    return csv_path


@dataclass
class Grade:
    assignment: str
    student: str
    auto_score: float
    auto_max: float
    manual_max: float
    cells: dict[str, tuple[float, float]]  # grade_id -> (score, max) for auto-graded cells


def grades(course_dir: Path, db_url: str | None = None) -> list[Grade]:
    """Every submission's auto-graded score, read from the gradebook (``db_url``, else the
    course's: ``$VAE_COURSE_DB_URL`` or its gradebook.db).

    Auto-graded cells are the test cells of the course's source notebooks; the other graded
    cells (written answers) wait for an instructor and only count in ``manual_max``.
    """
    from nbgrader.api import Gradebook

    from .grading.gradebook import db_url as course_db_url

    rows = []
    with Gradebook(db_url or course_db_url(course_dir)) as gb:
        for assignment in gb.assignments:
            source = course_dir / "source" / assignment.name / f"{assignment.name}.ipynb"
            auto_ids = set(nbs.autograded_points(nbs.load(source)))
            for submission in assignment.submissions:
                cells, manual_max = {}, 0.0
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.name in auto_ids:
                            cells[grade.name] = (float(grade.score), float(grade.max_score))
                        else:
                            manual_max += float(grade.max_score)
                rows.append(Grade(
                    assignment.name, submission.student.id,
                    sum(s for s, _ in cells.values()), sum(m for _, m in cells.values()),
                    manual_max, cells,
                ))
    return sorted(rows, key=lambda g: (g.assignment, g.student))


def course_copy(destination: Path, assignments: tuple[str, ...] | None = None) -> Path:
    """A minimal course directory (the real config and source/) in ``destination``, for the tests:
    every assignment, or only ``assignments``.

    The config imports the course's own code (``tools.grading``): in the course root it finds it
    next to itself; here ``nbgrader_env`` puts the repository on ``PYTHONPATH``.
    """
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(nbs.REPO_ROOT / "nbgrader_config.py", destination / "nbgrader_config.py")
    (destination / "source").mkdir(exist_ok=True)
    for assignment in nbs.assignments() if assignments is None else assignments:
        shutil.copytree(nbs.SOURCE / assignment, destination / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "checkpoints", "*.pt"))
    return destination


def make_course(destination: Path, assignment: str, notebook: dict) -> Path:
    """A course in ``destination`` with the real config and one made-up assignment, released:
    ``notebook`` (a dict or an nbformat node) becomes ``source/<assignment>/<assignment>.ipynb``.
    The tests' toy courses are made this way."""
    course = course_copy(destination, assignments=())
    folder = course / "source" / assignment
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    generate(course, assignment)
    return course


def scores(course_dir: Path, assignment: str, db_url: str | None = None) -> dict[str, dict[str, float]]:
    """student -> grade_id -> auto-graded score of ``assignment``'s test cells."""
    return {g.student: {cell: score for cell, (score, _) in g.cells.items()}
            for g in grades(course_dir, db_url) if g.assignment == assignment}
