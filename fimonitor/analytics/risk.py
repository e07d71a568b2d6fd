"""Risk and performance metrics (docs/definitions.md, risk metrics) as pure, vectorised functions.

Conventions: returns are simple daily returns as fractions (0.01 = 1 %), 252 trading days a
year, ``rf`` is a *daily* risk-free rate (fraction). Nothing here reads files or prints.

Definitions (r = portfolio returns, b = benchmark returns, both daily)::

    annual_return      (Π(1 + r))^(252 / n) − 1        compound; n = number of returns
    volatility         std(r, ddof=1) · √252
    sharpe             mean(r − rf) / std(r, ddof=1) · √252
    sortino            mean(r) · 252 / (√mean(min(r, 0)²) · √252)
    max_drawdown       min(V / cummax(V) − 1),  V = Π(1 + r) anchored at 1 before the first return
    calmar             annual_return / |max_drawdown|
    var_95, var_99     −quantile(r, 5 % / 1 %)         numpy's default (linear) method
    cvar_95            −mean(r | r ≤ quantile(r, 5 %))
    beta               cov(r, b) / var(b)              ddof=1
    alpha              (mean(r) − beta · mean(b)) · 252
    tracking_error     std(r − b, ddof=1) · √252
    information_ratio  mean(r − b) · 252 / tracking_error
    effective_n        1 / Σ w²                         w normalised to sum to 1

Extended metrics (:func:`extended_risk_metrics`, appended after the ones above)::

    cvar_99            −mean(r | r ≤ quantile(r, 1 %))
    var_95_1m, var_99_1m, cvar_95_1m, cvar_99_1m
                       the same four on 1-month returns: R_t = Π_{i=t−20..t}(1 + r_i) − 1,
                       compounded over every *overlapping* window of 21 daily returns in the
                       sample (n − 20 values; historical simulation, not √21 scaling)
    treynor            (annual_return − rf_annual) / beta,  rf_annual = (1 + rf)^252 − 1
    max_drawdown_duration
                       longest drawdown episode, in trading days (returns) from the peak to the
                       first day the wealth index is back at or above that peak, or to the last
                       day of the sample when it has not recovered; 0 without a drawdown
    current_drawdown   V_n / max(V) − 1 on the last day (≤ 0)
    risk_level         volatility < 2 % "Very Low", < 5 % "Low", < 10 % "Moderate", < 20 % "High",
                       else "Very High" (thresholds configurable); "" when volatility is NaN
    hhi                Σ w²  (Herfindahl–Hirschman index = 1 / effective_n)
    top5_weight        Σ of the 5 largest w
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

TRADING_DAYS = 252

#: Row order of :func:`risk_metrics`.
METRICS: tuple[str, ...] = (
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "var_95",
    "var_99",
    "cvar_95",
    "beta",
    "alpha",
    "tracking_error",
    "information_ratio",
    "effective_n",
)
#: Rows :func:`extended_risk_metrics` adds after :data:`METRICS`.
EXTRA_METRICS: tuple[str, ...] = (
    "cvar_99",
    "var_95_1m",
    "var_99_1m",
    "cvar_95_1m",
    "cvar_99_1m",
    "treynor",
    "max_drawdown_duration",
    "current_drawdown",
    "risk_level",
    "hhi",
    "top5_weight",
)
#: Upper bounds of annualised volatility for each risk level but the last.
RISK_LEVEL_THRESHOLDS: tuple[float, float, float, float] = (0.02, 0.05, 0.10, 0.20)
RISK_LEVELS: tuple[str, ...] = ("Very Low", "Low", "Moderate", "High", "Very High")
MONTH_DAYS = 21
#: Metrics that need benchmark returns.
RELATIVE_METRICS: tuple[str, ...] = ("beta", "alpha", "tracking_error", "information_ratio")


def time_weighted_returns(value: pd.Series, flows: pd.Series) -> pd.Series:
    """Daily time-weighted returns of a book with external cash flows removed.

    Parameters
    ----------
    value : pd.Series
        End-of-day market value (currency, cash included), indexed by date.
    flows : pd.Series
        External cash flow on each date (currency; deposit +, withdrawal −), indexed by date.
        Dates missing from ``flows`` count as 0; flows on dates not in ``value`` are ignored.

    Returns
    -------
    pd.Series
        Daily returns (fractions) indexed by date, named ``return``. The first date is dropped,
        and so is every date whose previous value is not positive (or either value is NaN).

    Notes
    -----
    Flows are assumed to arrive at the end of the day, before valuation:
    ``r_t = (V_t − F_t) / V_{t−1} − 1``.
    """
    v = pd.Series(value, dtype=float).sort_index()
    f = (
        pd.Series(flows, dtype=float).groupby(level=0).sum()
        if len(flows)
        else pd.Series(dtype=float)
    )
    f = f.reindex(v.index).fillna(0.0)
    prev = v.shift(1)
    r = (v - f) / prev - 1.0
    keep = (prev > 0) & r.notna()
    out = r[keep]
    out.name = "return"
    return out


def _drawdown_index(r: np.ndarray) -> np.ndarray:
    """Wealth index ``Π(1 + r)`` with the anchor 1 in front (length n + 1)."""
    return np.concatenate(([1.0], np.cumprod(1.0 + r)))


def _safe_div(a: float, b: float) -> float:
    if not np.isfinite(a) or not np.isfinite(b) or b == 0:
        return float("nan")
    return float(a / b)


def _absolute_metrics(r: np.ndarray, rf: float) -> dict[str, float]:
    n = r.size
    nan = float("nan")
    out = dict.fromkeys(METRICS, nan)
    if n == 0:
        return out
    growth = float(np.prod(1.0 + r))
    out["annual_return"] = growth ** (TRADING_DAYS / n) - 1.0 if growth > 0 else -1.0
    sd = float(np.std(r, ddof=1)) if n > 1 else nan
    ann = np.sqrt(TRADING_DAYS)
    out["volatility"] = sd * ann
    out["sharpe"] = _safe_div(float(np.mean(r - rf)), sd) * ann
    downside = float(np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))) * ann
    out["sortino"] = _safe_div(float(np.mean(r)) * TRADING_DAYS, downside)
    wealth = _drawdown_index(r)
    out["max_drawdown"] = float(np.min(wealth / np.maximum.accumulate(wealth) - 1.0))
    out["calmar"] = _safe_div(out["annual_return"], abs(out["max_drawdown"]))
    q05, q01 = np.quantile(r, [0.05, 0.01])
    out["var_95"] = -float(q05)
    out["var_99"] = -float(q01)
    out["cvar_95"] = -float(np.mean(r[r <= q05]))
    return out


def _relative_metrics(r: np.ndarray, b: np.ndarray) -> dict[str, float]:
    nan = float("nan")
    out = dict.fromkeys(RELATIVE_METRICS, nan)
    if r.size < 2:
        return out
    var_b = float(np.var(b, ddof=1))
    cov_rb = float(np.cov(r, b, ddof=1)[0, 1])
    beta = _safe_div(cov_rb, var_b)
    out["beta"] = beta
    out["alpha"] = (float(np.mean(r)) - beta * float(np.mean(b))) * TRADING_DAYS
    active = r - b
    te = float(np.std(active, ddof=1)) * np.sqrt(TRADING_DAYS)
    out["tracking_error"] = te
    out["information_ratio"] = _safe_div(float(np.mean(active)) * TRADING_DAYS, te)
    return out


def effective_n(weights: pd.Series) -> float:
    """Effective number of holdings ``1 / Σ w²`` (weights normalised to sum to 1).

    Zero and missing weights are ignored. NaN when no weight is positive.
    """
    w = pd.Series(weights, dtype=float).dropna()
    w = w[w != 0]
    total = float(w.sum())
    if w.empty or total <= 0:
        return float("nan")
    w = w / total
    return float(1.0 / np.sum(w.to_numpy() ** 2))


def risk_metrics(
    r: pd.Series,
    b: pd.Series | None = None,
    rf: float = 0.0,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Every docs/definitions.md, risk metrics metric of a daily return series.

    Parameters
    ----------
    r : pd.Series
        Portfolio daily returns (fractions), indexed by date. NaN values are dropped.
    b : pd.Series, optional
        Benchmark daily returns (fractions), indexed by date. The relative metrics (beta,
        alpha, tracking_error, information_ratio) use the dates ``r`` and ``b`` have in common;
        without ``b`` they are NaN.
    rf : float
        Daily risk-free rate (fraction), used by ``sharpe`` only.
    weights : pd.Series, optional
        Holding weights (ticker -> weight) for ``effective_n``; NaN without them.

    Returns
    -------
    pd.DataFrame
        Columns ``metric, value``, one row per name in :data:`METRICS`, in that order.
        Annualised figures use 252 days; return-type figures are fractions.
        NaN where a metric is undefined (too few returns, zero dispersion, no benchmark).
    """
    rs = pd.Series(r, dtype=float).dropna()
    values = _absolute_metrics(rs.to_numpy(), float(rf))
    if b is not None:
        bs = pd.Series(b, dtype=float).dropna()
        joined = pd.concat([rs.rename("r"), bs.rename("b")], axis=1, join="inner")
        if len(joined) < len(rs):
            log.info("benchmark covers %d of %d return dates", len(joined), len(rs))
        values.update(_relative_metrics(joined["r"].to_numpy(), joined["b"].to_numpy()))
    if weights is not None:
        values["effective_n"] = effective_n(weights)
    return pd.DataFrame({"metric": list(METRICS), "value": [values[m] for m in METRICS]})


