"""The rule engine: every rule of docs/formats.md, rules file on every date at once.

A max-type rule gives BREACH when the value exceeds ``breach`` (strictly), else WARN when it
exceeds ``warn``; a min-type rule gives BREACH when the value is below ``breach``, else WARN
when below ``warn``. Exactly at a threshold gives nothing; "exceeds" means by more than
``fimonitor.severity.EPS`` = 1e-12, so that floating-point noise
(0.80 − 0.77 = 0.030000000000000027) does not turn "exactly at" into an alert
(:func:`fimonitor.severity.classify`, the one classifier).

Rules and what they measure (``value`` in the alert):

- ``max_single_name_weight``: weight of each holding that is neither CASH nor a cash proxy.
- ``min_cash_weight``: CASH + all ``is_cash_proxy`` holdings (ticker blank).
- ``duration_gap``: |portfolio duration − benchmark duration|, years (ticker blank).
- ``active_weight``: |weight − benchmark weight| per ticker, CASH included.
- ``group_max_weight``: Σ weights of a security-master group (ticker = the group name).
- ``key_rate_dv01`` (optional): |active key-rate DV01| per tenor, currency per bp (ticker = the
  tenor, ``10y``): :func:`fimonitor.analytics.key_rates.active_key_rate_dv01_history`, the
  same alerts as :func:`~fimonitor.analytics.key_rates.key_rate_dv01_alerts` plus ``since``.
  Evaluated only when the book has key-rate durations; not on rebalance scenarios.

Each alert carries ``since``: the first date of its current streak (consecutive evaluated
dates on which the same rule/ticker alerted at either severity), and for the pages:
``signed_value`` (the measure with its sign: active weight and duration gap keep it; other
rules equal ``value``), ``excess`` (how far beyond the crossed limit, ≥ 0, in the value's unit:
``value − limit`` for a max-type rule, ``limit − value`` for a min-type rule), ``age_days``
(evaluated dates in the streak, today included), ``severity_since`` (first date of the current
severity's run) and ``first_breach`` (first BREACH date of the streak, NaT when none).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.analytics.exposures import History, group_sum
from fimonitor.analytics.key_rates import TENORS, active_key_rate_dv01_history
from fimonitor.analytics.summary import cash_weight, weighted_duration
from fimonitor.config import RulesConfig, Threshold
from fimonitor.data.book import CASH
from fimonitor.results import ALERT_COLUMNS
from fimonitor.severity import classify

RULE_ORDER = (
    "max_single_name_weight",
    "min_cash_weight",
    "duration_gap",
    "active_weight",
    "group_max_weight",
    "key_rate_dv01",
)
PORTFOLIO_RULES = ("min_cash_weight", "duration_gap")
HOLDING_RULES = ("max_single_name_weight", "active_weight")
# (rule, keys, values rows x keys, threshold, signed values or None): see _measures
_Measure = tuple[str, list[str], np.ndarray, Threshold, np.ndarray | None]
EXTRA_COLUMNS = ("since", "signed_value", "excess", "age_days", "severity_since", "first_breach")


@dataclass(frozen=True)
class RuleInputs:
    """What the rules read, as panels over the evaluated dates.

    weights, benchmark   date x ticker (CASH included), fractions
    single_name          boolean per ticker: counted by max_single_name_weight
    groups               ticker -> security-master group
    cash_weight          date -> CASH + cash proxies
    duration_gap         date -> portfolio minus benchmark duration (years)
    key_rate_dv01        date x tenor active key-rate DV01 (currency per bp), or None
    """

    weights: pd.DataFrame
    benchmark: pd.DataFrame
    single_name: pd.Series
    groups: pd.Series
    cash_weight: pd.Series
    duration_gap: pd.Series
    key_rate_dv01: pd.DataFrame | None = None

    @classmethod
    def from_history(cls, h: History, key_rates: pd.DataFrame | None = None) -> RuleInputs:
        """Build the inputs over every date of a history.

        ``key_rates``: ``month, ticker, tenor, krd`` rows (``book.key_rates``); with them the
        active key-rate DV01 panel is computed for the ``key_rate_dv01`` rule.
        """
        proxy = h.securities["is_cash_proxy"].fillna(False).astype(bool)
        single = ~proxy & (h.weights.columns != CASH)
        krd = (
            None
            if key_rates is None
            else active_key_rate_dv01_history(h.weights, h.benchmark, h.total_value, key_rates)
        )
        return cls(
            h.weights,
            h.benchmark,
            pd.Series(single.to_numpy(), index=h.weights.columns),
            h.securities["group"],
            h.cash_weight,
            h.duration_gap,
            krd,
        )

    @classmethod
    def from_positions(cls, positions: pd.DataFrame, as_of) -> RuleInputs:
        """Build one-date inputs from an as-of holdings frame.

        Columns used: ticker, weight, benchmark_weight, duration, group, is_cash_proxy.
        """
        weights = positions["weight"].to_numpy(dtype=float)[None, :]
        return cls.from_weight_rows(positions, weights, pd.DatetimeIndex([pd.Timestamp(as_of)]))

    @classmethod
    def from_weight_rows(cls, positions: pd.DataFrame, weights, index: Sequence) -> RuleInputs:
        """One row per weight vector over the tickers of one holdings frame.

        Parameters
        ----------
        positions : pd.DataFrame
            An as-of holdings frame: ticker, benchmark_weight, duration, group,
            is_cash_proxy (its ``weight`` column is not read).
        weights : array_like
            Rows x tickers, in the order of ``positions`` (e.g. the weights of one date's
            rebalance scenarios).
        index : sequence
            The row labels.

        Returns
        -------
        RuleInputs
            Row ``k`` is what :meth:`from_positions` builds from ``positions`` with weights
            ``weights[k]``. Rows other than dates are not a time series: streaks across them
            mean nothing (use :func:`severity_counts`).
        """
        p = positions.set_index("ticker")
        idx = pd.Index(index)
        w = np.asarray(weights, dtype=float).reshape(len(idx), len(p))
        bench = p["benchmark_weight"].to_numpy(dtype=float)
        proxy = (p["is_cash_proxy"].fillna(False).astype(bool) | (p.index == CASH)).to_numpy()
        dur = p["duration"].fillna(0.0).to_numpy(dtype=float)  # a missing duration counts 0
        # per row, as for one date (a handful of rows; the same floats as one row at a time)
        cash = [cash_weight(pd.Series(row, index=p.index), proxy) for row in w]
        db = weighted_duration(bench, dur)
        gap = [weighted_duration(wk, dur) - db for wk in w]
        return cls(
            pd.DataFrame(w, index=idx, columns=p.index),
            pd.DataFrame(np.tile(bench, (len(idx), 1)), index=idx, columns=p.index),
            pd.Series(~proxy, index=p.index),
            p["group"],
            pd.Series(cash, index=idx, dtype=float),
            pd.Series(gap, index=idx, dtype=float),
        )


def _streak_start(code: np.ndarray) -> np.ndarray:
    """Row index where each cell's current alert streak began (-1 where no alert)."""
    flag = code > 0
    prev = np.vstack([np.zeros((1, flag.shape[1]), dtype=bool), flag[:-1]])
    rows = np.arange(flag.shape[0])[:, None]
    starts = np.where(flag & ~prev, rows, -1)
    starts = np.maximum.accumulate(starts, axis=0)
    return np.where(flag, starts, -1)


