"""Empirical duration estimator: synthetic recovery, no look-ahead, published figures, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.empirical_duration import (
    NOMINAL_TENORS,
    FundSpec,
    estimate_durations,
    estimate_from_folder,
    interpolate_curve,
)
from fimonitor.cli import main
from fimonitor.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data"


# ----------------------------------------------------------------------------- synthetic data
def _synthetic(seed: int = 7, n: int = 800):
    """Business days, a 2y/5y/10y curve random walk (pp), an equity factor, three funds.

    RATE (D=6.5) and SHORT (D=1.8) are pure rate funds on the 5y / 2y yields; CREDIT has
    D=4.0 on the 5y yield plus an equity beta of 0.25, with equity returns that are
    positively correlated with yield changes (risk-on: yields up, stocks up) - the case in
    which a rates-only fit understates the rate duration.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n)
    dy5 = rng.normal(0, 0.06, n)
    dy2 = 0.9 * dy5 + rng.normal(0, 0.02, n)
    dy10 = 0.8 * dy5 + rng.normal(0, 0.02, n)
    curve = pd.DataFrame(
        {"DGS2": 4 + np.cumsum(dy2), "DGS5": 4 + np.cumsum(dy5), "DGS10": 4 + np.cumsum(dy10)},
        index=dates,
    )
    mkt = 0.08 * dy5 + rng.normal(0, 0.01, n)
    # returns on day t use the yield change from t-1 to t; day 0 has no return
    r_rate = -6.5 / 100 * np.diff(curve["DGS5"].to_numpy()) + rng.normal(0, 5e-4, n - 1)
    r_short = -1.8 / 100 * np.diff(curve["DGS2"].to_numpy()) + rng.normal(0, 2e-4, n - 1)
    r_cred = (
        -4.0 / 100 * np.diff(curve["DGS5"].to_numpy()) + 0.25 * mkt[1:] + rng.normal(0, 5e-4, n - 1)
    )

    def price(r):
        return pd.Series(100 * np.concatenate([[1.0], np.cumprod(1 + r)]), index=dates)

    adj = pd.DataFrame(
        {
            "RATE": price(r_rate),
            "SHORT": price(r_short),
            "CREDIT": price(r_cred),
            "SPY": price(mkt[1:]),
        }
    )
    return adj, curve


def _ols_duration(adj, curve, ticker, tenor_col, month, window, market=None):
    """Independent check: numpy least squares on the window that ends before ``month``."""
    ret = adj[ticker].pct_change()
    dy = curve[tenor_col].diff()
    cut = ret.index < pd.Period(month, "M").start_time
    r = ret[cut].iloc[-window:].to_numpy()
    x = dy[cut].iloc[-window:].to_numpy()
    cols = [np.ones_like(x), x]
    if market is not None:
        cols.append(market.pct_change()[cut].iloc[-window:].to_numpy())
    beta = np.linalg.lstsq(np.column_stack(cols), r, rcond=None)[0]
    return -100 * beta[1]


def test_recovers_known_duration_on_synthetic_data():
    adj, curve = _synthetic()
    specs = {
        "RATE": FundSpec(5.0),
        "SHORT": FundSpec(2.0),
        "CREDIT": FundSpec(5.0, spread_aware=True),
    }
    out = estimate_durations(adj, curve, specs, market=adj["SPY"], window=126)
    piv = out.pivot(index="month", columns="ticker", values="duration")
    # every estimate after warm-up is within ~5 standard errors of the truth
    # (slope s.e. = noise sd / (sd(dy) * sqrt(126)) * 100: 0.07 y for RATE, 0.03 y for SHORT)
    assert np.allclose(piv["RATE"], 6.5, atol=0.4)
    assert np.allclose(piv["SHORT"], 1.8, atol=0.2)
    assert np.allclose(piv["CREDIT"], 4.0, atol=0.5)
    assert abs(piv["RATE"].mean() - 6.5) < 0.1
    assert (out["method"] == "empirical_estimate").all()
    # exact agreement with an independent least-squares fit on the same window
    for month in ("2021-01", "2022-06"):
        assert piv.loc[month, "RATE"] == pytest.approx(
            _ols_duration(adj, curve, "RATE", "DGS5", month, 126), rel=1e-9
        )
        assert piv.loc[month, "CREDIT"] == pytest.approx(
            _ols_duration(adj, curve, "CREDIT", "DGS5", month, 126, market=adj["SPY"]), rel=1e-9
        )


