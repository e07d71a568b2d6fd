"""The pack's analytic tables beyond exposures and alerts, from the library functions.

Each function here only gathers inputs from a :class:`~fimonitor.data.book.Book` and a
:class:`~fimonitor.analytics.exposures.History` and calls the analytics that define the
numbers (:mod:`~fimonitor.analytics.risk`, :mod:`~fimonitor.analytics.correlation`,
:mod:`~fimonitor.analytics.indicators`, :mod:`~fimonitor.analytics.key_rates`,
:mod:`~fimonitor.analytics.duration_tables`); definitions live there.
The benchmark comparison (``benchmarks.csv``) is defined in
:mod:`~fimonitor.analytics.benchmark_table`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from fimonitor.analytics import correlation as corr_mod
from fimonitor.analytics import risk
from fimonitor.analytics.attribution import benchmark_contributions
from fimonitor.analytics.benchmark_table import BENCHMARK_COLUMNS, benchmark_table
from fimonitor.analytics.correlation_windows import compact_correlation_windows
from fimonitor.analytics.duration_tables import duration_cross_check
from fimonitor.analytics.exposures import History
from fimonitor.analytics.indicators import asset_metrics
from fimonitor.analytics.key_rates import key_rate_dv01, rate_scenarios
from fimonitor.analytics.performance_tables import performance_tables
from fimonitor.config import MonitorConfig
from fimonitor.data.book import CASH, Book

__all__ = [
    "BENCHMARK_COLUMNS",
    "ROLLING_COLUMNS",
    "analytic_tables",
    "asset_metric_table",
    "correlation_tables",
    "correlation_window_tables",
    "duration_check_notes",
    "key_rate_tables",
    "krd_on_date",
    "portfolio_returns",
    "primary_benchmark_returns",
    "risk_tables",
    "rolling_long",
]

log = logging.getLogger(__name__)

ROLLING_COLUMNS = ["window", "date", "ticker", "correlation"]


def portfolio_returns(h: History, as_of: pd.Timestamp) -> pd.Series:
    """Daily time-weighted returns of the portfolio from inception to ``as_of`` (NaN dropped).

    Parameters
    ----------
    h : History
    as_of : pd.Timestamp

    Returns
    -------
    pd.Series
        :func:`fimonitor.analytics.risk.time_weighted_returns` (fractions), indexed by date.
    """
    value = h.total_value.loc[:as_of]
    return risk.time_weighted_returns(value, h.flows.loc[:as_of]).dropna()


def correlation_tables(
    book: Book,
    tickers: list[str],
    all_returns: pd.Series,
    lookback: int,
    csv_max_holdings: int | None = None,
) -> dict[str, object]:
    """The holdings' correlation matrix and rolling correlations (the windows: see below).

    The condensed correlation windows come from :func:`correlation_window_tables`, on the
    same price rows and return dates; the pack computes them last, once it has released
    what it no longer needs (they are its largest objects: ~500 MB at 5,000 holdings).

    Parameters
    ----------
    book : Book
        ``book.adj_close`` (total-return prices).
    tickers : list of str
        The holdings (no CASH).
    all_returns : pd.Series
        Portfolio daily returns from inception to the as-of date (:func:`portfolio_returns`);
        every window is the last ``n`` of these dates (the risk metrics' rows).
    lookback : int
        ``risk_lookback_days``: the rows of ``correlations.csv`` and of the rolling series.
    csv_max_holdings : int, optional
        Above this many holdings the full-precision matrix of ``correlations.csv`` is not
        computed (``matrix`` empty, ``note`` says why); None = no limit.

    Returns
    -------
    dict
        ``matrix`` (the holdings over the last ``lookback`` returns, float64:
        ``correlations.csv``; empty above ``csv_max_holdings``), ``rolling``
        {``20d``/``60d``: date x ticker frame of each holding's rolling correlation with the
        portfolio on each of the last ``lookback`` return dates} and ``note`` (None, or why
        ``matrix`` is empty).
    """
    dates = pd.DatetimeIndex(all_returns.index)
    adj = _returns_panel(book, tickers, dates, lookback + max(corr_mod.ROLLING_WINDOWS))
    cols = list(adj.columns)
    risk_dates = dates[-lookback:]
    rets = corr_mod.daily_returns(adj, dates[-(lookback + max(corr_mod.ROLLING_WINDOWS)) :])
    del adj
    rolling = {}
    if cols:
        for n in corr_mod.ROLLING_WINDOWS:  # 20 and 60 days
            rolling[f"{n}d"] = corr_mod.rolling_correlation(rets, all_returns, n).loc[risk_dates]
    note = None
    if csv_max_holdings is not None and len(cols) > csv_max_holdings:
        matrix = pd.DataFrame()
        note = (
            f"correlations.csv not written: {len(cols):,} holdings exceed "
            f"correlations_csv_max_holdings ({csv_max_holdings:,}); the matrices of every "
            "window are in the history database (fimonitor history --correlations)"
        )
    else:
        matrix = corr_mod.correlation(rets.loc[risk_dates])[0] if cols else pd.DataFrame()
    return {"matrix": matrix, "rolling": rolling, "note": note}


def correlation_window_tables(
    book: Book,
    tickers: list[str],
    all_returns: pd.Series,
    windows: Mapping[str, int] | None = None,
) -> dict[str, dict]:
    """The condensed correlation windows of the holdings, one window at a time.

    Parameters
    ----------
    book, tickers, all_returns
        As in :func:`correlation_tables`: each window is the last ``n`` of the return dates.
    windows : mapping, optional
        Name -> number of returns (default: :data:`correlation.WINDOWS` with upper-case names
        ``1M, 3M, 6M, 1Y, 3Y``).

    Returns
    -------
    dict
        ``windows`` {name: :class:`~fimonitor.analytics.correlation_windows.CorrelationWindow`}
        (:func:`~fimonitor.analytics.correlation_windows.compact_correlation_windows`, one
        window at a time) and ``observations`` {name: int, the return rows of the window}.
    """
    windows = (
        {k.upper(): v for k, v in corr_mod.WINDOWS.items()} if windows is None else dict(windows)
    )
    dates = pd.DatetimeIndex(all_returns.index)
    adj = _returns_panel(book, tickers, dates, max(windows.values(), default=0))
    mats = compact_correlation_windows(adj, dates, windows)
    return {"windows": mats, "observations": {k: int(w.n_observations) for k, w in mats.items()}}


def _returns_panel(
    book: Book, tickers: list[str], dates: pd.DatetimeIndex, rows: int
) -> pd.DataFrame:
    """``book.adj_close`` of the priced ``tickers`` on the last ``rows`` return dates.

    With the price row before them: less to copy than the whole history, the same returns.
    ``rows`` 0 keeps every row up to the last date.
    """
    as_of = dates[-1] if len(dates) else None
    cols = [t for t in tickers if t in book.adj_close.columns]
    panel = book.adj_close.loc[:as_of] if as_of is not None else book.adj_close.iloc[:0]
    if len(dates) and rows > 0:
        start = panel.index.searchsorted(dates[-min(rows, len(dates))])
        panel = panel.iloc[max(int(start) - 1, 0) :]
    return panel[cols]


def rolling_long(rolling: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Return rolling correlations as one long frame of :data:`ROLLING_COLUMNS`.

    Parameters
    ----------
    rolling : mapping
        Window name -> date x ticker frame (``correlation_tables()["rolling"]``).

    Returns
    -------
    pd.DataFrame
        ``window, date, ticker, correlation``: windows in the mapping's order, then date,
        then ticker in column order (NaN kept).
    """
    parts = []
    for name, wide in rolling.items():  # a handful of windows
        long = wide.stack(future_stack=True).rename("correlation").reset_index()
        long.columns = ["date", "ticker", "correlation"]
        parts.append(long.assign(window=name))
    if not parts:
        return pd.DataFrame(columns=ROLLING_COLUMNS)
    return pd.concat(parts, ignore_index=True)[ROLLING_COLUMNS]


def asset_metric_table(
    book: Book,
    tickers: list[str],
    bench_returns: pd.Series,
    as_of: pd.Timestamp,
    rf: float,
    lookback: int,
) -> pd.DataFrame:
    """:func:`fimonitor.analytics.indicators.asset_metrics` of ``tickers`` on ``as_of``.

    Parameters
    ----------
    book : Book
        Price panels (adj_close, close, high, low, volume).
    tickers : list of str
        Held and benchmark tickers (CASH and unpriced tickers are skipped).
    bench_returns : pd.Series
        The primary benchmark's daily returns (fractions), for ``beta``.
    as_of : pd.Timestamp
    rf : float
        Daily risk-free rate (fraction).
    lookback : int
        ``risk_lookback_days``.

    Returns
    -------
    pd.DataFrame
        ``asset_metrics.csv``: :data:`indicators.ASSET_METRIC_COLUMNS` then ``notes``.
    """
    cols = [t for t in tickers if t in book.adj_close.columns]

    def pick(panel: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if panel is None else panel.reindex(columns=cols)

    return asset_metrics(
        book.adj_close[cols],
        pick(book.close),
        pick(book.high),
        pick(book.low),
        pick(book.volume),
        bench_returns,
        as_of,
        rf=rf,
        lookback=lookback,
    )


def krd_on_date(key_rates: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Key-rate durations in effect on ``as_of``: each ticker's latest month on or before it.

    Parameters
    ----------
    key_rates : pd.DataFrame
        ``month`` (``YYYY-MM``), ``ticker``, ``tenor``, ``krd`` rows (``book.key_rates``).
    as_of : pd.Timestamp

    Returns
    -------
    pd.DataFrame
        ``ticker, tenor, krd`` (years), one row per ticker and tenor (the same forward fill as
        :func:`fimonitor.analytics.key_rates.active_key_rate_dv01_history`).
    """
    month = pd.to_datetime(key_rates["month"], format="%Y-%m")
    rows = key_rates.assign(_m=month)[month <= as_of].sort_values("_m", kind="stable")
    last = rows.drop_duplicates(["ticker", "tenor"], keep="last")
    return last[["ticker", "tenor", "krd"]].reset_index(drop=True)


def key_rate_tables(
    book: Book, h: History, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``key_rate_dv01.csv`` and ``rate_scenarios.csv`` on ``as_of`` (empty without the file).

    Parameters
    ----------
    book : Book
        ``book.key_rates`` (None when ``key_rate_durations_monthly.csv`` is absent) and
        ``book.convexity``.
    h : History
    as_of : pd.Timestamp

    Returns
    -------
    tuple of pd.DataFrame
        :func:`key_rates.key_rate_dv01` (``ticker, tenor, krd, krd_dv01``) and
        :func:`key_rates.rate_scenarios` (``scenario, portfolio_pnl, benchmark_pnl,
        active_pnl``), with the market values and benchmark weights of ``as_of`` and the
        convexity in effect then (latest month on or before it, per ticker).
    """
    if book.key_rates is None:
        return (
            pd.DataFrame(columns=["ticker", "tenor", "krd", "krd_dv01"]),
            pd.DataFrame(columns=["scenario", "portfolio_pnl", "benchmark_pnl", "active_pnl"]),
        )
    krd = krd_on_date(book.key_rates, as_of)
    mv = h.market_value.loc[as_of]
    bench = h.benchmark.loc[as_of]
    bench = bench[bench > 0]
    total = float(h.total_value.loc[as_of])
    if book.convexity is not None and len(book.convexity):
        conv = book.convexity.loc[:as_of].ffill()
        convexity = conv.iloc[-1] if len(conv) else pd.Series(dtype=float)
    else:
        convexity = pd.Series(dtype=float)
    return (
        key_rate_dv01(mv, krd, bench, total),
        rate_scenarios(mv, krd, convexity, bench, total),
    )


def duration_check_notes(
    book: Book, tickers: list[str], as_of: pd.Timestamp
) -> list[tuple[str, str, str]]:
    """Data-quality WARN lines for funds whose model and empirical durations disagree.

    Parameters
    ----------
    book : Book
        ``book.empirical_durations`` (None when ``duration_monthly.csv`` has no
        ``empirical_duration``), ``book.durations``, ``book.securities``.
    tickers : list of str
        The funds to check (held and benchmark tickers).
    as_of : pd.Timestamp

    Returns
    -------
    list of tuple
        ``(WARN, "duration cross-check", "<ticker>: model … y, empirical … y, …")`` for each
        fund flagged by :func:`duration_tables.duration_cross_check` on the latest month on or
        before ``as_of`` that has empirical values; empty without empirical durations.
    """
    emp = book.empirical_durations
    if emp is None:
        return []
    emp = emp.loc[:as_of].reindex(columns=[t for t in tickers if t in emp.columns])
    filled = emp.dropna(how="all")
    if filled.empty:
        return []
    month = filled.index[-1]
    model = book.durations.reindex(columns=filled.columns).loc[month]
    check = duration_cross_check(model, filled.loc[month], book.securities["group"])
    flagged = check[check["flagged"]]
    return [
        (
            "WARN",
            "duration cross-check",
            f"{r.ticker}: model duration {r.model_duration:.2f} y vs empirical "
            f"{r.empirical_duration:.2f} y in {month:%Y-%m} (difference {r.difference:+.2f} y, "
            f"band {r.band:.2f} y)",
        )
        for r in flagged.itertuples(index=False)
    ]


def primary_benchmark_returns(book: Book, h: History, dates: pd.DatetimeIndex) -> pd.Series:
    """Daily return of the primary benchmark on ``dates`` (``h.benchmark`` stepped weights).

    Parameters
    ----------
    book : Book
    h : History
    dates : pd.DatetimeIndex

    Returns
    -------
    pd.Series
        ``benchmark_return`` (fractions): Σ weight (in effect the day before) × daily
        adj_close return of each ticker; NaN where no ticker has a return.
    """
    _, _, b = benchmark_contributions(book, h)  # the one definition (attribution's)
    return b.reindex(dates).rename("benchmark_return")


def risk_tables(
    book: Book,
    h: History,
    positions: pd.DataFrame,
    as_of: pd.Timestamp,
    config: MonitorConfig,
) -> dict[str, object]:
    """Risk metrics, correlations, rolling risk and the benchmark table (risk look-back window).

    Parameters
    ----------
    book : Book
    h : History
        From the first transaction to ``as_of``.
    positions : pd.DataFrame
        The as-of holdings (``positions_on``).
    as_of : pd.Timestamp
    config : MonitorConfig
        ``risk_lookback_days``, ``risk_free_rate``, ``risk_levels``.

    Returns
    -------
    dict
        ``risk_metrics`` (:func:`risk.extended_risk_metrics` over the last
        ``risk_lookback_days`` daily returns), ``corr`` (:func:`correlation_tables`: the
        same return rows as the metrics), ``rolling_risk`` (60-day), ``benchmarks``
        (:func:`benchmark_table`), ``held`` (the held tickers the correlations cover) and
        ``returns`` (:func:`portfolio_returns` from inception): the arguments of
        :func:`correlation_window_tables` ``(book, held, returns)``, which the pack calls
        once ``h`` is released (see :func:`fimonitor.pipeline.build_pack`).
    """
    all_r = portfolio_returns(h, as_of)
    r = all_r.iloc[-config.risk_lookback_days :]
    bench_r = primary_benchmark_returns(book, h, r.index)
    held = list(positions.loc[(positions["weight"] > 0) & (positions["ticker"] != CASH), "ticker"])
    metrics = risk.extended_risk_metrics(
        r,
        bench_r,
        rf=config.risk_free_rate,
        weights=positions.set_index("ticker")["weight"],
        risk_levels=config.risk_levels,
    )
    rolling = risk.rolling_risk(r, bench_r, window=60)
    benchmarks = benchmark_table(
        book, h, as_of, r, book.benchmark_name or "benchmark", rf=config.risk_free_rate
    )
    corr = correlation_tables(
        book,
        held,
        all_r,
        config.risk_lookback_days,
        csv_max_holdings=config.correlations_csv_max_holdings,
    )
    return {
        "risk_metrics": metrics,
        "corr": corr,
        "rolling_risk": rolling,
        "benchmarks": benchmarks,
        "held": held,
        "returns": all_r,
    }


def analytic_tables(
    book: Book, h: History, positions: pd.DataFrame, d: pd.Timestamp, config: MonitorConfig
) -> dict[str, object]:
    """Performance, key-rate and asset-metric tables of the pack.

    Parameters
    ----------
    book, h, positions, d, config
        As in :func:`risk_tables` (``d`` the as-of date).

    Returns
    -------
    dict
        ``performance``, ``attribution``, ``rate_attribution``, ``daily_returns``
        (:func:`performance_tables`), ``key_rate_dv01``, ``rate_scenarios``
        (:func:`key_rate_tables`), ``asset_metrics`` (:func:`asset_metric_table`, held and
        every benchmark's tickers) and ``check`` (:func:`duration_check_notes`).
    """
    perf = performance_tables(book, h, d, config)
    krd, scen = key_rate_tables(book, h, d)
    bench_tickers = set().union(*(w.columns[(w > 0).any()] for w in book.benchmarks.values()))
    held = positions.loc[(positions["shares"] != 0) & (positions["ticker"] != CASH), "ticker"]
    tickers = sorted((set(held) | bench_tickers) - {CASH})
    metrics = asset_metric_table(
        book,
        tickers,
        primary_benchmark_returns(book, h, h.dates),
        d,
        config.risk_free_rate,
        config.risk_lookback_days,
    )
    return {
        "performance": perf["performance"],
        "attribution": perf["attribution"],
        "rate_attribution": perf["rate_attribution"],
        "daily_returns": perf["daily"],
        "key_rate_dv01": krd,
        "rate_scenarios": scen,
        "asset_metrics": metrics,
        "check": duration_check_notes(book, tickers, d),
    }