def rolling_risk(r: pd.Series, b: pd.Series | None, window: int = 60) -> pd.DataFrame:
    """Return rolling annualised volatility and tracking error.

    Parameters
    ----------
    r, b : pd.Series
        Portfolio and benchmark daily returns (fractions) indexed by date; ``b`` may be None
        (tracking error is then NaN).
    window : int
        Number of daily returns in each window (default 60); a window needs all of them.

    Returns
    -------
    pd.DataFrame
        Index ``date``; columns ``volatility = std(r, ddof=1)·√252`` and
        ``tracking_error = std(r − b, ddof=1)·√252`` over the trailing ``window`` returns
        (fractions per year). NaN until the first full window.
    """
    rs = pd.Series(r, dtype=float).dropna().sort_index()
    ann = np.sqrt(TRADING_DAYS)
    vol = rs.rolling(window, min_periods=window).std(ddof=1) * ann
    if b is not None:
        bs = pd.Series(b, dtype=float).reindex(rs.index)
        te = (rs - bs).rolling(window, min_periods=window).std(ddof=1) * ann
    else:
        te = pd.Series(np.nan, index=rs.index)
    out = pd.DataFrame({"volatility": vol, "tracking_error": te})
    out.index.name = "date"
    return out


def correlation_matrix(adj_close: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of daily returns of each pair of tickers.

    Parameters
    ----------
    adj_close : pd.DataFrame
        Total-return prices, date x ticker (NaN where missing).

    Returns
    -------
    pd.DataFrame
        ticker x ticker correlations of simple daily returns ``P_t / P_{t−1} − 1`` (no filling
        across gaps), computed over the dates both tickers have a return. A ticker with constant
        prices (e.g. cash) has NaN correlations.
    """
    prices = adj_close.sort_index().astype(float)
    rets = prices / prices.shift(1) - 1.0
    corr = rets.corr()
    corr.index.name = "ticker"
    corr.columns.name = "ticker"
    return corr


def _tail_risk(r: np.ndarray, p: float) -> tuple[float, float]:
    """(VaR, CVaR) at tail probability ``p``: −quantile and −mean of the tail (NaN if empty)."""
    if r.size == 0:
        return float("nan"), float("nan")
    q = float(np.quantile(r, p))
    return -q, -float(np.mean(r[r <= q]))


def compounded_returns(r: np.ndarray, days: int = MONTH_DAYS) -> np.ndarray:
    """Compounded returns over every overlapping window of ``days`` daily returns.

    Parameters
    ----------
    r : np.ndarray
        Daily simple returns (fractions), in date order, no NaN.
    days : int
        Window length (default 21, one month).

    Returns
    -------
    np.ndarray
        ``Π(1 + r_i) − 1`` over ``r[t − days + 1 .. t]`` for each ``t ≥ days − 1``
        (``len(r) − days + 1`` values; empty when ``len(r) < days``). Computed from log-growth
        prefix sums, so it costs one pass.
    """
    r = np.asarray(r, float)
    if r.size < days:
        return np.empty(0)
    csum = np.concatenate(([0.0], np.cumsum(np.log1p(r))))
    return np.expm1(csum[days:] - csum[:-days])


def drawdown_duration(r: np.ndarray) -> int:
    """Longest drawdown episode in trading days (see the module docstring), from daily returns.

    Parameters
    ----------
    r : np.ndarray
        Daily simple returns (fractions), in date order, no NaN.

    Returns
    -------
    int
        ``max_t (t − p_{t−1})`` over the days ``t`` that are under water or follow a day under
        water, where ``p_t`` is the position of the last running peak up to ``t`` in the wealth
        index ``V`` (anchored at 1 before the first return, so positions count returns). 0 when
        ``V`` never falls below its running peak.
    """
    wealth = _drawdown_index(np.asarray(r, float))
    peak_val = np.maximum.accumulate(wealth)
    idx = np.arange(wealth.size)
    peak_pos = np.maximum.accumulate(np.where(wealth >= peak_val, idx, 0))
    under = wealth < peak_val
    counted = under[1:] | under[:-1]
    spans = idx[1:] - peak_pos[:-1]
    return int(spans[counted].max()) if counted.any() else 0


def risk_level(volatility: float, thresholds: tuple[float, ...] = RISK_LEVEL_THRESHOLDS) -> str:
    """Risk level label of an annualised volatility.

    Parameters
    ----------
    volatility : float
        Annualised volatility (fraction).
    thresholds : tuple of float
        Four increasing upper bounds (fractions) for Very Low, Low, Moderate and High; a
        volatility at or above the last is Very High.

    Returns
    -------
    str
        One of :data:`RISK_LEVELS`; ``""`` when ``volatility`` is NaN.
    """
    if not np.isfinite(volatility):
        return ""
    return RISK_LEVELS[int(np.searchsorted(np.asarray(thresholds, float), volatility, "right"))]


def concentration(weights: pd.Series) -> tuple[float, float]:
    """(hhi, top5_weight) of holding weights, normalised like :func:`effective_n`.

    Parameters
    ----------
    weights : pd.Series
        ticker -> weight; zero and missing weights are ignored.

    Returns
    -------
    tuple of float
        ``Σ w²`` and the sum of the five largest ``w`` (fractions); NaN when no weight is positive.
    """
    w = pd.Series(weights, dtype=float).dropna()
    w = w[w != 0]
    total = float(w.sum())
    if w.empty or total <= 0:
        return float("nan"), float("nan")
    v = np.sort(w.to_numpy() / total)[::-1]
    return float(np.sum(v**2)), float(np.sum(v[:5]))


def extended_risk_metrics(
    r: pd.Series,
    b: pd.Series | None = None,
    rf: float = 0.0,
    weights: pd.Series | None = None,
    *,
    risk_levels: tuple[float, ...] = RISK_LEVEL_THRESHOLDS,
) -> pd.DataFrame:
    """:func:`risk_metrics` followed by the :data:`EXTRA_METRICS` rows.

    Parameters
    ----------
    r, b, rf, weights
        As in :func:`risk_metrics` (daily returns, fractions; ``rf`` a daily rate).
    risk_levels : tuple of float
        Volatility thresholds of :func:`risk_level` (fractions).

    Returns
    -------
    pd.DataFrame
        Columns ``metric, value``: the rows of :func:`risk_metrics` unchanged, then one row per
        name in :data:`EXTRA_METRICS`. ``value`` is an object column: floats, except
        ``max_drawdown_duration`` (int, trading days) and ``risk_level`` (text).

    Notes
    -----
    Definitions are in the module docstring. ``treynor`` uses the beta of :func:`risk_metrics`
    (NaN without a benchmark).
    """
    base = risk_metrics(r, b, rf=rf, weights=weights)
    got = dict(zip(base["metric"], base["value"], strict=True))
    x = pd.Series(r, dtype=float).dropna().to_numpy()
    nan = float("nan")
    extra: dict[str, object] = dict.fromkeys(EXTRA_METRICS, nan)
    extra["cvar_99"] = _tail_risk(x, 0.01)[1]
    month = compounded_returns(x)
    extra["var_95_1m"], extra["cvar_95_1m"] = _tail_risk(month, 0.05)
    extra["var_99_1m"], extra["cvar_99_1m"] = _tail_risk(month, 0.01)
    rf_annual = (1.0 + float(rf)) ** TRADING_DAYS - 1.0
    extra["treynor"] = _safe_div(got["annual_return"] - rf_annual, got["beta"])
    if x.size:
        wealth = _drawdown_index(x)
        extra["max_drawdown_duration"] = drawdown_duration(x)
        extra["current_drawdown"] = float(wealth[-1] / wealth.max() - 1.0)
    extra["risk_level"] = risk_level(got["volatility"], risk_levels)
    if weights is not None:
        extra["hhi"], extra["top5_weight"] = concentration(weights)
    rows = [*zip(base["metric"], base["value"], strict=True), *extra.items()]
    return pd.DataFrame(
        {"metric": [m for m, _ in rows], "value": pd.Series([v for _, v in rows], dtype=object)}
    )
