"""One bad submission never stops the batch and never silently scores zero.

How nbgrader 0.9.6 behaves without this (reproduced on the toy course, tools.grading.minicourse):

- a duplicated grade_id (a copy-pasted test cell keeps its metadata in JupyterLab): nbgrader's
  ``DeduplicateIds`` empties the first copy's nbgrader metadata to ``{}``, ``CheckCellMetadata``
  then takes the empty metadata for an old schema and raises ``SchemaTooOldError``, which
  ``convert_notebooks`` re-raises: **the whole batch stops**, later students stay ungraded;
- a notebook handed in under another file name: "Skipping unknown notebook", then "No notebooks
  found": the submission fails, nothing reaches the gradebook, the log scrolls by;
- an unreadable notebook (invalid JSON): the submission fails with a traceback in the log;
- cells moved (JupyterLab lets a student drag any cell, locked or not): nbgrader runs the cells in
  the submitted order, so a test cell moved above another one runs first, and whatever the first
  leaves in the kernel (a reference implementation substituted while it runs, captured by the
  student's code it calls) is there for the second.

Here (all from ``nbgrader_config.py``):

- ``DeduplicateIds`` (in the sanitize chain) drops the nbgrader metadata of the earlier copies
  entirely (nbgrader keeps the last, as before), so the cell is plain code and grading goes on;
- ``check_submission`` (``Autograde.pre_convert_hook``) grades a single misnamed notebook as the
  one notebook the submission lacks, and reports missing and unknown notebooks;
- ``TolerantNotebookExporter`` (``Autograde.exporter_class``) reads the misnamed file in place of
  the expected one, and grades an unreadable notebook as the untouched student version from
  ``release/`` (every graded cell is in the gradebook with 0 points, not missing);
- ``RestoreCellOrder`` (in the sanitize chain) puts the assignment's cells back in the order of
  ``source/`` (cells a student added travel with the cell above them), so every submission runs
  in the order its tests were written for.

Each case is written to ``reports/<assignment>/problems.md`` and logged as a warning.
"""

from __future__ import annotations

import datetime
import logging
import os
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from . import report

log = logging.getLogger("AutogradeApp")

#: expected notebook path -> the file that is read for it (a misnamed submission).
_ALIASES: dict[str, str] = {}


class DeduplicateIds(NbGraderPreprocessor):
    """Keep the last cell of each grade_id (as nbgrader does); the earlier copies become plain
    cells (no nbgrader metadata at all, so no schema error), and the report says so."""

    def preprocess(self, nb, resources):
        seen: set[str] = set()
        assignment, student, notebook = report.where(resources)
        for index in reversed(range(len(nb.cells))):
            cell = nb.cells[index]
            if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
                continue
            grade_id = cell.metadata.nbgrader.get("grade_id")
            if grade_id in seen:
                del cell.metadata["nbgrader"]
                report.add(assignment, student, notebook, grade_id, "duplicated grade_id",
                           f"cell #{index} repeats the grade_id of a later cell (a copy-pasted cell?): the "
                           "later one is graded, this one runs as ordinary code", log=self.log)
            else:
                seen.add(grade_id)
        return nb, resources


def _cell_id(cell) -> str | None:
    """The grade_id of a cell nbgrader knows (graded, solution or locked), else None."""
    if utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell):
        return cell.metadata.nbgrader.get("grade_id")
    return None


def _reference_order(assignment: str, notebook: str) -> dict[str, int] | None:
    """grade_id -> position in the instructor's notebook (``source/``, else ``release/``: the same
    graded and locked cells in the same order), or None when neither is there."""
    for folder in ("source", "release"):
        path = Path(folder, assignment, f"{notebook}.ipynb")
        if path.is_file():
            cells = nbformat.read(path, as_version=4).cells
            ids = (_cell_id(cell) for cell in cells)
            return {gid: index for index, gid in enumerate(ids) if gid is not None}
    return None


class RestoreCellOrder(NbGraderPreprocessor):
    """Run a submission in the assignment's order, whatever order it was handed in.

    Each cell the assignment has (by grade_id) goes back to its place in ``source/``; a cell the
    student added (or whose metadata is gone) stays right below the assignment cell it followed,
    and cells above the first assignment cell stay first. Honest work keeps its meaning (a helper
    written just above a solution is still defined before it); a test cell moved above an earlier
    exercise's tests no longer runs before them. A moved submission is reported."""

    def preprocess(self, nb, resources):
        assignment, student, notebook = report.where(resources)
        order = _reference_order(assignment, notebook[: -len(".ipynb")])
        if not order:
            return nb, resources
        blocks: list[tuple[int, list]] = [(-1, [])]  # (place of the leading cell, its cells)
        for cell in nb.cells:
            place = order.get(_cell_id(cell))
            if place is None:
                blocks[-1][1].append(cell)
            else:
                blocks.append((place, [cell]))
        in_order = sorted(blocks, key=lambda block: block[0])
        if [place for place, _ in in_order] != [place for place, _ in blocks]:
            pairs = zip(blocks, in_order, strict=True)
            moved = [_cell_id(cells[0]) for (place, cells), (wanted, _) in pairs if place != wanted]
            report.add(assignment, student, notebook, None, "cells moved",
                       f"assignment cells out of the assignment's order ({', '.join(moved[:5])}"
                       f"{', ...' if len(moved) > 5 else ''}): graded in the assignment's order (a cell the "
                       "student added stays below the cell it followed)", log=self.log)
            nb.cells = [cell for _, cells in in_order for cell in cells]
        return nb, resources