def _run_start(code: np.ndarray) -> np.ndarray:
    """Row index where each cell's current run of the same non-zero code began (-1: no alert)."""
    prev = np.vstack([np.zeros((1, code.shape[1]), dtype=code.dtype), code[:-1]])
    rows = np.arange(code.shape[0])[:, None]
    starts = np.maximum.accumulate(np.where(code != prev, rows, -1), axis=0)
    return np.where(code > 0, starts, -1)


def _first_breach(code: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Row of the first BREACH of each cell's current streak (-1 when the streak has none)."""
    rows = np.arange(code.shape[0])[:, None]
    is_b = code == 2
    last_b = np.maximum.accumulate(np.where(is_b, rows, -1), axis=0)
    last_b_before = np.vstack([np.full((1, code.shape[1]), -1), last_b[:-1]])
    first = is_b & (last_b_before < start)  # a breach with no earlier breach in its streak
    fb = np.maximum.accumulate(np.where(first, rows, -1), axis=0)
    return np.where((code > 0) & (fb >= start), fb, -1)


def _stack(
    rule: str,
    dates: pd.DatetimeIndex,
    keys: list[str],
    values: np.ndarray,
    t: Threshold,
    signed: np.ndarray | None = None,
) -> pd.DataFrame | None:
    values = np.asarray(values, dtype=float).reshape(len(dates), len(keys))
    signed = values if signed is None else np.asarray(signed, dtype=float).reshape(values.shape)
    code, limit = classify(values, t.warn, t.breach, t.kind)
    alerting = np.flatnonzero(code.any(axis=0))  # keys with an alert on some row
    if not len(alerting):
        return None  # no alert: nothing to stack (evaluate_inputs drops empty parts)
    # streaks are per key: compute them on the alerting keys' columns only (a few of 1,000
    # tickers at most rows); row-major order of (r, c) is kept, as np.nonzero(code) gives it
    sub = code[:, alerting]
    start = _streak_start(sub)
    sev_start = _run_start(sub)
    fb = _first_breach(sub, start)
    r, k = np.nonzero(sub)
    c = alerting[k]
    v, lim = values[r, c], limit[r, c]
    fb_rc = fb[r, k]
    return pd.DataFrame(
        {
            "date": dates[r],
            "rule": rule,
            "ticker": np.asarray(keys, dtype=object)[c],
            "value": v,
            "limit": lim,
            "severity": np.where(code[r, c] == 2, "BREACH", "WARN"),
            "since": dates[start[r, k]],
            "signed_value": signed[r, c],
            "excess": v - lim if t.kind == "max" else lim - v,
            "age_days": r - start[r, k] + 1,
            "severity_since": dates[sev_start[r, k]],
            "first_breach": pd.DatetimeIndex(dates[np.maximum(fb_rc, 0)]).where(fb_rc >= 0),
            "_order": RULE_ORDER.index(rule),
        }
    )


def _measures(x: RuleInputs, rules: RulesConfig) -> Iterator[_Measure]:
    """Each configured rule's measured values over the rows of ``x``, in :data:`RULE_ORDER`.

    One (rule, keys, values, threshold, signed) per rule (per group for
    ``group_max_weight``); ``values`` is rows x keys, ``signed`` None when it equals
    ``values``. The one definition of what each rule measures, for :func:`evaluate_inputs`
    and :func:`severity_counts`.
    """
    if rules.max_single_name_weight is not None:
        cols = list(
            x.weights.columns[
                x.single_name.reindex(x.weights.columns).fillna(False).to_numpy(dtype=bool)
            ]
        )
        yield (
            "max_single_name_weight",
            cols,
            x.weights[cols].to_numpy(),
            rules.max_single_name_weight,
            None,
        )
    if rules.min_cash_weight is not None:
        yield "min_cash_weight", [""], x.cash_weight.to_numpy(), rules.min_cash_weight, None
    if rules.duration_gap is not None:
        gap = x.duration_gap.to_numpy()
        yield "duration_gap", [""], np.abs(gap), rules.duration_gap, gap
    if rules.active_weight is not None:
        cols = list(x.weights.columns)
        act = x.weights.to_numpy() - x.benchmark.reindex(columns=cols).fillna(0.0).to_numpy()
        yield "active_weight", cols, np.abs(act), rules.active_weight, act
    if rules.group_max_weight:
        gw = group_sum(x.weights, x.groups.rename("group"))
        names = list(rules.group_max_weight)
        gw = gw.reindex(columns=names, fill_value=0.0)
        for g in names:
            yield "group_max_weight", [g], gw[g].to_numpy(), rules.group_max_weight[g], None
    if rules.key_rate_dv01 is not None and x.key_rate_dv01 is not None:
        tenors = [t for t in TENORS if t in x.key_rate_dv01.columns]
        active = x.key_rate_dv01.reindex(x.weights.index)[tenors].to_numpy(dtype=float)
        yield "key_rate_dv01", tenors, np.abs(active), rules.key_rate_dv01, active


def evaluate_inputs(x: RuleInputs, rules: RulesConfig) -> pd.DataFrame:
    """All alerts on all dates of ``x``: ALERT_COLUMNS + ``since``, sorted by date, rule, ticker."""
    dates = pd.DatetimeIndex(x.weights.index)
    parts = [
        _stack(rule, dates, keys, values, t, signed=signed)
        for rule, keys, values, t, signed in _measures(x, rules)
    ]
    parts = [p for p in parts if p is not None]  # None: the rule raised no alert
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(
                    [*ALERT_COLUMNS, *EXTRA_COLUMNS],
                    [
                        *("datetime64[ns]", object, object, float, float, object),
                        *("datetime64[ns]", float, float, int, "datetime64[ns]", "datetime64[ns]"),
                    ],
                    strict=True,
                )
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["date", "_order", "ticker"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def evaluate(
    history: History, rules: RulesConfig, key_rates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Alerts on every date of ``history`` (see :func:`evaluate_inputs`).

    ``key_rates`` (``book.key_rates``) is read only when ``rules.key_rate_dv01`` is set.
    """
    krd = key_rates if rules.key_rate_dv01 is not None else None
    return evaluate_inputs(RuleInputs.from_history(history, krd), rules)


def evaluate_positions(positions: pd.DataFrame, rules: RulesConfig, as_of) -> pd.DataFrame:
    """Alerts for one as-of holdings frame (used on PRE/POST rebalance portfolios)."""
    return evaluate_inputs(RuleInputs.from_positions(positions, as_of), rules)


def severity_counts(x: RuleInputs, rules: RulesConfig) -> pd.DataFrame:
    """BREACH and WARN counts per row of ``x``, without building the alerts.

    Parameters
    ----------
    x : RuleInputs
        Rows are dates, or the holdings of one date under several rebalance scenarios
        (:meth:`RuleInputs.from_weight_rows`).
    rules : RulesConfig

    Returns
    -------
    pd.DataFrame
        Index the rows of ``x``; ``n_breach``, ``n_warn`` (int): per row, the number of
        (rule, key) cells classified BREACH and WARN.

    Notes
    -----
    The same measures and classifier as :func:`evaluate_inputs`, so row ``k`` equals
    :func:`counts` of the alerts :func:`evaluate_inputs` gives on that row; streaks do not
    matter for the counts.
    """
    n = len(x.weights.index)
    breach = np.zeros(n, dtype=int)
    warn = np.zeros(n, dtype=int)
    for _, keys, values, t, _ in _measures(x, rules):
        values = np.asarray(values, dtype=float).reshape(n, len(keys))
        code, _ = classify(values, t.warn, t.breach, t.kind)
        breach += (code == 2).sum(axis=1)
        warn += (code == 1).sum(axis=1)
    return pd.DataFrame({"n_breach": breach, "n_warn": warn}, index=x.weights.index)


def counts(alerts: pd.DataFrame) -> tuple[int, int]:
    """(n_breach, n_warn) of an alerts frame."""
    sev = alerts["severity"]
    return int((sev == "BREACH").sum()), int((sev == "WARN").sum())
