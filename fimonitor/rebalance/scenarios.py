"""The rebalance scenarios of the pack, each re-evaluated with the rule engine.

PRE (as held), POST_MIN (the least trade that ends every rule within its limit,
:mod:`fimonitor.rebalance.least_trade`), POST_BM (to benchmark) and POST_CONS (closest to benchmark
under the ``rebalance:`` constraints), each re-evaluated with the monitor's own rule engine.

Entry point: :func:`run_rebalances` (called by the pipeline).

Definitions (docs/interface.md, pack outputs): market value is kept, less trading costs
(``est_cost = cost_bps/10,000 × Σ|trade notional|``, paid from cash); ``turnover`` =
Σ|trade notional| / pre-trade value (CASH not a trade); ``duration_gap`` = portfolio minus
benchmark duration, years (signed, as in the rule engine); weights are fractions of the
scenario's own market value; ``continuous_turnover`` = the same scenario's turnover in
fractional shares (POST_MIN: the LP optimum; PRE: 0) and ``rounding_cost`` = ``turnover`` −
``continuous_turnover`` (fractions of the pre-trade value).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from fimonitor.analytics.summary import weighted_duration
from fimonitor.config import MonitorConfig
from fimonitor.errors import DataGapError, SchemaError
from fimonitor.rebalance.explain import BINDING_COLUMNS, binding_report, order_reasons
from fimonitor.rebalance.infeasible import diagnose_infeasible
from fimonitor.rebalance.least_trade import LeastTrade, least_trade
from fimonitor.rebalance.optimizer import CASH, Limits, ScenarioBook
from fimonitor.rebalance.rounding import Settled, settle, solve_whole_shares
from fimonitor.rebalance.to_benchmark import to_benchmark
from fimonitor.results import (
    COMPARISON_COLUMNS,
    REBALANCE_ORDER_COLUMNS,
    REBALANCE_SUMMARY_COLUMNS,
    RebalanceOutcome,
)

log = logging.getLogger(__name__)

SCENARIOS = ("PRE", "POST_MIN", "POST_BM", "POST_CONS")
REQUIRED = ("ticker", "group", "is_cash_proxy", "shares", "price", "benchmark_weight", "duration")
SCENARIO_SUMMARY_COLUMNS = [
    *REBALANCE_SUMMARY_COLUMNS,
    "status",
    "est_cost",
    "diagnosis",
    "continuous_turnover",
    "rounding_cost",
]
SCENARIO_ORDER_COLUMNS = [*REBALANCE_ORDER_COLUMNS, "reason"]


def book_from_positions(positions: pd.DataFrame) -> ScenarioBook:
    """Return the optimiser's arrays for the as-of holdings frame.

    One row per ticker, CASH included with price 1 and shares = cash.

    Raises
    ------
    SchemaError   a required column is missing
    DataGapError  a held or benchmark ticker has no usable price
    """
    missing = [c for c in REQUIRED if c not in positions.columns]
    if missing:
        raise SchemaError(f"positions frame lacks column(s) {', '.join(missing)}")
    p = positions.reset_index(drop=True)
    tickers = p["ticker"].astype(str).to_numpy(dtype=object)
    shares = p["shares"].astype(float).fillna(0.0).to_numpy()
    price = p["price"].astype(float).to_numpy()
    bench = p["benchmark_weight"].astype(float).fillna(0.0).to_numpy()
    is_cash = tickers == CASH
    if not is_cash.any():
        raise DataGapError("positions frame has no CASH row", ticker=CASH)
    price = np.where(is_cash, 1.0, price)
    needed = (shares != 0) | (bench != 0)
    bad = needed & ~(np.isfinite(price) & (price > 0))
    if bad.any():
        t = tickers[np.flatnonzero(bad)[0]]
        raise DataGapError("no usable price to value or trade it on the as-of date", ticker=t)
    price = np.where(np.isfinite(price) & (price > 0), price, 1.0)
    dur = p["duration"].astype(float).to_numpy()
    gap = needed & ~np.isfinite(dur) & ~is_cash
    if gap.any():
        log.warning(
            "no duration for %s: counted as 0 years in the rebalance", ", ".join(tickers[gap])
        )
    dur = np.where(np.isfinite(dur) & ~is_cash, dur, 0.0)
    total = bench.sum()
    if total > 0 and abs(total - 1.0) > 1e-9:
        log.warning("benchmark weights sum to %.6f; normalised to 1", total)
        bench = bench / total
    proxy = p["is_cash_proxy"].fillna(False).astype(bool).to_numpy() | is_cash
    return ScenarioBook(
        tickers=tickers,
        prices=price,
        shares=shares,
        benchmark=bench,
        duration=dur,
        groups=p["group"].astype(str).to_numpy(dtype=object),
        capped=~proxy,
        cash_set=proxy,
    )


def limits_from_config(config: MonitorConfig) -> Limits:
    """Return the optimiser limits of the rules file's ``rebalance:`` section (fractions)."""
    r = config.rebalance
    return Limits(
        max_single_name_weight=r.max_single_name_weight,
        min_cash_weight=r.min_cash_weight,
        duration_band=r.duration_band,
        group_caps=dict(r.group_caps),
        max_turnover=r.max_turnover,
    )


