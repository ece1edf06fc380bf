"""The instructor's report of grading problems: ``reports/<assignment>/problems.md`` and ``.json``.

Written by the nbgrader process (never by a student's kernel, which cannot reach ``reports/``):
duplicated grade_ids, wrong notebook names, unreadable notebooks, kernels that died, outputs
that were cut. Each entry names the student, the notebook, the cell, what happened and why.
Every problem is also a warning in nbgrader's log.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

FIELDS = ("student", "notebook", "cell", "what", "why")


def _folder(assignment: str, course_root: Path | None = None) -> Path:
    # nbgrader runs its converters from the course root (it chdirs there).
    return Path(course_root or os.getcwd()) / "reports" / assignment


def load(assignment: str, course_root: Path | None = None) -> list[dict]:
    path = _folder(assignment, course_root) / "problems.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _write(assignment: str, problems: list[dict], course_root: Path | None = None) -> None:
    folder = _folder(assignment, course_root)
    folder.mkdir(parents=True, exist_ok=True)
    problems = sorted(problems, key=lambda p: (p["student"], p["notebook"]))
    (folder / "problems.json").write_text(json.dumps(problems, indent=1), encoding="utf-8")
    lines = [f"# Grading problems: {assignment}", ""]
    if not problems:
        lines.append("None.")
    else:
        lines += ["| student | notebook | cell | what | why |", "|---|---|---|---|---|"]
        for p in problems:
            cells = [str(p.get(f) or "").replace("|", "\\|").replace("\n", " ") for f in FIELDS]
            lines.append("| " + " | ".join(cells) + " |")
    (folder / "problems.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def forget(assignment: str, student: str) -> None:
    """Drop what an earlier run reported for ``student`` (called before the submission is graded again)."""
    problems = load(assignment)
    kept = [p for p in problems if p["student"] != student]
    if kept != problems or not _folder(assignment).exists():
        _write(assignment, kept)


def add(assignment: str, student: str, notebook: str, cell: str | None, what: str, why: str,
        log: logging.Logger | None = None) -> None:
    entry = dict(student=student, notebook=notebook, cell=cell, what=what, why=why)
    (log or logging.getLogger("AutogradeApp")).warning(
        "Grading problem (reports/%s/problems.md): %s/%s%s: %s: %s", assignment, student, notebook,
        f" cell {cell}" if cell else "", what, why)
    problems = load(assignment)
    if entry not in problems:
        _write(assignment, problems + [entry])


def where(resources: dict) -> tuple[str, str, str]:
    """(assignment, student, notebook) of the notebook a preprocessor works on."""
    nbgrader = resources.get("nbgrader", {})
    return nbgrader.get("assignment", "?"), nbgrader.get("student", "?"), f"{nbgrader.get('notebook', '?')}.ipynb"
