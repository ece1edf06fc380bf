"""Feedback without hidden tests, under the course's real `nbgrader generate_feedback`
(tools/grading/feedback.py): visible tests as written, pass/fail and points per test cell, the
failure message, never a hidden line, a reference value or a traceback."""

import html
import re

import pytest

from tools import labcompat, pipeline
from tools.grading import feedback as fb
from tools.grading import minicourse as mc
from tools.grading import sandbox

pytestmark = pytest.mark.skipif(sandbox.shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    course = mc.make_course(tmp_path_factory.mktemp("feedback") / "course")
    mc.hand_in(course, "honest", mc.honest())
    mc.hand_in(course, "wrong", mc.honest(square="return x * abs(x)"))  # passes visible, fails hidden
    mc.hand_in(course, "raises", mc.honest(mean="raise ValueError('my own bug')"))
    pipeline.autograde(course, mc.ASSIGNMENT)
    pipeline.nbgrader("generate_feedback", mc.ASSIGNMENT, "--force", course_dir=course)
    pages = {s: text((course / "feedback" / s / "toy" / "toy.html").read_text()) for s in ("honest", "wrong", "raises")}
    return course, pages


def text(page: str) -> str:
    """What the student reads on a feedback page (no style sheet, scripts or tags)."""
    page = re.sub(r"(?s)<(style|script).*?</\1>", "", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_autograded_notebooks_keep_the_hidden_tests(feedback):
    # Why feedback must strip them: nbgrader restores test cells from the gradebook, markers included.
    course, _ = feedback
    autograded = (course / "autograded" / "wrong" / "toy" / "toy.ipynb").read_text()
    assert "### BEGIN HIDDEN TESTS" in autograded and mc.HIDDEN_MARK in autograded


def test_feedback_shows_no_hidden_code_or_traceback(feedback):
    _, pages = feedback
    for student, page in pages.items():
        assert mc.HIDDEN_MARK not in page, student
        assert "BEGIN HIDDEN TESTS" not in page and "torch.tensor([3.0, -0.5])" not in page, student
        assert "Traceback" not in page and "---->" not in page and "<module>" not in page, student
        assert "mean of [4, 0] is not 2" not in page, student  # a hidden test's message, not raised


def test_feedback_shows_visible_tests_points_and_messages(feedback):
    _, pages = feedback
    for page in pages.values():
        assert "assert square(torch.tensor(2.0)).item() == 4.0" in page  # a visible test, as written
        assert "# (hidden tests ran here; they are not shown)" in page
    assert "toy (Score: 4.0 / 4.0)" in pages["honest"]
    wrong = pages["wrong"]
    assert "toy (Score: 2.0 / 4.0)" in wrong and "Score: 0.0 / 2.0" in wrong
    assert "AssertionError: square is off: got tensor([ 9.0000, -0.2500])" in wrong  # the test's message
    assert "ValueError: my own bug" in pages["raises"] and "toy (Score: 3.0 / 4.0)" in pages["raises"]


def test_a_traceback_elsewhere_that_quotes_a_hidden_line_is_cut():
    # A later cell calls a helper that a hidden test defined: its traceback would quote the hidden line.
    import nbformat

    from tools.grading.feedback import HideHiddenTests

    test = nbformat.v4.new_code_cell(
        "assert True\n### BEGIN HIDDEN TESTS\n"
        "def _reference(x):\n    return x * 41 + 1  # secret\n### END HIDDEN TESTS\n",
        metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}})
    later = nbformat.v4.new_code_cell("_reference(None)")
    trace = ["\x1b[0;31mTypeError\x1b[0m Traceback", "----> 4     return x * 41 + 1  # secret",
             "TypeError: unsupported operand"]
    later.outputs = [nbformat.v4.new_output("error", ename="TypeError", evalue="unsupported operand", traceback=trace)]
    own = nbformat.v4.new_code_cell("1 / 0")
    own.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                          traceback=["----> 1 1 / 0", "ZeroDivisionError: division by zero"])]
    nb = nbformat.v4.new_notebook(cells=[test, later, own])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert "secret" not in nb.cells[0].source and "return x * 41" not in nb.cells[0].source
    assert nb.cells[1].outputs[0].traceback == ["TypeError: unsupported operand"]
    assert len(nb.cells[2].outputs[0].traceback) == 2  # the student's own traceback stays whole


def test_feedback_loads_the_configured_mathjax(feedback):
    """nbgrader's feedback template names the CDN; the course's exporter puts the local MathJax
    (HTMLExporter.mathjax_url, nbgrader_config.py) in its place, so formulas render offline."""
    course, _ = feedback
    page = (course / "feedback" / "honest" / "toy" / "toy.html").read_text()
    if labcompat.local_mathjax_dir() is None:
        assert "cdnjs.cloudflare.com/ajax/libs/mathjax" in page
    else:
        assert f'<script src="{html.escape(labcompat.mathjax_url())}">' in page or \
            f'<script src="{labcompat.mathjax_url()}">' in page, re.findall(r"<script src=[^>]*>", page)
        assert "cdnjs" not in page


def test_use_mathjax_replaces_only_the_cdn_script():
    page = ('<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,Safe">'
            ' </script><script src="/static/other.js"></script>')
    out = fb.use_mathjax(page, "/services/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe")
    assert out == ('<script src="/services/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"> </script>'
                   '<script src="/static/other.js"></script>')
