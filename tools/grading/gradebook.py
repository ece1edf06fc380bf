"""The gradebook's database: where it is, SQLite under many writers, PostgreSQL, migration.

**Where.** ``nbgrader_config.py`` sets nbgrader's ``db_url`` from :func:`db_url`: the variable
``VAE_COURSE_DB_URL`` when set (e.g. ``postgresql://grader@dbhost/vae_course``: SQLAlchemy 2.1
reads ``postgresql://`` with the psycopg 3 driver), else ``sqlite:///gradebook.db`` at the course root.

**SQLite under many writers.** nbgrader opens a short-lived ``Gradebook`` for each step of a
submission (student, submission, cells, grades, late penalty). Many ``nbgrader autograde``
processes at once on one SQLite file each wait at most 5 s for a lock (Python's default), then
fail with "database is locked", losing that student's grades. In the processes that
``tools.grading.classgrade`` starts (``VAE_COURSE_GRADEBOOK_LOCK`` names a lock file) every
database connection nbgrader checks out holds an exclusive ``flock`` on that file until it is
returned (one transaction at a time across the processes; a process that dies releases it), and
SQLite's own busy timeout is raised to 120 s for other programs (the formgrader) writing at the
same time. Only those processes take the lock: the formgrader keeps one gradebook open for its
whole life and must not hold it. PostgreSQL needs none of this.

**Migration.** :func:`migrate` copies every table of an nbgrader gradebook into an empty one,
e.g. SQLite into PostgreSQL: ``python -m tools.grading.classgrade migrate --to postgresql://...``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

#: The variable that points the course at another database (nbgrader's db_url).
ENV_DB_URL = "VAE_COURSE_DB_URL"
#: Set (to a lock file) by classgrade for the nbgrader processes it starts on a SQLite gradebook.
ENV_LOCK = "VAE_COURSE_GRADEBOOK_LOCK"
DEFAULT_URL = "sqlite:///gradebook.db"
#: Seconds SQLite waits for another program's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 120


def db_url(course_root: Path | str | None = None) -> str:
    """The course's gradebook URL: ``$VAE_COURSE_DB_URL``, else the SQLite file at the course
    root (relative, as nbgrader runs from the course root; absolute when ``course_root`` is given)."""
    url = os.environ.get(ENV_DB_URL, "").strip()
    if url:
        return url
    if course_root is None:
        return DEFAULT_URL
    return f"sqlite:///{Path(course_root).resolve() / 'gradebook.db'}"


def is_sqlite(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] == "sqlite"


def sqlite_path(url: str, course_root: Path | str = ".") -> Path:
    """The file of a ``sqlite:///`` URL (a relative one is relative to the course root)."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(course_root, path).resolve()


def lock_path(url: str, course_root: Path | str = ".") -> Path:
    db = sqlite_path(url, course_root)
    return db.with_name(db.name + ".lock")


def hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (an unparsable URL is shown as nothing)
        return "<unparsable URL>"


class _ProcessLock:
    """An exclusive flock held while any connection of this process is checked out (re-entrant
    across the process's connections and threads)."""

    def __init__(self, path: str):
        self.path = path
        self._count = 0
        self._mutex = threading.RLock()
        self._handle = None

    def acquire(self) -> None:
        with self._mutex:
            if self._count == 0:
                self._handle = open(self.path, "a")
                fcntl.flock(self._handle, fcntl.LOCK_EX)
            self._count += 1

    def release(self) -> None:
        with self._mutex:
            if self._count == 0:
                return
            self._count -= 1
            if self._count == 0:
                fcntl.flock(self._handle, fcntl.LOCK_UN)
                self._handle.close()
                self._handle = None


_LOCKS: dict[str, _ProcessLock] = {}


def serialise_sqlite_engine(engine, lock_file: str | None) -> None:
    """Give a SQLite engine a long busy timeout and, with ``lock_file``, one-transaction-at-a-time
    across processes (the lock is held from a connection's checkout to its return)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT * 1000}")

    if not lock_file:
        return
    lock = _LOCKS.setdefault(lock_file, _ProcessLock(lock_file))

    @event.listens_for(engine, "checkout")
    def _take(_dbapi_connection, _record, _proxy):
        lock.acquire()

    @event.listens_for(engine, "checkin")
    def _give(_dbapi_connection, _record):
        lock.release()

    @event.listens_for(engine, "close_detached")
    def _give_detached(_dbapi_connection):
        lock.release()


_INSTALLED = False


def install() -> None:
    """Make nbgrader's ``Gradebook`` engines on SQLite files wait (busy timeout) and, in processes
    that classgrade starts (``$VAE_COURSE_GRADEBOOK_LOCK``), take turns. Called by nbgrader_config.py."""
    global _INSTALLED
    if _INSTALLED:
        return
    import nbgrader.api as api

    original = api.create_engine

    def create_engine(url, *args, **kwargs):
        engine = original(url, *args, **kwargs)
        if engine.dialect.name == "sqlite":
            serialise_sqlite_engine(engine, os.environ.get(ENV_LOCK) or None)
        return engine

    api.create_engine = create_engine
    _INSTALLED = True


# ---- migration -------------------------------------------------------------------------------

def migrate(source_url: str, target_url: str, *, replace: bool = False) -> dict[str, int]:
    """Copy every row of the nbgrader gradebook at ``source_url`` into ``target_url`` (created
    with nbgrader's schema and Alembic version; it must be empty unless ``replace``, which empties
    it first). Returns rows per table, checked against the source after the copy."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, func, inspect, select, text

    source = create_engine(source_url)
    if "assignment" not in inspect(source).get_table_names():
        raise ValueError(f"{hide_password(source_url)} is not an nbgrader gradebook (no assignment table)")
    target = create_engine(target_url)
    tables = Base.metadata.sorted_tables
    with target.begin() as conn:
        present = set(inspect(conn).get_table_names())
        filled = [t.name for t in tables if t.name in present
                  and conn.execute(select(func.count()).select_from(t)).scalar()]
        if filled and not replace:
            raise ValueError(f"{hide_password(target_url)} already holds a gradebook (rows in {', '.join(filled)}): "
                             "use --replace to empty it first")
        if present and replace:
            for table in reversed(tables):
                if table.name in present:
                    conn.execute(table.delete())
    # nbgrader's own schema and its Alembic version (what `nbgrader db upgrade` checks).
    Base.metadata.create_all(target)
    with target.begin() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    counts = {}
    with source.connect() as src, target.begin() as dst:
        version = src.execute(text("SELECT version_num FROM alembic_version")).scalar()
        dst.execute(text("DELETE FROM alembic_version"))
        dst.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
        for table in tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(table.insert(), rows)
            counts[table.name] = len(rows)
    with target.connect() as conn:
        for table in tables:
            got = conn.execute(select(func.count()).select_from(table)).scalar()
            if got != counts[table.name]:
                raise RuntimeError(f"table {table.name}: {got} rows in the target, {counts[table.name]} in the source")
    source.dispose()
    target.dispose()
    return counts
