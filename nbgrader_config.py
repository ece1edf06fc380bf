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
