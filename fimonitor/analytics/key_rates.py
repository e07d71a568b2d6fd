"""Key-rate DV01, rate-scenario P&L and the ``key_rate_dv01`` rule, from key-rate durations.

Inputs are the key-rate durations of each fund on one month (``key_rate_durations_monthly.csv``
rows, ``ticker, tenor, krd``; tenors ``2y, 5y, 10y, 30y``), the holdings' market values and the
benchmark weights. Tickers without key-rate rows (CASH, equities) have key-rate durations 0,
as CASH has duration 0 (docs/definitions.md).

Definitions (``MV`` the portfolio's market value, currency; ``w_i`` weights, ``b_i`` benchmark
weights; ``KRD_ik`` years):

* ``krd_dv01`` of a holding = ``MV_i × KRD_ik × 1e-4`` (currency per 1 bp at tenor ``k``);
* ``PORTFOLIO`` = Σ over holdings (its ``krd`` is ``Σ w_i KRD_ik``);
* ``BENCHMARK`` = the benchmark scaled to the portfolio's value: ``krd = Σ b_i KRD_ik``,
  ``krd_dv01 = MV × krd × 1e-4``;
* ``ACTIVE`` = PORTFOLIO − BENCHMARK.

Scenario P&L of a fund for key-rate moves ``Δy_k`` (decimal), second order::

    ΔP_i ≈ MV_i × ( −Σ_k KRD_ik Δy_k + ½ C_i Δȳ_i² ),   Δȳ_i = Σ_k KRD_ik Δy_k / D_i,

``D_i = Σ_k KRD_ik`` (the effective duration) and ``C_i`` the fund's convexity (years²).
``Δȳ_i`` is the parallel shift with the same first-order P&L as the non-parallel move (equal
to ``Δy`` for a parallel shift); cross-convexity between key rates is not modelled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fimonitor.errors import InputError
from fimonitor.severity import BREACH, classify

logger = logging.getLogger(__name__)

TENORS: tuple[str, ...] = ("2y", "5y", "10y", "30y")
TENOR_YEARS: dict[str, float] = {"2y": 2.0, "5y": 5.0, "10y": 10.0, "30y": 30.0}
BP = 1e-4
RULE = "key_rate_dv01"
ALERT_COLUMNS = ("date", "rule", "ticker", "value", "limit", "severity")
AGGREGATES = ("PORTFOLIO", "BENCHMARK", "ACTIVE")
ZERO_DURATION = 1e-12  # years: a duration at or below this is treated as zero


def krd_matrix(krd_on_date: pd.DataFrame, tickers: pd.Index) -> pd.DataFrame:
    """Long ``ticker, tenor, krd`` rows -> ticker x tenor (years), 0 for tickers without rows."""
    bad = sorted(set(krd_on_date["tenor"]) - set(TENORS))
    if bad:
        raise InputError(f"tenor {bad[0]!r} is not one of {', '.join(TENORS)}")
    wide = krd_on_date.pivot_table(index="ticker", columns="tenor", values="krd", aggfunc="first")
    return wide.reindex(index=tickers, columns=list(TENORS)).fillna(0.0).astype(float)


def scenario_shifts(spec: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Key-rate moves (decimal) per scenario: scenario x tenor.

    Default scenarios: ``parallel_up_100`` (+100 bp), ``parallel_down_100`` (−100 bp),
    ``steepener`` (2 y −50 bp, 30 y +50 bp, linear in maturity between, at 5 y and 10 y) and
    ``flattener`` (the opposite). ``spec`` maps a name to ``{tenor: bp}`` to replace them.
    """
    if spec is None:
        years = np.array([TENOR_YEARS[t] for t in TENORS])
        steep = -50.0 + 100.0 * (years - 2.0) / 28.0
        spec = {
            "parallel_up_100": dict.fromkeys(TENORS, 100.0),
            "parallel_down_100": dict.fromkeys(TENORS, -100.0),
            "steepener": dict(zip(TENORS, steep, strict=True)),
            "flattener": dict(zip(TENORS, -steep, strict=True)),
        }
    frame = pd.DataFrame(spec).T.reindex(columns=list(TENORS)).fillna(0.0) * BP
    frame.index.name = "scenario"
    return frame


def _weights(positions: pd.Series, market_value: float) -> pd.Series:
    if not np.isfinite(market_value) or market_value <= 0:
        raise InputError(f"market_value {market_value} must be a positive number")
    return positions.astype(float) / float(market_value)