def _orders(scenario: str, book: ScenarioBook, st: Settled, reasons: np.ndarray) -> pd.DataFrame:
    ds = st.shares - book.shares
    trade = book.traded & (np.abs(st.trade) > 0)
    idx = np.flatnonzero(trade)
    out = pd.DataFrame(
        {
            "scenario": scenario,
            "ticker": book.tickers[idx].astype(str),
            "side": np.where(ds[idx] > 0, "BUY", "SELL"),
            "shares": np.abs(ds[idx]),
            "price": book.prices[idx],
            "notional": np.abs(st.trade[idx]),
            "reason": reasons[idx].astype(str),
        },
        columns=SCENARIO_ORDER_COLUMNS,
    )
    return out.sort_values(["side", "ticker"], ascending=[False, True]).reset_index(drop=True)


def _continuous_turnover(book: ScenarioBook, target_notional: np.ndarray) -> float:
    """Σ_{i != CASH} |target_i − x_i| / V for fractional-share target notionals."""
    return float(np.abs(target_notional - book.notional)[book.traded].sum() / book.value)


def _continuous_bm(book: ScenarioBook, bm: Settled) -> float:
    return _continuous_turnover(book, book.benchmark * bm.value_post)


def _min_vs_cons(
    lt: LeastTrade, mn: Settled, cons: Settled, cons_status: str, orders: pd.DataFrame
) -> str:
    """POST_MIN's summary line: turnover and cost against POST_CONS (or why it is absent)."""
    if lt.status != "optimal":
        return lt.diagnosis
    n_min = int((orders["scenario"] == "POST_MIN").sum())
    head = (
        f"least trade: {_n_orders(n_min)}, turnover {mn.turnover * 100:.2f} %, cost {mn.cost:,.2f}"
    )
    if cons_status != "optimal":
        return f"{head}; POST_CONS {cons_status}"
    n_cons = int((orders["scenario"] == "POST_CONS").sum())
    tail = f"turnover {cons.turnover * 100:.2f} %, cost {cons.cost:,.2f}"
    return f"{head} vs POST_CONS {_n_orders(n_cons)}, {tail}"


def _n_orders(n: int) -> str:
    return f"{n} order" if n == 1 else f"{n} orders"


def _rule_counts(
    positions: pd.DataFrame, scen: dict[str, Settled], config: MonitorConfig
) -> pd.DataFrame:
    """BREACH/WARN counts of the rules on each scenario's weights (index: the scenarios)."""
    from fimonitor.rules.engine import RuleInputs, severity_counts

    weights = np.vstack([scen[k].weights for k in SCENARIOS])
    x = RuleInputs.from_weight_rows(positions.reset_index(drop=True), weights, SCENARIOS)
    return severity_counts(x, config.rules)


