"""Technical indicators and per-asset performance metrics, vectorised over dates x tickers.

Every panel function takes wide frames (index = dates in ascending order, columns = tickers)
and returns a frame of the same shape; there is no per-ticker or per-date Python loop.
A "bar" is one row of the frame (one trading day). Missing values are NaN and stay NaN;
a window that contains a NaN gives NaN; the recursive averages skip NaN rows.

Definitions (P = price, H/L/C = raw high/low/close, V = volume, n = window in bars)::

    sma(P, n)_t       mean(P_{t-n+1..t})
    ema(P, n)_t       a·P_t + (1 − a)·ema_{t−1},  a = 2/(n + 1), seeded with the first P
                      (pandas ``ewm(span=n, adjust=False)``); blank until n values exist
    wilder(x, n)_t    same recursion with a = 1/n (Wilder's smoothing)
    rsi_14            100 · G / (G + L),  G = wilder(max(ΔP, 0), 14), L = wilder(max(−ΔP, 0), 14)
    macd              ema(P, 12) − ema(P, 26); macd_signal = ema(macd, 9); macd_hist = difference
    bollinger 20/2    mid = sma(P, 20), sd = population std (ddof=0) of the same 20 prices,
                      upper/lower = mid ± 2·sd, %b = (P − lower) / (upper − lower)
    atr_14            wilder(TR, 14), TR_t = max(H_t − L_t, |H_t − C_{t−1}|, |L_t − C_{t−1}|)
                      (TR needs the previous close, so the first bar has none)
    stochastic 14/3/3 fast %K = 100·(C − min L_14)/(max H_14 − min L_14) (0 when the range is 0,
                      as TA-Lib); stoch_k = sma(fast %K, 3); stoch_d = sma(stoch_k, 3)
                      (TA-Lib ``STOCH(14, 3, SMA, 3, SMA)``)
    obv               Σ sign(C_t − C_{t−1}) · V_t, starting at V of the first bar with C and V

TA-Lib seeds its EMA/Wilder recursions with a simple average of the first n values; pandas
seeds with the first value. The two agree once the seed has decayed (the factor (1 − a)^k):
to < 1e-9 after 300 bars on real series (``tests/analytics/test_indicators.py``).

Performance metrics of :func:`asset_metrics`::

    return_<h>        P_t / P_{t−n} − 1 on adj_close (total return), n = 21, 63, 126, 252,
                      756, 1260 trading days (1M, 3M, 6M, 1Y, 3Y, 5Y)
    volatility        std(r, ddof=1) · √252 over the daily returns r = P_t / P_{t−1} − 1 of the
                      last ``lookback`` rows (returns ending on the as-of date; NaN returns are
                      left out)
    beta              cov(r, b) / var(b) (ddof=1) on the rows where both r and b exist
    sharpe            mean(r − rf) / std(r, ddof=1) · √252 (rf daily, as in risk.py)
    max_drawdown      min(P_t / max_{s ≤ t} P_s − 1) over the last ``lookback`` + 1 prices
                      (the price before the first return is the anchor)
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

log = logging.getLogger(__name__)

TRADING_DAYS = 252

#: Horizon name -> trading days for ``return_<name>``.
RETURN_HORIZONS: dict[str, int] = {
    "1m": 21,
    "3m": 63,
    "6m": 126,
    "1y": 252,
    "3y": 756,
    "5y": 1260,
}

#: Columns of :func:`asset_metrics` (``notes`` follows them).
ASSET_METRIC_COLUMNS: tuple[str, ...] = (
    "ticker",
    "date",
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_lower",
    "bb_pct_b",
    "atr_14",
    "stoch_k",
    "stoch_d",
    "obv",
    *(f"return_{h}" for h in RETURN_HORIZONS),
    "volatility",
    "beta",
    "sharpe",
    "max_drawdown",
)
#: Indicators that need raw high/low/close (and volume for OBV).
HLC_COLUMNS: tuple[str, ...] = ("atr_14", "stoch_k", "stoch_d")
VOLUME_COLUMNS: tuple[str, ...] = ("obv",)

# --------------------------------------------------------------------------- panels


def sma(prices: pd.DataFrame, n: int) -> pd.DataFrame:
    """Compute the simple moving average over ``n`` bars (NaN until ``n`` values or on a gap).

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker values.
    n : int
        Window length in bars.

    Returns
    -------
    pd.DataFrame
        Same shape; ``mean(x_{t-n+1..t})``.
    """
    return prices.rolling(n, min_periods=n).mean()


def ema(prices: pd.DataFrame, span: int) -> pd.DataFrame:
    """Exponential moving average, ``a = 2/(span + 1)``, recursive (``adjust=False``).

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker values; NaN rows are skipped by the recursion.
    span : int
        EMA span in bars.

    Returns
    -------
    pd.DataFrame
        Same shape. ``ema_t = a·x_t + (1 − a)·ema_{t−1}``, seeded with the first value; NaN until
        ``span`` values have been seen and on rows where the input is NaN.

    Notes
    -----
    TA-Lib seeds with the mean of the first ``span`` values; the difference decays as
    ``(1 − a)^k`` after ``k`` further bars.
    """
    out = prices.ewm(span=span, adjust=False, min_periods=span).mean()
    return out.where(prices.notna())


def wilder(values: pd.DataFrame, n: int) -> pd.DataFrame:
    """Wilder's smoothing: the recursive average with ``a = 1/n`` (``ewm(alpha=1/n)``).

    Parameters
    ----------
    values : pd.DataFrame
        Date x ticker values; NaN rows are skipped by the recursion.
    n : int
        Period in bars.

    Returns
    -------
    pd.DataFrame
        Same shape; NaN until ``n`` values have been seen and where the input is NaN.
    """
    out = values.ewm(alpha=1.0 / n, adjust=False, min_periods=n).mean()
    return out.where(values.notna())


def rsi(prices: pd.DataFrame, n: int = 14) -> pd.DataFrame:
    """Wilder's relative strength index, 0..100.

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker prices.
    n : int
        Period (default 14).

    Returns
    -------
    pd.DataFrame
        ``100 · G / (G + L)`` with ``G = wilder(max(ΔP, 0), n)``, ``L = wilder(max(−ΔP, 0), n)``;
        NaN when ``G + L = 0`` (no movement at all) and until ``n`` changes exist.
    """
    change = prices.diff()
    gain = wilder(change.clip(lower=0.0), n)
    loss = wilder((-change).clip(lower=0.0), n)
    total = gain + loss
    return (100.0 * gain / total.where(total > 0)).where(change.notna())


def macd(
    prices: pd.DataFrame, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """MACD line, signal line and histogram.

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker prices.
    fast, slow, signal : int
        EMA spans (default 12, 26, 9).

    Returns
    -------
    tuple of pd.DataFrame
        ``(line, signal, hist)``: ``line = ema(P, fast) − ema(P, slow)``,
        ``signal = ema(line, signal)``, ``hist = line − signal`` (price units).
    """
    line = ema(prices, fast) - ema(prices, slow)
    sig = ema(line, signal)
    return line, sig, line - sig


def bollinger(
    prices: pd.DataFrame, n: int = 20, k: float = 2.0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bollinger bands with the population standard deviation.

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker prices.
    n : int
        Window in bars (default 20).
    k : float
        Width in standard deviations (default 2).

    Returns
    -------
    tuple of pd.DataFrame
        ``(upper, lower, pct_b)``: ``mid ± k·sd`` with ``mid = sma(P, n)`` and ``sd`` the
        ddof=0 standard deviation of the same window; ``pct_b = (P − lower)/(upper − lower)``
        (NaN when the band has zero width).
    """
    roll = prices.rolling(n, min_periods=n)
    mid = roll.mean()
    sd = roll.std(ddof=0)
    upper = mid + k * sd
    lower = mid - k * sd
    width = upper - lower
    pct_b = (prices - lower) / width.where(width > 0)
    return upper, lower, pct_b


