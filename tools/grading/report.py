"""The instructor's report of grading problems: ``reports/<assignment>/problems.md`` and ``.json``.

Written by the nbgrader process (never by a student's kernel, which cannot reach ``reports/``):
duplicated grade_ids, wrong notebook names, unreadable notebooks, kernels that died, outputs
that were cut. Each entry names the student, the notebook, the cell, what happened and why.
Every problem is also a warning in nbgrader's log.

Many nbgrader processes may grade one assignment at once (``tools.grading.classgrade``): every
read-modify-write of a report holds an exclusive lock on ``reports/<assignment>/.lock`` (``flock``:
released by the kernel when a process dies), and each file is replaced atomically (written to a
temporary file, then renamed), so no entry is lost and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from pathlib import Path

FIELDS = ("student", "notebook", "cell", "what", "why")


def _folder(assignment: str, course_root: Path | None = None) -> Path:
    # nbgrader runs its converters from the course root (it chdirs there).
    return Path(course_root or os.getcwd()) / "reports" / assignment


@contextlib.contextmanager
def locked(folder: Path):
    """Hold the exclusive lock of a report folder (created when missing) while the block runs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step (a temporary file in the same folder, renamed)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(assignment: str, course_root: Path | None = None) -> list[dict]:
    path = _folder(assignment, course_root) / "problems.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _write(assignment: str, problems: list[dict], course_root: Path | None = None) -> None:
    folder = _folder(assignment, course_root)
    folder.mkdir(parents=True, exist_ok=True)
    problems = sorted(problems, key=lambda p: (p["student"], p["notebook"]))
    write_atomic(folder / "problems.json", json.dumps(problems, indent=1))
    lines = [f"# Grading problems: {assignment}", ""]
    if not problems:
        lines.append("None.")
    else:
        lines += ["| student | notebook | cell | what | why |", "|---|---|---|---|---|"]
        for p in problems:
            cells = [str(p.get(f) or "").replace("|", "\\|").replace("\n", " ") for f in FIELDS]
            lines.append("| " + " | ".join(cells) + " |")
    write_atomic(folder / "problems.md", "\n".join(lines) + "\n")


def forget(assignment: str, student: str, course_root: Path | None = None) -> None:
    """Drop what an earlier run reported for ``student`` (called before the submission is graded again)."""
    fresh = not (_folder(assignment, course_root) / "problems.json").exists()
    with locked(_folder(assignment, course_root)):
        problems = load(assignment, course_root)
        kept = [p for p in problems if p["student"] != student]
        if kept != problems or fresh:
            _write(assignment, kept, course_root)


def add(assignment: str, student: str, notebook: str, cell: str | None, what: str, why: str,
        log: logging.Logger | None = None, course_root: Path | None = None) -> None:
    entry = dict(student=student, notebook=notebook, cell=cell, what=what, why=why)
    (log or logging.getLogger("AutogradeApp")).warning(
        "Grading problem (reports/%s/problems.md): %s/%s%s: %s: %s", assignment, student, notebook,
        f" cell {cell}" if cell else "", what, why)
    with locked(_folder(assignment, course_root)):
        problems = load(assignment, course_root)
        if entry not in problems:
            _write(assignment, problems + [entry], course_root)


def where(resources: dict) -> tuple[str, str, str]:
    """(assignment, student, notebook) of the notebook a preprocessor works on."""
    nbgrader = resources.get("nbgrader", {})
    return nbgrader.get("assignment", "?"), nbgrader.get("student", "?"), f"{nbgrader.get('notebook', '?')}.ipynb"
