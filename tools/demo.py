"""``make demo``: the whole nbgrader pipeline in the course root, ending with a grade table.

1. generate every assignment's student version into release/;
2. hand in two demonstration submissions per assignment: ``reference`` (the solution notebook)
   and ``blank`` (the untouched student version);
3. autograde them (quick mode: nbgrader sets NBGRADER_EXECUTION);
4. export the grades to grades.csv and print a table per assignment.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import notebooks as nbs
from . import pipeline


def format_table(grades: list[pipeline.Grade]) -> str:
    lines = []
    for assignment in sorted({g.assignment for g in grades}):
        rows = [g for g in grades if g.assignment == assignment]
        lines.append(f"\n{assignment}")
        lines.append(f"  {'student':<12}{'auto-graded':>14}{'written (by hand)':>20}")
        for g in rows:
            auto = f"{g.auto_score:g} / {g.auto_max:g}"
            manual = f"- / {g.manual_max:g}" if g.manual_max else "-"
            lines.append(f"  {g.student:<12}{auto:>14}{manual:>20}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    args = parser.parse_args(argv)
    course = nbs.REPO_ROOT
    assignments = args.assignments or nbs.assignments()
    for assignment in assignments:
        start = time.perf_counter()
        print(f"[{assignment}] generate_assignment -> release/{assignment}", flush=True)
        pipeline.generate(course, assignment)
        pipeline.demo_submissions(course, assignment)
        print(f"[{assignment}] autograde reference and blank (quick mode)", flush=True)
        pipeline.autograde(course, assignment)
        print(f"[{assignment}] done in {time.perf_counter() - start:.0f} s", flush=True)
    csv_path = pipeline.export(course, course / "grades.csv")
    grades = [g for g in pipeline.grades(course) if g.assignment in assignments
              and g.student in pipeline.DEMO_STUDENTS]
    print(f"\nGrades (exported to {csv_path.name}):" + format_table(grades))
    wrong = [g for g in grades if (g.student == "reference" and g.auto_score != g.auto_max)
             or (g.student == "blank" and g.auto_score != 0)]
    if wrong:
        print("\nUNEXPECTED: the reference must get every auto-graded point and blank none:", file=sys.stderr)
        for g in wrong:
            lost = {k: v for k, v in g.cells.items() if (v[0] != v[1]) == (g.student == "reference")}
            print(f"  {g.assignment} {g.student}: {lost}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