def key_rate_dv01(
    positions: pd.Series,
    krd_on_date: pd.DataFrame,
    benchmark_weights: pd.Series,
    market_value: float,
) -> pd.DataFrame:
    """Key-rate DV01 per holding and for the portfolio, the scaled benchmark and the difference.

    Parameters
    ----------
    positions : Series
        ticker -> market value on the date (currency; CASH included).
    krd_on_date : DataFrame
        ``ticker, tenor, krd`` rows of one month (years).
    benchmark_weights : Series
        ticker -> benchmark weight (fractions summing to 1).
    market_value : float
        The portfolio's market value (currency), to which the benchmark is scaled.

    Returns
    -------
    DataFrame
        ``ticker, tenor, krd, krd_dv01``: one row per held ticker (market value ≠ 0) and tenor,
        then ``PORTFOLIO``, ``BENCHMARK``, ``ACTIVE`` per tenor. ``krd`` in years (weighted for
        the aggregates), ``krd_dv01`` in currency per bp.

    Notes
    -----
    ``krd_dv01_ik = MV_i KRD_ik 1e-4``; PORTFOLIO = Σ_i; BENCHMARK = ``MV Σ_i b_i KRD_ik 1e-4``;
    ACTIVE = PORTFOLIO − BENCHMARK.
    """
    held = positions[positions.astype(float) != 0]
    universe = held.index.union(benchmark_weights.index)
    krd = krd_matrix(krd_on_date, universe)
    w = _weights(held, market_value)
    b = benchmark_weights.reindex(universe).fillna(0.0).astype(float)
    rows = krd.loc[held.index]
    dv = rows.mul(held.astype(float), axis=0) * BP
    port_krd = (rows.mul(w, axis=0)).sum()
    bench_krd = krd.mul(b, axis=0).sum()
    agg_krd = pd.DataFrame(
        {"PORTFOLIO": port_krd, "BENCHMARK": bench_krd, "ACTIVE": port_krd - bench_krd}
    ).T
    agg_dv = pd.DataFrame(
        {
            "PORTFOLIO": dv.sum(),
            "BENCHMARK": bench_krd * float(market_value) * BP,
        }
    ).T
    agg_dv.loc["ACTIVE"] = agg_dv.loc["PORTFOLIO"] - agg_dv.loc["BENCHMARK"]
    krd_all = pd.concat([rows.sort_index(), agg_krd])
    dv_all = pd.concat([dv.sort_index(), agg_dv.loc[list(AGGREGATES)]])
    out = pd.DataFrame(
        {
            "ticker": np.repeat(krd_all.index.to_numpy(dtype=object), len(TENORS)),
            "tenor": np.tile(np.array(TENORS, dtype=object), len(krd_all)),
            "krd": krd_all.to_numpy().ravel(),
            "krd_dv01": dv_all.to_numpy().ravel(),
        }
    )
    return out


