"""Time POST_MIN (least trade that cures) on synthetic books of 10 / 100 / 1,000 / 5,000 names.

Run:  python benchmarks/bench_least_trade.py [N ...] [--repeat R]

Books and configs are those of ``bench_rebalance.py`` (same generator, same seed). Each N runs
in a fresh subprocess. Reported per N (seconds): ``first`` = the first :func:`least_trade` call
in the process (stage-1 LP, tie-break LP, whole-share MILP, exact check, reasons), ``median``
= the median of ``--repeat`` further calls, ``floor`` = one HiGHS ``linprog`` of the same size
(2·N trade variables and the turnover row) with no other constraint, measured in the same
process, and ``first/floor``. Also: status, turnover, continuous turnover, rounding cost (both
in % of value) and the number of orders.
Goal: first < 0.3 s at 1,000 names.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def one(n: int, repeat: int) -> dict:
    from bench_rebalance import make_config, make_positions
    from scipy.optimize import linprog

    from fimonitor.rebalance.least_trade import least_trade
    from fimonitor.rebalance.scenarios import book_from_positions, limits_from_config

    pos, cfg = make_positions(n), make_config(n)
    book, lim = book_from_positions(pos), limits_from_config(cfg)

    def run():
        t = time.perf_counter()
        r = least_trade(book, lim, cfg.rules, cure=cfg.rebalance.cure, whole_shares=True)
        return r, time.perf_counter() - t

    res, first = run()
    times = [run()[1] for _ in range(repeat)]
    m = int(book.traded.sum())
    floors = []
    for _ in range(max(repeat, 1)):
        t = time.perf_counter()
        linprog(
            np.ones(2 * m + 1),
            A_eq=np.concatenate([-np.ones(2 * m), [1.0]])[None, :],
            b_eq=[0.0],
            bounds=(0, None),
            method="highs",
        )
        floors.append(time.perf_counter() - t)
    floor = statistics.median(floors)
    ok = res.settled is not None
    return {
        "n": n,
        "first": first,
        "median": statistics.median(times) if times else first,
        "floor": floor,
        "status": res.status,
        "turnover": res.settled.turnover if ok else float("nan"),
        "continuous": res.continuous_turnover,
        "rounding": res.rounding_cost,
        "orders": int(np.count_nonzero(res.settled.trade)) if ok else 0,
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
    print(
        f"{'N':>6} {'first':>7} {'median':>7} {'floor':>7} {'first/floor':>11}  "
        f"{'status':<10} {'turnover':>8} {'contin.':>8} {'rounding':>9} {'orders':>6}"
    )
    for n in a.n:
        out = subprocess.run(
            [sys.executable, __file__, str(n), "--child", "--repeat", str(a.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['n']:>6} {r['first']:7.3f} {r['median']:7.3f} {r['floor']:7.4f} "
            f"{r['first'] / r['floor']:11.0f}  {r['status']:<10} {r['turnover'] * 100:7.3f}% "
            f"{r['continuous'] * 100:7.3f}% {r['rounding'] * 100:8.4f}% {r['orders']:>6}"
        )


if __name__ == "__main__":
    main()
