"""``make rubrics``: one grading sheet per assignment for the teaching assistants.

nbgrader's formgrader shows a student's written answer and a box for the score, but not the model
answer: that lives in the source notebook's answer cell, followed by a **Rubric:** list that splits
the cell's points. This writes ``rubrics/<assignment>.html`` (and ``rubrics/index.html``) with, for
every hand-graded question, its grade_id and points, the question, the model answer and the rubric,
formulas rendered (nbconvert's HTML exporter on a notebook built for the purpose; MathJax comes from
Debian's libjs-mathjax as a file:// URL when it is installed, so the sheets render offline, else from
its CDN, which needs a network connection).

The sheets are generated, never committed (``rubrics/`` is in .gitignore), and never go near
``release/``: they hold every model answer.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import notebooks as nbs

OUTPUT = nbs.REPO_ROOT / "rubrics"

_RUBRIC = re.compile(r"^[ \t]*\*\*Rubric:?\*\*:?[ \t]*", re.M)
# "- 1.5 pts — ...", "- 1 point: ...": the points a rubric item gives.
_ITEM_POINTS = re.compile(r"^[ \t]*[-*+][ \t]+(\d+(?:\.\d+)?)[ \t]*(?:pts?|points?)\b", re.M)
# The heading or bold lead-in that starts a question inside a longer markdown cell.
_QUESTION_START = re.compile(r"^(?:#+[ \t].*\bQuestion\b|\*\*Question\b).*$", re.M)


@dataclass
class WrittenQuestion:
    assignment: str
    grade_id: str
    points: float
    cell: int            # index of the answer cell in the notebook
    question: str        # markdown
    answer: str          # markdown: the model answer
    rubric: str          # markdown: the rubric list

    @property
    def rubric_points(self) -> float:
        """What the rubric's items add up to (0 when they name no points)."""
        return sum(float(p) for p in _ITEM_POINTS.findall(self.rubric))


def split_answer(text: str) -> tuple[str, str]:
    """(model answer, rubric) of a source answer cell: the text before and after **Rubric:**."""
    match = _RUBRIC.search(text)
    if match is None:
        raise ValueError("the answer cell has no **Rubric:** after its model answer")
    return text[:match.start()].strip(), text[match.end():].strip()


def question_text(cell_text: str) -> str:
    """The question in the markdown cell before an answer: from its last "Question" heading or
    bold lead-in on, or the whole cell when it has none."""
    starts = list(_QUESTION_START.finditer(cell_text))
    return (cell_text[starts[-1].start():] if starts else cell_text).strip()


def is_hand_graded(cell: dict) -> bool:
    """nbgrader grades a cell by hand when it is both graded and a solution cell."""
    return nbs.is_grade(cell) and nbs.is_solution(cell)


def hand_graded_points(nb: dict) -> float:
    return sum(nbs.points(c) for c in nb["cells"] if is_hand_graded(c))


def written_questions(nb: dict, assignment: str) -> list[WrittenQuestion]:
    """Every hand-graded answer cell of a source notebook, with its question, answer and rubric."""
    questions = []
    for index, cell in enumerate(nb["cells"]):
        if not is_hand_graded(cell):
            continue
        where = f"{assignment}: {nbs.grade_id(cell)} (cell {index})"
        if cell["cell_type"] != "markdown":
            raise ValueError(f"{where} is a hand-graded code cell; the grading sheet knows written answers only")
        previous = nb["cells"][index - 1] if index else None
        if previous is None or previous["cell_type"] != "markdown" or nbs.grade_id(previous):
            raise ValueError(f"{where}: the question must be the markdown cell just before the answer cell")
        try:
            answer, rubric = split_answer(nbs.source_text(cell))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        questions.append(WrittenQuestion(assignment, nbs.grade_id(cell), nbs.points(cell), index,
                                         question_text(nbs.source_text(previous)), answer, rubric))
    return questions


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def sheet_notebook(assignment: str, nb: dict):
    """A notebook of markdown cells: the grading sheet of ``assignment``."""
    import nbformat

    questions = written_questions(nb, assignment)
    auto = sum(nbs.autograded_points(nb).values())
    manual = hand_graded_points(nb)
    cells = [nbformat.v4.new_markdown_cell(
        f"# {assignment}: grading sheet\n\n"
        f"For teaching assistants, to keep open beside nbgrader's formgrader (which shows the student's "
        f"answer, not the model answer). {len(questions)} written "
        f"question{'s' if len(questions) != 1 else ''}, {_points(manual)} graded by hand; "
        f"{_points(auto)} are auto-graded and not on this sheet.\n\n"
        f"Model answers and rubrics come from `source/{assignment}/{assignment}.ipynb`; "
        f"regenerate this page with `make rubrics`. Do not hand it to students."
    )]
    if not questions:
        cells.append(nbformat.v4.new_markdown_cell("This assignment has no written questions."))
    for number, q in enumerate(questions, start=1):
        check = ""
        if q.rubric_points != q.points:
            check = (f"\n\n**Note:** the rubric's items add up to {q.rubric_points:g} of the cell's "
                     f"{q.points:g} points.")
        cells += [
            nbformat.v4.new_markdown_cell(
                f"---\n## {number}. `{q.grade_id}`: {_points(q.points)}\n\n"
                f"*Formgrader: answer cell `{q.grade_id}` (cell {q.cell} of the notebook).*"),
            nbformat.v4.new_markdown_cell(f"### Question\n\n{q.question}"),
            nbformat.v4.new_markdown_cell(f"### Model answer\n\n{q.answer}"),
            nbformat.v4.new_markdown_cell(f"### Rubric ({_points(q.points)})\n\n{q.rubric}{check}"),
        ]
    sheet = nbformat.v4.new_notebook(cells=cells)
    sheet.metadata["title"] = f"{assignment}: grading sheet"
    return sheet


def to_html(notebook) -> str:
    from nbconvert import HTMLExporter

    from .labcompat import file_mathjax_url

    exporter = HTMLExporter(template_name="lab")
    if (local := file_mathjax_url()) is not None:  # the sheets are opened from disk: a file:// URL
        exporter.mathjax_url = local
    body, _ = exporter.from_notebook_node(notebook)
    return body


def write_sheets(assignments: list[str], output: Path = OUTPUT, source=nbs.source_notebook) -> list[Path]:
    """Write ``output/<assignment>.html`` for each assignment and an index; return the sheets."""
    output = Path(output)
    if nbs.RELEASE in (output, *output.parents):
        raise ValueError(f"{output} is inside release/: grading sheets hold the model answers")
    output.mkdir(parents=True, exist_ok=True)
    written, rows = [], []
    for assignment in assignments:
        nb = nbs.load(source(assignment))
        path = output / f"{assignment}.html"
        path.write_text(to_html(sheet_notebook(assignment, nb)), encoding="utf-8")
        written.append(path)
        count = len(written_questions(nb, assignment))
        rows.append(f'<li><a href="{html.escape(path.name)}">{html.escape(assignment)}</a>: '
                    f"{count} written question{'s' if count != 1 else ''}, "
                    f"{_points(hand_graded_points(nb))} by hand</li>")
    (output / "index.html").write_text(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Grading sheets</title></head><body>\n"
        "<h1>Grading sheets (model answers and rubrics; not for students)</h1>\n<ul>\n"
        + "\n".join(rows) + "\n</ul>\n</body></html>\n", encoding="utf-8")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder for the sheets (default: rubrics/)")
    args = parser.parse_args(argv)
    for path in write_sheets(args.assignments or nbs.assignments(), args.output):
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
