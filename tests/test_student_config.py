"""Students' nbgrader settings (deploy/student/nbgrader_config.py, installed into the environment by
``make venv``): ``nbgrader validate`` run where no course config is found (a copy of an assignment
folder, a student's home on JupyterHub) uses the course's time limit per cell instead of nbgrader's
30 s, and a cell interrupted at the limit fails the report instead of an ERROR line and "Success!".

Each run is a real ``nbgrader validate`` of a small made-up notebook whose ungraded cell sleeps
longer than 30 s, from a folder outside the course, with the installed file found through Jupyter's
config path (``JUPYTER_CONFIG_PATH`` points at a temporary environment prefix, so the test does not
touch this environment's own etc/jupyter).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_config_path

from tools import labcompat
from tools import notebooks as nbs

SLEEP = 33  # seconds: past nbgrader's default limit per cell (30 s), far below the course's (300 s)


def _notebook(sleep: float) -> dict:
    test_meta = {"grade": True, "grade_id": "test_sum", "locked": True, "points": 1, "schema_version": 3,
                 "solution": False, "task": False}
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {},
         "source": "A stand-in for an assignment with a slow experiment."},
        {"cell_type": "code", "id": "experiment", "metadata": {"tags": ["experiment"]}, "execution_count": None,
         "outputs": [], "source": f"import time\ntime.sleep({sleep})\nprint('the experiment ran')"},
        {"cell_type": "code", "id": "test", "metadata": {"nbgrader": test_meta}, "execution_count": None,
         "outputs": [], "source": "assert 1 + 1 == 2"},
    ]
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def _assignment_copy(tmp_path: Path, sleep: float) -> Path:
    """A student's copy of an assignment folder, outside the course, with the made-up notebook in it."""
    folder = tmp_path / "home" / "01_elbo"
    shutil.copytree(nbs.RELEASE / "01_elbo", folder)
    (folder / "slow.ipynb").write_text(json.dumps(_notebook(sleep)), encoding="utf-8")
    return folder


def _validate(folder: Path, tmp_path: Path, **env) -> str:
    """``nbgrader validate slow.ipynb`` from ``folder``; Jupyter's user config dir is an empty folder."""
    empty = tmp_path / "jupyter-user-config"
    empty.mkdir(exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("JUPYTER_CONFIG_PATH", "JUPYTER_NO_CONFIG", "JUPYTER_CONFIG_DIR")}
    run_env.update(PATH=bin_dir + os.pathsep + run_env.get("PATH", ""), JUPYTER_CONFIG_DIR=str(empty), **env)
    done = subprocess.run([os.path.join(bin_dir, "nbgrader"), "validate", "slow.ipynb"], cwd=folder, env=run_env,
                          capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def _installed(prefix: Path) -> str:
    """The student config installed into ``prefix`` as make venv does: the folder Jupyter reads it from."""
    return str(labcompat.write_student_config(prefix).parent)


def test_installed_where_jupyter_reads_config_from_any_folder(tmp_path):
    target = labcompat.write_student_config(tmp_path)
    assert target == tmp_path / "etc" / "jupyter" / "nbgrader_config.py"
    assert target.read_text() == labcompat.STUDENT_CONFIG.read_text()
    assert labcompat.write_student_config(tmp_path) == target  # idempotent
    # make venv installs into this environment's prefix, which Jupyter (and so nbgrader) searches
    assert str(Path(sys.prefix) / "etc" / "jupyter") in jupyter_config_path()
    target.write_text("c = get_config()\nc.Exchange.root = '/srv/exchange'\n")  # an administrator's own file
    with pytest.raises(FileExistsError, match="merge"):
        labcompat.write_student_config(tmp_path)


def test_validate_outside_the_course_uses_the_course_time_limit(tmp_path):
    folder = _assignment_copy(tmp_path, SLEEP)
    out = _validate(folder, tmp_path, JUPYTER_CONFIG_PATH=_installed(tmp_path / "env"))
    assert "Success! Your notebook passes all the tests." in out, out
    assert "Timeout" not in out and "ERROR" not in out, out


def test_without_it_validate_interrupts_the_cell_at_30_s_and_still_says_success(tmp_path):
    # What students met before (the test above can fail): nbgrader's own limit interrupts the cell.
    folder = _assignment_copy(tmp_path, SLEEP)
    out = _validate(folder, tmp_path, JUPYTER_NO_CONFIG="1")
    assert "Timeout waiting for execute reply (30s)" in out, out
    assert "Success!" in out, out


def test_a_cell_interrupted_at_the_limit_fails_the_report(tmp_path):
    # The limit lowered to 3 s by a config of higher priority, the student config below it.
    folder = _assignment_copy(tmp_path, 20)
    low = tmp_path / "low-limit"
    low.mkdir()
    (low / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 3\n")
    out = _validate(folder, tmp_path,
                    JUPYTER_CONFIG_PATH=os.pathsep.join([str(low), _installed(tmp_path / "env")]))
    assert "VALIDATION FAILED ON 1 CELL(S)!" in out, out
    assert "time.sleep(20)" in out and "CellTimeoutError" in out and "time limit per cell" in out, out
    assert "Success!" not in out, out
