"""The sandboxed kernel for autograding: bubblewrap (``bwrap``) namespaces plus rlimits.

``SandboxedKernelManager`` is a jupyter_client kernel manager whose kernel command is wrapped as

    prlimit --data=<memory> --cpu=<cpu> --fsize=<size> -- bwrap <mounts> -- python -m ipykernel_launcher ...

so the student's kernel sees a file system made of read-only system folders (the Python
installation, the virtual environment, ``helpers/``, the data root), a private ``/tmp`` and one
writable folder, the submission's working copy ``autograded/<student>/<assignment>/``; the notebook
being graded is hidden inside it. ``source/``, ``gradebook.db``, ``submitted/``, other students'
folders, ``nbgrader_config.py`` and ``reports/`` do not exist inside. It has its own pid, IPC, UTS
and network namespaces (the kernel talks to nbgrader over ZMQ on Unix sockets in a private
folder), no capabilities, and every process it starts dies with it.

Memory is limited with RLIMIT_DATA, not RLIMIT_AS: measured here, ``import torch`` reserves so
much address space that a 4 GB RLIMIT_AS already fails a 1 GB tensor, while RLIMIT_DATA counts
what is really allocated (a tensor over the limit raises ``RuntimeError``/``MemoryError`` in the
cell; the kernel lives on).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from functools import cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

GiB = 1024 ** 3

#: System folders the kernel reads (bound read-only where they exist; symlinks are recreated).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")

#: What of /etc the kernel reads: the dynamic loader, users and groups, time zone, certificates,
#: fonts, and the alternatives links that /usr/bin points through. Not the rest (shadow, ssh, ...).
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
               "localtime", "timezone", "ssl", "ca-certificates", "fonts", "alternatives", "mime.types",
               "hosts", "matplotlibrc")

#: Environment variables the kernel keeps (by exact name or by prefix); everything else is dropped,
#: so tokens and keys in the instructor's environment do not reach student code.
ENV_NAMES = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "PYTHONPATH", "PYTHONHASHSEED", "MPLBACKEND",
             "CUDA_VISIBLE_DEVICES", "VIRTUAL_ENV")
ENV_PREFIXES = ("LC_", "VAE_COURSE_", "NBGRADER_", "OMP_", "MKL_", "OPENBLAS_", "TORCH_", "JPY_",
                "PYDEVD_", "IPY_")
#: Never passed on, whatever the lists above say: the gradebook's URL holds its password.
ENV_SECRETS = ("VAE_COURSE_DB_URL", "VAE_COURSE_GRADEBOOK_LOCK")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be started: autograding stops rather than run student code unconfined."""


@cache
def check_bwrap(bwrap: str) -> None:
    """Fail with a message that says how to fix it when bubblewrap is missing or cannot make
    namespaces here (checked once per process)."""
    path = shutil.which(bwrap)
    if path is None:
        raise SandboxUnavailable(
            f"bubblewrap ('{bwrap}') is not installed, and autograding runs student code only inside it. "
            "Install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`; `make sandbox` does it as root), "
            "or, to grade WITHOUT any protection, set c.SandboxedKernelManager.allow_unsandboxed = True "
            "in nbgrader_config.py.")
    if shutil.which("prlimit") is None:
        raise SandboxUnavailable("prlimit (util-linux) is missing: it sets the kernel's memory and CPU limits.")
    done = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--die-with-parent",
                           "--cap-drop", "ALL", "--proc", "/proc", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create namespaces on this machine: {done.stderr.strip()} "
            "(unprivileged user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone=1, "
            "or run autograding as root).")


def helpers_dir() -> Path | None:
    """Where the kernel imports the course's ``helpers`` package from (the nbgrader process finds
    the same one: the course root is on its path)."""
    spec = importlib.util.find_spec("helpers")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def data_root(course_root: Path) -> Path:
    """The data root with every symlink resolved: the path the sandbox binds, and the one the
    kernel is told (``VAE_COURSE_DATA``). A path as written may lead through a symlink (a linked
    parent folder, or a link as the last component) that does not exist inside the sandbox."""
    configured = os.environ.get("VAE_COURSE_DATA")
    return (Path(configured).expanduser() if configured else course_root / "data").resolve()


