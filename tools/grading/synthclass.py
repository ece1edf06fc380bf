"""A synthetic class of one real assignment, built from the course's own material, for the
class-grading test (tests/test_class_same_grades.py) and benchmark (benchmarks/class_grading.py).

Students, in this order (cycled, with numbered copies, when more are asked for):

- ``solution``: the source notebook (every solution in place); ``blank``: the student version;
- one per mutant of ``tests/mutants/a<assignment>.py``: the solution notebook with the mutant's
  code in its solution cell (as ``tools.mutation`` runs them), spread over the exercises;
- one per alternative (another correct implementation) of the catalogue;
- broken and hostile notebooks: unreadable JSON, a copy-pasted test cell (duplicated grade_id), a
  notebook handed in under another name, ``os._exit`` half-way, torch's comparisons patched
  (tests/grading_attacks.py's first attack, after a mutant's wrong code), a cell printing 10 MB.
"""

from __future__ import annotations

import copy
import importlib
import itertools
import json
from pathlib import Path

from .. import notebooks as nbs

PATCH_COMPARISONS = '''import math, torch
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
'''


def catalogue(assignment: str):
    try:
        return importlib.import_module(f"tests.mutants.a{assignment}")
    except ModuleNotFoundError:
        return None


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def _insert_after_first_solution(nb: dict, source: str) -> dict:
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb["cells"]) if nbs.is_solution(c) and c["cell_type"] == "code")
    nb["cells"].insert(index + 1, _code_cell(source))
    return nb


def _spread(mutants: list, count: int) -> list:
    """``count`` mutants taken round-robin over the solution cells they target."""
    by_cell: dict[str, list] = {}
    for m in mutants:
        by_cell.setdefault(m.cell, []).append(m)
    order = [m for group in itertools.zip_longest(*by_cell.values()) for m in group if m is not None]
    return order[:count]


def students(assignment: str, n: int) -> list[tuple[str, str | dict, str]]:
    """``n`` submissions: (student id, notebook as a dict or raw text, file name stem)."""
    solution = nbs.load(nbs.source_notebook(assignment))
    blank = nbs.load(nbs.release_notebook(assignment))
    module = catalogue(assignment)
    mutants = list(getattr(module, "MUTANTS", ()))
    alternatives = list(getattr(module, "ALTERNATIVES", ()))
    # the one mutant the hostile notebook carries: its points come only from fooling the tests
    wrong = nbs.with_sources(solution, {mutants[0].cell: mutants[0].code}) if mutants else blank
    first_test = next(c for c in solution["cells"] if nbs.is_autograded_test(c))
    duplicated = copy.deepcopy(solution)
    duplicated["cells"].insert(1, copy.deepcopy(first_test))
    exit_at = next(nbs.grade_id(c) for c in reversed(solution["cells"])
                   if nbs.is_solution(c) and c["cell_type"] == "code")
    special = [
        ("broken_unreadable", '{"cells": [{"cell_type": "code", "source": "def f(x', assignment),
        ("broken_duplicate_id", duplicated, assignment),
        ("broken_wrong_name", solution, f"{assignment}_final_v2"),
        ("broken_exit_midway", nbs.with_sources(solution, {exit_at: "import os\nos._exit(3)\n"}), assignment),
        ("hostile_patch_comparisons", _insert_after_first_solution(wrong, PATCH_COMPARISONS), assignment),
        ("hostile_huge_output", _insert_after_first_solution(solution, "print('x' * 10_000_000)\n"), assignment),
    ]
    n_alt = min(len(alternatives), 2)
    n_mut = max(0, n - 2 - n_alt - len(special))
    made = [("solution", solution, assignment), ("blank", blank, assignment)]
    made += [(f"mutant_{m.name}", nbs.with_sources(solution, {m.cell: m.code}), assignment)
             for m in _spread(mutants, n_mut)]
    made += [(f"alternative_{a.name}", nbs.with_sources(solution, {a.cell: a.code}), assignment)
             for a in alternatives[:n_alt]]
    made += special
    out = made[:n]
    for i in itertools.count(1):  # more than the catalogue has: numbered copies
        if len(out) >= n:
            break
        name, nb, stem = made[(i - 1) % len(made)]
        out.append((f"{name}_{i:03d}", nb, stem))
    return out


def hand_in(course: Path, assignment: str, n: int) -> list[str]:
    """Place ``n`` synthetic submissions in ``course/submitted/``; return the student ids."""
    ids = []
    for student, nb, stem in students(assignment, n):
        target = Path(course) / "submitted" / student / assignment / f"{stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1), encoding="utf-8")
        ids.append(student)
    return ids
