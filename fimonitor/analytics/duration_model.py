"""Analytic fund durations from index rules: bond ladders priced on the Treasury curve.

Each fund is modelled as a portfolio of bonds laddered over its index's maturity range with
its index's weighting (one row of ``duration_model.csv``), every bond paying coupons at the
prevailing yield (priced at par on the pricing date), discounted on the month's Treasury
curve (nominal ``DGS*``, or TIPS real ``DFII*``) plus a constant spread. The fund's
effective duration, convexity and key-rate durations come from repricing the whole ladder
under ±1 bp shifts of the curve.

Method
------
Curve. For month ``M`` the curve of the last date of ``M-1`` (each FRED series forward-filled
across missing days) is used, so a value uses no data dated in or after ``M`` (the same
timing as :mod:`fimonitor.analytics.empirical_duration`). The constant-maturity yields are
used as zero rates (semiannual compounding), linear in maturity between FRED tenors and flat
beyond the shortest and longest one: ``DF(t) = (1 + (z(t) + s) / 2) ** (-2 t)``. Treating par
yields as zero rates is an approximation (a few bp at these slopes) that does not move
durations by more than ~0.01 y.

Bonds. A bullet of remaining maturity ``m`` pays ``c/2`` at ``m, m-0.5, ... > 0`` and 1 at
``m``; its coupon ``c = 2 (1 - DF(m)) / Σ DF(t_j)`` makes its dirty price exactly 1 (par).
Bills (``m < 0.5``) are one payment. A callable high-yield bond is worked out to the call
horizon ``H``: its maturity is replaced by ``min(m, H)`` (yield-to-worst horizon). An MBS
pool is a level-pay 30-year mortgage with a constant prepayment rate: monthly cash flows
``r/12 · B_{k-1} + (B_{k-1} - B_k)`` with ``B_k = B^s_k (1 - SMM)^k``, ``B^s`` the
scheduled balance and ``SMM = 1 - (1 - CPR)^(1/12)``; its rate ``r`` is solved (Newton
steps) so the pool prices at par.

Ladder weights (market value; every bond is at par so face = market value), per maturity
``m`` on an even grid of ``[min_maturity, max_maturity]``:

* ``equal``: the same market value at every maturity;
* ``issuance``: the outstanding stock of bonds issued at original tenors ``T_i`` with annual
  amounts ``a_i`` and seasoned uniformly, ``w(m) ∝ Σ_i a_i 1[m < T_i]``;
* ``mbs``: vintages of 30-year pools issued evenly over time, surviving at the constant
  prepayment rate, ``w(m) ∝ (1 - CPR)^(30 - m)``;
* ``blend``: a market-value mix of other rows (``components``, e.g. ``GOVT:0.45;MBB:0.27``);
  duration, convexity and key-rate durations of a portfolio are the market-value-weighted
  sums of its parts, exactly.

Spread (``spread_source``): ``trailing_yield`` = the fund's trailing yield in
``etf_meta.csv`` minus the Treasury yield at the ladder's market-value-weighted average
maturity on the last curve date on or before the snapshot, floored at 0, held constant over
all months; ``none`` = 0.

Sensitivities, with ``V(Δz)`` the ladder's value under a shift ``Δz(t)`` and ``δ = 1 bp``:

* effective duration ``D = (V(-δ) - V(+δ)) / (2 δ V0)`` (years);
* convexity ``C = (V(+δ) + V(-δ) - 2 V0) / (δ² V0)`` (years², so that
  ``ΔV/V ≈ -D Δy + ½ C Δy²`` with ``Δy`` in decimal);
* key-rate duration ``KRD_k = (V(-δ h_k) - V(+δ h_k)) / (2 δ V0)`` with triangular shifts
  ``h_k(t)`` on the grid 2, 5, 10, 30 y (``h_2y = 1`` below 2 y, ``h_30y = 1`` beyond 30 y).
  The ``h_k`` sum to 1 at every ``t``, so ``Σ_k KRD_k = D`` up to O(δ²) terms.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.analytics.empirical_duration import NOMINAL_TENORS, REAL_TENORS
from fimonitor.errors import InputError

logger = logging.getLogger(__name__)

#: Key-rate grid (years) and its labels.
KEY_TENORS: tuple[float, ...] = (2.0, 5.0, 10.0, 30.0)
KEY_LABELS: tuple[str, ...] = ("2y", "5y", "10y", "30y")
BUMP = 1e-4  # 1 bp, decimal yield
N_BONDS = 60  # ladder points per fund
FREQ = 2  # semiannual coupons
METHOD_LABEL = "model"
WEIGHTINGS = ("equal", "issuance", "mbs", "blend")
CURVES = ("nominal", "real")


@dataclass(frozen=True)
class ModelSpec:
    """One row of ``duration_model.csv`` (maturities in years, yields/spreads decimal).

    Attributes
    ----------
    ticker : str
        Fund ticker, or a component name used only inside a ``blend``.
    curve : {"nominal", "real"}
        Treasury curve the ladder is priced on.
    min_maturity, max_maturity : float
        Remaining-maturity range of the index, years.
    weighting : {"equal", "issuance", "mbs", "blend"}
        Market-value weighting along the ladder (see the module docstring).
    spread_source : {"none", "trailing_yield"}
        Where the spread over the curve comes from.
    issue_tenors, issue_amounts : tuple of float
        Original tenors and annual amounts for ``issuance`` weighting.
    call_horizon : float or None
        Yield-to-worst horizon, years (``maturity -> min(maturity, call_horizon)``).
    cpr : float or None
        Constant annual prepayment rate for ``mbs`` (fraction).
    components : tuple of (str, float)
        ``blend`` parts and their market-value weights (sum 1).
    """

    ticker: str
    curve: str
    min_maturity: float
    max_maturity: float
    weighting: str
    spread_source: str = "none"
    issue_tenors: tuple[float, ...] = ()
    issue_amounts: tuple[float, ...] = ()
    call_horizon: float | None = None
    cpr: float | None = None
    components: tuple[tuple[str, float], ...] = ()


# ----------------------------------------------------------------------------- bond math


def bond_cashflows(
    maturity: np.ndarray, coupon: np.ndarray, freq: int = FREQ
) -> tuple[np.ndarray, np.ndarray]:
    """Cash-flow times and amounts of bullets (per 1 face), padded with zero flows.

    Parameters
    ----------
    maturity : array (..., B)
        Remaining maturities, years (> 0).
    coupon : array broadcastable to maturity
        Annual coupon rates, decimal, paid ``freq`` times a year.
    freq : int
        Coupons per year.

    Returns
    -------
    times, flows : arrays (..., B, K)
        ``t_j = maturity - j / freq`` for ``j = 0..K-1`` (flows 0 where ``t_j <= 0``);
        flow ``coupon / freq`` at every ``t_j > 0`` plus 1 at ``maturity``.
    """
    maturity = np.asarray(maturity, dtype=float)
    k = int(np.ceil(np.max(maturity) * freq - 1e-9)) + 1
    j = np.arange(k)
    times = maturity[..., None] - j / freq
    alive = times > 1e-9
    cpn = np.broadcast_to(np.asarray(coupon, dtype=float), maturity.shape)[..., None] / freq
    flows = np.where(alive, cpn, 0.0)
    flows[..., 0] += 1.0
    return np.where(alive, times, 0.0), flows


def price_flat(y: float, coupon: float, maturity: float, freq: int = FREQ) -> float:
    """Dirty price per 1 face of a bullet at a flat yield ``y`` (decimal, ``freq`` compounding)."""
    t, f = bond_cashflows(np.array([maturity]), np.array([coupon]), freq)
    return float(np.sum(f * (1 + y / freq) ** (-freq * t)))


def flat_duration_convexity(
    y: float, coupon: float, maturity: float, freq: int = FREQ
) -> tuple[float, float]:
    """Return modified duration and convexity of a bullet at a flat yield, from its cash flows.

    Returns
    -------
    (float, float)
        ``D_mod = Σ t CF v^t / (P (1 + y/f))`` (years) and
        ``C = Σ t (t + 1/f) CF v^t / (P (1 + y/f)²)`` (years²), ``v^t = (1 + y/f)^(-f t)``.
    """
    t, f = bond_cashflows(np.array([maturity]), np.array([coupon]), freq)
    pv = f * (1 + y / freq) ** (-freq * t)
    p = pv.sum()
    g = 1 + y / freq
    return float((t * pv).sum() / (p * g)), float((t * (t + 1 / freq) * pv).sum() / (p * g * g))


def interp_weights(t: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Linear-interpolation weights of ``t`` on ``nodes`` (flat outside): shape t.shape + (J,)."""
    eye = np.eye(len(nodes))
    flat = np.asarray(t, dtype=float).ravel()
    w = np.stack([np.interp(flat, nodes, eye[j]) for j in range(len(nodes))], axis=-1)
    return w.reshape(*np.shape(t), len(nodes))


