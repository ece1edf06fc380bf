"""nbgrader configuration of the VAE course. Run nbgrader commands from this folder
(the course root) with the environment's bin/ on PATH: nbgrader shells out to ``alembic``.

Autograding runs every submission in a sandboxed kernel and through the course's own
preprocessors in ``tools/grading/`` (README.md, "Autograding safety")."""

import os
import sys

# The course's own code (tools.grading) sits next to this file; nbgrader does not put the
# course root on the path by itself (the `nbgrader` script's folder is what Python adds).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ComputeChecksums,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    SaveCells,
)

from tools import labcompat  # noqa: E402
from tools.grading import feedback, gradebook, robust  # noqa: E402
from tools.grading.execute import SandboxedExecute  # noqa: E402
from tools.grading.integrity import CheckGuard, InjectGuard  # noqa: E402
from tools.grading.outputs import CapOutputs, NormalizeOutputs  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# What students' nbgrader reads wherever it runs (deploy/student/nbgrader_config.py, installed into the
# environment by `make venv`): the time limit per cell, and a cell interrupted at it failing the Validate
# report. Read here too, so that the course folder behaves the same without the installed copy; the
# settings below win where they differ.
_STUDENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deploy", "student", "nbgrader_config.py")
if os.path.isfile(_STUDENT):  # (a copy of this file alone, as in the tests' toy courses, goes without)
    with open(_STUDENT, encoding="utf-8") as _file:
        exec(compile(_file.read(), _STUDENT, "exec"), {"get_config": get_config})  # noqa: S102, F821

c.CourseDirectory.course_id = "vae-course"
# The gradebook: gradebook.db at the course root, next to this file; for a class, a PostgreSQL
# server named by VAE_COURSE_DB_URL (README.md, "Grading a class"). Parallel grading on SQLite
# takes turns at the database (tools/grading/gradebook.py).
c.CourseDirectory.db_url = gradebook.db_url()
gradebook.install()
robust.DB_URL = c.CourseDirectory.db_url
# Files nbgrader must not copy from source/ into release/ or from submissions.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checkpoints", "data", "*.pt",
]

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# generate_assignment: nbgrader's steps, with two changes (tools/labcompat.py): the stub says which
# function to write (`NotImplementedError: elbo() is not written yet: ...`), and the release
# notebook carries the kernelspec/language_info JupyterLab writes, so opening it does not mark it
# modified.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, labcompat.NamedStubs, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata, labcompat.NormalizeMetadata,
]

# --- JupyterLab (README.md, "In JupyterLab") ------------------------------------------------------
# Exchange: on one machine (a laptop, a lab PC) the exchange is a folder of the course,
# exchange/, so the Assignment List works out of the box (nbgrader's default, /srv/nbgrader/exchange,
# does not exist there and the panel shows errors). On JupyterHub, set VAE_COURSE_EXCHANGE to a
# shared folder every user can write (`mkdir -p /srv/nbgrader/exchange && chmod 777 ...`).
_EXCHANGE = (os.environ.get("VAE_COURSE_EXCHANGE")
             or os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange"))
c.Exchange.root = _EXCHANGE
c.Exchange.path_includes_course = True
try:
    os.makedirs(_EXCHANGE, exist_ok=True)
except OSError:  # a read-only course folder: the Assignment List says the exchange is missing
    pass

# Formulas in the formgrader and the feedback pages: MathJax from Debian's libjs-mathjax (served by
# the course's Jupyter server, `make lab-setup`) when installed, so they render offline; else the CDN.
if labcompat.mathjax_url() is not None:
    c.HTMLExporter.mathjax_url = labcompat.mathjax_url()

# Autograding runs in quick mode (nbgrader sets NBGRADER_EXECUTION, helpers.quick_mode() sees
# it), so no cell should come near this; it stops a runaway student loop. (SandboxedExecute is
# nbgrader's Execute: it reads the same settings.)
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# --- Autograding safety (tools/grading/, README.md "Autograding safety") -----------------------
# Sanitize: a duplicated grade_id no longer stops the batch (robust.DeduplicateIds); cells run in
# the assignment's order, however the student moved them (robust.RestoreCellOrder).
c.Autograde.sanitize_preprocessors = [
    ClearOutput, robust.DeduplicateIds, robust.RestoreCellOrder, OverwriteKernelspec, OverwriteCells,
    CheckCellMetadata,
]
# A misnamed notebook is graded as the one the submission lacks; an unreadable one as the blank
# student version (0 points, reported).
c.Autograde.pre_convert_hook = robust.check_submission
c.Autograde.exporter_class = robust.TolerantNotebookExporter

# Integrity (tools/grading/integrity.py): InjectGuard runs a prologue before any student code and
# appends a check to every test cell; CheckGuard confirms each test cell's canary, strips the guard
# and writes reports/<assignment>/integrity.md. Nothing between them may rewrite stdout (the canary).
c.Autograde.autograde_preprocessors = [
    InjectGuard,        # before any student code runs
    SandboxedExecute,   # nbgrader's Execute, with the kernel in bubblewrap + rlimits
    NormalizeOutputs,   # stderr (a torch UserWarning) does not fail a cell; an exception does
    CheckGuard,         # a test cell counts only when its run is confirmed
    IgnorePattern, ClearMetadataPreprocessor,
    CapOutputs,         # replaces nbgrader's LimitOutput: characters and lines, per cell and notebook
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]

# The student's kernel while grading (tools/grading/sandbox.py): bubblewrap must be installed
# (`make sandbox`); without it autograding stops with a message. Memory is RLIMIT_DATA (torch
# breaks under RLIMIT_AS), per process. CPU time is for one notebook's kernel, all its threads
# together (torch uses every core): 15 CPU-minutes per core, far above a quick-mode notebook.
c.SandboxedKernelManager.memory_limit = 4 * 1024 ** 3
c.SandboxedKernelManager.cpu_time_limit = 900 * (os.cpu_count() or 1)
# c.SandboxedKernelManager.read_only_paths = ["/srv/extra-data"]   # more the kernel may read
# c.SandboxedKernelManager.allow_unsandboxed = True   # NEVER for real submissions: no protection

# Autograded notebooks hold the hidden tests (nbgrader restores test cells from the gradebook):
# not world-readable (nbgrader's default is 444) on a server where students have accounts.
c.Autograde.permissions = 440

# Outputs kept in autograded notebooks and feedback (tools/grading/outputs.py).
c.CapOutputs.max_cell_chars = 100_000
c.CapOutputs.max_notebook_chars = 5_000_000
c.CapOutputs.max_lines = 1000

# Feedback: visible tests as written, hidden tests and tracebacks stripped (tools/grading/feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades", feedback.HideHiddenTests,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# ... and formulas from the local MathJax above (nbgrader's feedback template always names the CDN).
c.GenerateFeedback.exporter_class = feedback.FeedbackExporter