def _student_and_assignment(path: str) -> tuple[str, str]:
    parts = Path(path).parts  # .../submitted/<student>/<assignment>/<notebook>.ipynb
    return parts[-3], parts[-2]


def _expected_notebooks(assignment: str) -> list[str]:
    """The assignment's notebook names, as the gradebook knows them (else as source/ has them)."""
    from nbgrader.api import Gradebook, MissingEntry
    try:
        with Gradebook(DB_URL) as gb:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks]
    except MissingEntry:
        return sorted(p.stem for p in Path("source", assignment).glob("*.ipynb"))


#: Set by nbgrader_config.py (the course's db_url).
DB_URL = "sqlite:///gradebook.db"


def check_submission(assignment: str, student: str, notebooks: list[str]) -> None:
    """``Autograde.pre_convert_hook``: called once per submission with the list of its notebook
    paths (nbgrader's own list: changing it in place changes what is graded). ``student`` and
    ``assignment`` are the command line's patterns, so the real ones come from the paths."""
    if not notebooks:
        return
    student_id, assignment_id = _student_and_assignment(notebooks[0])
    report.forget(assignment_id, student_id)
    folder = Path(notebooks[0]).parent
    expected = _expected_notebooks(assignment_id)
    handed_in = {Path(p).stem: p for p in notebooks}
    missing = [name for name in expected if name not in handed_in]
    unknown = [name for name in handed_in if name not in expected]
    if len(missing) == 1 and len(unknown) == 1:
        wanted = str(folder / f"{missing[0]}.ipynb")
        _ALIASES[wanted] = handed_in[unknown[0]]
        notebooks[notebooks.index(handed_in[unknown[0]])] = wanted
        report.add(assignment_id, student_id, f"{unknown[0]}.ipynb", None, "wrong notebook name",
                   f"handed in as {unknown[0]}.ipynb instead of {missing[0]}.ipynb: graded as {missing[0]}.ipynb")
        return
    for name in missing:
        report.add(assignment_id, student_id, f"{name}.ipynb", None, "missing notebook",
                   "not handed in: its cells score 0")
    for name in unknown:
        report.add(assignment_id, student_id, f"{name}.ipynb", None, "unknown notebook",
                   f"not part of the assignment (expected: {', '.join(expected)}): not graded")


def placeholder_notebook(assignment: str, notebook: str, why: str) -> NotebookNode:
    """What an unreadable submission is graded as: the untouched student version from
    ``release/`` (every graded cell present, every solution a stub: every test scores 0), with a
    first cell that says why."""
    released = Path("release", assignment, f"{notebook}.ipynb")
    if released.exists():
        nb = nbformat.read(released, as_version=4)
    else:
        nb = nbformat.v4.new_notebook()
        nb.metadata.kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**This submission could not be read**: {why}"))
    return nb


class TolerantNotebookExporter(NotebookExporter):
    """The autograde exporter: reads a misnamed notebook under its expected name, and an
    unreadable one as the blank student version (reported), instead of failing the submission."""

    def from_filename(self, filename, resources=None, **kw):
        source = _ALIASES.get(str(filename), str(filename))
        try:
            with open(source, encoding="utf-8") as f:
                nb = nbformat.read(f, as_version=4)
        except Exception as error:  # whatever is wrong with an untrusted file, grade on
            why = f"{type(error).__name__}: {str(error)[:300]}"
            student, assignment = _student_and_assignment(str(filename))
            report.add(assignment, student, Path(source).name, None, "unreadable notebook",
                       f"{why}; graded as the blank student version (every test cell scores 0)")
            nb = placeholder_notebook(assignment, Path(filename).stem, why)
        if resources is None:
            resources = ResourcesDict()
        if not resources.get("metadata"):
            resources["metadata"] = ResourcesDict()
        # The kernel's working folder and the name are the expected notebook's, as upstream.
        resources["metadata"]["path"], basename = os.path.split(str(filename))
        resources["metadata"]["name"] = os.path.splitext(basename)[0]
        if os.path.exists(source):
            modified = datetime.datetime.fromtimestamp(os.path.getmtime(source), tz=datetime.timezone.utc)
            resources["metadata"]["modified_date"] = modified.strftime("%B %d, %Y")
        return self.from_notebook_node(nb, resources=resources, **kw)


__all__ = ["DeduplicateIds", "RestoreCellOrder", "TolerantNotebookExporter", "check_submission"]
