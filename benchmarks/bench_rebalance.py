"""Time the rebalance scenarios on synthetic books of 10 / 100 / 1,000 / 5,000 tickers.

Run:  python benchmarks/bench_rebalance.py [N ...] [--repeat R]

Each N runs in a fresh subprocess so that the first call pays Clarabel's and HiGHS's start-up
(``import fimonitor.rebalance.optimizer`` itself, i.e. clarabel + scipy.sparse, is reported
apart as ``import``; up to fimonitor 0.2 it was ``import cvxpy``, ~1 s). Reported per N (seconds):
``first`` = the first POST_CONS solve + whole-share rounding in the process (what
``run_rebalances`` does: solve, round, and the re-solve with limits moved inward when the first
rounding finds no whole-share point, shown as ``+margin``); ``solve`` = the continuous solve
alone and ``s+round`` = solve + rounding, medians of the repeats; ``run_all`` = the median
of the whole :func:`run_rebalances` (PRE, POST_BM, POST_CONS, binding-cost re-solves,
rule re-evaluation).
Goal: first < 0.5 s at 1,000 tickers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

GROUPS = ["treasury", "ig_credit", "hy_credit", "mbs", "em", "tips"]


def make_positions(n: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic as-of holdings frame: n tickers (a few cash proxies) plus CASH."""
    rng = np.random.default_rng(seed)
    m = n - 1
    tickers = [f"T{i:05d}" for i in range(m)]
    groups = rng.choice(GROUPS, size=m, p=[0.3, 0.25, 0.15, 0.15, 0.1, 0.05])
    proxy = rng.random(m) < 0.03
    groups = np.where(proxy, "cash", groups)
    price = rng.uniform(20, 200, m)
    dur = np.where(proxy, 0.2, rng.uniform(1, 18, m))
    bench = rng.dirichlet(np.full(m, 2.0))
    value = 20_000.0 * n
    held = np.clip(bench * rng.lognormal(0, 0.5, m), 0, None)
    held[rng.random(m) < 0.1] = 0.0
    held = held / held.sum() * 0.97
    shares = np.floor(held * value / price)
    cash = value - (shares * price).sum()
    frame = pd.DataFrame(
        {
            "ticker": [*tickers, "CASH"],
            "name": [*tickers, "Cash"],
            "group": [*groups, "cash"],
            "sector": [*groups, "Cash"],
            "rating_bucket": "A",
            "is_cash_proxy": [*proxy, True],
            "shares": [*shares, cash],
            "price": [*price, 1.0],
            "benchmark_weight": [*bench, 0.0],
            "duration": [*dur, 0.0],
        }
    )
    frame["market_value"] = frame["shares"] * frame["price"]
    frame["weight"] = frame["market_value"] / frame["market_value"].sum()
    frame["active_weight"] = frame["weight"] - frame["benchmark_weight"]
    frame["dv01"] = frame["market_value"] * frame["duration"] * 1e-4
    return frame


def make_config(n: int):
    from fimonitor.config import parse_config

    hy = 0.10
    return parse_config(
        {
            "rules": {
                "max_single_name_weight": {"warn": 0.2, "breach": 0.25},
                "min_cash_weight": {"warn": 0.03, "breach": 0.02},
                "duration_gap": {"warn": 0.5, "breach": 1.0},
                "active_weight": {"warn": 0.03, "breach": 0.05},
                "group_max_weight": {"hy_credit": {"warn": 0.10, "breach": 0.15}},
            },
            "rebalance": {
                "max_single_name_weight": min(0.25, 3.0 / n),
                "min_cash_weight": 0.02,
                "duration_band": 0.25,
                "group_caps": {"hy_credit": hy},
                "whole_shares": True,
                "min_trade_notional": 0,
                "max_turnover": None,
            },
        }
    )


def one(n: int, repeat: int) -> dict:
    t = time.perf_counter()
    from fimonitor.rebalance.optimizer import solve_constrained

    t_import = time.perf_counter() - t
    from fimonitor.rebalance.rounding import solve_whole_shares
    from fimonitor.rebalance.scenarios import (
        book_from_positions,
        limits_from_config,
        run_rebalances,
    )

    pos, cfg = make_positions(n), make_config(n)
    as_of = pd.Timestamp("2025-01-02")
    book, lim = book_from_positions(pos), limits_from_config(cfg)

    def solve_round():
        # the path run_rebalances takes: continuous solve, rounding, margin retry if needed
        t1 = time.perf_counter()
        res, r, used = solve_whole_shares(book, lim)
        method = r.method + ("+margin" if used is not lim else "")
        return res.status, r.status, method, time.perf_counter() - t1

    st, rst, method, first = solve_round()  # first call in the process
    solves, totals, alls = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        solve_constrained(book, lim)
        solves.append(time.perf_counter() - t)
        totals.append(solve_round()[3])
        t = time.perf_counter()
        out = run_rebalances(pos, cfg, as_of)
        alls.append(time.perf_counter() - t)
    return {
        "n": n,
        "import": t_import,
        "first": first,
        "solve": statistics.median(solves),
        "solve_round": statistics.median(totals),
        "run_all": statistics.median(alls),
        "status": st,
        "rounding": f"{rst}/{method}",
        "binding": len(out.binding),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="*", type=int, default=[10, 100, 1000, 5000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(one(a.n[0], a.repeat)))
        return
    print(f"{'N':>6} {'import':>7} {'first':>7} {'solve':>7} {'s+round':>7} {'run_all':>8}  status")
    for n in a.n:
        out = subprocess.run(
            [sys.executable, __file__, str(n), "--child", "--repeat", str(a.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['n']:>6} {r['import']:7.3f} {r['first']:7.3f} {r['solve']:7.3f} "
            f"{r['solve_round']:7.3f} {r['run_all']:8.3f}  {r['status']} {r['rounding']} "
            f"binding={r['binding']}"
        )


if __name__ == "__main__":
    main()
