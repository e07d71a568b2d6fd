"""A realistic synthetic :class:`fimonitor.results.Pack` for the report tests.

``make_pack()`` builds an 18-holding book (plus CASH) against a 10-ticker benchmark with 26 weeks
of alert history derived from a seeded random walk of active weights, so every table in the Pack
is consistent with every other. ``make_pack(n_holdings=50)`` gives a crowded variant, and
``infeasible=True`` an infeasible POST_CONS with its diagnosis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.results import (
    ALERT_COLUMNS,
    COMPARISON_COLUMNS,
    POSITION_COLUMNS,
    REBALANCE_ORDER_COLUMNS,
    REBALANCE_SUMMARY_COLUMNS,
    Pack,
    RebalanceOutcome,
)

THRESHOLDS = {
    "active_weight": (0.03, 0.05),
    "duration_gap": (0.50, 1.00),
    "max_single_name_weight": (0.20, 0.25),
    "min_cash_weight": (0.03, 0.02),
    "group_max_weight": {"hy_credit": (0.10, 0.15)},
}

# ticker: (name, group, rating_bucket, duration in years, cash proxy)
UNIVERSE: dict[str, tuple[str, str, str, float, bool]] = {
    "CASH": ("Cash", "cash", "cash", 0.0, True),
    "SGOV": ("iShares 0-3 Month Treasury Bond ETF", "cash", "AAA", 0.1, True),
    "BIL": ("SPDR Bloomberg 1-3 Month T-Bill ETF", "cash", "AAA", 0.1, True),
    "SHY": ("iShares 1-3 Year Treasury Bond ETF", "treasury", "AAA", 1.9, False),
    "IEI": ("iShares 3-7 Year Treasury Bond ETF", "treasury", "AAA", 4.3, False),
    "IEF": ("iShares 7-10 Year Treasury Bond ETF", "treasury", "AAA", 7.1, False),
    "TLT": ("iShares 20+ Year Treasury Bond ETF", "treasury", "AAA", 16.2, False),
    "GOVT": ("iShares U.S. Treasury Bond ETF", "treasury", "AAA", 5.9, False),
    "TIP": ("iShares TIPS Bond ETF", "tips", "AAA", 6.6, False),
    "SCHP": ("Schwab U.S. TIPS ETF", "tips", "AAA", 6.5, False),
    "LQD": (
        "iShares iBoxx $ Investment Grade Corporate Bond ETF",
        "ig_credit",
        "A/BBB",
        8.3,
        False,
    ),
    "VCIT": ("Vanguard Intermediate-Term Corporate Bond ETF", "ig_credit", "A/BBB", 6.1, False),
    "VCSH": ("Vanguard Short-Term Corporate Bond ETF", "ig_credit", "A/BBB", 2.6, False),
    "IGSB": (
        "iShares 1-5 Year Investment Grade Corporate Bond ETF",
        "ig_credit",
        "A/BBB",
        2.5,
        False,
    ),
    "HYG": ("iShares iBoxx $ High Yield Corporate Bond ETF", "hy_credit", "BB/B", 3.2, False),
    "JNK": ("SPDR Bloomberg High Yield Bond ETF", "hy_credit", "BB/B", 3.1, False),
    "MBB": ("iShares MBS ETF", "mbs", "AAA", 5.9, False),
    "EMB": ("iShares J.P. Morgan USD Emerging Markets Bond ETF", "em", "BB/B", 7.0, False),
    "MUB": ("iShares National Muni Bond ETF", "muni", "AA", 6.2, False),
    "BNDX": ("Vanguard Total International Bond ETF", "global", "AA", 6.9, False),
}

BENCHMARK = {
    "SHY": 0.10,
    "IEF": 0.16,
    "TLT": 0.06,
    "TIP": 0.08,
    "LQD": 0.12,
    "VCIT": 0.12,
    "HYG": 0.08,
    "MBB": 0.14,
    "EMB": 0.06,
    "BNDX": 0.08,
}

# Portfolio weights (before the 50-holding extension): deliberately off-benchmark so that some
# active-weight alerts fire (|active| > 3 % WARN, > 5 % BREACH).
HOLDINGS = {
    "CASH": 0.025,
    "SGOV": 0.015,
    "BIL": 0.010,
    "SHY": 0.065,
    "IEI": 0.050,
    "IEF": 0.120,
    "TLT": 0.115,
    "GOVT": 0.030,
    "TIP": 0.060,
    "SCHP": 0.020,
    "LQD": 0.100,
    "VCIT": 0.085,
    "VCSH": 0.030,
    "IGSB": 0.020,
    "HYG": 0.095,
    "JNK": 0.035,
    "MBB": 0.075,
    "EMB": 0.040,
    "MUB": 0.010,
}

GROUPS = ["treasury", "tips", "ig_credit", "hy_credit", "mbs", "em", "muni"]
RATINGS = {
    "treasury": "AAA",
    "tips": "AAA",
    "ig_credit": "A/BBB",
    "hy_credit": "BB/B",
    "mbs": "AAA",
    "em": "BB/B",
    "muni": "AA",
}

RISK_METRICS = {
    "annual_return": 0.0412,
    "volatility": 0.0563,
    "sharpe": 0.71,
    "sortino": 1.02,
    "max_drawdown": -0.0687,
    "calmar": 0.60,
    "var_95": 0.0058,
    "var_99": 0.0091,
    "cvar_95": 0.0079,
    "beta": 0.97,
    "alpha": 0.0031,
    "tracking_error": 0.0124,
    "information_ratio": 0.42,
    "effective_n": 12.3,
}


def _universe(n_holdings: int) -> tuple[dict, dict]:
    """Universe and portfolio weights for ``n_holdings`` non-cash holdings."""
    universe = dict(UNIVERSE)
    weights = dict(HOLDINGS)
    if n_holdings > len(HOLDINGS) - 1:
        extra = n_holdings - (len(HOLDINGS) - 1)
        rng = np.random.default_rng(7)
        for i in range(extra):
            group = GROUPS[i % len(GROUPS)]
            t = f"X{group[:2].upper()}{i:02d}"
            universe[t] = (
                f"Synthetic {group} fund {i}",
                group,
                RATINGS[group],
                float(rng.uniform(1, 12)),
                False,
            )
            weights[t] = float(rng.uniform(0.004, 0.02))
        total = sum(weights.values())
        weights = {t: w / total for t, w in weights.items()}
    return universe, weights


def _positions(universe: dict, weights: dict, mv: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tickers = list(dict.fromkeys([*weights, *BENCHMARK]))
    meta = pd.DataFrame.from_dict(
        {t: universe[t] for t in tickers},
        orient="index",
        columns=["name", "group", "rating_bucket", "duration", "is_cash_proxy"],
    )
    meta.index.name = "ticker"
    df = meta.reset_index()
    df["weight"] = df["ticker"].map(weights).fillna(0.0)
    df["benchmark_weight"] = df["ticker"].map(BENCHMARK).fillna(0.0)
    df["price"] = np.where(df["ticker"] == "CASH", 1.0, rng.uniform(20, 120, len(df)).round(2))
    df["market_value"] = df["weight"] * mv
    df["shares"] = np.where(
        df["ticker"] == "CASH", df["market_value"], np.floor(df["market_value"] / df["price"])
    )
    df["market_value"] = np.where(
        df["ticker"] == "CASH", df["market_value"], df["shares"] * df["price"]
    )
    cash_adj = mv - df["market_value"].sum()
    df.loc[df["ticker"] == "CASH", ["market_value", "shares"]] += cash_adj
    df["weight"] = df["market_value"] / df["market_value"].sum()
    df["active_weight"] = df["weight"] - df["benchmark_weight"]
    df["dv01"] = df["market_value"] * df["duration"] * 1e-4
    df["sector"] = df["group"]
    df["contribution_duration"] = df["weight"] * df["duration"]
    return df[[*POSITION_COLUMNS, "sector", "is_cash_proxy", "contribution_duration"]]


def _streak_since(hist: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.Series:
    """First day of each alert's current consecutive-session streak."""
    pos = pd.Series(np.arange(len(sessions)), index=sessions)
    h = hist.assign(_i=hist["date"].map(pos)).sort_values(["rule", "ticker", "_i"])
    key = h["rule"] + "|" + h["ticker"]
    new_run = (key != key.shift()) | (h["_i"].diff() != 1)
    run_id = new_run.cumsum()
    first = h.groupby(run_id)["date"].transform("min")
    return first.reindex(hist.index)