def test_spread_aware_fit_removes_the_equity_bias():
    adj, curve = _synthetic()
    both = estimate_durations(
        adj, curve, {"CREDIT": FundSpec(5.0, spread_aware=True)}, market=adj["SPY"]
    )
    plain = estimate_durations(adj, curve, {"CREDIT": FundSpec(5.0)})
    # risk-on co-movement makes the rates-only duration too low; the 2-factor fit does not
    assert plain["duration"].mean() < 4.0 - 1.0
    assert abs(both["duration"].mean() - 4.0) < 0.2


def test_no_look_ahead():
    adj, curve = _synthetic()
    specs = {"RATE": FundSpec(5.0), "CREDIT": FundSpec(5.0, spread_aware=True)}
    base = estimate_durations(adj, curve, specs, market=adj["SPY"])
    # scramble everything from 2021-03-01 on: months up to 2021-03 must not move
    cut = pd.Timestamp("2021-03-01")
    rng = np.random.default_rng(1)
    adj2 = adj.copy()
    adj2.loc[adj2.index >= cut] *= rng.uniform(0.5, 1.5, size=adj2.loc[adj2.index >= cut].shape)
    curve2 = curve.copy()
    curve2.loc[curve2.index >= cut] += 1.0
    moved = estimate_durations(adj2, curve2, specs, market=adj2["SPY"])
    key = ["month", "ticker"]
    m = base.merge(moved, on=key, suffixes=("", "_new"))
    early = m["month"] <= "2021-03"
    assert early.sum() > 0
    assert np.array_equal(m.loc[early, "duration"], m.loc[early, "duration_new"])
    assert not np.allclose(m.loc[~early, "duration"], m.loc[~early, "duration_new"])


def test_interpolation_and_floor():
    idx = pd.to_datetime(["2024-01-02", "2024-01-03"])
    y = pd.DataFrame({"DGS5": [4.0, 4.2], "DGS7": [4.4, 4.3], "DGS30": [5.0, 5.1]}, index=idx)
    # 6y is halfway between 5y and 7y; 40y is clamped to 30y; 1y is clamped to 5y
    assert interpolate_curve(y, NOMINAL_TENORS, 6.0).tolist() == pytest.approx([4.2, 4.25])
    assert interpolate_curve(y, NOMINAL_TENORS, 40.0).tolist() == [5.0, 5.1]
    assert interpolate_curve(y, NOMINAL_TENORS, 1.0).tolist() == [4.0, 4.2]
    # a fund that gains when yields rise has a negative raw estimate: floored at 0 when asked
    adj, curve = _synthetic()
    adj = adj.assign(INV=100 * (2 - adj["RATE"] / 100))
    out = estimate_durations(adj, curve, {"INV": FundSpec(5.0, floor=0.0)})
    raw = estimate_durations(adj, curve, {"INV": FundSpec(5.0)})
    assert (raw["duration"] < 0).all() and (out["duration"] == 0).all()


def test_bad_window_is_an_input_error():
    adj, curve = _synthetic()
    with pytest.raises(InputError, match="window"):
        estimate_durations(adj, curve, {"RATE": FundSpec(5.0)}, window=5)


