"""Result values passed between stages: computed once, then only read (report, store, writers).

Column conventions: weights are fractions, durations in years, money in currency units,
DV01 in currency per basis point. Tables whose name matches a pack CSV (docs/interface.md) hold
exactly that CSV's columns (ticker/group/etc. as ordinary columns, RangeIndex).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ALERT_COLUMNS = ["date", "rule", "ticker", "value", "limit", "severity"]
POSITION_COLUMNS = [
    "ticker",
    "name",
    "group",
    "rating_bucket",
    "shares",
    "price",
    "market_value",
    "weight",
    "benchmark_weight",
    "active_weight",
    "duration",
    "dv01",
]
REBALANCE_ORDER_COLUMNS = ["scenario", "ticker", "side", "shares", "price", "notional"]
COMPARISON_COLUMNS = ["scenario", "ticker", "weight", "active_weight"]
REBALANCE_SUMMARY_COLUMNS = [
    "scenario",
    "n_breach",
    "n_warn",
    "portfolio_duration",
    "duration_gap",
    "turnover",
]


@dataclass(frozen=True)
class RebalanceOutcome:
    """PRE / POST_MIN / POST_BM / POST_CONS (in that order in every table).

    orders      REBALANCE_ORDER_COLUMNS + ``reason`` (POST_CONS: a short code such as
                ``to_benchmark``, ``cap:max_single_name_weight``, ``band:duration``,
                ``floor:min_cash``;
                POST_MIN: the alert the order cures, e.g. ``cures BREACH active_weight TLT
                8.37 % > 5 %``, else ``keeps <limit>`` or ``residual: whole-share rounding``)
    comparison  COMPARISON_COLUMNS, one row per scenario and ticker (CASH included)
    summary     REBALANCE_SUMMARY_COLUMNS + ``status`` (``ok``/``optimal``/``infeasible``),
                ``est_cost`` (currency), ``diagnosis`` (text; POST_MIN: its orders, turnover
                and cost vs POST_CONS), ``continuous_turnover`` (turnover in fractional
                shares; POST_MIN: the LP optimum) and ``rounding_cost`` (turnover −
                continuous_turnover), both fractions of the pre-trade value
    binding     ``constraint, bound, dual, cost_active_weight, cost_duration_gap, text``:
                constraints binding in POST_CONS, with their cost in plain words
    status      status of POST_CONS: ``optimal``, ``infeasible``, ``inaccurate`` (the solver's
                residuals exceed 1e-6) or ``failed``; in the last three POST_CONS keeps PRE
    diagnosis   for an infeasible POST_CONS, the names of the conflicting constraints
    """

    orders: pd.DataFrame
    comparison: pd.DataFrame
    summary: pd.DataFrame
    binding: pd.DataFrame
    status: str
    diagnosis: str = ""


@dataclass(frozen=True)
class Pack:
    """Everything one monitoring pack shows, for one as-of date.

    positions        today_positions.csv columns + ``sector, is_cash_proxy, contribution_duration``
    summary          portfolio_summary.csv (``metric,value``; values are numbers or ISO dates/text)
    sector_exposure  sector_exposure.csv;   rating_exposure: rating_exposure.csv
    alerts           alerts.csv (as-of date) + ``since`` (first day of the alert's current streak)
    alerts_history   alerts_history.csv (every trading day of the look-back window) + ``since``
    duration_history index = date (about the last year); columns ``portfolio_duration,
                     benchmark_duration, duration_gap`` (years)
    weekly           index = week ending (Friday) date; columns ``alert_days, warn_days,
                     breach_days`` (trading days in the week with >= 1 alert of that kind) and
                     ``peak_alerts, peak_warn, peak_breach`` (max daily count in the week)
    drivers_rule     ``rule, alert_days, breach_days, warn_days`` sorted by alert_days desc
    drivers_ticker   ``ticker, alert_days, breach_days, warn_days`` (portfolio-level rules excluded)
    changes          vs the previous pack date (a week earlier): ``status`` new/cured/persisting,
                     ``rule, ticker, severity, previous_severity, value, since``
    moves            largest moves since the previous pack:
                     ``item, metric, previous, current, change``
    data_quality     ``severity, item, detail`` (WARN/BREACH scheme; empty when all is well)
    risk_metrics     risk_metrics.csv ``metric,value``: :func:`risk.extended_risk_metrics` over
                     the last ``risk_lookback_days`` daily returns (fractions, annualised with
                     252 days; ``max_drawdown_duration`` trading days; ``risk_level`` text)
    correlations     correlations.csv: ticker x ticker Pearson correlation of the holdings'
                     daily adj_close returns on the same return rows as ``risk_metrics``
                     (float64); empty above ``correlations_csv_max_holdings`` holdings (then
                     ``data_quality`` says so)
    rebalance        the scenarios (PRE, POST_MIN, POST_BM, POST_CONS)
    previous_as_of   the as-of "what changed" compares with: the latest earlier pack in OUT or
                     the history database when the run started, else the week-earlier date
    performance      performance.csv ``period, start, end, portfolio_return, benchmark_return,
                     active_return`` (fractions; periods 1D..inception)
    attribution      attribution.csv ``period, group, portfolio_weight, benchmark_weight,
                     portfolio_return, benchmark_return, allocation, selection, interaction,
                     total`` (fractions; Brinson-Fachler, Carino-linked; MTD, QTD, YTD, 1Y)
    rate_attribution rate_attribution.csv (``analytics.rate_attribution.RATE_COLUMNS``; active
                     return split into duration, curve and residual, fractions)
    daily_returns    ``date, portfolio_return, benchmark_return, active_return,
                     cumulative_portfolio, cumulative_benchmark, cumulative_active`` from
                     inception (fractions; the cumulative active chart)
    key_rate_dv01    key_rate_dv01.csv ``ticker, tenor, krd, krd_dv01`` (years; currency per bp)
                     per holding, then PORTFOLIO, BENCHMARK, ACTIVE; empty without key-rate file
    rate_scenarios   rate_scenarios.csv ``scenario, portfolio_pnl, benchmark_pnl, active_pnl``
                     (currency, second order)
    asset_metrics    asset_metrics.csv (``indicators.ASSET_METRIC_COLUMNS`` + ``notes``) for the
                     held and benchmark tickers on the as-of date
    benchmarks       benchmarks.csv ``benchmark, is_primary, duration, duration_gap, return_1y,
                     excess_return_1y, tracking_error, information_ratio, beta, alpha`` (years;
                     fractions; see :mod:`fimonitor.analytics.benchmark_table`)
    correlation_windows
                     {``1M, 3M, 6M, 1Y, 3Y``: :class:`~fimonitor.analytics.correlation_windows.
                     CorrelationWindow`} of the holdings: condensed float32 r and p-values,
                     row counts, strongest pairs (windows longer than the return history are
                     left out)
    correlation_observations
                     {window: number of return rows}
    rolling_correlations
                     {``20d``, ``60d``: date x ticker frame}: each holding's rolling correlation
                     with the portfolio on each return date of the risk look-back window
                     (``pack_tables.rolling_long`` gives the long ``window, date, ticker,
                     correlation`` form)
    """

    as_of: pd.Timestamp
    previous_as_of: pd.Timestamp | None
    portfolio_name: str
    version: str
    positions: pd.DataFrame
    summary: pd.DataFrame
    sector_exposure: pd.DataFrame
    rating_exposure: pd.DataFrame
    alerts: pd.DataFrame
    alerts_history: pd.DataFrame
    duration_history: pd.DataFrame
    weekly: pd.DataFrame
    drivers_rule: pd.DataFrame
    drivers_ticker: pd.DataFrame
    changes: pd.DataFrame
    moves: pd.DataFrame
    data_quality: pd.DataFrame
    rebalance: RebalanceOutcome | None = None
    risk_metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    correlations: pd.DataFrame = field(default_factory=pd.DataFrame)
    rolling_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    thresholds: dict = field(default_factory=dict)
    display: dict = field(default_factory=dict)  # "group_labels", "lookback_weeks" (pages only)
    inputs: dict = field(default_factory=dict)  # file name -> sha256
    performance: pd.DataFrame = field(default_factory=pd.DataFrame)
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    rate_attribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    daily_returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    key_rate_dv01: pd.DataFrame = field(default_factory=pd.DataFrame)
    rate_scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    asset_metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    correlation_windows: dict = field(default_factory=dict)
    correlation_observations: dict = field(default_factory=dict)
    rolling_correlations: dict = field(default_factory=dict)

    def summary_value(self, metric: str):
        """Return the value of ``metric`` in ``summary`` (None when absent)."""
        s = self.summary.set_index("metric")["value"]
        return s.get(metric)
