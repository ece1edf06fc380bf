"""The course on JupyterHub: one class on one server, localhost only (README.md, "The course on JupyterHub").

    python -m tools.hub start [--root DIR] [--port 8000] [--students 3] [--prefix vc-]   (make hub)
    python -m tools.hub stop [--root DIR]                                              (make hub-stop)
    python -m tools.hub remove [--root DIR]    stop, then delete the accounts, their homes and DIR

Runs as root (the hub starts every user's server as that user). ``start`` sets up, idempotently:

* **accounts** (local users, PAM passwords kept in ``<root>/accounts.json``, mode 600): the instructor,
  a grader, the students, all in ``<root>/home/``, and the *course account* that owns the course
  directory and runs the formgrader service (no password: nobody logs in as it);
* **the shared environment** ``<root>/env``: this repository's ``.venv`` (hard links, so it costs no
  space), its Python made reachable by every user (copied to ``<root>/python`` when it lives in a folder
  they cannot enter, e.g. pyenv's in /root), ``helpers`` installed in it, read-only (owned by root), with
  the student configuration ``deploy/student/nbgrader_config.py`` in its ``etc/jupyter``;
* **the data** readable by all (the data root itself when every user can read it, else a copy);
* **the exchange** ``<root>/exchange`` (mode 1777, nbgrader then makes ``<course>/inbound`` 2733 and
  ``<course>/feedback`` 711, so a student can neither list nor guess another's submission or feedback);
* **the course directory** ``<root>/home/<course account>/vae-course``: a copy of this repository's
  course files the first time (the instructor's from then on), in a home of mode 700;
* the per-role Jupyter configuration ``<root>/etc/jupyter`` (deploy/jupyterhub/jupyter/) and
  ``<root>/hub.json`` (mode 600), which ``deploy/jupyterhub/jupyterhub_config.py`` reads;
* **MathJax** for every user: ``<root>/etc/mathjax_service.py`` (the hub runs it as ``nobody`` at
  ``/services/mathjax/``), ``VAE_COURSE_MATHJAX_URL`` for every server (the feedback pages) and the
  course service's ``<root>/share/jupyter`` (the formgrader's pages);

then starts JupyterHub (with configurable-http-proxy from deploy/jupyterhub/node_modules, ``make
hub-setup``) in the background and prints the URL and the accounts. The tests use the same code
(:class:`Hub`) on a temporary root, with their own account prefix.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import labcompat
from . import notebooks as nbs

REPO = nbs.REPO_ROOT
DEPLOY = REPO / "deploy" / "jupyterhub"
STUDENT_CONFIG = REPO / "deploy" / "student" / "nbgrader_config.py"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID = "vae-course"
#: Where every page of the hub loads MathJax from (deploy/jupyterhub/mathjax_service.py).
MATHJAX_URL = "/services/mathjax/MathJax.js"
DEFAULT_ROOT = Path("/srv/vae-course-hub")
DEFAULT_PREFIX = "vc-"
#: What the course directory gets from the repository (besides tracked files: see course_files).
COURSE_SKIP = (".venv", ".git", "deploy/jupyterhub/node_modules", "screenshots", "exchange", "submitted",
               "autograded", "feedback", "reports", "gradebook.db", "rubrics", "data", "vae-course")

#: How the instructor grades on the hub, run as the course account in the course directory: the class
#: grading command (`make grade`: one nbgrader process per student, in parallel, README "Grading a class").
AUTOGRADE = ["python", "-m", "tools.grading.classgrade", "autograde", "{assignment}"]


class HubError(RuntimeError):
    pass


# --- small system helpers ----------------------------------------------------------------------------

def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different free ports (each socket stays bound until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if check and done.returncode != 0:
        raise HubError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done


def world_reachable(path: Path, *, execute: bool = False) -> bool:
    """Whether any user can reach ``path`` (every folder above it searchable, it readable)."""
    path = Path(os.path.realpath(path))
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    mode = os.stat(path).st_mode
    need = stat.S_IROTH | (stat.S_IXOTH if execute or path.is_dir() else 0)
    return mode & need == need


def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def processes_of(uid: int) -> list[int]:
    """The pids of the processes of user ``uid`` (read from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("Uid:") and int(line.split()[1]) == uid:
                    pids.append(int(entry.name))
    return pids


def processes_running(script: Path) -> list[int]:
    """The pids of the processes whose command line names ``script`` (read from /proc)."""
    pids, wanted = [], os.fsencode(str(script))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if wanted in (entry / "cmdline").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def end_processes_of(name: str, grace: float = 5.0) -> None:
    """End every process of account ``name`` (the hub's servers and kernels), each by its pid."""
    if not account_exists(name):
        return
    uid = pwd.getpwnam(name).pw_uid
    if uid == 0:
        raise HubError("refusing to end root's processes")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            pids = processes_of(uid)
            time.sleep(0.1)
        if not pids:
            return


def create_account(name: str, home: Path, password: str | None) -> None:
    if not account_exists(name):
        home.parent.mkdir(parents=True, exist_ok=True)
        run("useradd", "--home-dir", str(home), "--create-home", "--shell", "/bin/bash", "--user-group",
            "--comment", "VAE course hub", name)
    home.mkdir(parents=True, exist_ok=True)
    entry = pwd.getpwnam(name)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)  # nobody else reads a home: work, fetched notebooks, feedback
    if password is not None:
        run("chpasswd", input=f"{name}:{password}\n")


