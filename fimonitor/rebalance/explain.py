"""Why POST_CONS trades what it trades: reason codes per order and the binding-constraint report.

Reason codes (one per order):

- ``to_benchmark``: the ticker lands on its benchmark weight (within one share).
- ``cap:max_single_name_weight``: held down by the single-name cap.
- ``group_cap:<group>``: held down by that group's cap.
- ``floor:min_cash``: held up by the minimum cash (CASH + cash proxies).
- ``band:duration``: moved off benchmark to keep the duration within the band.
- ``turnover``: the trade is cut short by the turnover limit.
- ``residual``: no constraint acts on the ticker and the trade moves it *away* from its
  benchmark weight: it only absorbs weight freed by the constraints above (the budget
  Σw = 1). A trade that brings an unconstrained ticker closer to benchmark is
  ``to_benchmark``, except for a name the benchmark does not hold that keeps more than one
  share: ``residual: weight freed by limits`` (it keeps weight the binding limits free).

The code is the constraint whose term is largest in ticker i's optimality condition
``2(w_i − b_i) = −Σ_k λ_k·a_ki − ν + μ_i`` (λ the constraint duals, a_ki the constraint's
coefficient on ticker i, ν the budget dual, μ_i the non-negativity dual).

Binding report: each constraint with a positive dual in POST_CONS, with its dual value
(objective units: squared weight per unit of the bound) and what it costs — the change in
total absolute active weight Σ|w − b| (CASH included) and in |duration gap| between POST_CONS
and the same problem solved without that constraint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.rebalance.optimizer import DUAL_TOL, ConstrainedResult, Limits, ScenarioBook

BINDING_COLUMNS = ["constraint", "bound", "dual", "cost_active_weight", "cost_duration_gap", "text"]
RESIDUAL_OUTSIDE = "residual: weight freed by limits"
MAX_NAMED_CAPS = 8  # binding single-name caps costed one by one; more are costed together


def _dual(duals: dict, key: str):
    v = duals.get(key)
    return None if v is None else np.asarray(v, dtype=float)


def order_reasons(book: ScenarioBook, result: ConstrainedResult, limits: Limits) -> np.ndarray:
    """Reason code per ticker for POST_CONS (meaningful where the ticker trades)."""
    n = book.n
    w = result.weights
    reasons = np.full(n, "residual", dtype=object)
    if w is None:
        return reasons
    duals = result.duals
    pushes: dict[str, np.ndarray] = {}
    hi = _dual(duals, "hi")
    if hi is not None and limits.max_single_name_weight is not None:
        at_cap = book.capped & ~result.fixed & (w >= limits.max_single_name_weight - 1e-6)
        pushes["cap:max_single_name_weight"] = np.where(at_cap, hi, 0.0)
    g = _dual(duals, "group_caps")
    if g is not None:
        qp = result.qp
        for k, name in enumerate(qp.group_names):
            pushes[f"group_cap:{name}"] = np.where(book.groups == name, g[k], 0.0)
    fl = _dual(duals, "min_cash_weight")
    if fl is not None:
        pushes["floor:min_cash"] = np.where(book.cash_set, float(fl), 0.0)
    up, lo = _dual(duals, "duration_band:upper"), _dual(duals, "duration_band:lower")
    if up is not None:
        pushes["band:duration"] = (float(up) + float(lo)) * np.abs(book.duration)
    t = _dual(duals, "max_turnover")
    if t is not None:
        trade = np.abs(w * result.value_post - book.notional)
        pushes["turnover"] = np.where(book.traded & (trade > 1e-9 * book.value), float(t), 0.0)
    if pushes:
        names = list(pushes)
        mat = np.vstack([pushes[k] for k in names])
        best = mat.argmax(axis=0)
        strength = mat.max(axis=0)
        reasons = np.where(strength > DUAL_TOL, np.asarray(names, dtype=object)[best], reasons)
    one_share = np.maximum(book.prices / result.value_post, 1e-6)
    on_bm = np.abs(w - book.benchmark) <= one_share
    # no constraint pushes this ticker: a trade that brings it closer to its benchmark weight
    # is a to_benchmark trade (the budget spill-over only stops it short)
    pre = book.notional / result.value_post
    closer = np.abs(w - book.benchmark) < np.abs(pre - book.benchmark)
    outside = book.benchmark <= 0  # a name the benchmark does not hold
    out = np.where(on_bm | ((reasons == "residual") & closer & ~outside), "to_benchmark", reasons)
    # a name outside the benchmark that keeps more than one share is not "to_benchmark": it
    # holds weight the binding limits free (the budget), and says so
    return np.where(outside & ~on_bm & (out == "residual"), RESIDUAL_OUTSIDE, out)


def _pct(x: float) -> str:
    return f"{x * 100:g} %"


def _measure(book: ScenarioBook, w: np.ndarray) -> tuple[float, float]:
    """(Σ|w − b| incl. CASH, |duration gap| in years)."""
    return (
        float(np.abs(w - book.benchmark).sum()),
        float(abs(w @ book.duration - book.benchmark_duration)),
    )


def binding_report(book: ScenarioBook, result: ConstrainedResult, limits: Limits) -> pd.DataFrame:
    """Binding constraints of POST_CONS with duals and costs (BINDING_COLUMNS)."""
    if result.weights is None:
        return pd.DataFrame(columns=BINDING_COLUMNS)
    w, duals, qp = result.weights, result.duals, result.qp
    aw0, gap0 = _measure(book, w)
    rows = []

    def cost(lim: Limits, hi: np.ndarray | None = None) -> tuple[float, float]:
        sol = qp.solve(lim, result.lo, result.hi if hi is None else hi, result.value_post)
        if sol.weights is None or sol.status != "optimal":
            return np.nan, np.nan
        aw, gap = _measure(book, sol.weights)
        return aw0 - aw, gap0 - gap

    def add(
        name: str, bound: float, dual: float, what: str, lim: Limits, hi: np.ndarray | None = None
    ) -> None:
        c_aw, c_gap = cost(lim, hi)
        if np.isnan(c_aw):
            text = f"{what} binds (dual {dual:.3g}); its cost could not be measured"
        else:
            gap_words = (
                f"adds {c_gap:.2f} years of duration gap"
                if c_gap >= 0
                else f"narrows the duration gap by {-c_gap:.2f} years"
            )
            text = f"{what} costs {c_aw * 100:.2f} points of active weight and {gap_words}"
        rows.append(
            {
                "constraint": name,
                "bound": bound,
                "dual": dual,
                "cost_active_weight": c_aw,
                "cost_duration_gap": c_gap,
                "text": text,
            }
        )

    cap = limits.max_single_name_weight
    hi_d = _dual(duals, "hi")
    if cap is not None and hi_d is not None:
        at = book.capped & ~result.fixed & (w >= cap - 1e-6) & (hi_d > DUAL_TOL)
        idx = np.flatnonzero(at)
        no_cap = limits.without("max_single_name_weight")
        if 0 < idx.size <= MAX_NAMED_CAPS:
            for i in idx:
                hi = result.hi.copy()
                hi[i] = 1.0
                add(
                    f"max_single_name_weight:{book.tickers[i]}",
                    cap,
                    float(hi_d[i]),
                    f"the {_pct(cap)} single-name cap on {book.tickers[i]}",
                    no_cap,
                    hi,
                )
        elif idx.size:
            hi = result.hi.copy()
            hi[book.capped & ~result.fixed] = 1.0
            add(
                "max_single_name_weight",
                cap,
                float(hi_d[idx].sum()),
                f"the {_pct(cap)} single-name cap (binding on {idx.size} names)",
                no_cap,
                hi,
            )
    fl = _dual(duals, "min_cash_weight")
    if fl is not None and float(fl) > DUAL_TOL:
        add(
            "min_cash_weight",
            limits.min_cash_weight,
            float(fl),
            f"the {_pct(limits.min_cash_weight)} minimum cash",
            limits.without("min_cash_weight"),
        )
    for side in ("upper", "lower"):
        d = _dual(duals, f"duration_band:{side}")
        if d is not None and float(d) > DUAL_TOL:
            add(
                f"duration_band:{side}",
                limits.duration_band,
                float(d),
                f"the ±{limits.duration_band:g}-year duration band ({side} edge)",
                limits.without("duration_band"),
            )
    g = _dual(duals, "group_caps")
    if g is not None:
        for k, name in enumerate(qp.group_names):
            if g[k] > DUAL_TOL:
                capg = limits.group_caps[name]
                add(
                    f"group_cap:{name}",
                    capg,
                    float(g[k]),
                    f"the {_pct(capg)} {name} cap",
                    limits.without(f"group_cap:{name}"),
                )
    t = _dual(duals, "max_turnover")
    if t is not None and float(t) > DUAL_TOL:
        add(
            "max_turnover",
            limits.max_turnover,
            float(t),
            f"the {_pct(limits.max_turnover)} turnover limit",
            limits.without("max_turnover"),
        )
    return pd.DataFrame(rows, columns=BINDING_COLUMNS)
