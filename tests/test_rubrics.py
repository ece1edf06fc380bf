"""tools.rubrics: every written question of every assignment reaches its grading sheet, with its
points, question, model answer and rubric."""

import html
import re

import pytest

from tools import notebooks as nbs
from tools import rubrics


def _hand_graded(nb):
    return {nbs.grade_id(c): nbs.points(c) for c in nb["cells"] if rubrics.is_hand_graded(c)}


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_every_answer_cell_is_found_with_question_and_rubric(assignment):
    nb = nbs.load(nbs.source_notebook(assignment))
    questions = rubrics.written_questions(nb, assignment)
    assert {q.grade_id: q.points for q in questions} == _hand_graded(nb)
    for q in questions:
        where = f"{assignment}:{q.grade_id}"
        assert nbs.grade_id(nb["cells"][q.cell]) == q.grade_id
        assert q.question and "Rubric" not in q.question, f"{where}: no question text"
        assert q.answer and "**Rubric" not in q.answer, f"{where}: no model answer before the rubric"
        assert re.search(r"^\s*[-*+] ", q.rubric, re.M), f"{where}: the rubric is not a list"
        assert q.rubric_points == q.points, (
            f"{where}: the rubric's items add up to {q.rubric_points:g} points, the cell gives {q.points:g}: "
            "make the rubric split exactly the cell's points ('- 1 point: ...', '- 0.5 pt — ...')")


def test_written_points_are_counted():
    # 01 is the assignment with most written work; its sheet must not be empty.
    nb = nbs.load(nbs.source_notebook("01_elbo"))
    assert rubrics.hand_graded_points(nb) == sum(_hand_graded(nb).values()) > 0


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    out = tmp_path_factory.mktemp("rubrics")
    return out, rubrics.write_sheets(nbs.assignments(), out)


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_sheet_is_written(assignment, sheets):
    out, written = sheets
    path = out / f"{assignment}.html"
    assert path in written and path.exists()
    page = html.unescape(path.read_text(encoding="utf-8"))
    assert "MathJax" in page, "formulas would not be rendered"
    from tools.labcompat import file_mathjax_url
    if file_mathjax_url() is not None:  # offline: the local MathJax, not the CDN
        assert f'src="{file_mathjax_url()}"' in page, "the sheet loads MathJax from the CDN"
    text = re.sub(r"<[^>]+>", " ", page)
    nb = nbs.load(nbs.source_notebook(assignment))
    questions = rubrics.written_questions(nb, assignment)
    for q in questions:
        assert f"{q.grade_id}</code>: {q.points:g} point" in page, f"{q.grade_id} and its points are not on the sheet"
        # The first words (before any formula) of the question, the model answer and the rubric.
        for part in (q.question, q.answer, q.rubric):
            outside_math = part.split("\n")[0].split("$")[::2]
            words = next(w for w in (re.findall(r"[^\W_]+", seg)[:5] for seg in outside_math + [part]) if w)
            assert re.search(r"\W+".join(words), text), f"{q.grade_id}: {words} missing"
    if not questions:
        assert "no written questions" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{assignment}.html"' in index


def test_sheets_never_go_into_release():
    with pytest.raises(ValueError, match="release"):
        rubrics.write_sheets([], nbs.RELEASE / "sheets")


def test_answer_without_rubric_is_an_error():
    with pytest.raises(ValueError, match="Rubric"):
        rubrics.split_answer("The model answer, and nothing to grade it by.")
    answer, rubric = rubrics.split_answer("It is 12.\n\n**Rubric:**\n- 1 point: 12.\n")
    assert (answer, rubric) == ("It is 12.", "- 1 point: 12.")


def test_question_is_cut_from_a_long_section():
    section = "## 4. Sampling\n\nSome theory $x$.\n\n### Question 4.1 — why? *(2 points)*\nExplain."
    assert rubrics.question_text(section) == "### Question 4.1 — why? *(2 points)*\nExplain."
    assert rubrics.question_text("Explain why.") == "Explain why."
