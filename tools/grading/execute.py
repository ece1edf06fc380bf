"""SandboxedExecute: nbgrader's Execute with the kernel in the sandbox, and a dead kernel that
costs only the cells it did not run.

nbgrader 0.9.6 (through nbclient) raises ``DeadKernelError`` out of the whole notebook when the
kernel dies, so the submission fails and every point is lost, also those of tests that had
already passed (a stray ``os._exit`` in the last cell). Here the cells that ran keep their
outputs; the cell that was running and every code cell after it get an ``error`` output that
says the kernel died (so a test cell among them scores 0), and the instructor's report says so.

Two limits end a kernel the same way (the cells before keep their points, the report says why):

- **a cell that ignores the interrupt at the timeout.** nbgrader interrupts a cell past
  ``Execute.timeout``; a cell that catches the ``KeyboardInterrupt`` and goes on (an honest retry
  loop with a bare ``except:``) never answers, nbclient raises ``CellTimeoutError`` after
  ``iopub_timeout`` and nbgrader fails the whole submission (0 points, an error). Here the kernel is
  killed and the notebook is graded as a dead kernel in that cell.
- **a working copy that grows past** ``max_working_copy_bytes`` (or ``max_working_copy_files``
  entries): checked after every cell and, while a cell runs, every ``watch_interval`` seconds. The
  kernel is killed (a cell writing 1 GB is stopped within about that interval), the files the run
  created or grew are removed, largest first, until the copy is back under the cap, and the cell
  and those after it score 0. ``autograded/`` cannot fill the grading disk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import threading
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Float, Integer

from . import report
from .sandbox import SandboxedKernelManager, SandboxUnavailable

KERNEL_DIED = "DeadKernelError"
MiB = 1024 ** 2


def usage(folder: Path, limit_entries: int | None = None) -> tuple[int, int, dict[Path, int]]:
    """(bytes on disk, entries, file -> bytes) of ``folder``, without following symlinks; stops
    counting files once past ``limit_entries`` (a folder of a million files is not walked whole)."""
    total, entries, files = 0, 0, {}
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    size = max(st.st_blocks * 512, 0) if hasattr(st, "st_blocks") else st.st_size
                    total += size
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(Path(entry.path))
                    elif stat.S_ISREG(st.st_mode):
                        files[Path(entry.path)] = size
                    if limit_entries is not None and entries > limit_entries:
                        return total, entries, files
        except OSError:
            continue
    return total, entries, files


def _died_output(why: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=KERNEL_DIED, evalue=why, traceback=[f"{KERNEL_DIED}: {why}"])


class SandboxedExecute(Execute):
    """Execute every code cell in a sandboxed kernel (see tools.grading.sandbox)."""

    max_working_copy_bytes = Integer(
        256 * MiB, help="Bytes (on disk) a submission's code may add to its working copy "
        "autograded/<student>/<assignment>/; past it the kernel is stopped and the files it wrote are "
        "removed, largest first, until the copy is back under. 0: no cap.").tag(config=True)
    max_working_copy_files = Integer(
        10_000, help="Files and folders a submission's code may add to its working copy (same "
        "treatment). 0: no cap.").tag(config=True)
    watch_interval = Float(
        0.25, help="Seconds between two checks of the working copy while a cell runs.").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._dead_since = None
        self._stop_reason = None  # set when this preprocessor stopped the kernel itself
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        notebooks = set(workdir.glob("*.ipynb"))
        self._workdir = workdir
        self._base_bytes, self._base_entries, self._base_files = usage(workdir)
        self._base_dirs = {Path(d) for d, _, _ in os.walk(workdir)}
        self._watch_stop = threading.Event()
        watcher = threading.Thread(target=self._watch, name="working-copy-cap", daemon=True)
        watcher.start()
        try:
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            self._watch_stop.set()
            watcher.join()
        # The kernel and all its processes are gone now: clean what it left in the working copy
        # that nbgrader (unsandboxed) would trust later.
        self._clean_working_copy(workdir, notebooks, resources)
        self._enforce_cap(resources)
        return nb, resources

    # ---- the working copy's cap ------------------------------------------------------------

    def _over_cap(self) -> str | None:
        """Why the working copy is over its cap now, or None."""
        limit = self.max_working_copy_files + self._base_entries if self.max_working_copy_files else None
        total, entries, _ = usage(self._workdir, limit)
        added = total - self._base_bytes
        if self.max_working_copy_bytes and added > self.max_working_copy_bytes:
            return (f"the code wrote more than {self.max_working_copy_bytes / MiB:.0f} MB into the working copy "
                    f"(at least {added / MiB:.0f} MB)")
        if limit is not None and entries > limit:
            return f"the code made more than {self.max_working_copy_files:,} files and folders in the working copy"
        return None

    def _watch(self) -> None:
        """While the notebook runs: stop the kernel as soon as the working copy passes its cap."""
        if not (self.max_working_copy_bytes or self.max_working_copy_files):
            return
        while not self._watch_stop.wait(self.watch_interval):
            if self._stop_reason is None and getattr(self, "km", None) is not None:
                why = self._over_cap()
                if why:
                    self._stop_kernel(why)

    def _stop_kernel(self, why: str) -> None:
        """Kill the kernel (bubblewrap's process: the sandbox dies with it) and remember why."""
        if self._stop_reason is None:
            self._stop_reason = why
        process = getattr(getattr(getattr(self, "km", None), "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except Exception:  # noqa: BLE001 (already gone)
                pass

    def _enforce_cap(self, resources) -> None:
        """Once the kernel is gone: remove what the run added past the cap. Past the bytes cap,
        the files it created or grew, largest first, until the copy is back under; past the
        entries cap, every file and folder it created."""
        total, entries, files = usage(self._workdir)
        too_many = bool(self.max_working_copy_files) and entries - self._base_entries > self.max_working_copy_files
        excess = total - self._base_bytes - self.max_working_copy_bytes if self.max_working_copy_bytes else 0
        if excess <= 0 and not too_many:
            return
        new = sorted(((size, path) for path, size in files.items()
                      if path not in self._base_files or size > self._base_files[path]), reverse=True)
        removed, freed = [], 0
        for size, path in new:
            if freed >= excess and not too_many:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
                freed += size
        if too_many:  # the folders it made, now empty of its files (or holding only folders)
            for dirpath, _, _ in sorted(os.walk(self._workdir), key=lambda w: -len(w[0])):
                folder = Path(dirpath)
                if folder not in self._base_dirs and not any(folder.iterdir()):
                    with contextlib.suppress(OSError):
                        folder.rmdir()
        if not removed:
            return
        assignment, student, notebook = report.where(resources)
        names = ", ".join(str(p.relative_to(self._workdir)) for p in removed[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        report.add(assignment, student, notebook, None, "working copy over its cap",
                   f"{len(removed):,} file(s) the code wrote ({freed / MiB:,.0f} MB) removed from the working copy: "
                   f"{names}{more}", log=self.log)

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
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            if self._stop_reason:
                return self._dead(cell, resources, index, "working copy over its cap", self._stop_reason)
            return self._dead(cell, resources, index, "dead kernel",
                              "the kernel died while this cell ran (os._exit, a crash, or the CPU-time limit)")
        except CellTimeoutError:
            # The cell ran past the timeout and did not stop when interrupted: nothing else can run.
            self._stop_kernel("timeout")
            return self._dead(cell, resources, index, "cell ignored the timeout",
                              f"the cell ran past the {self.timeout} s timeout and ignored the interrupt, so "
                              "its kernel was stopped")
        if self._stop_reason is None and (self.max_working_copy_bytes or self.max_working_copy_files):
            why = self._over_cap()
            if why:
                self._stop_kernel(why)
        if self._stop_reason is not None and self._stop_reason != "timeout":
            return self._dead(cell, resources, index, "working copy over its cap", self._stop_reason)
        return cell, resources

    def _dead(self, cell, resources, index, what: str, why: str):
        """This cell ends the kernel's run: an error output here, the later cells are not run."""
        self._dead_since = self._name(cell, index)
        cell.outputs.append(_died_output(f"{why}; the cells after it were not run"))
        assignment, student, notebook = report.where(resources)
        graded = [c for c in self.nb.cells[index:] if c.cell_type == "code" and is_grade(c)
                  and not is_solution(c)]
        report.add(assignment, student, notebook, self._dead_since, what,
                   f"{why}; {len(graded)} test cell(s) from here on score 0 (this one included when it is "
                   "one); the cells before keep their points", log=self.log)
        return cell, resources

    @staticmethod
    def _name(cell, index: int) -> str:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        return grade_id or f"#{index}"


__all__ = ["SandboxedExecute", "SandboxUnavailable"]
