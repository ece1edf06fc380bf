"""The sandboxed kernel, proven on this machine under the course's real `nbgrader autograde`
(tools/grading/sandbox.py, README "Autograding safety").

One toy course (tools.grading.minicourse, the real nbgrader_config.py with a short CPU-time limit
added), one autograde batch: an honest control and students whose solution cells try, from inside
the kernel, each thing the sandbox forbids. Each probe records what happened in ``probe.json`` in
the submission's working copy (the one place the kernel may write), which the test reads back.
"""

import hashlib
import json
import os
import socket
import textwrap
import uuid
from pathlib import Path

import pytest

from tools import pipeline
from tools.grading import minicourse as mc
from tools.grading import sandbox

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")

CPU_LIMIT = 15  # seconds of CPU; the toy notebook needs about 4 (import torch)
TIMEOUT = 40  # seconds per cell (wall clock): the busy loop meets the CPU limit well before
MARKER = f"vae_sandbox_orphan_{uuid.uuid4().hex}"
FULL = sum(mc.POINTS.values())

PROBE = '''
import json, os, socket
def _try(action):
    try:
        out = action()
        return "ok" if out is None or isinstance(out, int) else ("ok:" + str(out)[:200])
    except BaseException as error:
        return type(error).__name__
def _read(path):
    with open(path, "rb") as f:
        return len(f.read())
def _write(path):
    with open(path, "ab") as f:
        f.write(b"tampered")
def _connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return None
P = {probes}
R = {{name: _try(action) for name, action in P.items()}}
with open("probe.json", "w") as f:
    json.dump(R, f)
'''


def probes(course: Path, port: int) -> str:
    c, helpers = str(course), str(sandbox.helpers_dir())
    items = {
        "write_gradebook": f"lambda: _write({c!r} + '/gradebook.db')",
        "write_config": f"lambda: _write({c!r} + '/nbgrader_config.py')",
        "write_source": f"lambda: _write({c!r} + '/source/toy/toy.ipynb')",
        "write_helpers": f"lambda: _write({helpers!r} + '/__init__.py')",
        "write_reports": f"lambda: _write({c!r} + '/reports/mine.md')",
        "write_other_autograded": f"lambda: _write({c!r} + '/autograded/s_honest/toy/x.txt')",
        "read_source": f"lambda: _read({c!r} + '/source/toy/toy.ipynb')",
        "read_gradebook": f"lambda: _read({c!r} + '/gradebook.db')",
        "read_config": f"lambda: _read({c!r} + '/nbgrader_config.py')",
        "read_other_submitted": f"lambda: _read({c!r} + '/submitted/s_honest/toy/toy.ipynb')",
        "list_course_root": f"lambda: sorted(os.listdir({c!r}))",
        "list_autograded": f"lambda: sorted(os.listdir({c!r} + '/autograded'))",
        "read_graded_notebook": "lambda: _read('toy.ipynb')",
        "read_helpers": f"lambda: _read({helpers!r} + '/__init__.py')",
        "list_data_root": f"lambda: len(os.listdir({str(sandbox.data_root(course))!r}))",
        "write_workdir": "lambda: _write('own_file.txt')",
        "write_tmp": "lambda: _write('/tmp/own_file.txt')",
        "write_dev_shm": "lambda: _write('/dev/shm/own_file')",
        "write_dev": "lambda: _write('/dev/own_file')",
        "write_dev_null": "lambda: _write('/dev/null')",
        "connect_localhost": f"lambda: _connect({port})",
        # left behind for nbgrader, which runs outside the sandbox, to trip over:
        "symlink_to_source": f"lambda: os.symlink({c!r} + '/source/toy/toy.ipynb', 'leak.ipynb')",
        "symlink_to_gradebook": f"lambda: os.symlink({c!r} + '/gradebook.db', 'gradebook_link')",
        "fifo": "lambda: os.mkfifo('hang.ipynb')",
        "extra_notebook": "lambda: _write('extra.ipynb')",
    }
    return "{" + ", ".join(f"{k!r}: {v}" for k, v in items.items()) + "}"


def fingerprint(*paths: Path) -> dict[str, str]:
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


