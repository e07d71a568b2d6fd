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
        Daily risk-free rate (fraction), used by ``sharpe`` only (as in §9).
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