# ----------------------------------------------------------------------------- the demo data
#: Published effective/average durations (years) with their as-of dates; sources in
#: data/PROVENANCE.md. Funds without a dated published figure are left out.
PUBLISHED = {
    # ticker: (years, as of (as precise as the source), kind)
    "SHY": (1.8, "2016-03-04", "rates"),
    "IEF": (7.6, "2016-03-04", "rates"),
    "TLT": (17.0, "2026", "rates"),  # "modified duration around 16-18 years": midpoint
    "IEI": (4.5, "2025-12", "rates"),
    "TIP": (6.35, "2025-10", "rates"),
    "BND": (6.0, "2024-12-31", "rates"),
    "VCIT": (6.1, "2025-05", "credit"),
    "LQD": (9.0, "2016-08-22", "credit"),
    "HYG": (4.03, "2015-03", "credit"),
    "JNK": (4.22, "2015-03", "credit"),
    "EMB": (7.5, "2013-02", "credit"),
    "MUB": (6.5, "2025-09", "credit"),
}
#: Rate funds: |estimate - published| <= max(0.75 y, 20 %).
#: Credit, EM and muni funds: estimate / published within [0.4, 1.1] - their empirical rate
#: sensitivity sits below effective duration (spreads and muni/Treasury basis).
CREDIT_BAND = (0.4, 1.1)


def _shipped_empirical() -> pd.DataFrame:
    """The estimator's column of the shipped file (the model's file since issue 14)."""
    shipped = pd.read_csv(DATA / "duration_monthly.csv", dtype={"month": str})
    emp = shipped.dropna(subset=["empirical_duration"])
    return emp[["month", "ticker", "empirical_duration"]].rename(
        columns={"empirical_duration": "duration"}
    )


def test_shipped_file_is_what_the_estimator_produces():
    shipped = pd.read_csv(DATA / "duration_monthly.csv", dtype={"month": str})
    fresh = estimate_from_folder(DATA)
    pd.testing.assert_frame_equal(
        _shipped_empirical().reset_index(drop=True),
        fresh[["month", "ticker", "duration"]].reset_index(drop=True),
        check_dtype=False,
    )
    assert (fresh["method"] == "empirical_estimate").all()
    assert (shipped["method"] == "model").all()
    assert shipped["month"].max() == "2026-04"
    assert shipped["month"].min() <= "2018-08"
    # every month from the first to 2026-04 for the long-history funds, no gaps
    months = pd.period_range(shipped["month"].min(), "2026-04", freq="M").astype(str)
    tlt = shipped.loc[shipped["ticker"] == "TLT", "month"]
    assert list(tlt) == list(months)
    # no equities
    sec = pd.read_csv(DATA / "security_master.csv").set_index("ticker")
    assert not (sec.loc[shipped["ticker"].unique(), "group"] == "equity").any()


@pytest.mark.parametrize("ticker", sorted(PUBLISHED))
def test_latest_estimate_vs_published_duration(ticker):
    shipped = _shipped_empirical()
    est = shipped[(shipped["ticker"] == ticker) & (shipped["month"] == "2026-04")]["duration"]
    assert len(est) == 1
    est = float(est.iloc[0])
    pub, _as_of, kind = PUBLISHED[ticker]
    if kind == "rates":
        assert abs(est - pub) <= max(0.75, 0.20 * pub), (ticker, est, pub)
    else:
        lo, hi = CREDIT_BAND
        assert lo * pub <= est <= hi * pub, (ticker, est, pub)


def test_cash_proxies_have_tiny_durations():
    shipped = pd.read_csv(DATA / "duration_monthly.csv", dtype={"month": str})
    cash = shipped[shipped["ticker"].isin(["BIL", "SGOV", "SHV"])]
    for col in ("duration", "empirical_duration"):  # model (bills <= 1 y) and estimate
        vals = cash[col].dropna()
        assert (vals >= 0).all() and (vals < 1.0).all()
    latest = cash[cash["month"] == "2026-04"]["empirical_duration"]
    assert (latest < 0.5).all()


def test_cli_writes_file_and_reports_bad_folder(tmp_path, capsys):
    out = tmp_path / "d.csv"
    assert (
        main(["durations", "estimate", "--data", str(DATA), "--out", str(out), "--window", "63"])
        == 0
    )
    frame = pd.read_csv(out, dtype={"month": str})
    assert list(frame.columns) == ["month", "ticker", "duration", "method"]
    assert frame["month"].min() < "2018-06"  # a shorter window starts earlier
    assert main(["durations", "estimate", "--data", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