SQUARE = "def square(x):\n    return x * x\n"
MEAN = "def mean(x):\n    return x.mean()\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = mc.make_course(tmp_path_factory.mktemp("sandbox") / "course")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.SandboxedKernelManager.cpu_time_limit = {CPU_LIMIT}\nc.Execute.timeout = {TIMEOUT}\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    probe = PROBE.format(probes=probes(course, port))
    mc.hand_in(course, "s_honest", mc.honest())
    mc.hand_in(course, "s_probe", mc.submission({"square": probe + SQUARE, "mean": MEAN}))
    big = 5 * 1024 ** 3  # over the 4 GiB default
    mc.hand_in(course, "s_memory", mc.submission({"mean": MEAN, "square": textwrap.dedent(f'''
        import torch
        under = torch.empty(3 * 1024 ** 3, dtype=torch.uint8)  # 3 GiB: allowed
        del under
        def square(x):
            hog = torch.empty({big}, dtype=torch.uint8)  # 5 GiB: over the limit
            return x * x
        ''')}))
    mc.hand_in(course, "s_cpu", mc.submission({"square": SQUARE, "mean": MEAN + "while True:\n    pass\n"}))
    sleeps = MEAN + "import time\ntime.sleep(10 ** 6)\n"  # mean is defined, then the cell hangs
    mc.hand_in(course, "s_sleeps", mc.submission({"square": SQUARE, "mean": sleeps}))
    mc.hand_in(course, "s_orphans", mc.submission({"mean": MEAN, "square": textwrap.dedent(f'''
        import subprocess, sys
        sleeper = [sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"]
        subprocess.Popen(sleeper)
        subprocess.Popen(sleeper, start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ''') + SQUARE}))
    protected = [course / "source", course / "release", course / "nbgrader_config.py", sandbox.helpers_dir()]
    before = fingerprint(*protected)
    pipeline.autograde(course, mc.ASSIGNMENT)
    listener.close()
    probe_result = json.loads((course / "autograded" / "s_probe" / "toy" / "probe.json").read_text())
    return course, mc.scores(course), probe_result, before, fingerprint(*protected)


def test_honest_control_full_marks_and_batch_complete(graded):
    course, scores, *_ = graded
    assert set(scores) == {"s_honest", "s_probe", "s_memory", "s_cpu", "s_sleeps", "s_orphans"}
    assert sum(scores["s_honest"].values()) == FULL
    assert all(sum(cells.values()) <= FULL for cells in scores.values())


def test_course_files_unchanged(graded):
    _, _, probe, before, after = graded
    assert before == after


def test_writes_outside_the_working_copy_fail(graded):
    _, scores, probe, *_ = graded
    for name in ("write_gradebook", "write_config", "write_source", "write_helpers", "write_reports",
                 "write_other_autograded"):
        assert probe[name] != "ok", f"{name}: the kernel could write: {probe}"
    assert probe["write_dev"] != "ok", probe
    for name in ("write_workdir", "write_tmp", "write_dev_shm", "write_dev_null"):
        assert probe[name] == "ok", f"{name}: {probe}"
    assert sum(scores["s_probe"].values()) == FULL  # probing costs nothing, earns nothing


def test_links_and_special_files_left_for_nbgrader_are_removed(graded):
    course, _, probe, *_ = graded
    for name in ("symlink_to_source", "symlink_to_gradebook", "fifo", "extra_notebook"):
        assert probe[name] == "ok", f"{name}: {probe}"  # made inside the sandbox ...
    left = sorted(p.name for p in (course / "autograded" / "s_probe" / "toy").iterdir())
    assert left == ["own_file.txt", "probe.json", "toy.ipynb"], left  # ... and gone after
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    removed = sorted(p["why"].split()[0] for p in problems if p["student"] == "s_probe")
    assert removed == ["extra.ipynb", "gradebook_link", "hang.ipynb", "leak.ipynb"], problems


def test_course_secrets_are_not_readable(graded):
    _, _, probe, *_ = graded
    for name in ("read_source", "read_gradebook", "read_config", "read_other_submitted"):
        assert probe[name] == "FileNotFoundError", f"{name}: {probe[name]}"
    # The course root holds nothing but what the kernel needs to read; no other student's folder.
    assert probe["list_course_root"] == "ok:['autograded']", probe
    assert probe["list_autograded"] == "ok:['s_probe']", probe
    # The notebook being graded (with its hidden tests) is hidden inside its own working copy.
    assert probe["read_graded_notebook"] in ("PermissionError", "FileNotFoundError", "ok"), probe


def test_what_the_kernel_needs_is_readable(graded):
    _, _, probe, *_ = graded
    assert probe["read_helpers"].startswith("ok"), probe
    data = sandbox.data_root(graded[0])
    if data.exists():
        assert probe["list_data_root"] == f"ok:{len(os.listdir(data))}" or probe["list_data_root"] == "ok", probe


