"""Time the Brinson–Fachler attribution with Carino linking: 5 years x 1,000 tickers x 10 groups.

Usage: python benchmarks/bench_attribution.py [--tickers 1000] [--days 1260] [--groups 10]
[--repeat 5] [--book]

Stage timed (median of --repeat runs): ticker panels (start-of-day weights, contributions,
both sides, date x ticker) -> group sums -> daily effects -> Carino-linked effects for MTD,
QTD, YTD and 1Y. Printed with a floor measured in the same run: one ``np.cumprod`` over the
same date x ticker panel (the least any pass over the panel costs), and the ratio to it.
Goal: under 0.2 s. ``--book`` also times ``daily_attribution`` + ``attribution`` on a synthetic
book in the input-folder format (benchmarks/bench_core.py's writer; includes the ledger PnL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.analytics.attribution import attribution, daily_attribution, from_panels
from fimonitor.analytics.performance import base_dates
from fimonitor.data import calendar

HERE = Path(__file__).resolve().parent


def synthetic_panels(n: int, days: int, groups: int, seed: int = 11):
    """Random ticker panels (weights, contributions, both sides), labels, r, b and dates."""
    rng = np.random.default_rng(seed)
    dates = calendar.sessions("2021-01-04", "2026-12-31")[: days + 1]
    tick = [f"T{i:05d}" for i in range(n)]
    labels = pd.Series([f"G{i % groups:02d}" for i in range(n)], index=tick, name="group")
    ret = rng.normal(0.0002, 0.005, (days, n))
    wp = rng.dirichlet(np.ones(n), days)
    wp[:, rng.choice(n, n // 5, replace=False)] = 0.0  # a fifth not held
    wp /= wp.sum(axis=1, keepdims=True)
    wb = rng.dirichlet(np.ones(n), days)
    wb[:, rng.choice(n, n // 5, replace=False)] = 0.0  # a fifth not in the benchmark
    wb /= wb.sum(axis=1, keepdims=True)
    idx = dates[1:]
    frame = lambda a: pd.DataFrame(a, index=idx, columns=tick)  # noqa: E731
    r = pd.Series((wp * ret).sum(axis=1), index=idx)
    b = pd.Series((wb * ret * 0.98).sum(axis=1), index=idx)
    return (
        frame(wp),
        frame(wp * ret),
        frame(wb),
        frame(wb * ret * 0.98),
        labels,
        r,
        b,
        dates,
    )


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=1000)
    ap.add_argument("--days", type=int, default=1260)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--book", action="store_true", help="also time a synthetic book end to end")
    args = ap.parse_args(argv)

    wp, cp, wb, cb, labels, r, b, dates = synthetic_panels(args.tickers, args.days, args.groups)
    as_of = r.index[-1]
    bases = base_dates(as_of, dates, dates[0])
    ranges = [(p, bases[p], as_of) for p in ("MTD", "QTD", "YTD", "1Y")]

    def run():
        d = from_panels(wp, cp, wb, cb, labels, r, b)
        return attribution(d, ranges, inception=dates[0])

    table = run()
    checks = table.groupby("period")["total"].sum()
    worst = 0.0
    for p, start, end in ranges:
        m = (r.index > start) & (r.index <= end)
        worst = max(worst, abs(checks[p] - (np.prod(1 + r[m]) - np.prod(1 + b[m]))))
    panel = cp.to_numpy()
    floor = _median(lambda: np.cumprod(1.0 + panel, axis=0), args.repeat)
    t = _median(run, args.repeat)
    print(
        f"attribution {args.days} days x {args.tickers} tickers x {args.groups} groups, "
        f"4 periods: {t * 1000:.1f} ms (goal < 200 ms); floor np.cumprod over the panel "
        f"{floor * 1000:.1f} ms; ratio {t / floor:.1f}x; max |Σ total − active| {worst:.1e}"
    )

    if args.book:
        sys.path.insert(0, str(HERE))
        from bench_core import write_book  # the synthetic book writer

        from fimonitor.analytics.exposures import compute_history
        from fimonitor.data.loaders import load_book

        folder = write_book(HERE / "_books" / str(args.tickers), args.tickers, args.days)
        book = load_book(folder)
        h = compute_history(book)
        bb = base_dates(h.dates[-1], h.dates, h.dates[0])
        book_ranges = [(p, bb[p], h.dates[-1]) for p in ("MTD", "QTD", "YTD", "1Y")]
        tb = _median(
            lambda: attribution(daily_attribution(book, h), book_ranges), max(1, args.repeat // 2)
        )
        print(
            f"book end to end (ledger PnL, benchmark, groups, effects, linking): "
            f"{tb * 1000:.1f} ms for {len(h.dates)} days x {h.weights.shape[1]} columns"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
