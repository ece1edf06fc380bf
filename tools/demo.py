"""``make demo``: the whole nbgrader pipeline in the course root, ending with a grade table.

1. generate every assignment's student version into release/;
2. hand in two demonstration submissions per assignment: ``reference`` (the solution notebook)
   and ``blank`` (the untouched student version);
3. autograde them (quick mode: nbgrader sets NBGRADER_EXECUTION);
4. export the grades to grades.csv and print a table per assignment;
5. list the cells that raised in the autograded notebooks (a missing dataset, a broken set-up):
   every error of ``reference``, and of ``blank`` every error but the expected
   ``NotImplementedError`` of its unfinished exercises (counted, not listed).

Exits non-zero when the reference loses an auto-graded point, blank earns one, or any cell of the
reference raised.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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


#: Cells with this tag are meant to raise; their errors are not listed.
RAISES_TAG = "raises-exception"


@dataclass(frozen=True)
class CellError:
    """A cell of an autograded notebook whose output is an error."""

    assignment: str
    student: str
    cell: int
    grade_id: str | None
    kind: str            # "solution", "test" or "other"
    error: str           # "ename: first line of evalue"

    @property
    def not_implemented(self) -> bool:
        return self.error.startswith("NotImplementedError")

    def describe(self) -> str:
        where = f"cell {self.cell}" + (f" ({self.kind} {self.grade_id})" if self.grade_id else "")
        return f"{self.assignment}  {self.student:<10} {where}: {self.error}"


def autograded_notebook(course, student: str, assignment: str) -> Path:
    return Path(course) / "autograded" / student / assignment / f"{assignment}.ipynb"


def cell_errors(course, assignment: str, student: str) -> list[CellError]:
    """The cells of ``student``'s autograded notebook that raised, from their "error" outputs.

    Raises FileNotFoundError when autograde left no notebook for the student."""
    path = autograded_notebook(course, student, assignment)
    nb = nbs.load(path)
    errors = []
    for index, cell in enumerate(nb["cells"]):
        if RAISES_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # meant to raise (nbval's convention), e.g. to show an error message
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            first = (str(output.get("evalue", "")).strip().splitlines() or [""])[0]
            text = f"{output.get('ename', 'Error')}: {first}" if first else output.get("ename", "Error")
            kind = ("solution" if nbs.is_solution(cell) else "test" if nbs.is_autograded_test(cell) else "other")
            errors.append(CellError(assignment, student, index, nbs.grade_id(cell), kind,
                                    text if len(text) <= 200 else text[:197] + "..."))
    return errors


def error_report(course, assignments: list[str]) -> tuple[str, bool]:
    """(text, reference_raised): the cells that raised, per assignment and demonstration student.

    For ``blank`` the NotImplementedError of its stubs (in the exercise cells and in the cells
    that call them) is expected: counted, not listed."""
    lines, reference_raised = [], False
    for assignment in assignments:
        for student in pipeline.DEMO_STUDENTS:
            try:
                errors = cell_errors(course, assignment, student)
            except FileNotFoundError:
                lines.append(f"{assignment}  {student:<10} no autograded notebook "
                             f"({autograded_notebook(course, student, assignment).relative_to(course)})")
                reference_raised |= student == "reference"
                continue
            if student == "blank":
                expected = [e for e in errors if e.not_implemented]
                errors = [e for e in errors if not e.not_implemented]
                if expected:
                    lines.append(f"{assignment}  {student:<10} {len(expected)} cells raised NotImplementedError "
                                 "(expected: unfinished exercises and the cells that call them)")
            lines += [e.describe() for e in errors]
            reference_raised |= student == "reference" and bool(errors)
    return "\n".join(lines), reference_raised


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    parser.add_argument("--course", type=Path, default=nbs.REPO_ROOT, help="the course root (default: this one)")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    assignments = args.assignments or sorted(
        p.parent.name for p in (course / "source").glob("*/*.ipynb") if p.stem == p.parent.name)
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
    report, reference_raised = error_report(course, assignments)
    print("\nCells that raised (autograded/<student>/<assignment>/<assignment>.ipynb):")
    print("\n".join("  " + line for line in report.splitlines()) if report else "  none")
    failed = False
    wrong = [g for g in grades if (g.student == "reference" and g.auto_score != g.auto_max)
             or (g.student == "blank" and g.auto_score != 0)]
    if wrong:
        print("\nUNEXPECTED: the reference must get every auto-graded point and blank none:", file=sys.stderr)
        for g in wrong:
            lost = {k: v for k, v in g.cells.items() if (v[0] != v[1]) == (g.student == "reference")}
            print(f"  {g.assignment} {g.student}: {lost}", file=sys.stderr)
        failed = True
    if reference_raised:
        print("\nUNEXPECTED: cells of the reference submission raised (listed above): the set-up is broken "
              "(is the dataset there? see README, Set-up) or a solution is wrong.", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
