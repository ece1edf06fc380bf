"""Grade a whole class in parallel: ``make grade A=<assignment> JOBS=<n>``.

Run from the course root (like ``nbgrader autograde``)::

    python -m tools.grading.classgrade autograde 01_elbo --jobs 4 [--student s ...] [--force]
    python -m tools.grading.classgrade autograde 01_elbo --scheduler tcp://host:8786   # a Dask cluster
    python -m tools.grading.classgrade feedback 01_elbo --jobs 4
    python -m tools.grading.classgrade export --lms canvas
    python -m tools.grading.classgrade migrate --to postgresql://grader@dbhost/vae_course

**Each student is one job**: ``nbgrader autograde <a> --student <s> --force`` (or
``generate_feedback``) in its own process, in the course root, through the course's own
``nbgrader_config.py``, so the sandbox, the integrity guard, the output caps and the reports are
exactly those of plain ``nbgrader autograde``. Jobs run in ``--jobs`` local job slots (default:
the cores this process may use; each slot forks every student's nbgrader process from a warm
worker that has nbgrader imported, ``tools.grading.classworker``) or, with ``--scheduler`` (or
``$VAE_COURSE_DASK_SCHEDULER``), on the workers of a ``dask.distributed`` cluster that share the
course folder and write to a PostgreSQL gradebook (``$VAE_COURSE_DB_URL``).

**Nothing lost.** A job that fails (a worker killed mid-student, nbgrader exiting with an error)
is run once more, on another worker when there is one; a student whose second try fails too is
listed as failed in the summary, in ``reports/<a>/problems.md`` and in the exit status, never
skipped silently. On SQLite the nbgrader processes take turns at the database
(``tools.grading.gradebook``). A ledger, ``reports/<a>/classgrade.json``, records the fingerprint
of each submission graded; a second run skips every student whose current submission is graded
already (in the ledger, the gradebook and ``autograded/``), so an interrupted run costs only the
students it had not finished; ``--force`` grades them all again.

At the end: a summary table (status, score, tries, time, problems per student, also written to
``reports/<a>/classgrade.md``), the problems reported for the students of this run, and the
students the integrity report flags. nbgrader's full output per student is in
``reports/<a>/logs/<student>.<kind>.log``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import datetime
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import classjob, gradebook, report

ENV_SCHEDULER = "VAE_COURSE_DASK_SCHEDULER"
#: How many times one student's job runs at most (the first try and one retry).
TRIES = 2
KINDS = {"autograde": "autograded", "feedback": "feedback"}


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def thread_overrides(jobs: int) -> dict[str, str]:
    """Each job's share of this machine's cores for its kernel's torch (OpenMP) threads: by default
    every kernel starts one thread per core, and ``jobs`` kernels side by side oversubscribe the
    cores. An ``OMP_NUM_THREADS`` the instructor set wins."""
    if os.environ.get("OMP_NUM_THREADS"):
        return {}
    return {"OMP_NUM_THREADS": str(max(1, default_jobs() // max(1, jobs)))}


def repo_root() -> Path:
    """Where the course's code (``tools``, ``helpers``) lives: the course root itself, or the
    repository when the course is a copy elsewhere (the tests' temporary courses)."""
    return Path(__file__).resolve().parents[2]


# ---- what to grade ----------------------------------------------------------------------------

def students_of(course: Path, assignment: str, kind: str) -> list[str]:
    """Every student with a submission (autograde) or an autograded copy (feedback)."""
    folder = course / ("submitted" if kind == "autograde" else "autograded")
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())


