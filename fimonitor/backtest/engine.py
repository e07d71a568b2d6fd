"""Simulation of rebalancing policies on a price history (docs/interface.md, backtest).

Timing and accounting:

- Prices are total-return prices (``adj_close``), date x ticker. Shares are fractional.
- The portfolio starts fully invested at the target weights at the close of the first date;
  the initial purchase is free.
- On a contribution date the amount is invested at the target weights at that close (no cost),
  before the policy looks at the portfolio. Contributions start after the first date.
- A rebalance trades at the close to the policy's weights. Its cost is
  ``cost_bps / 10,000 × traded notional`` and is paid from the portfolio, so the post-trade
  value ``V'`` solves ``V' = V − c · Σ|V'·v_i − x_i|`` (x = pre-trade holdings' values,
  v = new weights); the equity on an event date is the post-trade value.
- Between events holdings are constant (plus contribution shares), so each segment is a
  matrix product; drift checks are vectorised over chunks of days ahead of the last event.

Metrics (per policy) use :func:`fimonitor.analytics.risk.risk_metrics` on the daily
time-weighted returns ``r_t = (V_t − F_t)/V_{t−1} − 1`` (F = contributions), so without
contributions ``annual_return = (final/first)^(252/n) − 1`` (docs/definitions.md, backtest),
and with contributions it is the time-weighted annual return. ``turnover`` = Σ traded notional of
rebalances / mean value / years (years = number of daily returns / 252); ``costs`` = Σ costs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fimonitor.analytics.orders import cost_fixed_point
from fimonitor.analytics.risk import TRADING_DAYS, risk_metrics, time_weighted_returns
from fimonitor.backtest.policies import POLICIES, BacktestPolicy, tiered_weights
from fimonitor.errors import DataGapError, InputError

log = logging.getLogger(__name__)

BACKTEST_SUMMARY_COLUMNS = [
    "policy",
    "annual_return",
    "volatility",
    "max_drawdown",
    "sharpe",
    "turnover",
    "costs",
    "n_rebalances",
    "final_value",
]
_CHUNK = 256  # days examined at a time when looking for the next drift trigger


@dataclass(frozen=True)
class PolicyRun:
    """One policy's simulation.

    values    date -> portfolio value (currency), post-trade on event dates
    returns   date -> daily time-weighted return (fraction); first date dropped
    events    ``date, traded_notional, cost, value_before, value_after`` per rebalance
    holdings  date x ticker shares held at each close (post-trade)
    """

    policy: BacktestPolicy
    values: pd.Series
    returns: pd.Series
    events: pd.DataFrame
    holdings: pd.DataFrame


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest produced.

    summary      BACKTEST_SUMMARY_COLUMNS, one row per policy (docs/interface.md, backtest)
    equity       date x policy values (currency)
    drawdowns    date x policy drawdown of the time-weighted wealth index (fraction, <= 0)
    contributions date -> amount invested (currency), on contribution dates only
    runs         policy name -> :class:`PolicyRun`
    targets      ticker -> target weight (fractions)
    """

    summary: pd.DataFrame
    equity: pd.DataFrame
    drawdowns: pd.DataFrame
    contributions: pd.Series
    runs: dict[str, PolicyRun]
    targets: pd.Series
    capital: float
    cost_bps: float
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- inputs
def normalise_targets(raw: pd.Series | dict, *, file: str | None = None) -> pd.Series:
    """Targets as fractions summing to 1 (accepts fractions summing to 1 or percent to 100).

    Zero targets are dropped. A negative target, or a sum that is neither ~1 nor ~100
    (0.5 % tolerance), is an :class:`InputError`.
    """
    t = pd.Series(raw, dtype=float)
    t.index = [str(i).upper() for i in t.index]
    bad = t[~np.isfinite(t) | (t < 0)]
    if not bad.empty:
        raise InputError(
            f"target {bad.iloc[0]!r} is not a non-negative number",
            file=file,
            ticker=str(bad.index[0]),
        )
    total = float(t.sum())
    if abs(total - 1.0) <= 0.005:
        t = t / total
    elif abs(total - 100.0) <= 0.5:
        t = t / total
    else:
        raise InputError(
            f"targets sum to {total:g}; expected 1 (fractions) or 100 (percent)", file=file
        )
    return t[t > 0]