def _alerts(paths: dict[str, pd.DataFrame], sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Long alert frame from wide daily value panels keyed by rule."""
    rows = []
    for rule, panel in paths.items():
        warn, breach = THRESHOLDS[rule] if rule != "group_max_weight" else (0.10, 0.15)
        long = panel.stack().rename("value").reset_index()
        long.columns = ["date", "ticker", "value"]
        signed_rule = rule in {"active_weight", "duration_gap"}
        measure = long["value"].abs() if signed_rule else long["value"]
        if rule == "min_cash_weight":
            sev = np.where(measure < breach, "BREACH", np.where(measure < warn, "WARN", ""))
        else:
            sev = np.where(measure > breach, "BREACH", np.where(measure > warn, "WARN", ""))
        long["severity"] = sev
        long["limit"] = np.where(sev == "BREACH", breach, warn)
        long["rule"] = rule
        rows.append(long[long["severity"] != ""])
    hist = pd.concat(rows, ignore_index=True)
    hist["ticker"] = hist["ticker"].fillna("")
    hist = hist[ALERT_COLUMNS].sort_values(["date", "rule", "ticker"]).reset_index(drop=True)
    hist["since"] = _streak_since(hist, sessions)
    return hist


def _weekly(hist: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    daily = (
        hist.assign(w=hist["severity"].eq("WARN"), b=hist["severity"].eq("BREACH"))
        .groupby("date")[["w", "b"]]
        .sum()
        .reindex(sessions, fill_value=0)
    )
    daily["n"] = daily["w"] + daily["b"]
    g = daily.resample("W-FRI")
    weekly = pd.DataFrame(
        {
            "alert_days": g["n"].apply(lambda s: int((s > 0).sum())),
            "warn_days": g["w"].apply(lambda s: int((s > 0).sum())),
            "breach_days": g["b"].apply(lambda s: int((s > 0).sum())),
            "peak_alerts": g["n"].max(),
            "peak_warn": g["w"].max(),
            "peak_breach": g["b"].max(),
        }
    )
    weekly.index.name = "week_ending"
    return weekly.astype(int)


def _drivers(hist: pd.DataFrame, by: str) -> pd.DataFrame:
    h = hist if by == "rule" else hist[hist["ticker"] != ""]
    out = (
        pd.DataFrame(
            {
                "alert_days": h.groupby(by)["date"].nunique(),
                "breach_days": h[h["severity"] == "BREACH"].groupby(by)["date"].nunique(),
                "warn_days": h[h["severity"] == "WARN"].groupby(by)["date"].nunique(),
            }
        )
        .fillna(0)
        .astype(int)
    )
    return out.sort_values("alert_days", ascending=False).reset_index()


def _changes(today: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    key = ["rule", "ticker"]
    m = today.merge(
        prev[[*key, "severity"]].rename(columns={"severity": "previous_severity"}),
        on=key,
        how="outer",
        indicator=True,
    )
    m["status"] = m["_merge"].map({"left_only": "new", "right_only": "cured", "both": "persisting"})
    m["status"] = m["status"].astype(str)
    cols = ["status", "rule", "ticker", "severity", "previous_severity", "value", "since"]
    return m[cols].sort_values(["status", "rule", "ticker"]).reset_index(drop=True)


def _rebalance(pos: pd.DataFrame, mv: float, infeasible: bool) -> RebalanceOutcome:
    pre = pos.set_index("ticker")
    bm = pre["benchmark_weight"]
    post_bm = bm.copy()
    post_bm["CASH"] = 0.002  # the whole-share residue
    post_bm = post_bm / post_bm.sum()
    cons = bm.copy()
    cons["CASH"] = 0.02
    cons["HYG"] = min(cons["HYG"], 0.10)
    cons = cons / cons.sum()
    scen = {"PRE": pre["weight"], "POST_BM": post_bm}
    if not infeasible:
        scen["POST_CONS"] = cons
    comp = pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": s,
                    "ticker": w.index,
                    "weight": w.values,
                    "active_weight": (w - bm).values,
                }
            )
            for s, w in scen.items()
        ],
        ignore_index=True,
    )[COMPARISON_COLUMNS]

    orders = []
    for s, w in scen.items():
        if s == "PRE":
            continue
        delta = (w - pre["weight"]) * mv
        price = pre["price"]
        shares = np.trunc(delta / price)
        o = pd.DataFrame(
            {"scenario": s, "ticker": w.index, "shares": shares.abs().values, "price": price.values}
        )
        o["side"] = np.where(shares.values > 0, "BUY", "SELL")
        o["notional"] = o["shares"] * o["price"]
        o = o[(o["shares"] > 0) & (o["ticker"] != "CASH")]
        o["reason"] = "to_benchmark" if s == "POST_BM" else "cap:max_single_name_weight"
        orders.append(o[[*REBALANCE_ORDER_COLUMNS, "reason"]])
    orders_df = (
        pd.concat(orders, ignore_index=True)
        .sort_values(["scenario", "notional"], ascending=[True, False])
        .reset_index(drop=True)
    )

    dur = pre["duration"]
    db = float((bm * dur).sum())
    rows = []
    for s in ("PRE", "POST_BM", "POST_CONS"):
        if s in scen:
            w = scen[s]
            dp = float((w * dur).sum())
            act = (w - bm).abs()
            turnover = (
                0.0
                if s == "PRE"
                else float(orders_df.loc[orders_df["scenario"] == s, "notional"].sum() / mv)
            )
            rows.append(
                {
                    "scenario": s,
                    "n_breach": int((act > 0.05).sum()),
                    "n_warn": int(((act > 0.03) & (act <= 0.05)).sum()),
                    "portfolio_duration": dp,
                    "duration_gap": dp - db,
                    "turnover": turnover,
                    "status": "ok" if s != "POST_CONS" else "optimal",
                    "est_cost": 0.0 if s == "PRE" else turnover * mv * 0.0002,
                    "diagnosis": "",
                }
            )
        else:
            rows.append(
                {
                    "scenario": s,
                    "n_breach": np.nan,
                    "n_warn": np.nan,
                    "portfolio_duration": np.nan,
                    "duration_gap": np.nan,
                    "turnover": np.nan,
                    "status": "infeasible",
                    "est_cost": np.nan,
                    "diagnosis": DIAGNOSIS,
                }
            )
    summary = pd.DataFrame(rows)[[*REBALANCE_SUMMARY_COLUMNS, "status", "est_cost", "diagnosis"]]
    if infeasible:
        binding = pd.DataFrame(
            columns=[
                "constraint",
                "bound",
                "dual",
                "cost_active_weight",
                "cost_duration_gap",
                "text",
            ]
        )
    else:
        binding = pd.DataFrame(
            [
                {
                    "constraint": "min_cash_weight",
                    "bound": 0.02,
                    "dual": 0.0123,
                    "cost_active_weight": 0.0002,
                    "cost_duration_gap": 0.03,
                    "text": "Cash floor 2.0 % binds: holding 1.8 pp more cash than the benchmark "
                    "shortens duration by 0.03 y.",
                },
                {
                    "constraint": "group_caps:hy_credit",
                    "bound": 0.10,
                    "dual": 0.0041,
                    "cost_active_weight": 0.0001,
                    "cost_duration_gap": 0.0,
                    "text": "hy_credit cap 10.0 % binds: HYG stays at the cap.",
                },
            ]
        )
    return RebalanceOutcome(
        orders=orders_df,
        comparison=comp,
        summary=summary,
        binding=binding,
        status="infeasible" if infeasible else "optimal",
        diagnosis=DIAGNOSIS if infeasible else "",
    )


DIAGNOSIS = (
    "infeasible: min_cash_weight 0.02 + duration_band 0.25 + group_caps hy_credit 0.10 "
    "cannot all hold (the duration band needs 8.4 % more long treasuries than the cash "
    "floor leaves room for)"
)


def make_pack(
    n_holdings: int = 18,
    *,
    infeasible: bool = False,
    as_of: str = "2026-05-01",
    seed: int = 0,
    portfolio_name: str = "Demo Core Fixed Income",
    with_rebalance: bool = True,
    with_prev_counts: bool = True,
) -> Pack:
    """A consistent synthetic Pack with ``n_holdings`` non-cash holdings (>= 18)."""
    rng = np.random.default_rng(seed)
    as_of_ts = pd.Timestamp(as_of)
    mv = 10_245_678.9
    universe, weights = _universe(n_holdings)
    pos = _positions(universe, weights, mv, seed)
    mv = float(pos["market_value"].sum())

    year = pd.bdate_range(end=as_of_ts, periods=252)
    sessions = year[-130:]  # 26 weeks
    prev = sessions[-6]

    # Active-weight paths: random walks that end at today's active weights.
    act = pos.set_index("ticker")["active_weight"]
    steps = rng.normal(0, 0.0025, (len(sessions), len(act)))
    steps[-1] = 0
    walk = np.flip(np.cumsum(np.flip(steps, 0), 0), 0)
    # Early in the window the book sat closer to the benchmark, so alerts come and go.
    ramp = np.linspace(0.35, 1.0, len(sessions))[:, None]
    active = pd.DataFrame(act.values * ramp + walk, index=sessions, columns=act.index)

    db_today = float((pos["benchmark_weight"] * pos["duration"]).sum())
    dp_today = float((pos["weight"] * pos["duration"]).sum())
    t = np.arange(len(year))
    bench = db_today + 0.15 * np.sin(t / 40.0) - 0.15 * np.sin(t[-1] / 40.0)
    gap_walk = np.flip(np.cumsum(np.flip(rng.normal(0, 0.05, len(year)))))
    gap_walk -= gap_walk[-1]
    port = bench + (dp_today - db_today) + gap_walk
    dh = pd.DataFrame({"portfolio_duration": port, "benchmark_duration": bench}, index=year)
    dh["duration_gap"] = dh["portfolio_duration"] - dh["benchmark_duration"]
    dh.index.name = "date"

    cash_path = active.get("CASH", 0) + pos.set_index("ticker").loc["CASH", "benchmark_weight"]
    cash_path = cash_path + active[["SGOV", "BIL"]].sum(axis=1) + 0.025
    hist = _alerts(
        {
            "active_weight": active,
            "duration_gap": dh.loc[sessions, ["duration_gap"]].rename(columns={"duration_gap": ""}),
            "min_cash_weight": cash_path.to_frame(""),
        },
        sessions,
    )
    alerts = hist[hist["date"] == as_of_ts].reset_index(drop=True)
    prev_alerts = hist[hist["date"] == prev]

    n_breach = int((alerts["severity"] == "BREACH").sum())
    n_warn = int((alerts["severity"] == "WARN").sum())
    summary_rows = [
        ("as_of", as_of_ts.strftime("%Y-%m-%d")),
        ("market_value", mv),
        ("cash_weight", float(pos.loc[pos["is_cash_proxy"], "weight"].sum())),
        ("portfolio_duration", dp_today),
        ("benchmark_duration", db_today),
        ("duration_gap", dp_today - db_today),
        ("portfolio_dv01", float(pos["dv01"].sum())),
        ("n_breach", n_breach),
        ("n_warn", n_warn),
    ]
    if with_prev_counts:
        summary_rows += [
            ("n_breach_prev", int((prev_alerts["severity"] == "BREACH").sum())),
            ("n_warn_prev", int((prev_alerts["severity"] == "WARN").sum())),
        ]
    summary = pd.DataFrame(summary_rows, columns=["metric", "value"])

    def exposure(col: str) -> pd.DataFrame:
        e = pos.groupby(col)[["weight", "benchmark_weight"]].sum().reset_index()
        e.columns = [col, "portfolio_weight", "benchmark_weight"]
        e["active_weight"] = e["portfolio_weight"] - e["benchmark_weight"]
        return e

    moves_act = (active.iloc[-1] - active.loc[prev]).abs().sort_values(ascending=False).head(3)
    moves = pd.DataFrame(
        [
            {
                "item": t,
                "metric": "active_weight",
                "previous": active.loc[prev, t],
                "current": active.iloc[-1][t],
                "change": active.iloc[-1][t] - active.loc[prev, t],
            }
            for t in moves_act.index
        ]
        + [
            {
                "item": "portfolio",
                "metric": "portfolio_duration",
                "previous": dh.loc[prev, "portfolio_duration"],
                "current": dp_today,
                "change": dp_today - dh.loc[prev, "portfolio_duration"],
            },
            {
                "item": "portfolio",
                "metric": "portfolio_dv01",
                "previous": mv * 0.99 * dp_today * 1e-4,
                "current": mv * dp_today * 1e-4,
                "change": mv * 0.01 * dp_today * 1e-4,
            },
        ]
    )
    data_quality = pd.DataFrame(
        [
            {
                "severity": "WARN",
                "item": "MBB price",
                "detail": "stale: last close 2026-04-28, 3 sessions old",
            },
            {
                "severity": "WARN",
                "item": "benchmark weights",
                "detail": "effective 2026-01-02 summed to 0.998, renormalised to 1",
            },
            {
                "severity": "BREACH",
                "item": "BNDX duration",
                "detail": "no duration for 2026-05; April value 6.9 y carried forward",
            },
        ]
    )
    return Pack(
        as_of=as_of_ts,
        previous_as_of=prev,
        portfolio_name=portfolio_name,
        version="0.1.0",
        positions=pos,
        summary=summary,
        sector_exposure=exposure("group"),
        rating_exposure=exposure("rating_bucket"),
        alerts=alerts,
        alerts_history=hist,
        duration_history=dh,
        weekly=_weekly(hist, sessions),
        drivers_rule=_drivers(hist, "rule"),
        drivers_ticker=_drivers(hist, "ticker"),
        changes=_changes(alerts, prev_alerts),
        moves=moves,
        data_quality=data_quality,
        rebalance=_rebalance(pos, mv, infeasible) if with_rebalance else None,
        risk_metrics=pd.DataFrame(list(RISK_METRICS.items()), columns=["metric", "value"]),
        thresholds=THRESHOLDS,
        inputs={"security_master.csv": "0" * 64, "prices.csv": "1" * 64},
    )
