"""Time the test suite: wall and CPU (this process's children), full and ``-m "not slow"``.

Usage: python benchmarks/bench_suite.py [--only fast|full] [--limit 60]

Runs ``python -m pytest -p no:cacheprovider`` from the repository root (with
``PYTHONPATH`` and ``MPLBACKEND=Agg``) and prints wall seconds and CPU seconds (user + system
of pytest and every kernel it starts). Goal: the not-slow selection under ``--limit``
seconds of CPU; exits 1 when it is over. CPU time, not wall time, is the measure: wall time
depends on what else the machine runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[float, float, int]:
    """Run pytest with ``args``; returns (wall s, CPU s, exit code)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=REPO, env=env
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("fast", "full"), default=None)
    parser.add_argument("--limit", type=float, default=60.0, help="CPU s for -m 'not slow'")
    ns = parser.parse_args()
    status = 0
    runs = {"fast": ["-m", "not slow"], "full": []}
    for name, args in runs.items():
        if ns.only and ns.only != name:
            continue
        wall, cpu, code = run(args)
        print(f"{name:4s}: wall {wall:6.1f} s, CPU {cpu:6.1f} s, pytest exit {code}")
        status |= code != 0
        if name == "fast" and cpu > ns.limit:
            print(f"fast: CPU {cpu:.1f} s is over the {ns.limit:.0f} s goal")
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