def run_rebalances(
    positions: pd.DataFrame, config: MonitorConfig, as_of: pd.Timestamp
) -> RebalanceOutcome:
    """PRE, POST_MIN, POST_BM and POST_CONS for the as-of holdings frame.

    Parameters
    ----------
    positions : DataFrame
        One row per ticker held or in the benchmark, CASH included (ticker ``CASH``, price
        1.0, shares = cash); columns ticker, name, group, sector, rating_bucket,
        is_cash_proxy, shares, price, market_value, weight, benchmark_weight, active_weight,
        duration, dv01.
    config : MonitorConfig
        ``config.rebalance`` gives the constraints, ``config.rules`` the rules re-evaluated on
        each scenario.
    as_of : Timestamp

    Returns
    -------
    RebalanceOutcome
        An infeasible (or inaccurately solved) POST_CONS or POST_MIN keeps the PRE portfolio,
        has no orders, and its status and diagnosis say why. POST_MIN's diagnosis otherwise
        compares its orders, turnover and cost with POST_CONS.
    """
    t0 = time.perf_counter()
    book = book_from_positions(positions)
    rcfg = config.rebalance
    limits = limits_from_config(config)
    cost_rate = rcfg.cost_bps / 1e4
    min_trade = rcfg.min_trade_notional

    pre = settle(book, book.shares.copy(), 0.0)
    bm = to_benchmark(book, cost_rate=cost_rate, whole_shares=rcfg.whole_shares)

    res, rounded, used = solve_whole_shares(
        book,
        limits,
        cost_rate=cost_rate,
        min_trade_notional=min_trade,
        whole_shares=rcfg.whole_shares,
    )
    status, diagnosis = res.status, ""
    cons, binding = pre, pd.DataFrame(columns=BINDING_COLUMNS)
    reasons = np.full(book.n, "residual", dtype=object)
    if res.status == "optimal":
        if rounded.status == "ok":
            cons = rounded.settled
            reasons = order_reasons(book, res, used)
            binding = binding_report(book, res, used)
            if used is not limits:
                diagnosis = (
                    "whole shares needed the limits tightened slightly "
                    "(the continuous optimum sat on several limits at once)"
                )
        else:
            status, diagnosis = "infeasible", rounded.message
    elif res.status == "infeasible":
        _, diagnosis = diagnose_infeasible(res, limits)
    else:
        diagnosis = res.message or f"solver status {res.status}"
    if status != "optimal":
        log.warning("POST_CONS %s: %s", status, diagnosis)

    cont = {"PRE": 0.0, "POST_BM": _continuous_bm(book, bm), "POST_CONS": np.nan}
    if res.status == "optimal" and res.weights is not None:
        cont["POST_CONS"] = _continuous_turnover(book, res.weights * res.value_post)
    lt = least_trade(
        book,
        limits,
        config.rules,
        cure=rcfg.cure,
        cost_rate=cost_rate,
        min_trade_notional=min_trade,
        whole_shares=rcfg.whole_shares,
    )
    mn = lt.settled if lt.settled is not None else pre
    cont["POST_MIN"] = lt.continuous_turnover
    if lt.status != "optimal":
        log.warning("POST_MIN %s: %s", lt.status, lt.diagnosis)

    scen = {"PRE": pre, "POST_MIN": mn, "POST_BM": bm, "POST_CONS": cons}
    orders = pd.concat(
        [
            _orders("POST_MIN", book, mn, lt.reasons),
            _orders("POST_BM", book, bm, np.full(book.n, "to_benchmark", dtype=object)),
            _orders("POST_CONS", book, cons, reasons),
        ],
        ignore_index=True,
    )
    comparison = pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": k,
                    "ticker": book.tickers.astype(str),
                    "weight": scen[k].weights,
                    "active_weight": scen[k].weights - book.benchmark,
                }
            )
            for k in SCENARIOS
        ],
        ignore_index=True,
    )[COMPARISON_COLUMNS]
    status_of = {"PRE": "ok", "POST_MIN": lt.status, "POST_BM": "ok", "POST_CONS": status}
    diag = {
        "POST_CONS": diagnosis,
        "POST_MIN": _min_vs_cons(lt, mn, cons, status, orders),
    }
    rows = []
    rule_counts = _rule_counts(positions, scen, config)
    for k in SCENARIOS:
        st = scen[k]
        n_breach, n_warn = (int(v) for v in rule_counts.loc[k, ["n_breach", "n_warn"]])
        dur = weighted_duration(st.weights, book.duration)
        rows.append(
            {
                "scenario": k,
                "n_breach": n_breach,
                "n_warn": n_warn,
                "portfolio_duration": dur,
                "duration_gap": dur - book.benchmark_duration,
                "turnover": st.turnover,
                "status": status_of[k],
                "est_cost": st.cost,
                "diagnosis": diag.get(k, ""),
                "continuous_turnover": cont[k],
                "rounding_cost": st.turnover - cont[k],
            }
        )
    summary = pd.DataFrame(rows, columns=SCENARIO_SUMMARY_COLUMNS)
    log.info(
        "rebalances for %d tickers in %.3f s (POST_CONS %s, POST_MIN %s)",
        book.n,
        time.perf_counter() - t0,
        status,
        lt.status,
    )
    return RebalanceOutcome(
        orders=orders,
        comparison=comparison,
        summary=summary,
        binding=binding,
        status=status,
        diagnosis=diagnosis,
    )
