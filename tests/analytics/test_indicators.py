"""Technical indicators: TA-Lib on real OHLCV series, hand cases, and plain numpy returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics import indicators as ind
from fimonitor.analytics.risk import risk_metrics

talib = pytest.importorskip("talib")

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT.parent.parent / "shared" / "data" / "raw" / "SmokeBellow__invest-tech"
SMOKE_FILES = sorted(SMOKE.glob("*.csv.gz"))
DEMO_PRICES = ROOT / "data" / "prices.csv"


def _demo_tickers() -> list[str]:
    """Tickers of the bundled prices.csv that carry the real OHLCV bars (same upstream bars)."""
    df = pd.read_csv(DEMO_PRICES, usecols=["ticker", "volume"])
    return sorted(df.loc[df["volume"].notna(), "ticker"].unique())


# the upstream files when they are beside the repository, else the bundled copy of the bars
SERIES = SMOKE_FILES or [f"demo:{t}" for t in _demo_tickers()]
WARMUP = 300  # bars before a date for TA-Lib equality


def _close_enough(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Equal within 1e-9 (relative to max(1, |value|)) from bar WARMUP on; same NaN pattern."""
    a, t = np.asarray(ours, float)[WARMUP:], np.asarray(theirs, float)[WARMUP:]
    assert np.array_equal(np.isnan(a), np.isnan(t))
    ok = ~np.isnan(t)
    assert ok.sum() > 1000
    err = np.abs(a[ok] - t[ok]) / np.maximum(1.0, np.abs(t[ok]))
    assert err.max() <= 1e-9, err.max()


def _ohlcv(path: Path | str) -> pd.DataFrame:
    if isinstance(path, str):  # "demo:TICKER": the bars bundled in data/prices.csv
        df = pd.read_csv(DEMO_PRICES)
        df = df.loc[(df["ticker"] == path.split(":")[1]) & df["volume"].notna()]
    else:
        df = pd.read_csv(path)
    df = df.assign(date=pd.to_datetime(df["date"])).set_index("date").sort_index()
    return df[["open", "high", "low", "close", "volume"]].astype(float)


@pytest.fixture(scope="module")
def wide() -> dict[str, pd.DataFrame]:
    """The 10 real series as date x ticker panels (union of dates; NaN where a ticker has none)."""
    frames = {_name(p): _ohlcv(p) for p in SERIES}
    return {
        col: pd.DataFrame({t: f[col] for t, f in frames.items()}).sort_index()
        for col in ("high", "low", "close", "volume")
    }


def _name(p: Path | str) -> str:
    return p.split(":")[1] if isinstance(p, str) else p.name.split(".")[0]


@pytest.mark.parametrize("path", SERIES, ids=_name)
def test_against_talib(path: Path) -> None:
    df = _ohlcv(path)
    c, h, lo, v = (df[[k]].rename(columns={k: "X"}) for k in ("close", "high", "low", "volume"))
    C, H, L, V = (x["X"].to_numpy() for x in (c, h, lo, v))
    for n in (20, 50, 200):
        _close_enough(ind.sma(c, n)["X"], talib.SMA(C, n))
    for n in (12, 26):
        _close_enough(ind.ema(c, n)["X"], talib.EMA(C, n))
    _close_enough(ind.rsi(c, 14)["X"], talib.RSI(C, 14))
    line, sig, hist = ind.macd(c)
    t_line, t_sig, t_hist = talib.MACD(C, 12, 26, 9)
    _close_enough(line["X"], t_line)
    _close_enough(sig["X"], t_sig)
    _close_enough(hist["X"], t_hist)
    upper, lower, _ = ind.bollinger(c, 20, 2.0)
    t_up, _, t_low = talib.BBANDS(C, 20, 2.0, 2.0, 0)
    _close_enough(upper["X"], t_up)
    _close_enough(lower["X"], t_low)
    _close_enough(ind.atr(h, lo, c, 14)["X"], talib.ATR(H, L, C, 14))
    k, d = ind.stochastic(h, lo, c)
    t_k, t_d = talib.STOCH(H, L, C, 14, 3, 0, 3, 0)
    _close_enough(k["X"], t_k)
    _close_enough(d["X"], t_d)
    _close_enough(ind.obv(c, v)["X"], talib.OBV(C, V))


# --------------------------------------------------------------------------- hand cases


def _col(values) -> pd.DataFrame:
    return pd.DataFrame({"X": np.asarray(values, float)})


def test_sma_ema_by_hand() -> None:
    np.testing.assert_allclose(ind.sma(_col([1, 2, 3, 4, 5]), 3)["X"], [np.nan, np.nan, 2, 3, 4])
    # span 3 -> a = 0.5; seed 1, then 1.5, 2.25, 3.125; blank until 3 values
    np.testing.assert_allclose(ind.ema(_col([1, 2, 3, 4]), 3)["X"], [np.nan, np.nan, 2.25, 3.125])