def delete_account(name: str) -> None:
    end_processes_of(name)
    if account_exists(name):
        home = pwd.getpwnam(name).pw_dir
        run("userdel", "--remove", name, check=False)
        if account_exists(name):
            raise HubError(f"could not delete account {name}")
        shutil.rmtree(home, ignore_errors=True)
    run("groupdel", name, check=False)


def accounts_with_prefix(prefix: str) -> list[str]:
    if len(prefix) < 3:
        raise HubError(f"account prefix {prefix!r} is too short to be distinctive")
    return sorted(p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(prefix))


def chown_tree(path: Path, name: str) -> None:
    entry = pwd.getpwnam(name)
    for folder, dirs, files in os.walk(path):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for item in files + dirs:
            os.lchown(os.path.join(folder, item), entry.pw_uid, entry.pw_gid)


def link_tree(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` with hard links (no space, instant), or a copy across file systems."""
    if run("cp", "-al", str(source), str(target), check=False).returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        run("cp", "-a", str(source), str(target))


def replace_file(path: Path, content: bytes, mode: int | None = None) -> None:
    """Write ``path`` as a new file (never through a hard link shared with the repository's .venv)."""
    mode = stat.S_IMODE(os.lstat(path).st_mode) if mode is None and path.exists() else (mode or 0o644)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(content)
    os.chmod(path, mode)


# --- the settings ------------------------------------------------------------------------------------

@dataclass
class Hub:
    """One course hub: its folder, accounts and ports. ``start`` sets it up and runs it."""

    root: Path = DEFAULT_ROOT
    prefix: str = DEFAULT_PREFIX
    port: int = 8000
    students: list[str] = field(default_factory=list)
    data: Path | None = None  # the data root (default: $VAE_COURSE_DATA or <repo>/data)
    venv: Path = REPO / ".venv"
    expose_app: bool = False  # window.jupyterapp in every JupyterLab (the browser test drives it)

    def __post_init__(self):
        self.root = Path(self.root)
        if not self.students:
            self.students = [f"{self.prefix}student{i}" for i in (1, 2, 3)]

    # names and places
    @property
    def instructor(self) -> str:
        return f"{self.prefix}instructor"

    @property
    def grader(self) -> str:
        return f"{self.prefix}grader"

    @property
    def course_user(self) -> str:
        return f"{self.prefix}course"

    @property
    def people(self) -> list[str]:
        return [self.instructor, self.grader, *self.students]

    @property
    def accounts(self) -> list[str]:
        return [*self.people, self.course_user]

    def home(self, name: str) -> Path:
        return self.root / "home" / name

    @property
    def course_dir(self) -> Path:
        return self.home(self.course_user) / COURSE_ID

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def env(self) -> Path:
        return self.root / "env"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings_file(self) -> Path:
        return self.root / "hub.json"

    def settings(self) -> dict:
        return json.loads(self.settings_file.read_text())

    def passwords(self) -> dict[str, str]:
        file = self.root / "accounts.json"
        return json.loads(file.read_text()) if file.exists() else {}

    # --- set-up --------------------------------------------------------------------------------------
    def check(self) -> None:
        """What the hub needs on this machine; a message that says how to get what is missing."""
        missing = hub_requirements()
        if missing:
            raise HubError("the course hub needs " + "; ".join(missing))

    def setup(self) -> None:
        self.check()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for folder in ("home", "etc", "logs"):
            (self.root / folder).mkdir(exist_ok=True)
            os.chmod(self.root / folder, 0o755)
        os.chmod(self.root / "logs", 0o700)
        passwords = self.passwords()
        for name in self.people:
            passwords.setdefault(name, secrets.token_urlsafe(9))
            create_account(name, self.home(name), passwords[name])
        create_account(self.course_user, self.home(self.course_user), None)
        accounts = self.root / "accounts.json"
        accounts.write_text(json.dumps(passwords, indent=1))
        os.chmod(accounts, 0o600)
        self.build_env()
        data = self._data = self.shared_data()
        self.exchange.mkdir(exist_ok=True)
        os.chmod(self.exchange, 0o1777)  # nbgrader: a root every account writes to (sticky: none deletes another's)
        self.write_jupyter_config()
        self.make_course_dir()
        self.write_settings(data)

    def build_env(self) -> None:
        """``<root>/env``: the repository's environment, reachable and read-only for every user."""
        venv = self.venv.resolve()
        base_exe = Path(os.path.realpath(venv / "bin" / "python"))
        base_prefix = base_exe.parent.parent
        stamp = json.dumps({"venv": str(venv), "installed": (venv / ".installed").stat().st_mtime
                            if (venv / ".installed").exists() else None,
                            "site": sorted(p.name for p in (venv / "lib").glob("python3*/site-packages/*")),
                            "helpers": sorted((p.name, p.stat().st_mtime) for p in (REPO / "helpers").glob("*.py")),
                            "student_config": STUDENT_CONFIG.read_text()})
        stamp_file = self.env / ".vae-hub-env"
        if stamp_file.exists() and stamp_file.read_text() == stamp:
            return
        # The base Python: where it is, when every user can run it; else a copy (pyenv's lives in /root).
        if world_reachable(base_exe, execute=True) and world_reachable(base_prefix / "lib"):
            base = base_exe
        else:
            copy = self.root / "python"
            shutil.rmtree(copy, ignore_errors=True)
            link_tree(base_prefix, copy)
            base = copy / "bin" / base_exe.name
            libpython = sorted((copy / "lib").glob("libpython3*.so*"))
            if libpython:  # linked to libpython by an absolute run path: point it at the copy's lib/
                if shutil.which("patchelf") is None:
                    raise HubError(f"{base_exe} is linked to {base_prefix / 'lib'}, which other users cannot "
                                   "reach: its copy needs patchelf (apt-get install patchelf; make hub-setup)")
                replace_file(base, base_exe.read_bytes(), 0o755)
                run("patchelf", "--set-rpath", "$ORIGIN/../lib", str(base))
        shutil.rmtree(self.env, ignore_errors=True)
        link_tree(venv, self.env)
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        replace_file(self.env / "pyvenv.cfg", (
            f"home = {base.parent}\ninclude-system-site-packages = false\nversion = "
            f"{'.'.join(map(str, sys.version_info[:3]))}\nexecutable = {base}\n").encode())
        for name in ("python", "python3", f"python{version}"):
            link = self.env / "bin" / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(base)
        old, new = str(venv).encode(), str(self.env).encode()
        for script in (self.env / "bin").iterdir():
            if script.is_file() and not script.is_symlink():
                content = script.read_bytes()
                if old in content:
                    replace_file(script, content.replace(old, new))
        # helpers as a package of the environment (the repository's editable install points into the repo)
        site = self.env / "lib" / f"python{version}" / "site-packages"
        for editable in site.glob("__editable__*vae_course_helpers*"):
            editable.unlink()
        shutil.rmtree(site / "helpers", ignore_errors=True)
        shutil.copytree(REPO / "helpers", site / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
        # the student configuration, as the course's install step puts it in every environment
        etc = self.env / "etc" / "jupyter"
        etc.mkdir(parents=True, exist_ok=True)
        target = etc / "nbgrader_config.py"
        replace_file(target, STUDENT_CONFIG.read_bytes(), 0o644)
        # no news or update checks from an offline classroom
        settings = self.env / "share" / "jupyter" / "lab" / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        replace_file(settings / "overrides.json", json.dumps({
            "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
        }).encode(), 0o644)
        run(str(self.env / "bin" / "python"), "-m", "compileall", "-q", str(site / "helpers"))
        stamp_file.write_text(stamp)

    def shared_data(self) -> Path:
        """The data root every user reads: the course's when they can, else a read-only copy."""
        data = (self.data or Path(os.environ.get("VAE_COURSE_DATA") or REPO / "data")).resolve()
        if not data.is_dir():
            raise HubError(f"no data root at {data}: run make demo first (or set VAE_COURSE_DATA)")
        if world_reachable(data) and all(world_reachable(p) for p in data.rglob("*")):
            return data
        copy = self.root / "data"
        shutil.rmtree(copy, ignore_errors=True)
        link_tree(data, copy)
        for path in [copy, *copy.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        return copy

    def write_jupyter_config(self) -> None:
        etc = self.root / "etc" / "jupyter"
        shutil.rmtree(etc, ignore_errors=True)
        shutil.copytree(DEPLOY / "jupyter", etc)
        replace_file(self.mathjax_service, (DEPLOY / "mathjax_service.py").read_bytes(), 0o644)
        self.write_templates()
        if self.expose_app:
            common = etc / "common" / "jupyter_server_config.json"
            config = json.loads(common.read_text())
            config.setdefault("LabApp", {})["expose_app_in_browser"] = True
            common.write_text(json.dumps(config, indent=1))
        for path in [etc, *etc.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def make_course_dir(self) -> None:
        """The instructor's course directory, owned by the course account (first time: a copy of the
        repository's course files, its notebooks stamped with the hub kernel's Python version)."""
        course = self.course_dir
        if not (course / "nbgrader_config.py").exists():
            course.mkdir(parents=True, exist_ok=True)
            for relative in course_files():
                target = course / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / relative, target)
            chown_tree(self.home(self.course_user), self.course_user)
            os.chmod(course, 0o700)
            self.as_course(["python", "-m", "tools.labcompat"], check=True)
        jupyter = self.home(self.course_user) / ".jupyter"
        jupyter.mkdir(exist_ok=True)
        (jupyter / "nbgrader_config.py").write_text(
            "# nbgrader's one-class-multiple-graders set-up: the course directory of this account\n"
            f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n")
        chown_tree(jupyter, self.course_user)

    def environment(self, data: Path | None = None) -> dict[str, str]:
        """What every server and kernel of the hub sees (besides JupyterHub's own variables)."""
        settings = self.settings() if data is None else None
        return {
            "VAE_COURSE_DATA": str(data) if data is not None else settings["course_environment"]["VAE_COURSE_DATA"],
            "VAE_COURSE_EXCHANGE": str(self.exchange),
            "VAE_COURSE_ID": COURSE_ID,
            # feedback and formgrader pages load the hub's MathJax service (every user reaches it)
            **({"VAE_COURSE_MATHJAX_URL": MATHJAX_URL} if self.mathjax_dir() else {}),
        }

    @property
    def jupyter_data(self) -> Path:
        """The course service's extra Jupyter data folder (``JUPYTER_PATH``): templates."""
        return self.root / "share" / "jupyter"

    def write_templates(self) -> None:
        """The formgrader's pages load the hub's MathJax: nbgrader's ``formgrade`` template calls
        nbconvert's ``mathjax()`` macro without a URL (the CDN, so offline its formulas stay raw LaTeX
        and its page script stops); the service finds this ``formgrade/mathjax.html.j2`` first, the
        macro with the hub's MathJax as its default. (Feedback: tools/grading/feedback.FeedbackExporter.)"""
        shutil.rmtree(self.root / "share", ignore_errors=True)
        if self.mathjax_dir() is None:
            return
        base = self.env / "share" / "jupyter" / "nbconvert" / "templates" / "base" / "mathjax.html.j2"
        text, found = re.subn(r'macro mathjax\(url="[^"]*"\)',
                              f'macro mathjax(url="{MATHJAX_URL}{labcompat.MATHJAX_CONFIG}")', base.read_text())
        if found != 1:
            raise HubError(f"{base}: no mathjax(url=...) macro to point at the hub's MathJax")
        target = self.jupyter_data / "nbconvert" / "templates" / "formgrade" / "mathjax.html.j2"
        target.parent.mkdir(parents=True)
        target.write_text("{#- tools/hub.py: nbconvert's base/mathjax.html.j2, with the hub's MathJax -#}\n" + text)
        for path in [self.root / "share", *(self.root / "share").rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    @property
    def mathjax_service(self) -> Path:
        return self.root / "etc" / "mathjax_service.py"

    @staticmethod
    def mathjax_dir() -> Path | None:
        """Debian's MathJax when every user can read it (else the pages use the CDN: online only)."""
        folder = labcompat.local_mathjax_dir()
        return folder if folder is not None and world_reachable(folder / "MathJax.js") else None

    @property
    def path(self) -> str:
        return f"{self.env / 'bin'}:/usr/local/bin:/usr/bin:/bin"

    def write_settings(self, data: Path) -> None:
        old = self.settings() if self.settings_file.exists() else {}
        hub_port, proxy_api_port, service_port, mathjax_port = free_ports(4)
        settings = {
            "root": str(self.root), "course_id": COURSE_ID, "port": self.port,
            "hub_port": hub_port, "proxy_api_port": proxy_api_port, "service_port": service_port,
            "instructor": self.instructor, "grader": self.grader, "students": self.students,
            "course_user": self.course_user, "course_dir": str(self.course_dir), "env": str(self.env),
            "etc": str(self.root / "etc" / "jupyter"), "path": self.path, "proxy_command": str(PROXY),
            "course_environment": self.environment(data),
            "proxy_token": old.get("proxy_token") or secrets.token_hex(32),
            "admin_token": old.get("admin_token") or secrets.token_hex(32),
            "prefix": self.prefix,
            "mathjax_dir": str(self.mathjax_dir() or ""), "mathjax_port": mathjax_port,
            "mathjax_service": str(self.mathjax_service), "jupyter_path": str(self.jupyter_data),
            "mathjax_user": "nobody" if account_exists("nobody") else self.course_user,
        }
        self.settings_file.write_text(json.dumps(settings, indent=1))
        os.chmod(self.settings_file, 0o600)

    def as_course(self, command: list[str], check: bool = False, timeout: float | None = None
                  ) -> subprocess.CompletedProcess:
        """Run ``command`` as the course account in the course directory, with the hub's environment."""
        return self.as_user(self.course_user, command, cwd=self.course_dir, check=check, timeout=timeout)

    def as_user(self, name: str, command: list[str], cwd: Path | None = None, check: bool = False,
                timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run ``command`` as account ``name`` (a shell as that user would), with the hub's environment."""
        env = {"PATH": self.path, "HOME": str(self.home(name)), "USER": name, "LANG": "C.UTF-8",
               **self.environment(self.shared_data_path())}
        role = "service" if name == self.course_user else "staff" if name in (self.instructor, self.grader) \
            else "student"
        env["JUPYTER_CONFIG_PATH"] = f"{self.root / 'etc/jupyter' / role}:{self.root / 'etc/jupyter/common'}"
        if role == "service":
            env["JUPYTER_PATH"] = str(self.jupyter_data)
        done = subprocess.run(["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                               *command], cwd=cwd or self.home(name), capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise HubError(f"{' '.join(command)} as {name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def shared_data_path(self) -> Path:
        if getattr(self, "_data", None) is not None:
            return self._data
        if self.settings_file.exists():
            return Path(self.settings()["course_environment"]["VAE_COURSE_DATA"])
        return self.shared_data()

    def autograde(self, assignment: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Autograde ``assignment`` as the instructor does on the hub (AUTOGRADE, as the course account)."""
        return self.as_course([part.format(assignment=assignment) for part in AUTOGRADE], check=True,
                              timeout=timeout)

    # --- running -------------------------------------------------------------------------------------
    def start(self, timeout: float = 180) -> None:
        if self.running():
            return
        log = open(self.root / "logs" / "jupyterhub.log", "a")  # noqa: SIM115 (the hub's, kept open by it)
        env = {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "VAE_HUB_SETTINGS": str(self.settings_file), "LANG": "C.UTF-8", "HOME": "/root"}
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(DEPLOY / "jupyterhub_config.py")],
            cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise HubError("JupyterHub did not start:\n" + self.log_tail())
            if self.responds(f"{self.url}/hub/health") and self.responds(
                    f"http://127.0.0.1:{self.settings()['service_port']}/services/{COURSE_ID}/api/status",
                    ok=(200, 302, 403)):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise HubError(f"JupyterHub not up after {timeout:.0f} s:\n" + self.log_tail())
            time.sleep(0.5)

    def log_tail(self, chars: int = 6000) -> str:
        log = self.root / "logs" / "jupyterhub.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"

    @staticmethod
    def responds(url: str, ok: tuple[int, ...] = (200,)) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=3) as reply:
                return reply.status in ok
        except urllib.error.HTTPError as error:
            return error.code in ok
        except OSError:
            return False

    def pid(self, name: str = "jupyterhub.pid") -> int | None:
        file = self.root / name
        try:
            pid = int(file.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return self.pid() is not None

    def stop(self, timeout: float = 60) -> None:
        """Stop the hub (it stops every server and the proxy), then whatever of its accounts is left."""
        for name in ("jupyterhub.pid", "jupyterhub-proxy.pid"):
            pid = self.pid(name)
            if pid is None:
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.pid(name) == pid and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.pid(name) == pid:
                os.kill(pid, signal.SIGKILL)
        settings = self.settings() if self.settings_file.exists() else {}
        for name in settings.get("students", []) + [self.instructor, self.grader, self.course_user]:
            end_processes_of(name)
        for pid in processes_running(self.mathjax_service):  # the MathJax service, if the hub left it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self) -> None:
        """Stop the hub and delete its accounts, their homes and the hub's folder."""
        self.stop()
        names = set(self.accounts)
        if self.settings_file.exists():
            names.update(self.settings()["students"])
        for name in sorted(names):
            delete_account(name)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- the hub's REST API (the admin service's token) ------------------------------------------------
    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None,
            timeout: float = 60) -> dict | list | None:
        request = urllib.request.Request(
            f"{self.url}/hub/api{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {token or self.settings()['admin_token']}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            content = reply.read()
        return json.loads(content) if content else None

    def banner(self) -> str:
        passwords = self.passwords()
        lines = [f"The course hub is up: {self.url}/  (localhost only; make hub-stop ends it)",
                 f"  course directory: {self.course_dir} (account {self.course_user}, runs the formgrader)",
                 f"  formgrader: {self.url}/services/{COURSE_ID}/  (instructor and grader)",
                 f"  exchange: {self.exchange}   log: {self.root / 'logs' / 'jupyterhub.log'}",
                 "  accounts (user  password  role):"]
        roles = {self.instructor: "instructor (hub admin)", self.grader: "grader"}
        for name in self.people:
            lines.append(f"    {name:<20} {passwords.get(name, '?'):<16} {roles.get(name, 'student')}")
        return "\n".join(lines)


def course_files() -> list[str]:
    """The repository's files (tracked, or new and not ignored) that make up the course directory."""
    try:
        listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=REPO).stdout.split("\n")
    except (HubError, FileNotFoundError):
        listed = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    return sorted(f for f in listed if f and (REPO / f).is_file()
                  and not any(f == skip or f.startswith(skip + "/") for skip in COURSE_SKIP))


def hub_requirements() -> list[str]:
    """What is missing on this machine for the hub (empty: nothing)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (it runs each user's server as that user): sudo make hub")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        missing.append("JupyterHub in the course environment (make venv installs requirements.txt)")
    if not PROXY.exists():
        missing.append("configurable-http-proxy in deploy/jupyterhub/node_modules (make hub-setup: npm ci)")
    if shutil.which("node") is None:
        missing.append("Node.js (make hub-setup: apt-get install nodejs npm)")
    for tool in ("useradd", "userdel", "chpasswd", "runuser"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} (passwd/util-linux)")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hub", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop", "remove", "status"])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("VAE_HUB_ROOT") or DEFAULT_ROOT))
    parser.add_argument("--port", type=int, default=int(os.environ.get("VAE_HUB_PORT") or 8000))
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--prefix", default=os.environ.get("VAE_HUB_PREFIX") or DEFAULT_PREFIX)
    args = parser.parse_args(argv)
    hub = Hub(root=args.root, prefix=args.prefix, port=args.port,
              students=[f"{args.prefix}student{i}" for i in range(1, args.students + 1)])
    if args.action != "start" and hub.settings_file.exists():  # the hub as it was started
        settings = hub.settings()
        hub = Hub(root=args.root, prefix=settings["prefix"], port=settings["port"], students=settings["students"])
    try:
        if args.action == "start":
            if hub.running():
                print(hub.banner())
                return 0
            print(f"setting up the course hub in {hub.root} ...", flush=True)
            hub.setup()
            hub.start()
            print(hub.banner())
        elif args.action == "stop":
            hub.stop()
            print(f"the course hub in {hub.root} is stopped (accounts and work kept; make hub-remove deletes them)")
        elif args.action == "remove":
            hub.remove()
            print(f"removed the course hub in {args.root} and its accounts")
        else:
            print(hub.banner() if hub.running() else f"no course hub running in {hub.root}")
    except HubError as error:
        print(f"make hub: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
