"""The integrity guard under real `nbgrader autograde` with the course's nbgrader_config.py: one
batch of submissions of a tiny assignment (tests/grading_course.py), honest ones and one per
attack kind (tests/grading_attacks.py). Every attack's own answer is wrong, so any point it
earned would come from fooling the tests; without the guard each earns points
(VAE_INTEGRITY_CONTROL=1 runs that control too)."""

import json
import os

import nbformat
import pytest

from tests import grading_attacks as attacks
from tests import grading_course as course
from tools import pipeline
from tools.grading import integrity

HONEST = {"honest": (None, ""), "honest_variant": (attacks.HONEST_VARIANT, ""),
          "reads_source": (None, attacks.READ_SOURCE)}
FULL = sum(course.POINTS.values())


def _batch(root, *, guard=True):
    course.make_course(root)
    if not guard:
        with open(root / "nbgrader_config.py", "a") as config:
            config.write("\nc.InjectGuard.enabled = False\nc.CheckGuard.enabled = False\n")
    course.submit(root, "honest")
    course.submit(root, "honest_variant", attacks.HONEST_VARIANT)
    course.submit(root, "reads_source", before=attacks.READ_SOURCE)
    for name, (solution, after, _) in attacks.ATTACKS.items():
        course.submit(root, name, solution, after=after)
    try:
        log = pipeline.autograde(root, course.ASSIGNMENT)  # raises unless every submission was graded
    except pipeline.NbgraderError as error:
        if guard:
            raise
        # Plain nbgrader stops on display_result's notebook after saving its grades (exit 1).
        log = str(error)
    return course.scores(root), log


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity_course")
    scores, log = _batch(root)
    report = json.loads((root / "reports" / course.ASSIGNMENT / "integrity.json").read_text())
    markdown = (root / "reports" / course.ASSIGNMENT / "integrity.md").read_text()
    return root, scores, report, markdown, log


@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_work_keeps_full_marks(graded, student):
    _, scores, report, _, _ = graded
    assert scores[student] == course.POINTS
    assert not report["students"][student][course.ASSIGNMENT]["tamper"]


@pytest.mark.parametrize("attack", sorted(attacks.ATTACKS))
def test_each_attack_scores_zero_and_is_reported(graded, attack):
    _, scores, report, markdown, _ = graded
    assert set(scores) == {*HONEST, *attacks.ATTACKS}, "the batch did not grade every submission"
    assert scores[attack] == {cell: 0.0 for cell in course.POINTS}, scores[attack]
    entry = report["students"][attack][course.ASSIGNMENT]
    flagged = [item["code"] for item in entry["suspicious"]]
    for snippet in attacks.ATTACKS[attack][2]:
        assert any(snippet in line for line in flagged), f"the report misses {snippet!r}: {flagged}"
    assert f"## {attack} / {course.ASSIGNMENT}" in markdown


def test_the_guard_names_what_it_saw(graded):
    _, _, report, _, _ = graded
    students = report["students"]

    def why(student):
        return " ".join(v["why"] for v in students[student][course.ASSIGNMENT]["tamper"])

    assert "torch.allclose" in why("patch_comparisons") and "math.isclose" in why("patch_comparisons")
    assert "Normal.log_prob" in why("patch_references") and "'_reference'" in why("patch_references")
    assert "subclass of torch.Tensor" in why("tensor_subclass")
    assert "input transformer" in why("input_transformer")
    assert "input transformer" in why("input_transformer_self_removing")
    assert "AST transformer" in why("ast_transformer")
    assert "never appeared" in why("swallow_traceback")
    assert "trace function" in why("trace_jump")
    assert "frame access" in why("frame_read")
    assert "globals()" in why("globals_read")
    assert "torch function or dispatch mode" in why("torch_mode")
    seen = students["reads_source"][course.ASSIGNMENT]["events"]
    assert any(e["kind"] == "course file access" and e["cell"] == 2 and "source" in e["detail"] for e in seen), seen
    results = students["display_result"][course.ASSIGNMENT]["events"]
    assert any(e["kind"] == "result displayed in a test cell" for e in results), results


def test_the_graded_notebooks_hold_no_trace_of_the_guard(graded):
    root, _, _, _, _ = graded
    source = nbformat.read(root / "source" / course.ASSIGNMENT / f"{course.ASSIGNMENT}.ipynb", as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if integrity.is_test_cell(c)}
    for student in [*HONEST, *attacks.ATTACKS]:
        nb = nbformat.read(root / "autograded" / student / course.ASSIGNMENT / f"{course.ASSIGNMENT}.ipynb",
                           as_version=4)
        text = json.dumps(nb)
        assert "__vae_guard" not in text and "guard_nonce" not in text, student
        assert not [c for c in nb.cells if c.metadata.get(integrity.META, {}).get("guard")], student
        graded_tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if integrity.is_test_cell(c)}
        assert graded_tests == tests, student
    swallowed = nbformat.read(root / "autograded" / "swallow_traceback" / course.ASSIGNMENT
                              / f"{course.ASSIGNMENT}.ipynb", as_version=4)
    errors = [o for c in swallowed.cells if integrity.is_test_cell(c) for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 2 and all(integrity.UNCONFIRMED in o.evalue for o in errors)


@pytest.mark.skipif(not os.environ.get("VAE_INTEGRITY_CONTROL"), reason="set VAE_INTEGRITY_CONTROL=1 (1.5 min)")
def test_without_the_guard_every_attack_earns_points(tmp_path):
    scores, _ = _batch(tmp_path, guard=False)
    assert all(scores[s] == course.POINTS for s in HONEST)
    assert {a for a in attacks.ATTACKS if sum(scores[a].values()) == 0} == set(), scores