def test_rsi_by_hand() -> None:
    # changes +1, -1, +2; a = 1/2: gains 1, .5, 1.25; losses 0, .5, .25
    got = ind.rsi(_col([1, 2, 1, 3]), 2)["X"].to_numpy()
    np.testing.assert_allclose(got, [np.nan, np.nan, 50.0, 100 * 1.25 / 1.5])


def test_macd_by_hand() -> None:
    # fast span 1 = the price; slow span 2 (a = 2/3): 3, 5, 7.6667; line: -, 1, 4/3
    line, sig, hist = ind.macd(_col([3, 6, 9]), fast=1, slow=2, signal=2)
    np.testing.assert_allclose(line["X"], [np.nan, 1.0, 9 - 23 / 3])
    np.testing.assert_allclose(sig["X"], [np.nan, np.nan, 2 / 3 * 4 / 3 + 1 / 3 * 1.0])
    np.testing.assert_allclose(hist["X"].iloc[2], 4 / 3 - (8 / 9 + 1 / 3))


def test_bollinger_by_hand() -> None:
    upper, lower, pct_b = ind.bollinger(_col([1, 2, 3]), 3, 2.0)
    sd = np.sqrt(2 / 3)  # population std of 1, 2, 3
    assert upper["X"].iloc[2] == pytest.approx(2 + 2 * sd)
    assert lower["X"].iloc[2] == pytest.approx(2 - 2 * sd)
    assert pct_b["X"].iloc[2] == pytest.approx((3 - (2 - 2 * sd)) / (4 * sd))


def test_atr_by_hand() -> None:
    h, lo, c = _col([10, 11, 12]), _col([9, 10, 10]), _col([9.5, 10.5, 11])
    # TR: -, max(1, 1.5, .5) = 1.5, max(2, 1.5, .5) = 2; Wilder n=2: 1.5, then (2 + 1.5)/2
    np.testing.assert_allclose(ind.true_range(h, lo, c)["X"], [np.nan, 1.5, 2.0])
    np.testing.assert_allclose(ind.atr(h, lo, c, 2)["X"], [np.nan, np.nan, 1.75])


def test_stochastic_by_hand() -> None:
    h, lo = _col([10, 12, 11, 13, 14]), _col([8, 9, 9, 10, 12])
    c = _col([9, 11, 10, 12, 13])
    # fast %K over 2 bars: -, (11-8)/(12-8) = 75, (10-9)/(12-9) = 33.3, (12-9)/(13-9) = 75,
    # (13-10)/(14-10) = 75 (in %)
    k, d = ind.stochastic(h, lo, c, fastk=2, slowk=2, slowd=2)
    slow_k = [np.nan, np.nan, (75 + 100 / 3) / 2, (100 / 3 + 75) / 2, 75.0]
    np.testing.assert_allclose(k["X"], slow_k)
    np.testing.assert_allclose(d["X"], [np.nan, np.nan, np.nan, slow_k[3], (slow_k[3] + 75) / 2])
    # a flat window gives 0, as TA-Lib
    k0, _ = ind.stochastic(_col([5, 5, 5]), _col([5, 5, 5]), _col([5, 5, 5]), 2, 1, 1)
    assert k0["X"].iloc[-1] == 0.0


def test_obv_by_hand() -> None:
    c = _col([10, 11, 11, 10, np.nan, 12])
    v = _col([100, 200, 300, 400, 500, 600])
    # 100, +200, unchanged, -400, (no close), +600 against the last close 10
    np.testing.assert_allclose(ind.obv(c, v)["X"], [100, 300, 300, -100, np.nan, 500])


# --------------------------------------------------------------------------- asset_metrics