def contribution_dates(dates: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """Contribution dates among ``dates`` (the backtest's price dates), after the first one.

    ``weekly``: each Monday, or the next NYSE session when Monday is not one; ``monthly``: the
    first NYSE session of each month (docs/interface.md, dca). A session missing from
    ``dates`` moves to the next date in ``dates``.
    """
    from fimonitor.data.calendar import sessions

    if len(dates) < 2:
        return pd.DatetimeIndex([])
    # start a little earlier so that the first period's true first session is known
    sess = sessions(dates[0] - pd.Timedelta(days=40), dates[-1])
    if frequency == "weekly":
        key = sess.to_period("W-SUN")
    elif frequency == "monthly":
        key = sess.to_period("M")
    else:
        raise InputError(f"unknown frequency {frequency!r}; valid: weekly, monthly")
    first = sess[~key.duplicated()]
    first = first[first > dates[0]]
    pos = np.searchsorted(dates.to_numpy(), first.to_numpy())
    pos = pos[pos < len(dates)]
    return pd.DatetimeIndex(dates[np.unique(pos)])


def prepare_prices(
    adj_close: pd.DataFrame,
    tickers: Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Return the price panel of the target tickers from the first date all have a price.

    Returns the panel (gaps after the start forward-filled) and notes about filled gaps.
    """
    missing = [t for t in tickers if t not in adj_close.columns]
    if missing:
        raise DataGapError("target ticker has no prices in prices.csv", ticker=missing[0])
    px = adj_close.loc[:, list(tickers)].sort_index()
    if end is not None:
        px = px.loc[: pd.Timestamp(end)]
    if start is not None:
        px = px.loc[pd.Timestamp(start) :]
    complete = px.notna().all(axis=1)
    if not complete.any():
        never = [t for t in tickers if px[t].isna().all()]
        raise DataGapError(
            "no date on which every target ticker has a price"
            + (f" (no prices at all for {', '.join(never[:5])})" if never else ""),
            ticker=never[0] if never else None,
        )
    px = px.loc[complete.idxmax() :]
    notes = []
    gaps = px.isna().sum()
    if gaps.any():
        notes.append(
            "forward-filled missing prices: "
            + ", ".join(f"{t} ({n} day{'s' if n > 1 else ''})" for t, n in gaps[gaps > 0].items())
        )
        px = px.ffill()
    if (px <= 0).any().any():
        t = px.columns[(px <= 0).any()][0]
        raise InputError("price is not positive", file="prices.csv", ticker=str(t))
    if len(px) < 2:
        raise DataGapError("the backtest needs at least two price dates")
    return px.astype(float), notes


# --------------------------------------------------------------------------- simulation
def _trade(x: np.ndarray, w: np.ndarray, c: float) -> tuple[float, float]:
    """Post-trade value and traded notional when moving holdings worth ``x`` to weights ``w``.

    Solves ``V' = V − c Σ|V' w − x|`` (:func:`fimonitor.analytics.orders.cost_fixed_point`).
    """
    value = float(x.sum())
    _, vp = cost_fixed_point(value, lambda v: float(np.abs(v * w - x).sum()), c, rtol=1e-13)
    return vp, float(np.abs(vp * w - x).sum())


def _calendar_mask(dates: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Return True on the first date of each new month/quarter/year (never on the first date)."""
    year = np.asarray(dates.year, dtype=np.int64)
    month = np.asarray(dates.month, dtype=np.int64)
    key = {"monthly": year * 12 + month, "quarterly": year * 4 + (month - 1) // 3, "annual": year}[
        frequency
    ]
    mask = np.zeros(len(dates), dtype=bool)
    mask[1:] = key[1:] != key[:-1]
    return mask


def _cum_shares(prices: np.ndarray, target: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    """Cumulative shares bought by contributions at the target weights, (T, n)."""
    if not contributions.any():
        return np.zeros_like(prices)
    return np.cumsum(contributions[:, None] * target[None, :] / prices, axis=0)


def simulate(
    policy: BacktestPolicy,
    prices: np.ndarray,
    target: np.ndarray,
    *,
    capital: float,
    cost_rate: float,
    contributions: np.ndarray,
    calendar_mask: np.ndarray | None = None,
    cum_shares: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, float, float, float, float]]]:
    """Simulate one policy on arrays.

    Parameters
    ----------
    prices : (T, n) array of positive prices; target : (n,) weights summing to 1;
    contributions : (T,) currency invested at each close (0 on most days, 0 on day 0);
    cost_rate : cost per unit of traded notional (bps / 10,000);
    cum_shares : optional precomputed cumulative contribution shares (see :func:`_cum_shares`).

    Returns
    -------
    values (T,), holdings (T, n) shares, events ``(t, traded, cost, before, after)``.
    """
    T, _ = prices.shape
    cum = _cum_shares(prices, target, contributions) if cum_shares is None else cum_shares
    holdings = np.empty_like(prices)
    h = capital * target / prices[0]
    holdings[0] = h
    events: list[tuple[int, float, float, float, float]] = []

    if policy.kind == "hold":
        find_next: Callable[[int, np.ndarray], int | None] = lambda s, h: None  # noqa: E731
    elif policy.kind == "calendar":
        idx = np.flatnonzero(calendar_mask)

        def find_next(s: int, h: np.ndarray) -> int | None:
            k = np.searchsorted(idx, s, side="right")
            return int(idx[k]) if k < idx.size else None
    else:
        band = policy.threshold if policy.kind == "threshold" else policy.partial_above

        def find_next(s: int, h: np.ndarray) -> int | None:
            a = s + 1
            while a < T:
                b = min(a + _CHUNK, T)
                x = (h + (cum[a:b] - cum[s])) * prices[a:b]
                w = x / x.sum(axis=1, keepdims=True)
                hit = (np.abs(w - target) > band).any(axis=1)
                if hit.any():
                    return a + int(np.argmax(hit))
                a = b
            return None

    s = 0
    while s < T - 1:
        e = find_next(s, h)
        stop = T - 1 if e is None else e
        holdings[s + 1 : stop + 1] = h + (cum[s + 1 : stop + 1] - cum[s])
        if e is None:
            break
        x = holdings[e] * prices[e]
        before = float(x.sum())
        if policy.kind == "tiered":
            v = tiered_weights(x / before, target, policy.full_above, policy.partial_above)
        else:
            v = target
        after, traded = _trade(x, v, cost_rate)
        h = after * v / prices[e]
        holdings[e] = h
        events.append((e, traded, cost_rate * traded, before, after))
        s = e
    values = np.einsum("ij,ij->i", holdings, prices)
    return values, holdings, events


def run_backtest(
    prices: pd.DataFrame,
    targets: pd.Series,
    *,
    capital: float = 100_000.0,
    cost_bps: float = 0.0,
    contribution: float = 0.0,
    frequency: str | None = None,
    policies: Sequence[BacktestPolicy] = POLICIES,
    rf: float = 0.0,
    notes: Sequence[str] = (),
) -> BacktestResult:
    """Run every policy on ``prices`` (date x ticker, columns = the target tickers).

    Parameters
    ----------
    prices : pd.DataFrame
        Positive total-return prices without gaps (see :func:`prepare_prices`).
    targets : pd.Series
        ticker -> target weight, fractions summing to 1.
    capital : float
        Initial investment (currency).
    cost_bps : float
        Cost of rebalancing trades in basis points of traded notional.
    contribution, frequency : float, str
        Amount (currency) invested at the target weights on each ``weekly``/``monthly``
        contribution date (see :func:`contribution_dates`); 0 for none.
    rf : float
        Daily risk-free rate for the Sharpe ratio.

    Returns
    -------
    BacktestResult
    """
    if capital <= 0:
        raise InputError(f"--capital must be positive, got {capital:g}")
    if cost_bps < 0:
        raise InputError(f"--cost-bps must not be negative, got {cost_bps:g}")
    if contribution < 0:
        raise InputError(f"--contribution must not be negative, got {contribution:g}")
    tickers = list(targets.index)
    px = prices.loc[:, tickers]
    dates = pd.DatetimeIndex(px.index)
    P = px.to_numpy(dtype=float)
    w = targets.to_numpy(dtype=float)
    flows = np.zeros(len(dates))
    if contribution > 0:
        if frequency is None:
            raise InputError("--contribution needs --frequency weekly|monthly")
        cdates = contribution_dates(dates, frequency)
        flows[dates.get_indexer(cdates)] = contribution
    flow_s = pd.Series(flows, index=dates)
    c = cost_bps / 10_000.0
    years = (len(dates) - 1) / TRADING_DAYS

    cum = _cum_shares(P, w, flows)
    runs: dict[str, PolicyRun] = {}
    rows = []
    for pol in policies:
        mask = _calendar_mask(dates, pol.frequency) if pol.kind == "calendar" else None
        values, holdings, events = simulate(
            pol,
            P,
            w,
            capital=capital,
            cost_rate=c,
            contributions=flows,
            calendar_mask=mask,
            cum_shares=cum,
        )
        v = pd.Series(values, index=dates, name=pol.name)
        r = time_weighted_returns(v, flow_s)
        ev = pd.DataFrame(
            events, columns=["t", "traded_notional", "cost", "value_before", "value_after"]
        )
        ev.insert(0, "date", dates[ev["t"].to_numpy(dtype=int)])
        ev = ev.drop(columns="t")
        runs[pol.name] = PolicyRun(
            pol, v, r, ev, pd.DataFrame(holdings, index=dates, columns=tickers)
        )
        m = risk_metrics(r, rf=rf).set_index("metric")["value"]
        traded = float(ev["traded_notional"].sum())
        rows.append(
            {
                "policy": pol.name,
                "annual_return": m["annual_return"],
                "volatility": m["volatility"],
                "max_drawdown": m["max_drawdown"],
                "sharpe": m["sharpe"],
                "turnover": traded / float(values.mean()) / years if years > 0 else float("nan"),
                "costs": float(ev["cost"].sum()),
                "n_rebalances": len(ev),
                "final_value": float(values[-1]),
            }
        )
    equity = pd.DataFrame({k: run.values for k, run in runs.items()})
    equity.index.name = "date"
    wealth = pd.DataFrame({k: (1 + run.returns).cumprod() for k, run in runs.items()})
    wealth = pd.concat([pd.DataFrame(1.0, index=dates[:1], columns=wealth.columns), wealth])
    drawdowns = wealth / wealth.cummax() - 1.0
    drawdowns.index.name = "date"
    return BacktestResult(
        summary=pd.DataFrame(rows, columns=BACKTEST_SUMMARY_COLUMNS),
        equity=equity,
        drawdowns=drawdowns,
        contributions=flow_s[flow_s > 0],
        runs=runs,
        targets=targets.copy(),
        capital=float(capital),
        cost_bps=float(cost_bps),
        notes=tuple(notes),
    )