def test_no_network(graded):
    _, _, probe, *_ = graded
    assert probe["connect_localhost"] in ("ConnectionRefusedError", "OSError", "TimeoutError"), probe


def test_memory_over_the_limit_fails_the_cell_not_the_batch(graded):
    course, scores, *_ = graded
    memory = scores["s_memory"]
    assert memory["test_square_values"] == 0 and memory["test_square_shape"] == 0, memory
    assert memory["test_mean"] == mc.POINTS["test_mean"], memory  # the kernel lived on
    graded_nb = json.loads((course / "autograded" / "s_memory" / "toy" / "toy.ipynb").read_text())
    errors = [o for c in graded_nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and all(o["ename"] in ("RuntimeError", "MemoryError", "OutOfMemoryError") for o in errors), errors


def test_cpu_time_limit_kills_the_kernel_and_keeps_earlier_points(graded):
    course, scores, *_ = graded
    cpu = scores["s_cpu"]
    assert cpu["test_mean"] == 0, cpu
    assert cpu["test_square_values"] + cpu["test_square_shape"] == 3, cpu
    problems = json.loads((course / "reports" / "toy" / "problems.json").read_text())
    assert any(p["student"] == "s_cpu" and p["what"] == "dead kernel" for p in problems), problems


def test_a_cell_past_the_timeout_is_interrupted_and_the_kernel_lives_on(graded):
    # The sandboxed kernel is interrupted by a message (a SIGINT to its process group would kill
    # bwrap): the sleeping cell gets a KeyboardInterrupt, the next cells run.
    course, scores, *_ = graded
    assert scores["s_sleeps"] == {"test_square_values": 2.0, "test_square_shape": 1.0, "test_mean": 1.0}
    graded_nb = json.loads((course / "autograded" / "s_sleeps" / "toy" / "toy.ipynb").read_text())
    errors = [o["ename"] for c in graded_nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and set(errors) <= {"KeyboardInterrupt", "CellTimeoutError"}, errors


def test_no_child_process_outlives_the_kernel(graded):
    course, scores, *_ = graded
    assert sum(scores["s_orphans"].values()) == FULL
    alive = []
    for proc in Path("/proc").iterdir():
        try:
            if MARKER.encode() in (proc / "cmdline").read_bytes():
                alive.append(proc.name)
        except OSError:
            continue
    assert not alive, f"background processes of the student outlived the kernel: {alive}"


def test_without_bubblewrap_autograding_fails_closed(tmp_path):
    course = mc.make_course(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.SandboxedKernelManager.bwrap = 'bwrap-not-installed'\n")
    mc.hand_in(course, "n_honest", mc.honest())
    with pytest.raises(pipeline.NbgraderError) as failed:
        pipeline.autograde(course, mc.ASSIGNMENT)
    assert "bubblewrap ('bwrap-not-installed') is not installed" in str(failed.value)
    assert not (course / "autograded" / "n_honest" / "toy" / "toy.ipynb").exists()
    assert sum(mc.total(course).values()) == 0


READ_DATA = '''
import json, os
import helpers
def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as error:
        return type(error).__name__
with open("data_probe.json", "w") as f:
    json.dump({"env": _read(os.path.join(os.environ["VAE_COURSE_DATA"], "MNIST", "marker.txt")),
               "helpers": _read(str(helpers.data_root() / "MNIST" / "marker.txt"))}, f)
'''


def test_a_data_root_reached_through_symlinks_is_readable_in_the_kernel(tmp_path, monkeypatch):
    # The data root as written leads through a linked folder and ends in a link: the kernel must
    # still read it through VAE_COURSE_DATA (and helpers.data_root(), which the notebooks use).
    real = tmp_path / "disk" / "datasets"
    (real / "MNIST").mkdir(parents=True)
    (real / "MNIST" / "marker.txt").write_text("the data")
    (tmp_path / "mnt").symlink_to(tmp_path / "disk")           # a link in the path ...
    (tmp_path / "disk" / "vae-data").symlink_to(real)          # ... and as the last component
    monkeypatch.setenv("VAE_COURSE_DATA", str(tmp_path / "mnt" / "vae-data"))
    course = mc.make_course(tmp_path / "course")
    mc.hand_in(course, "s_data", mc.submission({"square": READ_DATA + SQUARE, "mean": MEAN}))
    pipeline.autograde(course, mc.ASSIGNMENT)
    assert sum(mc.scores(course)["s_data"].values()) == FULL
    read = json.loads((course / "autograded" / "s_data" / "toy" / "data_probe.json").read_text())
    assert read == {"env": "the data", "helpers": "the data"}, read