def true_range(high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame) -> pd.DataFrame:
    """Compute the true range ``max(H − L, |H − C_prev|, |L − C_prev|)`` (NaN without C_prev).

    Parameters
    ----------
    high, low, close : pd.DataFrame
        Raw (as traded) date x ticker prices, same shape.

    Returns
    -------
    pd.DataFrame
        Same shape, price units.
    """
    prev = close.shift(1)
    h, lo, p = high.to_numpy(float), low.to_numpy(float), prev.to_numpy(float)
    tr = np.fmax(np.fmax(h - lo, np.abs(h - p)), np.abs(lo - p))
    tr[np.isnan(h) | np.isnan(lo) | np.isnan(p)] = np.nan
    return pd.DataFrame(tr, index=close.index, columns=close.columns)


def atr(high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame, n: int = 14) -> pd.DataFrame:
    """Average true range: Wilder's smoothing of :func:`true_range` over ``n`` bars.

    Parameters
    ----------
    high, low, close : pd.DataFrame
        Raw date x ticker prices.
    n : int
        Period (default 14).

    Returns
    -------
    pd.DataFrame
        Same shape, price units.
    """
    return wilder(true_range(high, low, close), n)


def stochastic(
    high: pd.DataFrame,
    low: pd.DataFrame,
    close: pd.DataFrame,
    fastk: int = 14,
    slowk: int = 3,
    slowd: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slow stochastic oscillator (TA-Lib ``STOCH`` with SMA smoothing), 0..100.

    Parameters
    ----------
    high, low, close : pd.DataFrame
        Raw date x ticker prices.
    fastk, slowk, slowd : int
        Look-back of the fast %K and the two SMA smoothings (default 14, 3, 3).

    Returns
    -------
    tuple of pd.DataFrame
        ``(stoch_k, stoch_d)``. Fast %K = ``100·(C − min L)/(max H − min L)`` over the last
        ``fastk`` bars (0 when the range is 0, as TA-Lib); ``stoch_k = sma(fast %K, slowk)``,
        ``stoch_d = sma(stoch_k, slowd)``.
    """
    hh = high.rolling(fastk, min_periods=fastk).max()
    ll = low.rolling(fastk, min_periods=fastk).min()
    rng = hh - ll
    fast = (100.0 * (close - ll) / rng.where(rng > 0)).mask(rng == 0, 0.0)
    k = sma(fast, slowk)
    return k, sma(k, slowd)


def obv(close: pd.DataFrame, volume: pd.DataFrame) -> pd.DataFrame:
    """On-balance volume.

    Parameters
    ----------
    close : pd.DataFrame
        Raw date x ticker closes.
    volume : pd.DataFrame
        Date x ticker volumes (shares).

    Returns
    -------
    pd.DataFrame
        Same shape (shares). Starts at the volume of each ticker's first bar with both a close
        and a volume, then adds ``V_t`` on an up close, subtracts it on a down close and keeps it
        on an unchanged close (changes are measured against the previous bar with a close and a
        volume). NaN on bars without a close or a volume.
    """
    c = close.to_numpy(float)
    v = volume.to_numpy(float)
    ok = ~(np.isnan(c) | np.isnan(v))
    cf = pd.DataFrame(np.where(ok, c, np.nan)).ffill().to_numpy()
    prev = np.vstack([np.full((1, c.shape[1]), np.nan), cf[:-1]])
    step = np.sign(c - prev) * v
    first = ok & np.isnan(prev)
    step = np.where(first, v, step)
    step = np.where(ok, step, 0.0)
    out = np.cumsum(step, axis=0)
    out[~ok] = np.nan
    return pd.DataFrame(out, index=close.index, columns=close.columns)


def total_returns(prices: pd.DataFrame, n: int) -> pd.DataFrame:
    """Total return over ``n`` bars, ``P_t / P_{t−n} − 1`` (NaN when either price is missing).

    Parameters
    ----------
    prices : pd.DataFrame
        Date x ticker total-return prices (adj_close).
    n : int
        Horizon in bars (trading days).

    Returns
    -------
    pd.DataFrame
        Same shape, fractions.
    """
    return prices / prices.shift(n) - 1.0


# --------------------------------------------------------------------------- as-of table


def _as_panel(frame: pd.DataFrame | None, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame(np.nan, index=index, columns=columns)
    return frame.reindex(index=index, columns=columns).astype(float)


def _last(frame: pd.DataFrame) -> np.ndarray:
    return frame.to_numpy(float)[-1]


def _tail(px: np.ndarray, n: int) -> np.ndarray:
    """Return the last ``n`` rows, or an all-NaN block when there are fewer (-> NaN results)."""
    if px.shape[0] < n:
        return np.full((n, px.shape[1]), np.nan)
    return px[-n:]


def _stoch_as_of(
    high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame, fastk: int = 14, smooth: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """As-of value of :func:`stochastic` from the last ``fastk + 2·(smooth − 1)`` bars only."""
    rows = fastk + 2 * (smooth - 1)
    h, lo, c = (_tail(x.to_numpy(float), rows) for x in (high, low, close))
    hh = sliding_window_view(h, fastk, axis=0).max(axis=-1)
    ll = sliding_window_view(lo, fastk, axis=0).min(axis=-1)
    rng = hh - ll
    with np.errstate(invalid="ignore", divide="ignore"):
        fast = np.where(rng == 0, 0.0, 100.0 * (c[fastk - 1 :] - ll) / rng)
    k = sliding_window_view(fast, smooth, axis=0).mean(axis=-1)
    return k[-1], k[-smooth:].mean(axis=0)


def _window_stats(
    prices: pd.DataFrame, bench: np.ndarray | None, rf: float, lookback: int
) -> dict[str, np.ndarray]:
    """Volatility, beta, Sharpe and max drawdown over the last ``lookback`` returns (see module)."""
    px = prices.to_numpy(float)[-(lookback + 1) :]
    r = px[1:] / px[:-1] - 1.0
    ok = np.isfinite(r)
    n = ok.sum(axis=0)
    rz = np.where(ok, r, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = rz.sum(axis=0) / n
        dev = np.where(ok, r - mean, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (n - 1))
        sd = np.where(n > 1, sd, np.nan)
        ann = np.sqrt(TRADING_DAYS)
        vol = sd * ann
        sharpe = np.where(sd > 0, (mean - rf) / sd * ann, np.nan)
        peak = np.fmax.accumulate(px, axis=0)
        dd = px / peak - 1.0
        mdd = np.where(
            np.isfinite(dd).any(axis=0), np.nanmin(np.where(np.isfinite(dd), dd, 0), 0), np.nan
        )
        if bench is None:
            beta = np.full(px.shape[1], np.nan)
        else:
            b = np.asarray(bench, float)[-r.shape[0] :][:, None]
            both = ok & np.isfinite(b)
            m = both.sum(axis=0)
            rb = np.where(both, r, 0.0)
            bb = np.where(both, b, 0.0)
            mr = rb.sum(axis=0) / m
            mb = bb.sum(axis=0) / m
            cov = np.where(both, (r - mr) * (b - mb), 0.0).sum(axis=0) / (m - 1)
            var_b = np.where(both, (b - mb) ** 2, 0.0).sum(axis=0) / (m - 1)
            beta = np.where((m > 1) & (var_b > 0), cov / var_b, np.nan)
    return {"volatility": vol, "beta": beta, "sharpe": sharpe, "max_drawdown": mdd}


def _per_ticker_price(adj_close: pd.DataFrame, close: pd.DataFrame) -> pd.DataFrame:
    """adj_close, or close for a ticker whose adj_close column is entirely blank."""
    use_close = adj_close.isna().all(axis=0).to_numpy()
    if not use_close.any():
        return adj_close
    out = adj_close.copy()
    out.loc[:, use_close] = close.loc[:, use_close]
    return out


def asset_metrics(
    adj_close: pd.DataFrame,
    close: pd.DataFrame | None,
    high: pd.DataFrame | None,
    low: pd.DataFrame | None,
    volume: pd.DataFrame | None,
    benchmark_returns: pd.Series | None,
    as_of: str | pd.Timestamp,
    *,
    rf: float = 0.0,
    lookback: int = 252,
) -> pd.DataFrame:
    """Technical indicators and performance metrics of every ticker on the as-of date.

    Parameters
    ----------
    adj_close : pd.DataFrame
        Total-return prices, date x ticker (NaN where missing). Indicators and returns use it;
        a ticker whose adj_close is entirely blank falls back to ``close``.
    close, high, low : pd.DataFrame or None
        Raw (as traded) prices, date x ticker; ``None`` or NaN where the input has none.
        ATR and Stochastic need all three on the as-of date (blank otherwise).
    volume : pd.DataFrame or None
        Shares traded, date x ticker; OBV needs it and ``close`` (blank otherwise).
    benchmark_returns : pd.Series or None
        Daily returns (fractions) of the primary benchmark, indexed by date; used by ``beta``.
    as_of : str or pd.Timestamp
        Rows after it are ignored; the metrics are those of the last row on or before it.
    rf : float
        Daily risk-free rate (fraction), for ``sharpe``.
    lookback : int
        Number of daily returns for volatility, beta, Sharpe and max drawdown
        (``risk_lookback_days``).

    Returns
    -------
    pd.DataFrame
        One row per ticker, columns :data:`ASSET_METRIC_COLUMNS` then ``notes``: the as-of
        ``date``; indicators in price units (RSI, %K, %D in 0..100; %b a fraction; OBV in
        shares); returns, volatility, Sharpe and drawdown as fractions (annualised with 252
        days). ``notes`` lists, separated by ``; ``, why values are blank (no price on the
        as-of date, no high/low/close, no volume, no benchmark, or too short a history).

    Notes
    -----
    Definitions are in the module docstring. Only the rows on or before ``as_of`` are used;
    each window indicator reads only its own window, the recursive ones the whole history.
    """
    as_of = pd.Timestamp(as_of)
    adj = adj_close.sort_index().loc[:as_of]
    tickers = adj.columns
    if close is not None:
        tickers = tickers.union(close.columns, sort=False)
    index = adj.index
    if close is not None:
        index = index.union(close.sort_index().loc[:as_of].index)
    if len(index) == 0:
        raise ValueError(f"no prices on or before {as_of.date()}")
    adj = _as_panel(adj, index, tickers)
    c = _as_panel(close, index, tickers)
    h = _as_panel(high, index, tickers)
    lo = _as_panel(low, index, tickers)
    v = _as_panel(volume, index, tickers)
    p = _per_ticker_price(adj, c)
    date = index[-1]

    px = p.to_numpy(float)
    out: dict[str, np.ndarray] = {}
    # window indicators read only their own window (the as-of value of the panel functions)
    out["sma_20"] = _tail(px, 20).mean(axis=0)
    out["sma_50"] = _tail(px, 50).mean(axis=0)
    out["sma_200"] = _tail(px, 200).mean(axis=0)
    e12, e26 = ema(p, 12), ema(p, 26)
    out["ema_12"], out["ema_26"] = _last(e12), _last(e26)
    out["rsi_14"] = _last(rsi(p, 14))
    line = e12 - e26
    sig = ema(line, 9)
    out["macd"], out["macd_signal"] = _last(line), _last(sig)
    out["macd_hist"] = out["macd"] - out["macd_signal"]
    last20 = _tail(px, 20)
    mid, sd = last20.mean(axis=0), last20.std(axis=0, ddof=0)
    out["bb_upper"], out["bb_lower"] = mid + 2.0 * sd, mid - 2.0 * sd
    width = out["bb_upper"] - out["bb_lower"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["bb_pct_b"] = np.where(width > 0, (px[-1] - out["bb_lower"]) / width, np.nan)
    # ATR and OBV are blank unless the as-of bar has their inputs: the recursions run only
    # over the tickers that have them (often none: a book of closes only)
    hlc = ~(np.isnan(_last(h)) | np.isnan(_last(lo)) | np.isnan(_last(c)))
    out["atr_14"] = _last_where(hlc, lambda m: atr(h.loc[:, m], lo.loc[:, m], c.loc[:, m], 14))
    out["stoch_k"], out["stoch_d"] = _stoch_as_of(h, lo, c)
    cv = ~(np.isnan(_last(c)) | np.isnan(_last(v)))
    out["obv"] = _last_where(cv, lambda m: obv(c.loc[:, m], v.loc[:, m]))
    for name, n in RETURN_HORIZONS.items():
        out[f"return_{name}"] = (
            px[-1] / px[-1 - n] - 1.0 if len(px) > n else np.full(len(tickers), np.nan)
        )
    bench = None
    if benchmark_returns is not None:
        bench = pd.Series(benchmark_returns, dtype=float).reindex(index).to_numpy()
    out.update(_window_stats(p, bench, float(rf), int(lookback)))

    table = pd.DataFrame(out, index=tickers)
    no_price = np.isnan(_last(p))
    table.loc[no_price, :] = np.nan
    table.insert(0, "date", date)
    table.insert(0, "ticker", tickers.astype(str))
    table = table.reset_index(drop=True)
    table["notes"] = _notes(table, no_price, h, lo, c, v, bench is None)
    return table[[*ASSET_METRIC_COLUMNS, "notes"]]


def _last_where(mask: np.ndarray, panel) -> np.ndarray:
    """As-of values of ``panel(mask)`` for the tickers in ``mask``, NaN for the others.

    ``panel`` builds a date x ticker indicator from the columns selected by ``mask`` (a
    boolean array over the tickers); it is not called when ``mask`` selects none.
    """
    out = np.full(len(mask), np.nan)
    if mask.all():
        return _last(panel(slice(None)))
    if mask.any():
        out[mask] = _last(panel(mask))
    return out


def _notes(
    table: pd.DataFrame,
    no_price: np.ndarray,
    high: pd.DataFrame,
    low: pd.DataFrame,
    close: pd.DataFrame,
    volume: pd.DataFrame,
    no_bench: bool,
) -> pd.Series:
    """Why values are blank, one string per ticker (empty when nothing is blank)."""
    no_hlc = (np.isnan(_last(high)) | np.isnan(_last(low)) | np.isnan(_last(close))) & ~no_price
    no_vol = (np.isnan(_last(volume)) | np.isnan(_last(close))) & ~no_price
    bench = np.full(len(table), no_bench) & ~no_price
    explained = {"atr_14": no_hlc, "stoch_k": no_hlc, "stoch_d": no_hlc, "obv": no_vol}
    explained["beta"] = bench
    numeric = [c for c in ASSET_METRIC_COLUMNS if c not in ("ticker", "date")]
    blank = table[numeric].isna().to_numpy() & ~no_price[:, None]
    short = np.full(len(table), "", dtype=object)
    for j, col in enumerate(numeric):  # a loop over columns, not tickers
        hit = blank[:, j] & ~explained.get(col, np.zeros(len(table), bool))
        short = np.where(hit, short + np.where(short == "", "", ", ") + col, short)
    parts = [
        np.where(no_price, "no price on the as-of date", ""),
        np.where(no_hlc, "no high/low/close: atr_14, stoch_k, stoch_d blank", ""),
        np.where(no_vol, "no volume: obv blank", ""),
        np.where(bench, "no benchmark returns: beta blank", ""),
        np.where(short != "", "short history or undefined: " + short, ""),
    ]
    notes = np.full(len(table), "", dtype=object)
    for part in parts:
        notes = np.where(part == "", notes, np.where(notes == "", part, notes + "; " + part))
    return pd.Series(notes, index=table.index, dtype=str)
