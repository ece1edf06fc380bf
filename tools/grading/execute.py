"""SandboxedExecute: nbgrader's Execute with the kernel in the sandbox, and a dead kernel that
costs only the cells it did not run.

nbgrader 0.9.6 (through nbclient) raises ``DeadKernelError`` out of the whole notebook when the
kernel dies, so the submission fails and every point is lost, also those of tests that had
already passed (a stray ``os._exit`` in the last cell). Here the cells that ran keep their
outputs; the cell that was running and every code cell after it get an ``error`` output that
says the kernel died (so a test cell among them scores 0), and the instructor's report says so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

from . import report
from .sandbox import SandboxedKernelManager, SandboxUnavailable

KERNEL_DIED = "DeadKernelError"


def _died_output(why: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=KERNEL_DIED, evalue=why, traceback=[f"{KERNEL_DIED}: {why}"])


class SandboxedExecute(Execute):
    """Execute every code cell in a sandboxed kernel (see tools.grading.sandbox)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._dead_since = None
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        notebooks = set(workdir.glob("*.ipynb"))
        nb, resources = super().preprocess(nb, resources, km)
        # The kernel and all its processes are gone now: clean what it left in the working copy
        # that nbgrader (unsandboxed) would trust later.
        self._clean_working_copy(workdir, notebooks, resources)
        return nb, resources

    def _clean_working_copy(self, workdir: Path, notebooks: set[Path], resources) -> None:
        """Remove symlinks and special files (nbgrader's chmod and generate_feedback follow
        symlinks: a link to gradebook.db or source/ would be acted on outside the sandbox; a FIFO
        named *.ipynb would hang generate_feedback) and notebooks the student's code wrote
        (generate_feedback renders every *.ipynb of the folder)."""
        assignment, student, notebook = report.where(resources)
        for dirpath, dirnames, filenames in os.walk(workdir):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                mode = path.lstat().st_mode
                if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    what = "symlink" if stat.S_ISLNK(mode) else "special file"
                elif path.suffix == ".ipynb" and path.parent == workdir and path not in notebooks:
                    what = "notebook written by the student's code"
                else:
                    continue
                path.unlink()
                if name in dirnames:
                    dirnames.remove(name)
                report.add(assignment, student, notebook, None, f"removed {what}",
                           f"{path.relative_to(workdir)} in the working copy, made while the notebook ran",
                           log=self.log)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._dead_since is not None:
            cell.outputs = [_died_output(
                f"the kernel died while cell {self._dead_since} ran, so this cell was not run")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_since = self._name(cell, index)
            cell.outputs.append(_died_output(
                "the kernel died while this cell ran (os._exit, a crash, or the CPU-time limit); "
                "the cells after it were not run"))
            assignment, student, notebook = report.where(resources)
            graded = [c for c in self.nb.cells[index:] if c.cell_type == "code" and is_grade(c)
                      and not is_solution(c)]
            report.add(assignment, student, notebook, self._dead_since, "dead kernel",
                       f"the kernel died in this cell; {len(graded)} test cell(s) from here on were not "
                       "run and score 0; the cells before keep their points", log=self.log)
            return cell, resources

    @staticmethod
    def _name(cell, index: int) -> str:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        return grade_id or f"#{index}"


__all__ = ["SandboxedExecute", "SandboxUnavailable"]
