"""``make syllabus``: the syllabus table of README.md, points computed from the notebooks.

The table sits between two marker comments in README.md. Auto-graded points (test cells) and
hand-graded points (written answers) are read from ``source/``; expected student hours,
prerequisites and the full-mode run time (measured with ``make bench-full``, see README) are
facts about each assignment kept in ``FACTS`` below. ``python -m tools.syllabus`` rewrites the
table; ``--check`` only says whether it is up to date (tests/test_syllabus.py runs it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from . import notebooks as nbs
from .rubrics import hand_graded_points

README = nbs.REPO_ROOT / "README.md"
BEGIN = "<!-- syllabus: generated from the notebooks by `make syllabus`; edit tools/syllabus.py, not this table -->"
END = "<!-- /syllabus -->"


@dataclass(frozen=True)
class Facts:
    hours: str           # expected student hours (our estimate for a student who did the prerequisites)
    prerequisites: str
    full_mode: str       # wall time of the whole notebook in full mode on two CPU cores (make bench-full)


FACTS = {
    "00_pytorch_warmup": Facts("3", "Python, NumPy; derivatives and the chain rule", "13.5 min (shared CPU)"),
    "01_elbo": Facts("6", "00; probability (Gaussians, expectations, Bayes' rule, Jensen's inequality), "
                          "linear algebra (Cholesky, inverse)", "< 1 min"),
    "02_reparameterization": Facts("4", "00, 01 (the ELBO, the Gaussian KL)", "< 1 min"),
    "03_vae": Facts("7", "00–02", "13.6 min"),
    "04_beta_vae": Facts("8", "00–03 (the VAE, reparameterisation, the Gaussian KL)",
                         "11.5 min (1 thread, shared CPU)"),
    "05_priors": Facts("9", "00–03 (the VAE, the IWAE bound, importance-sampled log p(x))",
                       "11.9 min (1 thread, shared CPU)"),
    "06_flows": Facts("8", "00–03 (the VAE, IWAE and log p(x) by importance sampling); the change of variables "
                           "formula", "5.8 min"),
}


@dataclass(frozen=True)
class Row:
    assignment: str
    auto: float
    manual: float
    facts: Facts


def rows(assignments: list[str] | None = None) -> list[Row]:
    out = []
    for assignment in assignments or nbs.assignments():
        if assignment not in FACTS:
            raise KeyError(f"{assignment} has no entry in tools/syllabus.py FACTS (hours, prerequisites, full-mode "
                           "time): add one, then run `make syllabus`")
        nb = nbs.load(nbs.source_notebook(assignment))
        out.append(Row(assignment, sum(nbs.autograded_points(nb).values()), hand_graded_points(nb),
                       FACTS[assignment]))
    return out


def table(assignments: list[str] | None = None) -> str:
    """The markdown table, with a total row."""
    data = rows(assignments)
    lines = [
        "| assignment | auto-graded points | hand-graded points | expected student hours | prerequisites "
        "| full mode (2 CPU cores) |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for r in data:
        lines.append(f"| `{r.assignment}` | {r.auto:g} | {r.manual:g} | {r.facts.hours} | {r.facts.prerequisites} "
                     f"| {r.facts.full_mode} |")
    hours = sum(float(r.facts.hours) for r in data)
    lines.append(f"| **total** | {sum(r.auto for r in data):g} | {sum(r.manual for r in data):g} | {hours:g} | | |")
    return "\n".join(lines)


def with_table(readme: str, new_table: str) -> str:
    """``readme`` with the text between the markers replaced by ``new_table``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md lacks the syllabus markers:\n{BEGIN}\n...\n{END}")
    return readme[:start + len(BEGIN)] + "\n" + new_table + "\n" + readme[end:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md's table is out of date")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    wanted = with_table(current, table())
    if args.check:
        if wanted != current:
            print(f"{args.readme.name}: the syllabus table is out of date: run `make syllabus`", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        args.readme.write_text(wanted, encoding="utf-8")
        print(f"{args.readme.name}: syllabus table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
