"""tools.demo: after the grade table, the cells that raised in the demonstration submissions, and a
non-zero exit when the reference has any (a missing dataset must not hide behind a clean table).

The end-to-end test runs the real nbgrader pipeline (tools.pipeline) on a tiny made-up course: one
assignment with one exercise, one test cell, and a cell that reads a data file that is not there.
"""

import contextlib
import io
import shutil

import nbformat
import pytest

from tools import demo, pipeline
from tools import notebooks as nbs

ASSIGNMENT = "tiny"

SOLUTION = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''
TEST = '''assert double(2) == 4
### BEGIN HIDDEN TESTS
assert double(-1.5) == -3.0
### END HIDDEN TESTS
'''
# What a training cell does when the dataset is missing: it raises, for every student.
MISSING_DATA = 'with open("data/MNIST/raw/train-images-idx3-ubyte", "rb") as f:\n    f.read()\n'


def _meta(grade_id, *, solution=False, grade=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_notebook():
    cells = [
        nbformat.v4.new_markdown_cell("# A tiny assignment"),
        nbformat.v4.new_code_cell(SOLUTION, metadata=_meta("double", solution=True)),
        nbformat.v4.new_code_cell(TEST, metadata=_meta("test_double", grade=True, points=1)),
        nbformat.v4.new_code_cell(MISSING_DATA, metadata={"tags": ["experiment"]}),
        nbformat.v4.new_code_cell("print(double(21))"),
        nbformat.v4.new_code_cell('raise ValueError("shown on purpose")', metadata={"tags": ["raises-exception"]}),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory):
    return pipeline.make_course(tmp_path_factory.mktemp("tiny_course"), ASSIGNMENT, tiny_notebook())


@pytest.fixture(scope="module")
def demo_run(tiny_course):
    """``python -m tools.demo --course <tiny course>``, its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = demo.main(["--course", str(tiny_course)])
    return status, out.getvalue(), err.getvalue()


def test_reference_error_is_listed_and_fails_the_demo(demo_run):
    status, out, err = demo_run
    assert "reference" in out and "1 / 1" in out, out            # the grade table is still printed
    assert status == 1, out + err
    listing = out[out.index("Cells that raised"):]
    assert "tiny  reference  cell 3: FileNotFoundError: [Errno 2] No such file or directory" in listing, listing
    assert "the set-up is broken" in err


def test_blank_not_implemented_is_counted_other_errors_are_listed(demo_run, tiny_course):
    _, out, _ = demo_run
    listing = out[out.index("Cells that raised"):]
    # test_double and the print cell call the stub; the missing file is a real error for blank too.
    assert "tiny  blank      2 cells raised NotImplementedError" in listing, listing
    assert "tiny  blank      cell 3: FileNotFoundError" in listing, listing
    blank = demo.cell_errors(tiny_course, ASSIGNMENT, "blank")
    assert [(e.cell, e.kind, e.grade_id, e.error.split(":")[0]) for e in blank] == [
        (2, "test", "test_double", "NotImplementedError"), (3, "other", None, "FileNotFoundError"),
        (4, "other", None, "NotImplementedError")]


def test_errors_are_read_from_the_autograded_notebooks(demo_run, tiny_course):
    reference = demo.cell_errors(tiny_course, ASSIGNMENT, "reference")
    assert [(e.cell, e.kind) for e in reference] == [(3, "other")]   # not cell 5: it is meant to raise
    executed = nbs.load(demo.autograded_notebook(tiny_course, "reference", ASSIGNMENT))
    assert [o["ename"] for o in executed["cells"][5]["outputs"] if o["output_type"] == "error"] == ["ValueError"]
    grades = {g.student: g for g in pipeline.grades(tiny_course)}
    assert grades["reference"].auto_score == 1 and grades["blank"].auto_score == 0


def test_clean_reference_passes_and_missing_notebook_fails(demo_run, tiny_course, tmp_path):
    # The same course without the data cell: nothing raises for the reference.
    course = tmp_path / "course"
    shutil.copytree(tiny_course, course)
    for student in pipeline.DEMO_STUDENTS:
        path = demo.autograded_notebook(course, student, ASSIGNMENT)
        nb = nbs.load(path)
        for cell in nb["cells"]:
            cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("ename") != "FileNotFoundError"]
        path.write_text(nbformat.writes(nbformat.from_dict(nb)))
    report, reference_raised = demo.error_report(course, [ASSIGNMENT])
    assert not reference_raised and "reference" not in report, report
    demo.autograded_notebook(course, "reference", ASSIGNMENT).unlink()
    report, reference_raised = demo.error_report(course, [ASSIGNMENT])
    assert reference_raised and "reference  no autograded notebook" in report, report
