"""Batch throughput: N generated books x 1 date, serial vs process:2 vs Dask LocalCluster(2).

For each executor, with and without PNG pages (the PDF is always rendered), prints books per
minute (wall clock, planning and the firm view included), mean CPU seconds per book measured
inside the worker (``time.process_time`` around build + write), and the peak resident memory
of each worker process (``resource.ru_maxrss``; the largest over the workers).

Usage: ``python benchmarks/bench_batch.py [--n 200] [--executors serial,process:2,dask]``
(the issue's figure is N = 200; on a loaded 2-core machine use a smaller N and say so).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

from fimonitor.batch import BatchOptions, parse_executor, read_books, run_batch
from fimonitor.batch.demo import write_demo_books


def bench(books, executor: str, png: bool, out: Path) -> dict:
    """Run one batch; return its figures."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    result = run_batch(books, BatchOptions(out=out, png=png), parse_executor(executor))
    wall = time.perf_counter() - t0
    ok = [r for r in result.results if r.status == "ok"]
    assert len(ok) == len(books), result.failures()
    peaks: dict[int, float] = {}
    for r in ok:
        peaks[r.pid] = max(peaks.get(r.pid, 0.0), r.max_rss_mb)
    return {
        "executor": executor,
        "png": png,
        "books": len(ok),
        "wall_s": wall,
        "books_per_min": 60 * len(ok) / wall,
        "cpu_per_book_s": sum(r.seconds for r in ok) / len(ok),
        "workers": len(peaks),
        "peak_mb_per_worker": max(peaks.values()),
    }


def main() -> None:
    """Generate the books, run every (executor, png) pair, print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--executors", default="serial,process:2,dask")
    ap.add_argument("--png", default="no,yes", help="no,yes | no | yes")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        write_demo_books(root / "books", args.n)
        books = read_books(root / "books")
        rows = []
        for png in [p == "yes" for p in args.png.split(",")]:
            for ex in args.executors.split(","):
                r = bench(books, ex, png, root / "out")
                rows.append(r)
                print(r, flush=True)
        print(f"\n{args.n} books x 1 date\n")
        print("| executor | PNGs | books/min | CPU per book (s) | workers | peak MB per worker |")
        print("|---|---|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['executor']} | {'yes' if r['png'] else 'no'} | {r['books_per_min']:.1f} | "
                f"{r['cpu_per_book_s']:.2f} | {r['workers']} | {r['peak_mb_per_worker']:.0f} |"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
