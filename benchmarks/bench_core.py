"""Time load, analytics and rules on synthetic books of 10..5,000 tickers x 1,260 days.

Usage: python benchmarks/bench_core.py [--sizes 10 100 1000 5000] [--days 1260] [--repeat 3]

Writes each synthetic book in the input-folder format of docs/formats.md under
benchmarks/_books/N/ (reused when present), then times, separately: load_book (read +
validate all CSVs), compute_history (the analytics panels), evaluate (every rule on every
date) and the weekly aggregation.
Prints the median of --repeat runs per stage. Goal: analytics + rules for 1,000 tickers under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.analytics.exposures import compute_history
from fimonitor.config import parse_config
from fimonitor.data import calendar
from fimonitor.data.loaders import load_book
from fimonitor.rules.engine import evaluate
from fimonitor.rules.weekly import weekly_trend

HERE = Path(__file__).resolve().parent
GROUPS = ["treasury", "ig_credit", "hy_credit", "mbs", "em", "muni", "tips"]
RATINGS = ["AAA", "AA", "A", "BBB", "BB", "B"]


def write_book(folder: Path, n: int, days: int, seed: int = 7) -> Path:
    """A synthetic input folder (docs/formats.md): random-walk prices, durations, a ledger."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "transactions.csv").exists():
        return folder
    rng = np.random.default_rng(seed)
    dates = calendar.sessions("2019-01-02", "2026-12-31")[:days]
    tick = [f"T{i:05d}" for i in range(n)]
    n_cash = max(1, n // 50)
    sec = pd.DataFrame(
        {
            "ticker": tick,
            "name": [f"Fund {t}" for t in tick],
            "group": ["cash" if i < n_cash else GROUPS[i % len(GROUPS)] for i in range(n)],
            "sector": "synthetic",
            "rating_bucket": [RATINGS[i % len(RATINGS)] for i in range(n)],
            "is_cash_proxy": ["true" if i < n_cash else "false" for i in range(n)],
        }
    )
    sec.to_csv(folder / "security_master.csv", index=False)
    rets = rng.normal(0.0001, 0.004, size=(days, n))
    px = 50 * np.exp(np.cumsum(rets, axis=0))
    long = pd.DataFrame(
        {
            "date": np.repeat(dates.strftime("%Y-%m-%d"), n),
            "ticker": np.tile(tick, days),
            "close": px.ravel().round(4),
        }
    )
    long["adj_close"] = long["close"]
    long.to_csv(folder / "prices.csv", index=False)
    months = pd.period_range(dates[0], dates[-1], freq="M").strftime("%Y-%m")
    dur = rng.uniform(0.1, 18, size=n)
    dm = pd.DataFrame(
        {
            "month": np.repeat(months, n),
            "ticker": np.tile(tick, len(months)),
            "duration": (np.tile(dur, len(months)) + rng.normal(0, 0.1, len(months) * n)).round(3),
        }
    )
    dm.to_csv(folder / "duration_monthly.csv", index=False)
    bw = rng.dirichlet(np.ones(n))
    pd.DataFrame({"ticker": tick, "weight": bw}).to_csv(
        folder / "benchmark_weights.csv", index=False
    )
    capital = 1e9
    rows = [(dates[0].strftime("%Y-%m-%d"), "", "DEPOSIT", "", capital, 0.0)]
    target = rng.dirichlet(np.ones(n)) * capital * 0.97
    shares0 = np.floor(target / px[0])
    rows += [
        (dates[0].strftime("%Y-%m-%d"), t, "BUY", s, p, 1.0)
        for t, s, p in zip(tick, shares0, px[0].round(4), strict=True)
        if s > 0
    ]
    held = shares0.copy()
    for m in range(21, days, 21):  # monthly: sell a bit of 2 % of names, buy others
        k = max(1, n // 50)
        sell = rng.choice(n, k, replace=False)
        for i in sell:
            q = np.floor(held[i] * 0.1)
            if q > 0:
                held[i] -= q
                rows.append(
                    (dates[m].strftime("%Y-%m-%d"), tick[i], "SELL", q, round(px[m, i], 4), 1.0)
                )
    pd.DataFrame(rows, columns=["date", "ticker", "action", "shares", "price", "fees"]).to_csv(
        folder / "transactions.csv", index=False
    )
    return folder


def timed(fn, repeat: int):
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    ap.add_argument("--days", type=int, default=1260)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rules = parse_config(
        {
            "rules": {
                "max_single_name_weight": {"warn": 0.02, "breach": 0.05},
                "min_cash_weight": {"warn": 0.03, "breach": 0.02},
                "duration_gap": {"warn": 0.5, "breach": 1.0},
                "active_weight": {"warn": 0.003, "breach": 0.005},
                "group_max_weight": {"hy_credit": {"warn": 0.10, "breach": 0.15}},
            }
        }
    ).rules
    print(
        f"{'tickers':>8} {'load s':>8} {'analytics s':>12} {'rules s':>8} {'weekly s':>9} "
        f"{'an+rules s':>11} {'alerts':>9}"
    )
    for n in args.sizes:
        folder = write_book(HERE / "_books" / str(n), n, args.days)
        book, t_load = timed(lambda f=folder: load_book(f), 1 if n >= 1000 else args.repeat)
        h, t_an = timed(lambda b=book: compute_history(b), args.repeat)
        alerts, t_rules = timed(lambda hh=h: evaluate(hh, rules), args.repeat)
        _, t_week = timed(lambda a=alerts, hh=h: weekly_trend(a, hh.dates), args.repeat)
        print(
            f"{n:>8} {t_load:>8.3f} {t_an:>12.3f} {t_rules:>8.3f} {t_week:>9.3f} "
            f"{t_an + t_rules:>11.3f} {len(alerts):>9}"
        )


if __name__ == "__main__":
    main()