def rate_scenarios(
    positions: pd.Series,
    krd_on_date: pd.DataFrame,
    convexity: pd.Series,
    benchmark_weights: pd.Series,
    market_value: float,
    scenarios: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Second-order P&L of the portfolio and the scaled benchmark under curve scenarios.

    Parameters
    ----------
    positions : Series
        ticker -> market value (currency; CASH included).
    krd_on_date : DataFrame
        ``ticker, tenor, krd`` rows of one month (years).
    convexity : Series
        ticker -> convexity (years²); missing = 0.
    benchmark_weights : Series
        ticker -> benchmark weight (fractions).
    market_value : float
        Portfolio market value (currency); the benchmark is scaled to it.
    scenarios : DataFrame, optional
        scenario x tenor moves in decimal (default :func:`scenario_shifts`).

    Returns
    -------
    DataFrame
        ``scenario, portfolio_pnl, benchmark_pnl, active_pnl`` (currency).

    Notes
    -----
    Per fund ``r_i = −Σ_k KRD_ik Δy_k + ½ C_i Δȳ_i²`` with ``Δȳ_i = Σ_k KRD_ik Δy_k / D_i``
    (0 where ``D_i = 0``); portfolio P&L ``Σ_i MV_i r_i``, benchmark ``MV Σ_i b_i r_i``.
    """
    shifts = scenario_shifts() if scenarios is None else scenarios
    held = positions[positions.astype(float) != 0]
    universe = held.index.union(benchmark_weights.index)
    krd = krd_matrix(krd_on_date, universe)  # ticker x tenor
    conv = convexity.reindex(universe).fillna(0.0).astype(float).to_numpy()
    dur = krd.sum(axis=1).to_numpy()
    first = krd.to_numpy() @ shifts[list(TENORS)].to_numpy().T  # ticker x scenario: Σ KRD Δy
    safe = np.where(np.abs(dur) > ZERO_DURATION, dur, 1.0)
    dybar = np.where(np.abs(dur)[:, None] > ZERO_DURATION, first / safe[:, None], 0.0)
    ret = -first + 0.5 * conv[:, None] * dybar**2
    mv = held.reindex(universe).fillna(0.0).astype(float).to_numpy()
    _weights(held, market_value)  # validates market_value
    b = benchmark_weights.reindex(universe).fillna(0.0).astype(float).to_numpy()
    port = mv @ ret
    bench = float(market_value) * (b @ ret)
    return pd.DataFrame(
        {
            "scenario": shifts.index.to_numpy(dtype=object),
            "portfolio_pnl": port,
            "benchmark_pnl": bench,
            "active_pnl": port - bench,
        }
    )


def key_rate_dv01_alerts(
    active: pd.DataFrame, warn: float | None, breach: float | None
) -> pd.DataFrame:
    """Alerts of the optional rule ``key_rate_dv01: {warn, breach}`` on every date at once.

    Parameters
    ----------
    active : DataFrame
        date x tenor active key-rate DV01 (currency per bp), e.g. the ``ACTIVE`` rows of
        :func:`key_rate_dv01` for each date.
    warn, breach : float or None
        Limits on ``|active key-rate DV01|`` (currency per bp), the same for every tenor;
        None disables that level.

    Returns
    -------
    DataFrame
        ``date, rule, ticker, value, limit, severity`` with ``rule = "key_rate_dv01"``,
        ``ticker`` the tenor (``10y``), ``value = |active DV01|``; BREACH when the value exceeds
        ``breach`` (by more than 1e-12), else WARN when it exceeds ``warn``; sorted by date and
        tenor order.
    """
    if warn is not None and breach is not None and warn > breach:
        raise InputError(f"{RULE}: warn {warn} must not exceed breach {breach}")
    cols = [c for c in TENORS if c in active.columns]
    v = np.abs(active[cols].to_numpy(dtype=float))
    code, limit = classify(v, warn, breach, "max")
    r, c = np.nonzero(code)
    return pd.DataFrame(
        {
            "date": active.index.to_numpy()[r],
            "rule": RULE,
            "ticker": np.asarray(cols, dtype=object)[c],
            "value": v[r, c],
            "limit": limit[r, c],
            "severity": np.where(code[r, c] == BREACH, "BREACH", "WARN"),
        },
        columns=list(ALERT_COLUMNS),
    )


def active_key_rate_dv01_history(
    weights: pd.DataFrame,
    benchmark: pd.DataFrame,
    total_value: pd.Series,
    krd_monthly: pd.DataFrame,
) -> pd.DataFrame:
    """Active key-rate DV01 on every date (input of :func:`key_rate_dv01_alerts`).

    Parameters
    ----------
    weights, benchmark : DataFrame
        date x ticker portfolio and benchmark weights (fractions; e.g. ``History.weights`` and
        ``History.benchmark``).
    total_value : Series
        date -> portfolio market value (currency).
    krd_monthly : DataFrame
        ``month`` (``YYYY-MM``), ``ticker``, ``tenor``, ``krd`` rows; a month's value holds from
        its first day (forward-filled), missing tickers have 0.

    Returns
    -------
    DataFrame
        date x tenor, currency per bp: ``V_t Σ_i (w_it − b_it) KRD_ik(t) 1e-4``; equals the
        ``ACTIVE`` rows of :func:`key_rate_dv01` on each date.
    """
    dates = pd.DatetimeIndex(weights.index)
    krd_monthly = krd_monthly.reset_index(drop=True)
    month = pd.to_datetime(krd_monthly["month"], format="%Y-%m")
    cols = weights.columns.union(benchmark.columns)
    active = weights.reindex(columns=cols).fillna(0.0) - benchmark.reindex(
        index=dates, columns=cols
    ).fillna(0.0)
    out = {}
    for tenor in TENORS:  # four key rates
        rows = krd_monthly[krd_monthly["tenor"] == tenor]
        panel = (
            pd.DataFrame({"month": month[rows.index], "ticker": rows["ticker"], "krd": rows["krd"]})
            .pivot(index="month", columns="ticker", values="krd")
            .sort_index()
        )
        daily = panel.reindex(panel.index.union(dates)).ffill().reindex(dates)
        daily = daily.reindex(columns=active.columns).fillna(0.0)
        out[tenor] = (active * daily).sum(axis=1) * total_value.reindex(dates) * BP
    frame = pd.DataFrame(out, index=dates)
    frame.columns.name = "tenor"
    return frame
