"""Time :func:`fimonitor.analytics.indicators.asset_metrics` on 1,000 tickers x 1,260 days.

Usage: python benchmarks/bench_indicators.py [--tickers 1000] [--days 1260] [--repeat 5]

Synthetic random-walk OHLCV panels (seeded). Prints the median of --repeat runs, and a *floor*
measured in the same run: the time to read every input panel once (one ``np.nansum`` per
panel), so the ratio says how many passes over the data the whole table costs whatever the
machine. Goal (issue "The analytics store"): under 0.5 s for 1,000 x 1,260.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from fimonitor.analytics.indicators import asset_metrics


def panels(n: int, days: int, seed: int = 11) -> dict[str, pd.DataFrame]:
    """Synthetic adj_close, close, high, low, volume (date x ticker) and benchmark returns."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=days, name="date")
    cols = pd.Index([f"T{i:05d}" for i in range(n)], name="ticker")
    close = 50 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, (days, n)), axis=0))
    spread = np.abs(rng.normal(0, 0.005, (days, n))) * close
    frame = lambda a: pd.DataFrame(a, index=idx, columns=cols)  # noqa: E731
    return {
        "adj_close": frame(close * 0.98),
        "close": frame(close),
        "high": frame(close + spread),
        "low": frame(close - spread),
        "volume": frame(rng.integers(1_000, 1_000_000, (days, n)).astype(float)),
        "bench": pd.Series(rng.normal(0.0002, 0.008, days), index=idx),
    }


def main() -> None:
    """Time the table and the floor; print both and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=1000)
    ap.add_argument("--days", type=int, default=1260)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    p = panels(a.tickers, a.days)
    as_of = p["close"].index[-1]
    arrays = [p[k].to_numpy() for k in ("adj_close", "close", "high", "low", "volume")]
    floor, full = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for arr in arrays:
            np.nansum(arr, axis=0)
        floor.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        table = asset_metrics(
            p["adj_close"],
            p["close"],
            p["high"],
            p["low"],
            p["volume"],
            p["bench"],
            as_of,
            rf=0.0,
            lookback=252,
        )
        full.append(time.perf_counter() - t0)
    f, t = statistics.median(floor), statistics.median(full)
    print(f"asset_metrics {a.tickers} tickers x {a.days} days: {t:.3f} s (median of {a.repeat})")
    print(f"floor (one nansum pass over the 5 input panels): {f * 1e3:.1f} ms; ratio {t / f:.0f}x")
    print(f"goal < 0.5 s: {'met' if t < 0.5 else 'NOT met'}; rows {len(table)}")


if __name__ == "__main__":
    main()
