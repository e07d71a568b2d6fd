"""Duration model: textbook bond maths, ladders, key rates, the demo's published ranges, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from scipy.optimize import brentq

from fimonitor.analytics.duration_model import (
    BUMP,
    KEY_LABELS,
    ModelSpec,
    flat_duration_convexity,
    fund_spread,
    key_rate_shapes,
    ladder,
    ladder_values,
    model_durations,
    price_flat,
    sensitivities,
    shift_set,
)
from fimonitor.analytics.duration_tables import duration_cross_check, specs_from_frame
from fimonitor.cli import main
from fimonitor.data.loaders import read_durations
from fimonitor.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data"
NODES = np.array([1.0, 30.0])


def _flat(y: float) -> np.ndarray:
    return np.array([[y, y]])


def _model(spec: ModelSpec, curve: np.ndarray, spread: float = 0.0) -> dict[str, float]:
    vals = ladder_values(spec, curve, NODES, spread, shift_set())
    return {k: float(v[0]) for k, v in sensitivities(vals).items()}


# ----------------------------------------------------------------------------- single bond
_i, _c, _n = sp.symbols("i c n", positive=True)
_PRICE = _c / _i * (1 - (1 + _i) ** (-_n)) + (1 + _i) ** (-_n)  # per 1 face, per-period rates


@pytest.mark.parametrize(
    ("y", "cpn", "mat"), [(0.04, 0.05, 10.0), (0.06, 0.02, 7.5), (0.045, 0.045, 30.0)]
)
def test_single_bond_matches_closed_form(y, cpn, mat):
    """Modified duration and convexity from cash flows = derivatives of the annuity formula."""
    subs = {_i: sp.Rational(str(y)) / 2, _c: sp.Rational(str(cpn)) / 2, _n: int(mat * 2)}
    p = _PRICE.subs(subs)
    d_mod = float((-sp.diff(_PRICE, _i) / _PRICE).subs(subs)) / 2  # years
    conv = float((sp.diff(_PRICE, _i, 2) / _PRICE).subs(subs)) / 4  # years^2
    # textbook Macaulay closed form (periods), then modified
    i, c, n = y / 2, cpn / 2, mat * 2
    mac = (1 + i) / i - (1 + i + n * (c - i)) / (c * ((1 + i) ** n - 1) + i)
    got_d, got_c = flat_duration_convexity(y, cpn, mat)
    assert price_flat(y, cpn, mat) == pytest.approx(float(p), abs=1e-12)
    assert got_d == pytest.approx(d_mod, abs=1e-10)
    assert got_d == pytest.approx(mac / (1 + i) / 2, abs=1e-10)
    assert got_c == pytest.approx(conv, abs=1e-10)


#: Central-difference truncation: -(P(y+δ) - P(y-δ)) / (2δP) = D_mod - δ² P'''/(6P) + O(δ⁴);
#: with i = y/2, d³P/dy³ = (1/8) d³P/di³. Per-period coupon c = i (a par bond on a coupon date).
_TRUNC = sp.lambdify(
    (_i, _n), (sp.diff(_PRICE, _i, 3) / _PRICE).subs(_c, _i) / 8 * BUMP**2 / 6, "numpy"
)


def test_effective_equals_modified_on_a_flat_curve():
    """A ladder of one bond at a flat curve: ±1 bp repricing reproduces D_mod and C."""
    y = 0.05
    spec = ModelSpec("X", "nominal", 10.0, 10.0, "equal")
    got = _model(spec, _flat(y))
    d, c = flat_duration_convexity(y, y, 10.0)  # par bond: coupon = flat yield
    assert got["duration"] == pytest.approx(d - _TRUNC(y / 2, 20), abs=1e-9)
    assert got["convexity"] == pytest.approx(c, abs=1e-3)
    # Σ KRD = D up to O(δ²) cross terms of the key-rate bumps
    assert sum(got[f"krd_{k}"] for k in KEY_LABELS) == pytest.approx(got["duration"], abs=1e-6)


def test_par_ladder_duration_independent():
    """Equal market value at 1.0, 1.5, ..., 30.5 y; par bonds at a flat 4.5 %.

    A par bond on a coupon date has modified duration (1 - (1 + y/2)^(-2m)) / y, so the
    ladder's duration is the mean of that over the 60 maturities.
    """
    y = 0.045
    spec = ModelSpec("L", "nominal", 0.75, 30.75, "equal")
    m, _w = ladder(spec)
    np.testing.assert_allclose(m, np.arange(1.0, 31.0, 0.5))
    expected = np.mean((1 - (1 + y / 2) ** (-2 * m)) / y - _TRUNC(y / 2, 2 * m))
    assert _model(spec, _flat(y))["duration"] == pytest.approx(expected, abs=1e-9)


def test_issuance_weights_by_hand():
    """Two original tenors 2 y (amount 3) and 10 y (amount 1): density 4 below 2 y, 1 above."""
    spec = ModelSpec(
        "I", "nominal", 1.0, 5.0, "issuance", issue_tenors=(2, 10), issue_amounts=(3, 1)
    )
    _m, w = ladder(spec, n=4)  # 1.5, 2.5, 3.5, 4.5
    np.testing.assert_allclose(w, np.array([4, 1, 1, 1]) / 7)


def test_call_horizon_works_out_to_the_horizon():
    """A 10-year bond with a 3-year yield-to-worst horizon prices like a 3-year bond."""
    curve = np.array([[0.03, 0.05]])
    called = _model(ModelSpec("C", "nominal", 10.0, 10.0, "equal", call_horizon=3.0), curve)
    short = _model(ModelSpec("S", "nominal", 3.0, 3.0, "equal"), curve)
    assert called == pytest.approx(short, abs=1e-12)


def test_mbs_pool_without_prepayment_is_a_level_annuity():
    """CPR 0, one 30-year pool, flat 5 %: rate solved to par, duration by repricing the annuity."""
    y = 0.05
    spec = ModelSpec("M", "nominal", 30.0, 30.0, "mbs", cpr=0.0)
    t = np.arange(1, 361) / 12

    def value(rate: float, dy: float = 0.0) -> float:
        pay = (rate / 12) / (1 - (1 + rate / 12) ** -360)
        return float((pay * (1 + (y + dy) / 2) ** (-2 * t)).sum())

    r = brentq(lambda x: value(x) - 1.0, 0.001, 0.2)
    expected = (value(r, -BUMP) - value(r, BUMP)) / (2 * BUMP)
    got = _model(spec, _flat(y))
    assert got["duration"] == pytest.approx(expected, abs=1e-6)
    fast = _model(ModelSpec("M", "nominal", 30.0, 30.0, "mbs", cpr=0.15), _flat(y))
    assert fast["duration"] < got["duration"]  # prepayments shorten the pool


def test_key_rate_shapes_sum_to_one_and_are_flat_at_the_ends():
    t = np.array([0.1, 2.0, 3.5, 5.0, 7.0, 10.0, 20.0, 30.0, 40.0])
    h = key_rate_shapes(t)
    np.testing.assert_allclose(h.sum(-1), 1.0)
    np.testing.assert_allclose(h[0], [1, 0, 0, 0])
    np.testing.assert_allclose(h[2], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(h[-1], [0, 0, 0, 1])


def test_spread_is_trailing_yield_minus_curve_at_average_maturity_floored():
    spec = ModelSpec("S", "nominal", 2.0, 4.0, "equal", spread_source="trailing_yield")
    curve = pd.Series({"DGS2": 0.04, "DGS5": 0.043})
    assert fund_spread(spec, 0.06, curve) == pytest.approx(0.06 - 0.041, abs=1e-12)  # avg 3 y
    assert fund_spread(spec, 0.03, curve) == 0.0
    with pytest.raises(InputError, match="ticker S"):
        fund_spread(spec, None, curve)


def test_blend_is_the_market_value_mix_of_its_parts():
    y = pd.DataFrame(
        {"DGS1": [3.0, 3.1], "DGS10": [4.0, 4.2], "DGS30": [4.5, 4.6]},
        index=pd.to_datetime(["2024-01-31", "2024-02-29"]),
    )
    a = ModelSpec("A", "nominal", 1.0, 5.0, "equal")
    b = ModelSpec("B", "nominal", 10.0, 20.0, "equal")
    ab = ModelSpec("AB", "nominal", np.nan, np.nan, "blend", components=(("A", 0.3), ("B", 0.7)))
    out = model_durations({"A": a, "B": b, "AB": ab}, y).set_index(["month", "ticker"])
    assert list(out.index.get_level_values("month").unique()) == ["2024-02", "2024-03"]
    for col in out.columns:
        mix = 0.3 * out.xs("A", level="ticker")[col] + 0.7 * out.xs("B", level="ticker")[col]
        np.testing.assert_allclose(out.xs("AB", level="ticker")[col], mix, rtol=1e-12)


def test_model_table_errors_name_row_and_ticker():
    table = pd.read_csv(DATA / "duration_model.csv", dtype=str, keep_default_na=False)
    specs = specs_from_frame(table)
    assert specs["HYG"].call_horizon == 5.0 and specs["MBB"].cpr == 0.06
    bad = table.copy()
    bad.loc[3, "curve"] = "euro"
    with pytest.raises(InputError, match=r"duration_model.csv.*row 5.*curve 'euro'"):
        specs_from_frame(bad)


def test_cross_check_bands():
    model = pd.Series({"IEF": 7.0, "HYG": 3.3, "BIL": 0.2, "LQD": 8.3})
    emp = pd.Series({"IEF": 5.4, "HYG": 1.9, "BIL": 0.1})
    group = pd.Series({"IEF": "treasury", "HYG": "hy_credit", "BIL": "cash", "LQD": "ig_credit"})
    out = duration_cross_check(model, emp, group).set_index("ticker")
    assert list(out.index) == ["BIL", "HYG", "IEF"]  # LQD has no empirical value
    assert out.loc["IEF", "band"] == pytest.approx(1.4)  # 20 % of 7.0
    assert out.loc["IEF", "flagged"]  # |5.4 - 7.0| = 1.6 > 1.4
    assert not out.loc["HYG", "flagged"]  # 1.4 <= 0.7 * 3.3
    assert out.loc["BIL", "band"] == 0.5 and not out.loc["BIL", "flagged"]


# ----------------------------------------------------------------------------- the demo data
def _demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    dur = pd.read_csv(DATA / "duration_monthly.csv")
    krd = pd.read_csv(DATA / "key_rate_durations_monthly.csv")
    return dur, krd


def test_demo_key_rates_sum_to_duration():
    dur, krd = _demo()
    total = krd.groupby(["month", "ticker"])["krd"].sum()
    d = dur.set_index(["month", "ticker"])["duration"].reindex(total.index)
    assert set(krd["tenor"]) == set(KEY_LABELS) and d.notna().all()
    assert (np.abs(total - d) <= 0.01 * d.abs()).all()


def test_demo_file_is_read_by_the_loader():
    dur, _ = _demo()
    assert list(dur.columns) == [
        "month", "ticker", "duration", "convexity", "empirical_duration", "method",
    ]  # fmt: skip
    panel = read_durations(DATA / "duration_monthly.csv", pd.Index(dur["ticker"].unique()))
    assert (
        panel.loc["2026-04-01", "TLT"]
        == dur.query("month == '2026-04' and ticker == 'TLT'")["duration"].item()
    )


#: Published effective durations, approximate recent ranges (issue 14; recalled, not looked up).
PUBLISHED = {
    "HYG": (2.9, 3.6),
    "JNK": (2.9, 3.6),
    "MUB": (5.8, 6.8),
    "VTEB": (5.8, 6.8),
    "VCIT": (5.9, 6.4),
    "LQD": (8.0, 8.6),
    "GOVT": (5.7, 6.3),
    "AGG": (5.7, 6.3),
    "BND": (5.7, 6.3),
    "TIP": (6.3, 7.0),
    "SCHP": (6.3, 7.0),
    "BNDX": (6.5, 7.3),
    "EMB": (6.5, 7.5),
}
#: Outside the range, reported rather than tuned (see data/PROVENANCE.md).
KNOWN_MISSES = {
    "BNDX": "priced on the US Treasury curve: no non-US curves in the data (6.14 < 6.5)",
    "EMB": "EM tenor mix recalled; spread from a distribution yield (7.60 > 7.5)",
}


@pytest.mark.parametrize(
    "ticker",
    [
        pytest.param(t, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[t]))
        if t in KNOWN_MISSES
        else t
        for t in PUBLISHED
    ],
)
def test_demo_model_durations_in_published_ranges(ticker):
    dur, _ = _demo()
    row = dur[(dur["month"] == "2026-04") & (dur["ticker"] == ticker)]
    lo, hi = PUBLISHED[ticker]
    assert lo <= row["duration"].item() <= hi


def test_cli_reproduces_the_demo_files(tmp_path, capsys):
    assert main(["durations", "model", "--data", str(DATA), "--out", str(tmp_path)]) == 0
    assert "method: model" in capsys.readouterr().out
    for name in ("duration_monthly.csv", "key_rate_durations_monthly.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()