def fingerprint(folder: Path) -> str:
    """SHA-256 of a folder's files (relative names and contents): the submission as handed in."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        return ""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


def source_of(course: Path, assignment: str, student: str, kind: str) -> Path:
    return course / ("submitted" if kind == "autograde" else "autograded") / student / assignment


def result_of(course: Path, assignment: str, student: str, kind: str) -> Path:
    return course / KINDS[kind] / student / assignment


class Ledger:
    """``reports/<a>/classgrade.json``: per kind and student, the fingerprint of what was graded
    and when. Written only by the coordinator (this process), replaced atomically after each student."""

    def __init__(self, course: Path, assignment: str):
        self.path = course / "reports" / assignment / "classgrade.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def get(self, kind: str, student: str) -> dict:
        return self.data.get(kind, {}).get(student, {})

    def set(self, kind: str, student: str, entry: dict) -> None:
        self.data.setdefault(kind, {})[student] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        report.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True))


# ---- the gradebook, from the coordinator ------------------------------------------------------

def open_gradebook(course: Path, url: str):
    """nbgrader's Gradebook on ``url`` (SQLite: taking turns with the workers)."""
    from nbgrader.api import Gradebook
    if not gradebook.is_sqlite(url):
        return Gradebook(url, course_id="vae-course")
    gradebook.install()
    before = os.environ.get(gradebook.ENV_LOCK)
    os.environ[gradebook.ENV_LOCK] = str(gradebook.lock_path(url, course))  # read when the engine is made
    try:
        return Gradebook(f"sqlite:///{gradebook.sqlite_path(url, course)}", course_id="vae-course")
    finally:
        if before is None:
            del os.environ[gradebook.ENV_LOCK]
        else:
            os.environ[gradebook.ENV_LOCK] = before


def graded_in_gradebook(course: Path, url: str, assignment: str) -> dict[str, tuple[float, float, bool]]:
    """student -> (score, max score, needs manual grading) of every submission of ``assignment``."""
    from nbgrader.api import MissingEntry
    with open_gradebook(course, url) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment} is not in the gradebook ({gradebook.hide_password(url)}): "
                             f"run `nbgrader generate_assignment {assignment}` (make release) first") from None
        return {s.student.id: (float(s.score), float(s.max_score), bool(s.needs_manual_grade))
                for s in found.submissions}


# ---- the runners ------------------------------------------------------------------------------

@dataclass
class Job:
    student: str
    args: list[str]
    log_file: str
    attempt: int = 1
    avoid: list[str] = field(default_factory=list)  # workers where it failed before


