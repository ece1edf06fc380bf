"""How long does an assignment take in full mode, the mode a student runs?

Executes ``source/<assignment>/<assignment>.ipynb`` from top to bottom in full mode (quick mode
switched off) in a temporary folder, then prints the total wall time, the slowest cells and the
lines the notebook printed about its own targets (e.g. ``target: test NELBO <= 100 ... reached``).
The source notebook is not modified. Run with ``make bench-full A=03_vae`` (``python -m
benchmarks.full_mode 03_vae`` from the repository root); the issue's budget for
03_vae is 15 minutes on two CPU cores. The data root is ``$VAE_COURSE_DATA`` (default data/).

``--quick`` runs it in quick mode instead (``VAE_COURSE_QUICK=1``: what autograding and the tests
run; budget 90 s per notebook): ``make bench-quick`` times every assignment this way.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime

from tools import notebooks as nbs


def _seconds(cell) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. 03_vae")
    parser.add_argument("--slowest", type=int, default=8, help="how many of the slowest cells to list")
    parser.add_argument("--quick", action="store_true", help="quick mode (autograding's) instead of full mode")
    args = parser.parse_args()

    source = nbs.source_notebook(args.assignment)
    if not source.is_file():
        raise SystemExit(f"no notebook at {source}; assignments: {', '.join(nbs.assignments())}")

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        env = {"VAE_COURSE_QUICK": "1" if args.quick else None, "NBGRADER_EXECUTION": None}
        nb = nbs.execute_copy(source, folder, env=env)
        total = time.perf_counter() - start
    mode = "quick mode" if args.quick else "full mode"

    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    print(f"{args.assignment}, {mode}: {total / 60:.1f} min wall ({total:.0f} s), {os.cpu_count()} CPUs")
    print("slowest cells:")
    for i, cell in sorted(code, key=lambda ic: -_seconds(ic[1]))[: args.slowest]:
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        print(f"  cell {i:3d}: {_seconds(cell):7.1f} s   {first[:70]}")
    targets = [line for _, c in code for line in nbs.printed(c).splitlines() if line.startswith("target")]
    for line in targets:
        print(line)


if __name__ == "__main__":
    main()
