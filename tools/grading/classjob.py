"""One job of a class run: one ``nbgrader`` command for one student, in a worker.

Self-contained (standard library only): ``tools.grading.classgrade`` sends :func:`run` to Dask
workers by value, so a worker needs only a Python environment with nbgrader (the course's) and
the course folder (shared), not this package on its path.

The nbgrader process dies with the thread that started it (``setpriv --pdeathsig KILL``, else
``prctl``): a worker killed in the middle of a student leaves no nbgrader behind that would go
on writing grades while the retry runs elsewhere (its sandboxed kernel dies with nbgrader:
bubblewrap's ``--die-with-parent``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

#: Characters of nbgrader's output sent back with the result (the whole log goes to a file).
TAIL = 20_000


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def command(args: list[str], python: str | None = None, module: str = "nbgrader") -> tuple[list[str], dict]:
    """The argv for ``python -m nbgrader ARGS`` with this worker's Python, dying with the thread
    that starts it, and how to start it."""
    cmd = [python or sys.executable, "-m", module, *args]
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--pdeathsig", "KILL", "--", *cmd], {}
    return cmd, {"preexec_fn": _die_with_parent}


def environment(overrides: dict[str, str], python: str | None = None) -> dict[str, str]:
    """This worker's environment, its Python's bin/ first on PATH (nbgrader calls alembic),
    with ``overrides`` (the gradebook URL, the course code's path, quick mode) on top."""
    env = dict(os.environ)
    env.update(overrides)
    bin_dir = os.path.dirname(python or sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def run(course_dir: str, args: list[str], overrides: dict[str, str], log_file: str | None = None,
        timeout: float | None = None) -> dict:
    """Run ``nbgrader ARGS`` in ``course_dir``; return its exit code, output tail, time, where."""
    start = time.time()
    argv, extra = command(args)
    worker = None
    try:  # the Dask worker's address, when this runs in one
        from distributed import get_worker
        worker = get_worker().address
    except Exception:  # noqa: BLE001 (not in a Dask worker)
        pass
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as out:
        proc = subprocess.Popen(argv, cwd=course_dir, env=environment(overrides), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **extra)
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
            out.write(f"\n[classgrade] stopped after {timeout} s\n")
        out.seek(0)
        text = out.read()
    if log_file:
        try:
            with open(log_file, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            pass
    return {"returncode": returncode, "output": text[-TAIL:], "seconds": time.time() - start,
            "host": socket.gethostname(), "pid": proc.pid, "worker": worker}