class WarmWorker:
    """One ``tools.grading.classworker`` process: nbgrader imported once, a forked process per job."""

    def __init__(self, course: Path, overrides: dict[str, str]):
        argv, extra = classjob.command([str(course)], module="tools.grading.classworker")
        self.proc = subprocess.Popen(argv, cwd=course, env=classjob.environment(overrides), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                     **extra)
        self._expect("ready")

    def _expect(self, key: str):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the local worker process ended")
        message = json.loads(line)
        if key not in message:
            raise RuntimeError(f"the local worker said {message}, not {key}")
        return message[key]

    def run(self, job: Job) -> dict:
        start = time.time()
        pid_file = Path(job.log_file).with_suffix(".pid")
        try:
            self.proc.stdin.write(json.dumps({"args": job.args, "log": job.log_file}) + "\n")
            self.proc.stdin.flush()
            pid = self._expect("started")
            pid_file.write_text(str(pid))
            returncode = self._expect("returncode")
        except (OSError, ValueError, RuntimeError) as error:
            returncode, pid = None, None
            self.close()
            output = f"the local worker process died: {error}"
        else:
            output = ""
        finally:
            pid_file.unlink(missing_ok=True)
        try:
            output = output or Path(job.log_file).read_text(errors="replace")[-classjob.TAIL:]
        except OSError:
            pass
        return {"returncode": returncode, "output": output, "seconds": time.time() - start,
                "host": socket.gethostname(), "pid": pid, "worker": None}

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class LocalRunner:
    """``jobs`` students at a time on this machine: one warm worker per job slot
    (``tools.grading.classworker``), each student in its own forked nbgrader process."""

    def __init__(self, course: Path, overrides: dict[str, str], jobs: int):
        self.course, self.overrides, self.jobs = course, overrides, jobs
        self.pool = cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="classgrade")
        self.where = f"{jobs} local process(es)"
        self._local = threading.local()
        self._workers: list[WarmWorker] = []
        self._lock = threading.Lock()

    def _worker(self) -> WarmWorker:
        worker = getattr(self._local, "worker", None)
        if worker is None or not worker.alive():
            worker = WarmWorker(self.course, self.overrides)  # started by (and dying with) this thread
            self._local.worker = worker
            with self._lock:
                self._workers.append(worker)
        return worker

    def _run(self, job: Job) -> dict:
        try:
            return self._worker().run(job)
        except (OSError, RuntimeError, ValueError) as error:
            return {"returncode": None, "output": f"the local worker could not start: {error}", "seconds": 0.0}

    def submit(self, job: Job):
        return self.pool.submit(self._run, job)

    @staticmethod
    def wait(pending, timeout: float):
        done, _ = cf.wait(pending, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    @staticmethod
    def outcome(future) -> dict:
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 (reported as this try's failure)
            return {"returncode": None, "output": f"{type(error).__name__}: {error}", "seconds": 0.0}

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:  # idle now: they end when their input closes
            worker.close()
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner:
    """The jobs on a dask.distributed cluster (workers that share the course folder)."""

    def __init__(self, course: Path, overrides: dict[str, str], address: str):
        import cloudpickle
        from distributed import Client
        cloudpickle.register_pickle_by_value(classjob)  # workers need no copy of this package
        run = classjob.run

        def job(*args):  # a local function: Dask must use cloudpickle, which sends classjob by value
            return run(*args)

        self._job = job
        self.course, self.overrides = course, overrides
        self.client = Client(address, timeout="30s")
        workers = self.client.scheduler_info(n_workers=-1)["workers"] if self._takes_n_workers() else \
            self.client.scheduler_info()["workers"]
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        self.where = f"Dask scheduler {address}: {len(workers)} worker(s), {threads} thread(s)"

    def _takes_n_workers(self) -> bool:
        import inspect
        return "n_workers" in inspect.signature(self.client.scheduler_info).parameters

    def submit(self, job: Job):
        workers = None
        if job.avoid:
            alive = set(self.client.scheduler_info(**({"n_workers": -1} if self._takes_n_workers() else {}))["workers"])
            others = sorted(alive - set(job.avoid))
            workers = others or None
        return self.client.submit(self._job, str(self.course), job.args, self.overrides, job.log_file,
                                  key=f"{job.args[0]}-{job.student}-try{job.attempt}-{time.time_ns()}",
                                  pure=False, workers=workers, allow_other_workers=True if workers else None)

    @staticmethod
    def wait(pending, timeout: float):
        from distributed import wait
        try:
            done, _ = wait(list(pending), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return done

    @staticmethod
    def outcome(future) -> dict:
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 (KilledWorker, a lost connection: this try failed)
            return {"returncode": None, "output": f"{type(error).__name__}: {error}", "seconds": 0.0}

    def close(self) -> None:
        self.client.close()


# ---- one class run ----------------------------------------------------------------------------

@dataclass
class Outcome:
    student: str
    status: str                    # graded, skipped, failed
    tries: int = 0
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    manual: bool = False
    problems: int = 0
    error: str = ""
    workers: list[str] = field(default_factory=list)


def child_overrides(course: Path, url: str) -> dict[str, str]:
    """What the nbgrader processes get on top of the worker's environment."""
    env = {gradebook.ENV_DB_URL: url, "MPLBACKEND": os.environ.get("MPLBACKEND", "Agg")}
    paths = [str(repo_root())] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    if gradebook.is_sqlite(url):
        env[gradebook.ENV_LOCK] = str(gradebook.lock_path(url, course))
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "Error" in line]
    return (errors or lines or ["(no output)"])[-1][:300]


def grade_class(course: Path | str, assignment: str, *, kind: str = "autograde", students: list[str] | None = None,
                jobs: int | None = None, scheduler: str | None = None, force: bool = False,
                progress: bool = True, out=None) -> list[Outcome]:
    """Grade (or make feedback for) every student of ``assignment``; print the summary; return it."""
    out = out or sys.stdout
    course = Path(course).resolve()
    url = gradebook.db_url()
    scheduler = scheduler or os.environ.get(ENV_SCHEDULER) or None
    if scheduler and gradebook.is_sqlite(url):
        raise SystemExit("a Dask cluster writes to a PostgreSQL gradebook: set VAE_COURSE_DB_URL "
                         "(README.md, \"Grading a class\"); SQLite is for one machine")
    known = students_of(course, assignment, kind)
    wanted = list(dict.fromkeys(students)) if students else known
    missing = sorted(set(wanted) - set(known))
    if missing:
        raise SystemExit(f"no {'submission' if kind == 'autograde' else 'autograded copy'} of {assignment} for: "
                         f"{', '.join(missing)}")
    if not wanted:
        raise SystemExit(f"nothing to do: no {'submitted' if kind == 'autograde' else 'autograded'}/*/{assignment}/")
    in_gradebook = graded_in_gradebook(course, url, assignment)
    ledger = Ledger(course, assignment)
    logs = course / "reports" / assignment / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    outcomes: dict[str, Outcome] = {}
    todo: list[Job] = []
    prints: dict[str, str] = {}
    for student in wanted:
        prints[student] = fingerprint(source_of(course, assignment, student, kind))
        entry = ledger.get(kind, student)
        done_before = (entry.get("status") == "graded" and entry.get("fingerprint") == prints[student]
                       and result_of(course, assignment, student, kind).is_dir()
                       and (kind != "autograde" or student in in_gradebook))
        if done_before and not force:
            outcomes[student] = Outcome(student, "skipped", tries=0)
            continue
        nbgrader_cmd = "autograde" if kind == "autograde" else "generate_feedback"
        todo.append(Job(student, [nbgrader_cmd, assignment, f"--student={student}", "--force"],
                        str(logs / f"{student}.{kind}.log")))

    overrides = child_overrides(course, url)
    jobs = max(1, jobs or default_jobs())
    runner = (DaskRunner(course, overrides, scheduler) if scheduler and todo else
              LocalRunner(course, {**overrides, **thread_overrides(jobs)}, jobs) if todo else None)
    skipped = len(wanted) - len(todo)
    print(f"{kind} {assignment}: {len(todo)} student(s) to do, {skipped} already done (--force redoes them)"
          + (f", on {runner.where}" if runner else "") + f"; gradebook {gradebook.hide_password(url)}",
          file=out, flush=True)
    start = time.time()
    if runner is not None:
        try:
            _run(runner, todo, outcomes, ledger, kind, assignment, course, prints, progress)
        finally:
            runner.close()
    wall = time.time() - start

    scores = graded_in_gradebook(course, url, assignment) if kind == "autograde" else {}
    problems = report.load(assignment, course)
    for student, outcome in outcomes.items():
        if student in scores:
            outcome.score, outcome.max_score, outcome.manual = scores[student]
        outcome.problems = sum(1 for p in problems if p["student"] == student)
    ordered = [outcomes[s] for s in wanted]
    text = summary(ordered, assignment, kind, wall, course, problems)
    print(text, file=out, flush=True)
    with report.locked(course / "reports" / assignment):
        report.write_atomic(course / "reports" / assignment / f"classgrade-{kind}.md", text + "\n")
    return ordered


def _run(runner, todo: list[Job], outcomes: dict[str, Outcome], ledger: Ledger, kind: str, assignment: str,
         course: Path, prints: dict[str, str], progress: bool) -> None:
    from tqdm import tqdm

    pending = {runner.submit(job): job for job in todo}
    failed = 0
    bar = tqdm(total=len(todo), unit="student", disable=not progress, file=sys.stderr, dynamic_ncols=True,
               desc=f"{kind} {assignment}")
    bar.set_postfix(done=0, failed=0, left=len(todo))
    try:
        while pending:
            for future in runner.wait(set(pending), timeout=1.0):
                job = pending.pop(future)
                result = runner.outcome(future)
                outcome = outcomes.setdefault(job.student, Outcome(job.student, "running"))
                outcome.tries = job.attempt
                outcome.seconds += float(result.get("seconds") or 0.0)
                if result.get("worker") or result.get("host"):
                    outcome.workers.append(str(result.get("worker") or result.get("host")))
                ok = result.get("returncode") == 0 and result_of(course, assignment, job.student, kind).is_dir()
                if ok:
                    outcome.status, outcome.error = "graded", ""
                    ledger.set(kind, job.student, {
                        "status": "graded", "fingerprint": prints[job.student], "tries": job.attempt,
                        "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
                elif job.attempt < TRIES:
                    why = _why(result)
                    bar.write(f"{job.student}: try {job.attempt} failed ({why}); retrying"
                              + (" on another worker" if result.get("worker") else ""))
                    retry = Job(job.student, job.args, job.log_file, job.attempt + 1,
                                job.avoid + ([result["worker"]] if result.get("worker") else []))
                    pending[runner.submit(retry)] = retry
                    continue
                else:
                    failed += 1
                    outcome.status, outcome.error = "failed", _why(result)
                    ledger.set(kind, job.student, {"status": "failed", "fingerprint": prints[job.student],
                                                   "tries": job.attempt, "error": outcome.error})
                    log_name = Path(job.log_file).relative_to(course)
                    report.add(assignment, job.student, "-", None,
                               "not graded" if kind == "autograde" else "no feedback",
                               f"{TRIES} tries failed; the last: {outcome.error} (nbgrader's output: {log_name})",
                               course_root=course)
                bar.update(1)
                done = sum(1 for o in outcomes.values() if o.status == "graded")
                bar.set_postfix(done=done, failed=failed, left=len(todo) - done - failed)
    finally:
        bar.close()


def _why(result: dict) -> str:
    code = result.get("returncode")
    if code is None:
        return f"the worker was lost: {_last_line(result.get('output', ''))}"
    if code < 0:
        return f"nbgrader was killed (signal {-code})"
    return f"nbgrader exited with {code}: {_last_line(result.get('output', ''))}"


def summary(outcomes: list[Outcome], assignment: str, kind: str, wall: float, course: Path,
            problems: list[dict]) -> str:
    rows = [("student", "status", "score", "tries", "time", "problems")]
    for o in outcomes:
        score = "-" if o.score is None else f"{o.score:g} / {o.max_score:g}" + (" + manual" if o.manual else "")
        rows.append((o.student, o.status, score if kind == "autograde" else "-", str(o.tries or "-"),
                     f"{o.seconds:.0f} s" if o.tries else "-", str(o.problems or "-")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["", f"Summary: {kind} {assignment}"]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("graded", "skipped", "failed")}
    done = [o for o in outcomes if o.tries]
    rate = f", {len(done) / wall * 60:.1f} per minute" if done and wall > 0 else ""
    lines.append(f"  {counts['graded']} graded, {counts['skipped']} skipped (done before), {counts['failed']} failed, "
                 f"in {wall:.0f} s{rate}")
    for o in outcomes:
        if o.status == "failed":
            lines.append(f"  FAILED {o.student}: {o.error}")
    ran = {o.student for o in outcomes}
    mine = [p for p in problems if p["student"] in ran]
    if mine:
        lines += ["", f"Problems (reports/{assignment}/problems.md):"]
        for p in mine:
            where = p["notebook"] + (f" cell {p['cell']}" if p.get("cell") else "")
            lines.append(f"  {p['student']} / {where}: {p['what']}: {p['why']}")
    try:
        integrity = json.loads((course / "reports" / assignment / "integrity.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        integrity = {}
    flagged = sorted(s for s, nbs in integrity.get("students", {}).items() if s in ran
                     and any(e.get("tamper") or e.get("suspicious") or e.get("events") for e in nbs.values()))
    if flagged:
        lines += ["", f"Integrity report flags (reports/{assignment}/integrity.md): {', '.join(flagged)}"]
    return "\n".join(lines)


# ---- export for a learning management system --------------------------------------------------

LMS = ("canvas", "moodle")


def lms_table(course: Path, url: str, lms: str) -> tuple[list[str], list[list[str]]]:
    """One row per student, one grade column per assignment (nbgrader export's ``score``: after
    the late penalty, manual grades included); an assignment a student has no submission of is left
    empty (nbgrader export writes 0 there)."""
    with open_gradebook(course, url) as gb:
        assignments = sorted(gb.assignments, key=lambda a: (a.duedate or datetime.datetime.max, a.name))
        names = [a.name for a in assignments]
        scores: dict[tuple[str, str], float] = {}
        for a in assignments:
            for submission in a.submissions:
                # as nbgrader export's "score": the late penalty taken off, never below 0
                penalty = float(submission.late_submission_penalty or 0.0)
                scores[(a.name, submission.student.id)] = max(0.0, float(submission.score) - penalty)
        students = sorted(gb.students, key=lambda s: s.id)
        if lms == "canvas":
            header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names]
            rows = []
            for s in students:
                name = ", ".join(x for x in (s.last_name, s.first_name) if x) or s.id
                rows.append([name, "", "", s.id, "", *(_fmt(scores.get((n, s.id))) for n in names)])
        else:
            header = ["Username", "Email address", *names]
            rows = [[s.id, s.email or "", *(_fmt(scores.get((n, s.id))) for n in names)] for s in students]
    return header, rows


def _fmt(score: float | None) -> str:
    return "" if score is None else f"{score:g}"


def export(course: Path, to: Path, lms: list[str] = ()) -> list[Path]:
    """nbgrader's own CSV (``nbgrader export --to``), and one for each LMS beside it:
    ``<to stem>_canvas.csv``, ``<to stem>_moodle.csv``."""
    url = gradebook.db_url()
    to = to if to.is_absolute() else course / to
    done = classjob.run(str(course), ["export", f"--to={to}"], child_overrides(course, url))
    if done["returncode"] != 0:
        raise SystemExit(f"nbgrader export failed:\n{done['output']}")
    written = [to]
    for name in dict.fromkeys(lms):
        header, rows = lms_table(course, url, name)
        target = to.with_name(f"{to.stem}_{name}.csv")
        with open(target, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(target)
    return written


# ---- the command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.grading.classgrade",
                                     description="Grade a class in parallel (run from the course root).")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, what in (("autograde", "autograde every submission"),
                       ("feedback", "generate_feedback for every student")):
        p = sub.add_parser(name, help=what)
        p.add_argument("assignment")
        p.add_argument("--student", action="append", help="only these students (repeat the option)")
        p.add_argument("--jobs", "-j", type=int, default=None, help="local processes (default: the cores)")
        p.add_argument("--scheduler", help=f"a Dask scheduler, tcp://host:port (or ${ENV_SCHEDULER})")
        p.add_argument("--force", action="store_true", help="redo students already done")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = sub.add_parser("export", help="nbgrader export, and a CSV for an LMS beside it")
    p.add_argument("--to", type=Path, default=Path("grades.csv"))
    p.add_argument("--lms", choices=LMS, action="append", help="also write <to>_<lms>.csv (repeat for both)")
    p = sub.add_parser("migrate", help="copy a SQLite gradebook into an empty database (PostgreSQL)")
    p.add_argument("--from", dest="source", default=None, help="default: sqlite:///gradebook.db of the course")
    p.add_argument("--to", dest="target", required=True, help="e.g. postgresql://grader@dbhost/vae_course")
    p.add_argument("--replace", action="store_true", help="empty the target first")
    for p in sub.choices.values():
        p.add_argument("--course", type=Path, default=Path.cwd(), help="the course root (default: here)")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").exists():
        parser.error(f"{course} is not a course root (no nbgrader_config.py): run from it or pass --course")
    if args.command in KINDS:
        outcomes = grade_class(course, args.assignment, kind=args.command, students=args.student, jobs=args.jobs,
                               scheduler=args.scheduler, force=args.force, progress=not args.no_progress)
        return 1 if any(o.status == "failed" for o in outcomes) else 0
    if args.command == "export":
        print("\n".join(f"wrote {p}" for p in export(course, args.to, args.lms or [])))
        return 0
    source = args.source or f"sqlite:///{course / 'gradebook.db'}"
    counts = gradebook.migrate(source, args.target, replace=args.replace)
    print(f"copied {gradebook.hide_password(source)} -> {gradebook.hide_password(args.target)}: "
          + ", ".join(f"{t} {n}" for t, n in counts.items() if n))
    print(f"now point the course at it: export {gradebook.ENV_DB_URL}='{gradebook.hide_password(args.target)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())

