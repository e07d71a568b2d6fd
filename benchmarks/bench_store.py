"""Time the history-database write of a large pack (issue 15: 5,000 tickers, DB write < 2 s).

Usage: python benchmarks/bench_store.py [--sizes 1000 5000] [--windows 1Y 3M] [--repeat 3]
                                         [--db sqlite|URL] [--form window|frame]

For each size N, builds a synthetic pack (N positions, N asset-metric rows, a correlation matrix
of N tickers per window from 252 random returns, rolling 20d and 60d correlations of N tickers
on 252 dates, 3 scenarios with N orders each, 200 alerts, 1,260 daily returns) and times
``record_pack`` into a fresh database (SQLite file in a temporary folder by default; ``--db URL``
for PostgreSQL: each run gets its own schema). ``--form window`` (default) passes each matrix
as the pack does, a condensed ``CorrelationWindow`` (stored as it is); ``--form frame`` as a
float64 ``np.corrcoef`` DataFrame (condensed by the store, the 0.2 form). Prints the median of
``--repeat`` runs (wall clock, and this process's CPU time, which other load on the machine does
not inflate) and the process's peak RSS after all runs. The time includes opening the database
(schema check), not the correlation computation.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.analytics.correlation_windows import compact_correlation
from fimonitor.store import db
from fimonitor.store.schema import ASSET_METRIC_COLUMNS


def synthetic_pack(n: int, windows: list[str], seed: int = 3, form: str = "window") -> dict:
    """Keyword arguments of ``record_pack`` for an N-ticker book."""
    rng = np.random.default_rng(seed)
    tickers = [f"T{i:05d}" for i in range(n)]
    w = rng.dirichlet(np.ones(n))
    positions = pd.DataFrame(
        {
            "ticker": tickers,
            "name": [f"Fund {t}" for t in tickers],
            "group": "ig_credit",
            "rating_bucket": "A",
            "shares": rng.integers(1, 1000, n).astype(float),
            "price": rng.uniform(20, 200, n),
            "market_value": w * 1e9,
            "weight": w,
            "benchmark_weight": w[::-1],
            "active_weight": w - w[::-1],
            "duration": rng.uniform(0, 20, n),
            "dv01": w * 1e5,
        }
    )
    returns = rng.normal(0, 0.004, size=(252, n))
    common = rng.normal(0, 0.004, size=(252, 1))
    rets = pd.DataFrame(returns + common, columns=tickers)
    if form == "window":
        one = compact_correlation(rets)
        matrices = dict.fromkeys(windows, one)
    else:
        corr = np.corrcoef(rets.to_numpy().T)
        matrices = {win: pd.DataFrame(corr, index=tickers, columns=tickers) for win in windows}
    dates = pd.bdate_range(end="2026-04-30", periods=252)
    rolling = {
        w: pd.DataFrame(rng.uniform(-1, 1, (252, n)), index=dates, columns=tickers)
        for w in ("20d", "60d")
    }
    metrics = pd.DataFrame(
        rng.normal(size=(n, len(ASSET_METRIC_COLUMNS))), columns=ASSET_METRIC_COLUMNS
    )
    metrics.insert(0, "date", "2026-04-30")
    metrics.insert(0, "ticker", tickers)
    orders = pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": s,
                    "ticker": tickers,
                    "side": "BUY",
                    "shares": 1.0,
                    "price": 10.0,
                    "notional": 10.0,
                    "reason": "to_benchmark",
                }
            )
            for s in ("POST_MIN", "POST_BM", "POST_CONS")
        ]
    )
    summary = pd.DataFrame(
        {
            "scenario": ["PRE", "POST_MIN", "POST_BM", "POST_CONS"],
            "status": ["ok", "optimal", "ok", "optimal"],
            "est_cost": [0.0, 1.0, 2.0, 3.0],
        }
    )
    alerts = pd.DataFrame(
        {
            "date": "2026-04-30",
            "rule": "active_weight",
            "ticker": tickers[:200],
            "value": 0.06,
            "limit": 0.05,
            "severity": "BREACH",
        }
    )
    days = pd.bdate_range(end="2026-04-30", periods=1260)
    daily = pd.DataFrame({"date": days, "portfolio_return": rng.normal(0, 0.003, len(days))})
    return dict(
        performance={"market_value": 1e9, "n_breach": 200, "n_warn": 0},
        risk_metrics=pd.DataFrame({"metric": ["volatility", "risk_level"], "value": [0.05, "Low"]}),
        alerts=alerts,
        positions=positions,
        correlations=matrices,
        rolling_correlations=rolling,
        rebalancing=summary,
        rebalance_orders=orders,
        asset_metrics=metrics,
        daily_returns=daily,
    )


def _fresh_url(kind: str, folder: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite'}", None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(kind)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(kind).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), (admin, schema)


def _drop(cleanup: object) -> None:
    if cleanup is None:
        return
    admin, schema = cleanup
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    """Run the benchmark for each size and print the timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--windows", nargs="+", default=["1Y"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", default="sqlite", help="sqlite (default) or a PostgreSQL URL")
    ap.add_argument("--form", choices=["window", "frame"], default="window")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            pack = synthetic_pack(n, args.windows, form=args.form)
            times, cpu, size = [], [], None
            for _ in range(args.repeat):
                url, cleanup = _fresh_url(args.db, Path(tmp))
                db.open_store(url).close()  # schema creation is not part of a pack's write
                t0, c0 = time.perf_counter(), time.process_time()
                db.record_pack(url, portfolio_id="bench", as_of="2026-04-30", **pack)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                if url.startswith("sqlite"):
                    size = Path(sa.make_url(url).database).stat().st_size
                _drop(cleanup)
            extra = f", file {size / 1e6:.0f} MB" if size else ""
            print(
                f"N={n:>5} windows={len(args.windows)}: record_pack median "
                f"{statistics.median(times):.3f} s (min {min(times):.3f}; this process's CPU "
                f"{statistics.median(cpu):.3f} s){extra}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