def _ro_bind(path: Path | str) -> list[str]:
    """Bind ``path`` read-only at the same place; a symlink is recreated (and its target bound)."""
    path = Path(path)
    if path.is_symlink():
        target = path.resolve()
        return ["--symlink", os.readlink(path), str(path)] + (_ro_bind(target) if target.exists() else [])
    return ["--ro-bind", str(path), str(path)] if path.exists() else []


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside bubblewrap, with rlimits."""

    memory_limit = Integer(
        4 * GiB, help="Bytes of memory (RLIMIT_DATA) the student's kernel may allocate; each child "
        "process gets the same limit. 0: no limit.").tag(config=True)
    cpu_time_limit = Integer(
        900 * (os.cpu_count() or 1),
        help="Seconds of CPU time (RLIMIT_CPU) for the kernel of one notebook, all its threads together "
        "(default: 15 min per core); past it the kernel is killed and the cells after it score 0. "
        "0: no limit.").tag(config=True)
    file_size_limit = Integer(
        2 * GiB, help="Largest file (bytes) the kernel may write (RLIMIT_FSIZE). 0: no limit.").tag(config=True)
    tmp_size = Integer(512 * 1024 ** 2,
                       help="Size of the kernel's private /tmp and /dev/shm (tmpfs, in memory).").tag(config=True)
    read_only_paths = List(
        Unicode(), help="Further folders or files the kernel may read (bound read-only), e.g. a "
        "dataset outside the data root.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    allow_unsandboxed = Bool(
        False, help="Run student code WITHOUT the sandbox when bubblewrap is unavailable (a loud warning "
        "per kernel). Never on a machine that grades real submissions.").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # ZMQ over Unix sockets in a private folder: the kernel has no network at all.
        self._socket_dir = tempfile.mkdtemp(prefix="vae-kernel-")
        # Removed at shutdown, else when the manager goes (a kernel that never started) or at exit.
        weakref.finalize(self, shutil.rmtree, self._socket_dir, True)
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")

    # jupyter_client calls this (in the provisioner's pre_launch) after writing the connection
    # file; ``_launch_args`` holds the cwd and env nbclient passes to start_kernel.
    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        # A SIGINT to the process group would kill bwrap (and so the kernel): interrupt the
        # kernel by a message on its control channel instead (it then signals itself).
        self.kernel_spec.interrupt_mode = "message"
        try:
            check_bwrap(self.bwrap)
        except SandboxUnavailable as error:
            if not self.allow_unsandboxed:
                raise
            self.log.warning("UNSANDBOXED AUTOGRADING (allow_unsandboxed = True): %s", error)
            return self._rlimits() + cmd if shutil.which("prlimit") else cmd
        workdir = Path(self._launch_args.get("cwd") or os.getcwd()).resolve()
        env = self._launch_args.get("env") or dict(os.environ)
        env = {k: v for k, v in env.items() if k not in ENV_SECRETS}
        return self._rlimits() + [shutil.which(self.bwrap)] + self.bwrap_arguments(workdir, env) + ["--"] + cmd

    def _rlimits(self) -> list[str]:
        limits = ["prlimit", "--core=0"]
        if self.memory_limit:
            limits.append(f"--data={self.memory_limit}")
        if self.cpu_time_limit:
            # soft limit: SIGXCPU; the hard one a few seconds later: SIGKILL.
            limits.append(f"--cpu={self.cpu_time_limit}:{self.cpu_time_limit + 5}")
        if self.file_size_limit:
            limits.append(f"--fsize={self.file_size_limit}")
        return limits + ["--"]

    def bwrap_arguments(self, workdir: Path, env: dict[str, str]) -> list[str]:
        course_root = Path(os.getcwd()).resolve()  # nbgrader runs converters from the course root
        args = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
                "--unshare-cgroup-try", "--cap-drop", "ALL", "--hostname", "autograder",
                "--proc", "/proc", "--dev", "/dev", "--size", str(self.tmp_size), "--tmpfs", "/tmp",
                "--size", str(self.tmp_size), "--tmpfs", "/dev/shm"]
        for path in SYSTEM_PATHS:
            args += _ro_bind(path)
        args += ["--dir", "/etc"]
        for entry in ETC_ENTRIES:
            args += _ro_bind(Path("/etc") / entry)
        # An empty, read-only course root (also when it sits under /tmp, as in the tests): only
        # what is bound below shows through.
        args += ["--tmpfs", str(course_root)]
        python_paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent.parent}
        readable = [*python_paths, *(p.resolve() for p in python_paths), helpers_dir(), data_root(course_root),
                    *(Path(p) for p in self.read_only_paths)]
        for path in dict.fromkeys(p for p in readable if p is not None):
            args += _ro_bind(path)
        args += ["--bind", str(workdir), str(workdir)]
        # The notebook being graded (with its hidden tests) is in the working copy: hide it.
        for notebook in sorted(workdir.glob("*.ipynb")):
            args += ["--ro-bind", "/dev/null", str(notebook)]
        args += ["--ro-bind", os.path.realpath(self.connection_file), os.path.realpath(self.connection_file),
                 "--bind", self._socket_dir, self._socket_dir, "--chdir", str(workdir)]
        # The folders bwrap made for the mount points live on the sandbox's own root: make it
        # read-only too, so nothing but the working copy and /tmp takes a write.
        # Likewise /dev (bwrap's own, unsized tmpfs; writing to its devices still works).
        args += ["--remount-ro", str(course_root), "--remount-ro", "/dev", "--remount-ro", "/"]
        args += ["--clearenv"] + [a for name, value in self._kernel_env(env, workdir, course_root).items()
                                  for a in ("--setenv", name, value)]
        return args

    def _kernel_env(self, env: dict[str, str], workdir: Path, course_root: Path) -> dict[str, str]:
        kept = {k: v for k, v in env.items() if k in ENV_NAMES or k.startswith(ENV_PREFIXES)}
        helpers = helpers_dir()
        if helpers is not None:  # the kernel imports the same helpers/ the sandbox lets it read
            kept["PYTHONPATH"] = os.pathsep.join(p for p in (str(helpers.parent), kept.get("PYTHONPATH")) if p)
        # The data root as bound (symlinks resolved), not as written: a link on the way to it is not
        # inside the sandbox. Set also when unset, so that helpers imported from elsewhere agree.
        kept["VAE_COURSE_DATA"] = str(data_root(course_root))
        kept.update(HOME="/tmp", TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", PWD=str(workdir))
        return kept

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
