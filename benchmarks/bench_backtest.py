"""Time the backtest: all six policies on 10 years x 20 tickers (synthetic, seeded).

Run: ``python benchmarks/bench_backtest.py`` (not part of the test run). Prints the median of
repeated runs for several settings, plus a per-day loop for comparison.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from fimonitor.backtest.engine import _calendar_mask, run_backtest, simulate
from fimonitor.backtest.policies import POLICIES


def prices(n_days: int = 2520, n: int = 20, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-02", periods=n_days)
    vol = np.linspace(0.002, 0.015, n)
    rets = rng.normal(0.0002, vol, (n_days, n))
    return pd.DataFrame(
        100 * np.cumprod(1 + rets, axis=0), index=dates, columns=[f"T{i:02d}" for i in range(n)]
    )


def timed(fn, repeat: int = 7) -> float:
    fn()  # warm-up (imports, calendar cache)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def naive_loop(px: pd.DataFrame, w: np.ndarray, bps: float) -> float:
    """A per-day Python loop of the same six policies (for comparison only)."""
    P = px.to_numpy()
    months = px.index.month.to_numpy()
    quarters = px.index.quarter.to_numpy()
    years = px.index.year.to_numpy()
    c = bps / 1e4
    total = 0.0
    for pol in POLICIES:
        h = 1e5 * w / P[0]
        for t in range(1, len(P)):
            x = h * P[t]
            v = x.sum()
            if pol.kind == "calendar":
                key = {"monthly": months, "quarterly": quarters, "annual": years}[pol.frequency]
                go = key[t] != key[t - 1]
            elif pol.kind in ("threshold", "tiered"):
                go = np.abs(x / v - w).max() > 0.05
            else:
                go = False
            if go:
                vp = v
                for _ in range(50):
                    vp = v - c * np.abs(vp * w - x).sum()
                h = vp * w / P[t]
        total += float(h @ P[-1])
    return total


def main() -> None:
    print(f"{'case':<46} {'median':>10}")
    for n_days, n in ((2520, 20), (2520, 100), (5040, 20)):
        px = prices(n_days, n)
        w = pd.Series(1 / n, index=px.columns)
        for label, kw in (
            ("no costs", {}),
            ("10 bp", {"cost_bps": 10}),
            (
                "10 bp + weekly contributions",
                {"cost_bps": 10, "contribution": 1000, "frequency": "weekly"},
            ),
        ):
            t = timed(lambda px=px, w=w, kw=kw: run_backtest(px, w, **kw))
            print(
                f"{n_days // 252:>2} y x {n:>3} tickers, 6 policies, {label:<28} {t * 1000:8.1f} ms"
            )
    px = prices()
    w = np.full(20, 1 / 20)
    P = px.to_numpy()
    flows = np.zeros(len(P))
    masks = {
        p.name: _calendar_mask(px.index, p.frequency) if p.kind == "calendar" else None
        for p in POLICIES
    }

    def sim_only() -> None:
        for pol in POLICIES:
            simulate(
                pol,
                P,
                w,
                capital=1e5,
                cost_rate=0.001,
                contributions=flows,
                calendar_mask=masks[pol.name],
            )

    t = timed(sim_only)
    print(f"simulation only (no metrics/frames), 10 y x 20, 10 bp {t * 1000:8.1f} ms")
    t = timed(lambda: naive_loop(px, w, 10), repeat=3)
    print(f"per-day Python loop, 10 y x 20, 6 policies, 10 bp     {t * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