def test_asset_metrics_matches_panels_and_numpy(wide) -> None:
    c, h, lo, v = wide["close"], wide["high"], wide["low"], wide["volume"]
    adj = c.loc["2015":]  # a stand-in total-return price: the as-traded close
    as_of = pd.Timestamp("2026-04-30")
    bench = c["SPY"].pct_change(fill_method=None)
    table = ind.asset_metrics(adj, c, h, lo, v, bench, as_of, rf=0.0001, lookback=252)
    assert list(table.columns) == [*ind.ASSET_METRIC_COLUMNS, "notes"]
    assert len(table) == 10 and (table["date"] == as_of).all()
    t = table.set_index("ticker")
    p = adj.loc[:as_of]
    last = lambda f: f.iloc[-1]  # noqa: E731
    line, sig, hist = ind.macd(p)
    up, low, pct_b = ind.bollinger(p)
    k, d = ind.stochastic(h.loc[:as_of], lo.loc[:as_of], c.loc[:as_of])
    expected = {
        "sma_20": last(ind.sma(p, 20)),
        "sma_200": last(ind.sma(p, 200)),
        "ema_26": last(ind.ema(p, 26)),
        "rsi_14": last(ind.rsi(p)),
        "macd": last(line),
        "macd_signal": last(sig),
        "macd_hist": last(hist),
        "bb_upper": last(up),
        "bb_lower": last(low),
        "bb_pct_b": last(pct_b),
        "atr_14": last(ind.atr(h.loc[:as_of], lo.loc[:as_of], c.loc[:as_of])),
        "stoch_k": last(k),
        "stoch_d": last(d),
        "obv": last(ind.obv(c.loc[:as_of], v.loc[:as_of])),
    }
    for col, exp in expected.items():  # pandas' rolling std is an online sum: ~1e-11 apart
        np.testing.assert_allclose(t[col], exp.reindex(t.index), rtol=1e-9, err_msg=col)
    px = p.to_numpy()
    for name, n in ind.RETURN_HORIZONS.items():
        np.testing.assert_allclose(t[f"return_{name}"], px[-1] / px[-1 - n] - 1.0, rtol=1e-12)
    # risk columns against the portfolio risk module on each ticker's own 252 returns
    for tick in ("IEF", "SPY", "XLK"):
        r = (p[tick] / p[tick].shift(1) - 1.0).iloc[-252:]
        ref = dict(risk_metrics(r, bench.reindex(r.index), rf=0.0001).to_numpy())
        for col in ("volatility", "beta", "sharpe", "max_drawdown"):
            assert t.loc[tick, col] == pytest.approx(ref[col], rel=1e-10), (tick, col)
    assert (t["notes"] == "").all()


def test_asset_metrics_blank_with_reasons(wide) -> None:
    c = wide["close"].loc["2020":"2026-04-30"]
    adj = c.copy()
    adj["NEW"] = np.nan
    adj.loc[adj.index[-30:], "NEW"] = 100 + np.arange(30.0)
    adj["GONE"] = 50.0
    adj.loc[adj.index[-1], "GONE"] = np.nan
    table = ind.asset_metrics(adj, None, None, None, None, None, c.index[-1]).set_index("ticker")
    assert table[["atr_14", "stoch_k", "stoch_d", "obv", "beta"]].isna().all().all()
    assert table.loc["SPY", "notes"] == (
        "no high/low/close: atr_14, stoch_k, stoch_d blank; no volume: obv blank; "
        "no benchmark returns: beta blank"
    )
    assert table.loc["GONE"].drop(["date", "notes"]).isna().all()
    assert table.loc["GONE", "notes"] == "no price on the as-of date"
    assert np.isnan(table.loc["NEW", "sma_50"]) and table.loc["NEW", "sma_20"] > 0
    assert "short history or undefined: sma_50, sma_200" in table.loc["NEW", "notes"]
    assert "return_1y" in table.loc["NEW", "notes"]


def test_asset_metrics_ignores_rows_after_as_of(wide) -> None:
    c, h, lo, v = wide["close"], wide["high"], wide["low"], wide["volume"]
    as_of = pd.Timestamp("2025-06-30")
    full = ind.asset_metrics(c, c, h, lo, v, None, as_of)
    cut = ind.asset_metrics(*(x.loc[:as_of] for x in (c, c, h, lo, v)), None, as_of)
    pd.testing.assert_frame_equal(full, cut)


def test_close_fallback_when_no_adj_close(wide) -> None:
    c = wide["close"].loc["2020":"2026-04-30"]
    adj = c.copy()
    adj["SPY"] = np.nan
    a = ind.asset_metrics(adj, c, None, None, None, None, c.index[-1]).set_index("ticker")
    b = ind.asset_metrics(c, c, None, None, None, None, c.index[-1]).set_index("ticker")
    pd.testing.assert_series_equal(a.loc["SPY"], b.loc["SPY"])


def test_atr_obv_only_where_the_as_of_bar_has_inputs(wide) -> None:
    """Tickers missing high or volume on the as-of bar get blank ATR/OBV; the others the
    full-panel values (the recursions run over the tickers that have inputs only)."""
    c, h, lo, v = (wide[k].loc[:"2026-04-30"].copy() for k in ("close", "high", "low", "volume"))
    as_of = c.index[-1]
    h.loc[as_of, ["IEF", "SPY"]] = np.nan  # no high on the as-of bar
    v.loc[as_of, ["XLK"]] = np.nan  # no volume on the as-of bar
    t = ind.asset_metrics(c, c, h, lo, v, None, as_of).set_index("ticker")
    atr_full = ind.atr(h, lo, c).iloc[-1]
    obv_full = ind.obv(c, v).iloc[-1]
    assert t.loc[["IEF", "SPY"], "atr_14"].isna().all() and atr_full[["IEF", "SPY"]].isna().all()
    assert np.isnan(t.loc["XLK", "obv"]) and np.isnan(obv_full["XLK"])
    np.testing.assert_allclose(t["atr_14"], atr_full.reindex(t.index), rtol=1e-12)
    np.testing.assert_allclose(t["obv"], obv_full.reindex(t.index), rtol=1e-12)
    assert t["atr_14"].notna().sum() == 8 and t["obv"].notna().sum() == 9
