"""Nothing leaks: release/ holds no solution and no hidden test; no notebook's visible code and no
module of helpers/ holds a graded line of any assignment (``-k leaks`` runs those checks alone)."""

import ast
import re

import pytest

from tools import leaks
from tools import notebooks as nbs

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")


def _significant(line: str) -> bool:
    """Lines long enough to identify a solution (not `return x` or a bracket)."""
    return len(line.strip()) >= 12 and not line.strip().startswith("#")


def _lines_outside_marked_regions(nb) -> set[str]:
    """Stripped lines of the source that are not inside a solution or hidden-test region
    (a visible test may legitimately repeat a line of a hidden one)."""
    lines, inside = set(), False
    for cell in nb["cells"]:
        for line in nbs.source_text(cell).splitlines():
            if "### BEGIN SOLUTION" in line or "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
                inside = False
            elif not inside:
                lines.add(line.strip())
    return lines


def _graded_names(nb) -> set[str]:
    names = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and nbs.is_solution(cell):
            tree = ast.parse(nbs.source_text(cell))
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return names


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_release_has_no_solution_or_hidden_test(assignment):
    source = nbs.load(nbs.source_notebook(assignment))
    release_path = nbs.release_notebook(assignment)
    assert release_path.exists(), f"release/{assignment} is missing: run `make release`"
    release = nbs.load(release_path)
    release_text = "\n".join(nbs.source_text(c) for c in release["cells"])
    for marker in MARKERS:
        assert marker not in release_text, f"release/{assignment} contains the marker {marker!r}"
    # Lines that occur only inside solution / hidden-test regions of the source must not appear.
    outside = _lines_outside_marked_regions(source)
    hidden = set(nbs.marked_lines(source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
    solution = set(nbs.marked_lines(source, "BEGIN SOLUTION", "END SOLUTION"))
    release_lines = {line.strip() for line in release_text.splitlines()}
    for kind, lines in (("solution", solution), ("hidden-test", hidden)):
        leaked = sorted(line.strip() for line in lines if _significant(line) and line.strip() in release_lines
                        and line.strip() not in outside)
        assert not leaked, f"release/{assignment} contains {kind} lines: {leaked[:5]}"
    # Written answers: the model answer and its rubric stay in source/.
    for src, rel in zip(source["cells"], release["cells"], strict=True):
        if src["cell_type"] == "markdown" and nbs.is_solution(src):
            assert nbs.source_text(rel).strip() == "YOUR ANSWER HERE", (
                f"release/{assignment}: the answer cell {nbs.grade_id(src)} shows the model answer")


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_every_stub_raises_not_implemented(assignment):
    source = nbs.load(nbs.source_notebook(assignment))
    release = nbs.load(nbs.release_notebook(assignment))
    stubs = 0
    for src, rel in zip(source["cells"], release["cells"], strict=True):
        if src["cell_type"] == "code" and nbs.is_solution(src):
            regions = nbs.source_text(src).count("### BEGIN SOLUTION")
            raising = len(re.findall(r"raise NotImplementedError\((?:'[^']*'|\"[^\"]*\")?\)", nbs.source_text(rel)))
            assert raising == regions > 0, (
                f"{nbs.grade_id(src)}: {regions} solution regions but {raising} stubs raising NotImplementedError")
            stubs += raising
    assert stubs, f"release/{assignment} has no exercise"


@pytest.fixture(scope="module")
def course_leaks():
    """Every graded line of every assignment found in visible code (tools.leaks), computed once."""
    return leaks.find_leaks(*leaks.course_units())


LEAK_HELP = (
    "Visible code (what release/ shows: code outside SOLUTION and HIDDEN TESTS regions, and code spans in "
    "markdown), companion notebooks and helpers/ must not contain a graded line of any assignment, in any "
    "spelling. Compute it another way (torch.distributions, a closed form the exercise does not ask for), call "
    "the student's function, or move the check into a hidden test. `python -m tools.leaks` (make leaks) lists "
    "every leak."
)


def _visible_places():
    return [*nbs.assignments(), "notebooks"]


@pytest.mark.parametrize("place", _visible_places())
def test_leaks_no_visible_code_holds_a_graded_line(place, course_leaks):
    """No notebook's visible code holds a graded line of any assignment (its own included)."""
    folder = "notebooks/" if place == "notebooks" else f"source/{place}/"
    found = [leak for leak in course_leaks if leak.visible.unit.where.startswith(folder)]
    where = "notebooks/*.ipynb" if place == "notebooks" else f"release/{place} (source cells, same indices)"
    if found:
        pytest.fail(f"{where} shows graded code:\n{leaks.format_leaks(found)}\n{LEAK_HELP}", pytrace=False)


@pytest.fixture(scope="module")
def course_structure_leaks():
    """Every visible function or loop with the skeleton of a graded one (tools.leaks), computed once."""
    return leaks.find_structure_leaks(*leaks.course_units())


@pytest.mark.parametrize("place", [*_visible_places(), "helpers"])
def test_leaks_no_visible_code_has_the_structure_of_a_graded_function(place, course_structure_leaks):
    """Nor a template of one under other names: the same loop calling the same graded functions, the
    same steps in the same order (tools.leaks, "Structure")."""
    folder = {"notebooks": "notebooks/", "helpers": "helpers/"}.get(place, f"source/{place}/")
    found = [leak for leak in course_structure_leaks if leak.visible.unit.where.startswith(folder)]
    if found:
        pytest.fail(f"{folder} shows the structure of graded code:\n{leaks.format_structure_leaks(found)}\n"
                    "Write the visible code another way (its own structure, or helpers that are not the "
                    "exercise), or make it the student's graded function.", pytrace=False)


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_leaks_check_reads_what_release_shows(assignment):
    """The leak check reads the source's code outside the marked regions as the visible code: it
    must be what nbgrader puts in release/ (compared as the canonical forms the check looks up)."""
    def forms(units):
        return {e.node.form for u in units for e in leaks.visible_expressions(u) if leaks.significant(e.node)}

    source = forms(leaks.notebook_units(nbs.source_notebook(assignment)))
    release = forms(leaks.notebook_units(nbs.release_notebook(assignment)))
    assert source == release and source, (
        f"visible code differs between source/ and release/{assignment}: run `make release`")


def test_leaks_helpers_hold_no_graded_solution(course_leaks):
    graded = set()
    for assignment in nbs.assignments():
        graded |= _graded_names(nbs.load(nbs.source_notebook(assignment)))
    defined, helper_lines = set(), set()
    for path in (nbs.REPO_ROOT / "helpers").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        defined |= {n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        helper_lines |= {line.strip() for line in text.splitlines()}
    clash = graded & defined
    assert not clash, f"helpers/ defines graded functions or classes: {sorted(clash)}"
    # Nor the solution code, in any spelling (tools.leaks) ...
    found = [leak for leak in course_leaks if leak.visible.unit.where.startswith("helpers/")]
    if found:
        pytest.fail(f"helpers/ holds graded code:\n{leaks.format_leaks(found)}\n{LEAK_HELP}", pytrace=False)
    # ... nor most lines of a solution region verbatim (single generic lines such as
    # `generator = torch.Generator().manual_seed(seed)` may repeat).
    for assignment in nbs.assignments():
        for cell in nbs.load(nbs.source_notebook(assignment))["cells"]:
            region = nbs.marked_lines({"cells": [cell]}, "BEGIN SOLUTION", "END SOLUTION")
            lines = [line.strip() for line in region if len(line.strip()) >= 20]
            copied = [line for line in lines if line in helper_lines]
            assert len(copied) < max(2, len(lines) / 2), (
                f"helpers/ contains the solution of {assignment}:{nbs.grade_id(cell)}: {copied[:3]}")


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_source_notebooks_have_no_outputs(assignment):
    nb = nbs.load(nbs.source_notebook(assignment))
    with_output = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and
                   (c.get("outputs") or c.get("execution_count"))]
    assert not with_output, f"source/{assignment} has outputs in cells {with_output}: run `make clean-outputs`"


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_grade_ids_are_unique_and_tests_have_points(assignment):
    nb = nbs.load(nbs.source_notebook(assignment))
    ids = [nbs.grade_id(c) for c in nb["cells"] if nbs.grade_id(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids: {[i for i in ids if ids.count(i) > 1]}"
    for cell in nb["cells"]:
        if nbs.is_autograded_test(cell):
            assert nbs.points(cell) > 0, f"{nbs.grade_id(cell)} has no points"
            assert re.search(r"\w+\(", nbs.source_text(cell)), f"{nbs.grade_id(cell)} calls nothing"
