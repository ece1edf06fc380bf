"""The servers the class-grading tests start and stop themselves: a PostgreSQL server (the
distribution's binaries, ``initdb`` in a temporary folder, a Unix socket there, a free port) and a
Dask scheduler with two workers on localhost (``dask scheduler`` / ``dask worker`` processes).

Without PostgreSQL the tests that need it are skipped with a message saying how to install it;
CI (``.ci/run`` sets ``VAE_COURSE_REQUIRE_POSTGRES=1``) fails instead.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

INSTALL = "install PostgreSQL: `sudo apt-get install postgresql` (Debian/Ubuntu; `make postgres` does it as root)"
START_TIMEOUT = 60  # seconds for a server or a worker to come up


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_postgres() -> Path:
    """The PostgreSQL binaries' folder, or skip (fail on CI) with how to install them."""
    where = postgres_bin()
    if where is None:
        if os.environ.get("VAE_COURSE_REQUIRE_POSTGRES"):
            pytest.fail(f"CI needs PostgreSQL for the class-gradebook tests: {INSTALL}")
        pytest.skip(f"PostgreSQL is not installed: {INSTALL}")
    return where


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root, and there is no `postgres` user to run the server as")
    return ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid


@contextlib.contextmanager
def postgres_server():
    """A private PostgreSQL server; yields a function ``url(database)`` that creates the
    database (once) and returns its SQLAlchemy URL. Stopped and removed afterwards."""
    bin_dir = require_postgres()
    prefix, uid, gid = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="vae-pg-"))
    if uid is not None:
        os.chown(root, uid, gid)
    data, port = root / "data", free_port()
    log = root / "server.log"

    def run(*argv: str, check=True, **kw):
        return subprocess.run([*prefix, *argv], check=check, capture_output=True, text=True, timeout=120, **kw)

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync")
        opts = f"-c listen_addresses='' -c unix_socket_directories={root} -p {port} -c fsync=off -c max_connections=100"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", str(START_TIMEOUT),
            "start")
        started = True
        made: dict[str, str] = {}

        def url(database: str = "gradebook") -> str:
            if database not in made:
                run(str(bin_dir / "createdb"), "-h", str(root), "-p", str(port), "-U", "postgres", database)
                made[database] = f"postgresql://postgres@/{database}?host={root}&port={port}"
            return made[database]

        yield url
    except subprocess.CalledProcessError as error:
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"PostgreSQL failed: {error.cmd}\n{error.stdout}\n{error.stderr}\n{text}") from error
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def drop_all(url: str) -> None:
    """Empty a database between tests (every table dropped)."""
    from sqlalchemy import MetaData, create_engine
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@contextlib.contextmanager
def dask_cluster(workers: int = 2, cwd: Path | None = None, env: dict | None = None):
    """``dask scheduler`` and ``workers`` × ``dask worker`` (one thread each, no nanny, so a killed
    worker stays dead) on localhost. The scheduler lets no task be retried by Dask itself
    (allowed-failures 0): classgrade's own single retry is what the tests see. Yields
    (address, {worker address: pid}, start_worker)."""
    root = Path(tempfile.mkdtemp(prefix="vae-dask-"))
    bin_dir = Path(sys.executable).parent
    dask = [str(bin_dir / "dask")] if (bin_dir / "dask").exists() else [shutil.which("dask") or "dask"]
    base_env = dict(os.environ, **(env or {}))
    base_env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"
    base_env["PATH"] = str(bin_dir) + os.pathsep + base_env.get("PATH", "")
    procs: list[subprocess.Popen] = []
    logs = []

    def start(argv: list[str], name: str) -> subprocess.Popen:
        log = open(root / f"{name}.log", "w")
        logs.append(log)
        proc = subprocess.Popen(argv, cwd=cwd or root, env=base_env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    try:
        scheduler_file = root / "scheduler.json"
        start([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(scheduler_file)], "scheduler")
        deadline = time.time() + START_TIMEOUT
        while not scheduler_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        if not scheduler_file.exists():
            raise RuntimeError("the Dask scheduler did not start: " + (root / "scheduler.log").read_text())
        address = json.loads(scheduler_file.read_text())["address"]
        count = [0]

        def start_worker() -> None:
            count[0] += 1
            start([*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                   "--host", "127.0.0.1", "--name", f"w{count[0]}", "--local-directory", str(root / f"w{count[0]}")],
                  f"worker{count[0]}")

        for _ in range(workers):
            start_worker()
        from distributed import Client
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT)
            pids = client.run(os.getpid)
        yield address, pids, start_worker
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in logs:
            log.close()
        shutil.rmtree(root, ignore_errors=True)


def nbgrader_pids(course: Path, student: str) -> list[int]:
    """Processes running `nbgrader ... --student=<student>` in ``course`` (the tests' own children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if b"nbgrader" in argv and f"--student={student}".encode() in argv and cwd == str(course) \
                and not argv[0].endswith(b"setpriv"):
            found.append(int(entry.name))
    return found
