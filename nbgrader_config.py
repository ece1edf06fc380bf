"""nbgrader configuration of the VAE course. Run nbgrader commands from this folder
(the course root) with the environment's bin/ on PATH: nbgrader shells out to ``alembic``."""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "vae-course"
# The gradebook lives at the course root, next to this file.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Files nbgrader must not copy from source/ into release/ or from submissions.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checkpoints", "data", "*.pt",
]

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding runs in quick mode (nbgrader sets NBGRADER_EXECUTION, helpers.quick_mode() sees
# it), so no cell should come near this; it stops a runaway student loop.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# ---- Autograding integrity (issue 10; tools/grading/integrity.py) ------------------------------
# InjectGuard runs before execution (a prologue cell, one checking line per test cell); CheckGuard
# after it, before SaveAutoGrades (confirms each test cell's canary, strips the guard, writes
# reports/<assignment>/integrity.md). The rest is nbgrader 0.9.6's default chain. When merging
# with the sandbox branch: tools.grading.execute.SandboxedExecute replaces Execute, and
# NormalizeOutputs / CapOutputs go where grading_interface.md puts them.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the course root: tools/ is importable

from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from tools.grading.integrity import CheckGuard, InjectGuard  # noqa: E402

c.Autograde.autograde_preprocessors = [
    InjectGuard,         # integrity: before any student code runs
    Execute,             # (sandbox branch: tools.grading.execute.SandboxedExecute)
    CheckGuard,          # integrity: after execution, before grades are saved
    IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
# ---- end of the integrity block ------------------------------------------------------------
