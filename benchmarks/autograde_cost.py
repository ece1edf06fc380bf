"""What the sandbox costs: `nbgrader autograde` time per submission with and without it.

Autogrades N copies of one real assignment's reference solution (quick mode, the course's real
nbgrader_config.py in a temporary course) twice: as configured (sandboxed kernel), and with
nbgrader's own Execute in place of SandboxedExecute (the rest of the chain unchanged). Prints the
wall time per submission of each and the difference.

    python -m benchmarks.autograde_cost [ASSIGNMENT] [N]      # make bench-autograde A=01_elbo N=3
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tools import notebooks as nbs
from tools import pipeline

UNSANDBOXED = '''
# benchmark only: nbgrader's own Execute instead of the sandboxed one
from nbgrader.preprocessors import Execute as _Execute
c.Autograde.autograde_preprocessors = [
    _Execute if p is SandboxedExecute else p for p in c.Autograde.autograde_preprocessors]
'''


def per_submission(assignment: str, n: int, sandboxed: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        course = pipeline.course_copy(Path(tmp) / "course", assignments=(assignment,))
        if not sandboxed:
            with open(course / "nbgrader_config.py", "a") as f:
                f.write(UNSANDBOXED)
        pipeline.generate(course, assignment)
        for i in range(n):
            pipeline.submit(course, f"student{i:02d}", assignment, nbs.source_notebook(assignment))
        start = time.perf_counter()
        pipeline.autograde(course, assignment)
        elapsed = time.perf_counter() - start
        grades = [g for g in pipeline.grades(course) if g.assignment == assignment]
        assert len(grades) == n and all(g.auto_score == g.auto_max for g in grades), grades
        return elapsed / n


def main(argv: list[str]) -> None:
    assignment = argv[0] if argv else "01_elbo"
    n = int(argv[1]) if len(argv) > 1 else 3
    plain = per_submission(assignment, n, sandboxed=False)
    boxed = per_submission(assignment, n, sandboxed=True)
    cost = boxed - plain
    print(f"{assignment}, {n} submissions, quick mode: nbgrader Execute {plain:.1f} s/submission, "
          f"SandboxedExecute {boxed:.1f} s/submission, cost {cost:+.1f} s ({cost / plain * 100:+.0f} %)")


if __name__ == "__main__":
    main(sys.argv[1:])
