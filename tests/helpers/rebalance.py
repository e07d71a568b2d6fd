"""Small books for the rebalance tests: hand-made and seeded-random positions frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.analytics.summary import dv01
from fimonitor.config import parse_config


def frame(rows: list[tuple], cash: float) -> pd.DataFrame:
    """Positions frame from (ticker, group, is_cash_proxy, shares, price, bench, duration)."""
    df = pd.DataFrame(
        rows,
        columns=[
            "ticker",
            "group",
            "is_cash_proxy",
            "shares",
            "price",
            "benchmark_weight",
            "duration",
        ],
    )
    cash_row = pd.DataFrame([("CASH", "cash", True, cash, 1.0, 0.0, 0.0)], columns=df.columns)
    df = pd.concat([df, cash_row], ignore_index=True)
    df["name"] = df["ticker"]
    df["sector"] = df["group"]
    df["rating_bucket"] = "A"
    df["market_value"] = df["shares"] * df["price"]
    df["weight"] = df["market_value"] / df["market_value"].sum()
    df["active_weight"] = df["weight"] - df["benchmark_weight"]
    df["dv01"] = df["market_value"] * df["duration"] * 1e-4
    return df


def random_frame(n: int, seed: int, value: float = 1e6) -> pd.DataFrame:
    """n non-cash tickers (the first one a cash proxy) + CASH, seeded."""
    rng = np.random.default_rng(seed)
    groups = rng.choice(["treasury", "ig_credit", "hy_credit", "mbs"], size=n)
    groups[0] = "cash"
    price = rng.uniform(10, 300, n).round(2)
    dur = rng.uniform(1, 15, n).round(2)
    dur[0] = 0.2
    bench = rng.dirichlet(np.ones(n))
    held = rng.dirichlet(np.ones(n)) * rng.uniform(0.8, 1.0)
    shares = np.floor(held * value / price)
    cash = value - (shares * price).sum()
    rows = [(f"X{i}", groups[i], i == 0, shares[i], price[i], bench[i], dur[i]) for i in range(n)]
    return frame(rows, cash)


def config(**rebalance):
    """MonitorConfig with the contract's default rules and the given ``rebalance:`` keys."""
    return parse_config(
        {
            "rules": {
                "max_single_name_weight": {"warn": 0.20, "breach": 0.25},
                "min_cash_weight": {"warn": 0.03, "breach": 0.02},
                "duration_gap": {"warn": 0.5, "breach": 1.0},
                "active_weight": {"warn": 0.03, "breach": 0.05},
                "group_max_weight": {"hy_credit": {"warn": 0.10, "breach": 0.15}},
            },
            "rebalance": rebalance,
        }
    )


def scenario_positions(positions: pd.DataFrame, book, st) -> pd.DataFrame:
    """The holdings frame after a scenario's trades (same columns as ``positions``).

    The frame the rule engine evaluates in the tests' reference path (the pack counts
    scenario alerts with ``rules.engine.severity_counts`` on the weights directly).
    """
    out = positions.reset_index(drop=True).copy()
    out["shares"] = st.shares
    out["market_value"] = st.shares * book.prices
    out["weight"] = st.weights
    out["active_weight"] = st.weights - book.benchmark
    dur = out["duration"].astype(float).fillna(0.0)  # a missing duration counts 0
    out["dv01"] = dv01(out["market_value"].to_numpy(dtype=float), dur.to_numpy())
    if "contribution_duration" in out.columns:
        out["contribution_duration"] = st.weights * book.duration
    return out
