"""A warm local worker for class grading: nbgrader imported once, each student in a forked process.

Starting ``python -m nbgrader`` costs a few seconds of CPU per student (Python, nbgrader, nbconvert,
jupyter_client, SQLAlchemy, the course's preprocessors), a large part of a quick-mode submission.
``tools.grading.classgrade`` starts one of these per local job slot instead: it imports all that
once, then for every job it receives (a JSON line on stdin) forks a child that runs nbgrader's own
command line, ``NbGraderApp.launch_instance(["autograde", <a>, "--student=<s>", "--force"])``, in
the course root, with its output in the student's log file. Each student is still its own process
(a crash, a leaked module state or a stuck kernel ends with it), reads ``nbgrader_config.py``
afresh, and dies with this worker (``PR_SET_PDEATHSIG``); this worker dies with classgrade's thread
that started it. Protocol, one JSON object per line on stdout: ``{"ready": pid}`` once, then per
job ``{"started": pid}`` and ``{"returncode": code}``.

The parent imports only; it starts no thread, event loop or ZMQ context, so forking it is safe.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import traceback

PRELOAD = (
    "nbgrader.apps.nbgraderapp", "nbgrader.converters", "nbgrader.preprocessors", "nbgrader.api",
    "nbconvert", "nbconvert.exporters", "nbclient", "jupyter_client", "sqlalchemy", "alembic",
    "tools.grading.execute", "tools.grading.integrity", "tools.grading.robust", "tools.grading.outputs",
    "tools.grading.feedback", "tools.grading.gradebook", "tools.labcompat",
)


def _run_child(args: list[str], log: str) -> int:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with this worker
    null = os.open(os.devnull, os.O_RDONLY)  # not the job pipe
    os.dup2(null, 0)
    os.close(null)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.argv = ["nbgrader", *args]
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp
        NbGraderApp.launch_instance(argv=args)
        return 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 (whatever nbgrader raised: this student's job failed)
        traceback.print_exc()
        return 1


def main() -> None:
    import importlib
    course = sys.argv[1]
    os.chdir(course)
    sys.path.insert(0, course)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (a missing optional module is imported by the child, if at all)
            pass
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _run_child(job["args"], job["log"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code if 0 <= code < 256 else 1)
        out.write(json.dumps({"started": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
