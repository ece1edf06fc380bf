"""How long does an assignment take in full mode, the mode a student runs?

Executes ``source/<assignment>/<assignment>.ipynb`` from top to bottom in full mode (quick mode
switched off) in a temporary folder, then prints the total wall time, the slowest cells and the
lines the notebook printed about its own targets (e.g. ``target: test NELBO <= 100 ... reached``).
The source notebook is not modified. Run with ``make bench-full A=03_vae``; the issue's budget for
03_vae is 15 minutes on two CPU cores. The data root is ``$VAE_COURSE_DATA`` (default data/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _seconds(cell) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. 03_vae")
    parser.add_argument("--slowest", type=int, default=8, help="how many of the slowest cells to list")
    args = parser.parse_args()

    source = ROOT / "source" / args.assignment / f"{args.assignment}.ipynb"
    if not source.is_file():
        available = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
        raise SystemExit(f"no notebook at {source}; assignments: {', '.join(available)}")
    for name in ("VAE_COURSE_QUICK", "NBGRADER_EXECUTION"):  # full mode
        os.environ.pop(name, None)
    os.environ.pop("MPLBACKEND", None)

    with tempfile.TemporaryDirectory() as folder:
        notebook = Path(folder) / source.name
        shutil.copy(source, notebook)
        nb = nbformat.read(notebook, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
        total = time.perf_counter() - start

    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    print(f"{args.assignment}, full mode: {total / 60:.1f} min wall ({total:.0f} s), {os.cpu_count()} CPUs")
    print("slowest cells:")
    for i, cell in sorted(code, key=lambda ic: -_seconds(ic[1]))[: args.slowest]:
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        print(f"  cell {i:3d}: {_seconds(cell):7.1f} s   {first[:70]}")
    targets = [line for _, c in code for line in _printed(c).splitlines() if line.startswith("target")]
    for line in targets:
        print(line)


if __name__ == "__main__":
    main()
