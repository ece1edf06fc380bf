"""How fast a class is graded: plain serial `nbgrader autograde` against the parallel command.

Builds a synthetic class of N submissions of one real assignment (tools/grading/synthclass.py:
the solution, the blank notebook, mutants and alternatives from the catalogue, broken and hostile
notebooks), then grades the same class, each time from the same ungraded state in a fresh copy:

1. serially, with plain ``nbgrader autograde <a>`` (one process for the whole class);
2. with ``python -m tools.grading.classgrade autograde <a> --jobs J`` for J = 1, 2 and the cores.

Prints, per run, the wall time, submissions per minute, the speed-up over serial nbgrader and the
CPU time per submission (the machine's busy time during the run: run it on an idle machine), checks
that every run wrote the serial run's per-cell scores, and projects what 300 submissions cost on
this machine's cores and on a 32-core server from the measured CPU time per submission (a
projection: it assumes the cores scale as measured here and enough memory, ~1 GB per job).

    python -m benchmarks.class_grading --assignment 01_elbo --n 40      # make bench-grade GA=01_elbo CLASS_N=40
    python -m benchmarks.class_grading --n 4                            # a quick run-through
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tools import pipeline
from tools.grading import classgrade, synthclass

TARGETS = "targets on 2 cores: 1 job within 10 % of serial nbgrader; 2 jobs >= 1.6x serial"


def _cpu() -> float:
    """CPU seconds the whole machine has spent busy (/proc/stat): the runs' nbgrader processes and
    sandboxed kernels, whose own accounting is lost when bubblewrap's namespace ends. Run the
    benchmark on an otherwise idle machine."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def run(label: str, base: Path, work: Path, assignment: str, jobs: int | None) -> dict:
    course = shutil.copytree(base, work / label)
    wall, cpu = time.perf_counter(), _cpu()
    if jobs is None:
        pipeline.autograde(course, assignment)
    else:
        outcomes = classgrade.grade_class(course, assignment, jobs=jobs, progress=False, out=open(os.devnull, "w"))
        failed = [o.student for o in outcomes if o.status != "graded"]
        if failed:
            raise SystemExit(f"{label}: not graded: {failed}")
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    return {"label": label, "wall": wall, "cpu": cpu, "scores": pipeline.scores(course, assignment)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_elbo")
    parser.add_argument("--n", type=int, default=40, help="submissions in the class (default 40)")
    parser.add_argument("--jobs", default=None, help="comma-separated job counts (default: 1,2,<cores>)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the courses in this folder")
    args = parser.parse_args(argv)
    cores = classgrade.default_jobs()
    jobs = sorted({int(j) for j in args.jobs.split(",")} if args.jobs else {1, 2, cores})
    work = args.keep or Path(tempfile.mkdtemp(prefix="vae-bench-class-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        base = pipeline.course_copy(work / "base", assignments=(args.assignment,))
        pipeline.generate(base, args.assignment)
        synthclass.hand_in(base, args.assignment, args.n)
        print(f"{args.assignment}: a synthetic class of {args.n} submissions, {cores} core(s) here", flush=True)
        results = [run("serial", base, work, args.assignment, None)]
        print(f"  serial nbgrader autograde: {results[0]['wall']:.0f} s", flush=True)
        for j in jobs:
            results.append(run(f"jobs{j}", base, work, args.assignment, j))
            print(f"  classgrade --jobs {j}: {results[-1]['wall']:.0f} s", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    serial = results[0]
    print(f"\n{'run':<28}{'wall':>9}{'per minute':>12}{'speed-up':>10}{'CPU/submission':>16}{'same grades':>13}")
    for r in results:
        name = "serial nbgrader autograde" if r["label"] == "serial" else f"classgrade --jobs {r['label'][4:]}"
        same = "yes" if r["scores"] == serial["scores"] else "NO"
        print(f"{name:<28}{r['wall']:>8.0f}s{args.n / r['wall'] * 60:>12.1f}{serial['wall'] / r['wall']:>9.2f}x"
              f"{r['cpu'] / args.n:>15.1f}s{same:>13}")
    print(f"({TARGETS})")
    per_sub_cpu = min(r["cpu"] for r in results) / args.n
    best = min(results, key=lambda r: r["wall"])
    print(f"\nProjection for 300 submissions of {args.assignment} (from {per_sub_cpu:.1f} s of CPU per submission, "
          "assuming the cores scale as measured and ~1 GB of memory per job):")
    print(f"  serial nbgrader autograde here: {300 * serial['wall'] / args.n / 60:.0f} min (measured rate)")
    print(f"  classgrade on this machine's {cores} core(s): {300 * best['wall'] / args.n / 60:.0f} min "
          "(best measured rate)")
    print(f"  classgrade on a 32-core server: {300 * per_sub_cpu / 32 / 60:.1f} min (CPU time / 32 cores)")
    mismatched = [r["label"] for r in results if r["scores"] != serial["scores"]]
    if mismatched:
        print(f"DIFFERENT GRADES from serial nbgrader: {mismatched}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
