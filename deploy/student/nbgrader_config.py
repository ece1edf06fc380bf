"""nbgrader settings for students: ``nbgrader validate`` and JupyterLab's Validate button behave as
in the course folder wherever they run (a student's home on JupyterHub, a copy of release/<a>/).

``make venv`` installs this file as ``<environment>/etc/jupyter/nbgrader_config.py`` (``python -m
tools.labcompat --student-config``), a place nbgrader reads from any folder; in the course root the
course's own nbgrader_config.py is read after it and wins. On JupyterHub, install it the same way
into the single-user environment (README, "For students"). It holds nothing instructor-only and
imports nothing but nbgrader, so it works without the course's code.

Without it, validate uses nbgrader's 30 s per-cell limit: an experiment cell that trains a model
in quick mode (about a minute on two cores) is interrupted, the log says ERROR and the report
still ends in "Success!".
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# The course's per-cell limit (nbgrader_config.py of the course): a quick-mode notebook has no cell
# near it, so only a runaway loop meets it; the cell is interrupted and the rest still runs.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
c.Execute.error_on_timeout = {
    "ename": "CellTimeoutError",
    "evalue": "this cell ran longer than the time limit per cell (300 s) and was interrupted",
    "traceback": [
        "CellTimeoutError: this cell ran longer than the time limit per cell (300 s) and was interrupted. "
        "Validate and the autograder run the notebook in quick mode, where no cell of the course takes that "
        "long: look for a loop that never ends in this cell."
    ],
}


def _timed_out_cell_fails_validation(cell, cell_index, execute_reply, **_):
    """A cell interrupted at the timeout fails the Validate report.

    nbgrader's report only counts graded cells, so an interrupted experiment or solution cell would
    leave an ERROR line in the log and a report that says "Success!". While validating (not while
    autograding: nbgrader sets NBGRADER_VALIDATING), such a cell is marked in memory as a graded cell
    worth 0 points that failed, so the report lists it with the error above.
    """
    if not os.environ.get("NBGRADER_VALIDATING"):
        return
    if execute_reply.get("content", {}).get("ename") != c.Execute.error_on_timeout["ename"]:
        return
    meta = cell.metadata.setdefault("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return  # a test cell: its error fails it already
    from nbgrader.utils import compute_checksum

    intact = "checksum" in meta and meta["checksum"] == compute_checksum(cell)
    meta.update(grade=True, solution=False, points=0, grade_id=meta.get("grade_id") or f"cell-{cell_index}")
    meta.setdefault("schema_version", 3)
    if intact:  # a locked cell: its content did not change, only what this report makes of it
        meta["checksum"] = compute_checksum(cell)


c.Execute.on_cell_error = _timed_out_cell_fails_validation
