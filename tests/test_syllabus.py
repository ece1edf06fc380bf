"""The README's syllabus table agrees with the notebooks (tools.syllabus)."""

import difflib

import pytest

from tools import notebooks as nbs
from tools import syllabus


def test_readme_syllabus_table_matches_the_notebooks():
    readme = syllabus.README.read_text(encoding="utf-8")
    wanted = syllabus.with_table(readme, syllabus.table())
    if wanted != readme:
        diff = "\n".join(difflib.unified_diff(readme.splitlines(), wanted.splitlines(), "README.md", "generated",
                                              lineterm="", n=0))
        pytest.fail(f"README.md's syllabus table disagrees with the notebooks: run `make syllabus` "
                    f"(python -m tools.syllabus) and commit README.md\n{diff}", pytrace=False)


def test_every_assignment_has_its_facts():
    missing = sorted(set(nbs.assignments()) - set(syllabus.FACTS))
    assert not missing, f"tools/syllabus.py FACTS lacks {missing}: add hours, prerequisites and the full-mode time"


def test_points_are_the_notebooks_points():
    for row in syllabus.rows():
        cells = nbs.load(nbs.source_notebook(row.assignment))["cells"]
        graded = [c for c in cells if nbs.is_grade(c)]
        assert row.auto + row.manual == sum(nbs.points(c) for c in graded) > 0
        assert row.manual == sum(nbs.points(c) for c in graded if c["cell_type"] == "markdown")
    assert f"| **total** | {sum(r.auto for r in syllabus.rows()):g} |" in syllabus.table()


def test_table_is_replaced_between_the_markers():
    readme = f"intro\n{syllabus.BEGIN}\nold table\n{syllabus.END}\nrest\n"
    assert syllabus.with_table(readme, "| new |") == f"intro\n{syllabus.BEGIN}\n| new |\n{syllabus.END}\nrest\n"
    with pytest.raises(ValueError, match="markers"):
        syllabus.with_table("no markers here", "| new |")


def test_check_exits_nonzero_when_out_of_date(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"{syllabus.BEGIN}\n| stale |\n{syllabus.END}\n")
    assert syllabus.main(["--check", "--readme", str(readme)]) == 1
    assert "make syllabus" in capsys.readouterr().err
    assert syllabus.main(["--readme", str(readme)]) == 0
    assert syllabus.main(["--check", "--readme", str(readme)]) == 0