def key_rate_shapes(t: np.ndarray) -> np.ndarray:
    """Triangular key-rate shifts ``h_k(t)`` on :data:`KEY_TENORS`: shape t.shape + (4,)."""
    return interp_weights(t, np.asarray(KEY_TENORS))


def _discount(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (1 + z / FREQ) ** (-FREQ * t)


def _mbs_flows(term: np.ndarray, rate: np.ndarray, cpr: float) -> tuple[np.ndarray, np.ndarray]:
    """Monthly cash flows of level-pay pools (per 1 balance): times (B, K) and flows (M, B, K)."""
    n = np.round(term * 12).astype(int)
    k = np.arange(1, n.max() + 1)
    times = np.broadcast_to(k / 12.0, (len(term), len(k)))
    alive = k[None, :] <= n[:, None]
    r = rate[..., None] / 12.0  # (M, B, 1)
    smm = 1 - (1 - cpr) ** (1 / 12)
    nn = n[None, :, None]

    def bal(kk):
        sched = (1 - (1 + r) ** (-(nn - kk))) / (1 - (1 + r) ** (-nn))
        return np.clip(sched, 0, None) * (1 - smm) ** kk

    b_prev, b_now = bal(k - 1), bal(k)
    flows = np.where(alive[None], r * b_prev + (b_prev - b_now), 0.0)
    return np.where(alive, times, 0.0), flows


# ----------------------------------------------------------------------------- ladders


def ladder(spec: ModelSpec, n: int = N_BONDS) -> tuple[np.ndarray, np.ndarray]:
    """Remaining maturities (midpoints of ``n`` equal cells) and market-value weights (sum 1)."""
    lo, hi = spec.min_maturity, spec.max_maturity
    m = lo + (np.arange(n) + 0.5) * (hi - lo) / n
    if spec.weighting == "equal":
        w = np.ones(n)
    elif spec.weighting == "issuance":
        tenors = np.asarray(spec.issue_tenors, dtype=float)
        w = (np.asarray(spec.issue_amounts, dtype=float)[None, :] * (m[:, None] < tenors)).sum(1)
    elif spec.weighting == "mbs":
        w = (1 - float(spec.cpr)) ** (30.0 - m)
    else:
        raise InputError(f"weighting {spec.weighting!r} has no ladder", ticker=spec.ticker)
    if w.sum() <= 0:
        raise InputError("ladder has no weight in its maturity range", ticker=spec.ticker)
    return m, w / w.sum()


def ladder_values(
    spec: ModelSpec, curve: np.ndarray, nodes: np.ndarray, spread: float, shifts: np.ndarray
) -> np.ndarray:
    """Ladder value per month under each curve shift, relative to the unshifted value.

    Parameters
    ----------
    spec : ModelSpec
        A non-blend row.
    curve : array (M, J)
        Zero rates (decimal) at ``nodes`` per month.
    nodes : array (J,)
        Curve maturities, years.
    spread : float
        Constant spread (decimal) over the curve.
    shifts : array (S, 4)
        Key-rate bumps (decimal) per scenario; the curve moves by ``Σ_k shifts[s, k] h_k(t)``.

    Returns
    -------
    array (M, S)
        ``V_s / V_0`` with the bonds' coupons (or pool rates) fixed at par on the base curve.
    """
    m, w = ladder(spec)
    nj = len(nodes)
    if spec.weighting == "mbs":
        t, flows = _mbs_setup(m, curve, nodes, spread, float(spec.cpr))
    else:
        mat = np.minimum(m, spec.call_horizon) if spec.call_horizon else m
        t, unit = bond_cashflows(mat, np.zeros_like(mat))
    alive = t > 0
    z = (curve @ interp_weights(t, nodes).reshape(-1, nj).T).reshape(len(curve), *t.shape)
    if spec.weighting != "mbs":
        df0 = _discount(z + spread, t) * alive
        coupon = FREQ * (1 - (df0 * unit).sum(-1)) / df0.sum(-1)  # par coupon (M, B)
        flows = unit[None] + alive[None] * coupon[..., None] / FREQ
    h = key_rate_shapes(t)  # (B, K, 4)
    dz = np.einsum("bkq,sq->sbk", h, shifts)  # (S, B, K)
    df = _discount(z[:, None] + spread + dz[None], t) * alive  # (M, S, B, K)
    px = (df * flows[:, None]).sum(-1)  # (M, S, B)
    base = (_discount(z + spread, t) * alive * flows).sum(-1)  # (M, B)
    return (px / base[:, None] * w).sum(-1)


def _mbs_setup(m, curve, nodes, spread, cpr, steps: int = 6):
    """Pool rates solved to par on the base curve; returns times (B, K) and flows (M, B, K)."""
    t0, _ = _mbs_flows(m, np.full((1, len(m)), 0.05), cpr)
    z = (curve @ interp_weights(t0, nodes).reshape(-1, len(nodes)).T).reshape(len(curve), *t0.shape)
    df = _discount(z + spread, t0) * (t0 > 0)
    rate = np.full((len(curve), len(m)), 0.05)
    for _ in range(steps):  # Newton on price(rate) = 1; price' ≈ Σ B_{k-1}/12 DF_k
        _, fl = _mbs_flows(m, rate, cpr)
        p = (fl * df).sum(-1)
        _, fl_up = _mbs_flows(m, rate + 1e-6, cpr)
        rate = rate - (p - 1) / (((fl_up * df).sum(-1) - p) / 1e-6)
    _, flows = _mbs_flows(m, rate, cpr)
    return t0, flows


def _months_per_chunk(spec: ModelSpec, n_shifts: int, budget: int = 2_000_000) -> int:
    """Months per ladder_values call so that one (M, S, B, K) array stays under ``budget``."""
    if spec.weighting == "mbs":
        flows = round(spec.max_maturity * 12)
    else:
        flows = int(np.ceil(min(spec.max_maturity, spec.call_horizon or np.inf) * FREQ)) + 1
    return max(1, budget // (n_shifts * N_BONDS * max(flows, 1)))


def sensitivities(values: np.ndarray, bump: float = BUMP) -> dict[str, np.ndarray]:
    """Duration, convexity and KRDs from values under the standard shift set (see shift_set)."""
    d = (values[:, 1] - values[:, 0]) / (2 * bump)
    c = (values[:, 0] + values[:, 1] - 2.0) / bump**2
    krd = (values[:, 3::2] - values[:, 2::2]) / (2 * bump)
    out = {"duration": d, "convexity": c}
    out.update({f"krd_{lab}": krd[:, i] for i, lab in enumerate(KEY_LABELS)})
    return out


def shift_set(bump: float = BUMP) -> np.ndarray:
    """Scenarios: parallel +δ, -δ, then for each key rate +δ h_k, -δ h_k: shape (10, 4)."""
    rows = [np.full(4, bump), np.full(4, -bump)]
    for k in range(4):
        e = np.zeros(4)
        e[k] = bump
        rows += [e, -e]
    return np.array(rows)


# ----------------------------------------------------------------------------- funds


def month_end_curves(yields: pd.DataFrame, tenors: Mapping[str, float]) -> pd.DataFrame:
    """Month ``M`` -> the curve (decimal) on the last date of ``M-1``, series forward-filled.

    Returns a frame indexed by Period['M'] with columns sorted by maturity.
    """
    cols = sorted((c for c in tenors if c in yields.columns), key=tenors.get)
    if not cols:
        raise InputError(f"no yield series among {sorted(tenors)}", file="treasury_yields.csv")
    cv = yields[cols].astype(float).sort_index().ffill().dropna(how="any")
    last = cv.groupby(cv.index.to_period("M")).tail(1)
    last.index = last.index.to_period("M") + 1
    return last / 100.0


def fund_spread(
    spec: ModelSpec, trailing_yield: float | None, curve_at_snapshot: pd.Series
) -> float:
    """Spread (decimal) of a ladder: trailing yield minus the curve at its average maturity, ≥ 0.

    ``curve_at_snapshot`` is one curve (decimal) indexed by series name; only used for
    ``spread_source == "trailing_yield"``.
    """
    if spec.spread_source == "none":
        return 0.0
    if trailing_yield is None or not np.isfinite(trailing_yield):
        raise InputError("spread_source trailing_yield but no trailing_yield", ticker=spec.ticker)
    m, w = ladder(spec)
    tenors = NOMINAL_TENORS if spec.curve == "nominal" else REAL_TENORS
    nodes = np.array([tenors[c] for c in curve_at_snapshot.index])
    avg = float((np.minimum(m, spec.call_horizon or np.inf) * w).sum())
    return max(
        float(trailing_yield) - float(np.interp(avg, nodes, curve_at_snapshot.to_numpy())), 0.0
    )


def model_durations(
    specs: Mapping[str, ModelSpec],
    nominal: pd.DataFrame,
    real: pd.DataFrame | None = None,
    *,
    spreads: Mapping[str, float] | None = None,
    months: pd.PeriodIndex | None = None,
) -> pd.DataFrame:
    """Monthly model duration, convexity and key-rate durations for every spec.

    Parameters
    ----------
    specs : mapping
        name -> ModelSpec (blend components must be present).
    nominal, real : DataFrame
        date x FRED series, percent (``DGS*``; ``DFII*`` needed for ``curve="real"``).
    spreads : mapping, optional
        name -> spread (decimal); missing names get 0.
    months : PeriodIndex, optional
        Months to report (default: every month with a curve on the last date of the month
        before).

    Returns
    -------
    DataFrame
        ``month`` (YYYY-MM), ``ticker``, ``duration`` (y), ``convexity`` (y²),
        ``krd_2y .. krd_30y`` (y), one row per month and spec (blend components included).
    """
    spreads = spreads or {}
    curves = {"nominal": (month_end_curves(nominal, NOMINAL_TENORS), NOMINAL_TENORS)}
    if any(s.curve == "real" for s in specs.values()):
        if real is None:
            raise InputError("TIPS real yields (DFII*) are needed for curve=real rows")
        curves["real"] = (month_end_curves(real, REAL_TENORS), REAL_TENORS)
    if months is None:
        months = curves["nominal"][0].index
    shifts = shift_set()
    results: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():  # a handful of funds; each is vectorised over months x bonds
        if spec.weighting == "blend":
            continue
        cv, tenors = curves[spec.curve]
        cv = cv.reindex(months)
        ok = cv.notna().all(axis=1).to_numpy()
        nodes = np.array([tenors[c] for c in cv.columns])
        vals = np.full((len(months), len(shifts)), np.nan)
        rows = np.flatnonzero(ok)
        step = _months_per_chunk(spec, len(shifts))
        for i in range(0, len(rows), step):  # bounded memory: (months, scenarios, bonds, flows)
            r = rows[i : i + step]
            vals[r] = ladder_values(spec, cv.to_numpy()[r], nodes, spreads.get(name, 0.0), shifts)
        results[name] = pd.DataFrame(sensitivities(vals), index=months)
    for name, spec in specs.items():
        if spec.weighting != "blend":
            continue
        missing = [c for c, _ in spec.components if c not in results]
        if missing:
            raise InputError(f"blend component(s) {', '.join(missing)} not modelled", ticker=name)
        results[name] = sum(results[c] * w for c, w in spec.components)
    long = pd.concat(results, names=["ticker", "month"]).reset_index().dropna()
    long["month"] = long["month"].astype(str)
    cols = ["month", "ticker", "duration", "convexity", *[f"krd_{k}" for k in KEY_LABELS]]
    return long[cols].sort_values(["month", "ticker"], kind="stable").reset_index(drop=True)
