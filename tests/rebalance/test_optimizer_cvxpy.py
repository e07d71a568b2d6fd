"""POST_CONS through Clarabel directly vs the same QP written in cvxpy (a test-only peer).

The cvxpy model below is the formulation fimonitor 0.2 shipped (cvxpy Parameters, CLARABEL
with the same gap tolerances). Weights and every constraint family's duals must agree to
1e-6, statuses must agree (an infeasible book included), and the constraint families that
``rebalance/explain.py`` names from the duals must be the same whichever solver gave them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from helpers.rebalance import frame, random_frame

from fimonitor.rebalance import optimizer
from fimonitor.rebalance.explain import binding_report, order_reasons
from fimonitor.rebalance.infeasible import diagnose_infeasible, phase_one
from fimonitor.rebalance.optimizer import (
    BIG_BAND,
    CLARABEL_OPTIONS,
    Limits,
    ScenarioBook,
    solve_constrained,
)
from fimonitor.rebalance.scenarios import book_from_positions

HAND = [
    ("A", "treasury", False, 100, 100.0, 0.5, 6.0),
    ("B", "ig_credit", False, 0, 50.0, 0.3, 8.0),
    ("C", "hy_credit", False, 200, 30.0, 0.2, 4.0),
]


def cvxpy_solve(book: ScenarioBook, limits: Limits, lo, hi, value_post: float, compiled=None):
    """(status, weights, duals) of the QP in cvxpy; ``compiled`` lists the families built."""
    compiled = compiled or limits
    n, b, d = book.n, book.benchmark, book.duration
    w = cp.Variable(n)
    cons = {"lo": w >= lo, "hi": w <= hi, "budget": cp.sum(w) == 1}
    if compiled.min_cash_weight is not None:
        m = limits.min_cash_weight
        cons["min_cash_weight"] = book.cash_set.astype(float) @ w >= (0.0 if m is None else m)
    if compiled.duration_band is not None:
        band = BIG_BAND if limits.duration_band is None else limits.duration_band
        db = book.benchmark_duration
        cons["duration_band:upper"] = d @ w - db <= band
        cons["duration_band:lower"] = db - d @ w <= band
    groups = [g for g in compiled.group_caps if np.any(book.groups == g)]
    if groups:
        gmat = np.vstack([(book.groups == g).astype(float) for g in groups])
        caps = np.array([limits.group_caps.get(g, 2.0) for g in groups])
        cons["group_caps"] = gmat @ w <= caps
    if compiled.max_turnover is not None:
        tr = np.flatnonzero(book.traded)
        t = limits.max_turnover
        tcap = (4.0 if t is None else t) * book.value / value_post
        cons["max_turnover"] = cp.norm1(w[tr] - book.notional[tr] / value_post) <= tcap
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w - b)), list(cons.values()))
    prob.solve(solver=cp.CLARABEL, **CLARABEL_OPTIONS)
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return prob.status, None, {}
    duals = {k: np.asarray(c.dual_value, dtype=float) for k, c in cons.items()}
    return prob.status, np.asarray(w.value), duals


def hand_book():
    return book_from_positions(frame(HAND, cash=4000.0))


ALL = Limits(
    max_single_name_weight=0.3,
    min_cash_weight=0.04,
    duration_band=0.2,
    group_caps={"hy_credit": 0.1, "mbs": 0.15},
    max_turnover=0.35,
)
CASES = [
    ("hand_cap", hand_book, Limits(max_single_name_weight=0.4)),
    ("hand_floor_group", hand_book, Limits(min_cash_weight=0.05, group_caps={"hy_credit": 0.1})),
    ("hand_band", hand_book, Limits(duration_band=0.1, max_single_name_weight=0.45)),
    (
        "hand_band_upper",
        hand_book,
        Limits(group_caps={"hy_credit": 0.05}, duration_band=0.02),
    ),
    ("rand12_all", lambda: book_from_positions(random_frame(12, 3)), ALL),
    ("rand30_all", lambda: book_from_positions(random_frame(30, 7)), ALL),
    (
        "rand40_turnover",
        lambda: book_from_positions(random_frame(40, 11)),
        Limits(max_turnover=0.1, duration_band=0.3, group_caps={"treasury": 0.2}),
    ),
    ("hand_infeasible", hand_book, Limits(max_single_name_weight=0.1, duration_band=0.25)),
]


@pytest.mark.parametrize("name,make,lim", CASES, ids=[c[0] for c in CASES])
def test_clarabel_matches_cvxpy(name, make, lim):
    book = make()
    res = solve_constrained(book, lim)
    status, w, duals = cvxpy_solve(book, lim, res.lo, res.hi, res.value_post)
    if name.endswith("infeasible"):
        assert res.status == "infeasible" and status == cp.INFEASIBLE
        return
    assert res.status == "optimal" and status == cp.OPTIMAL
    np.testing.assert_allclose(res.weights, w, atol=1e-6)
    assert set(res.duals) == set(duals)
    for k, v in duals.items():
        np.testing.assert_allclose(res.duals[k], v, atol=1e-6, err_msg=k)
        assert np.shape(res.duals[k]) == np.shape(v), k


@pytest.mark.parametrize("name,make,lim", CASES[:-1], ids=[c[0] for c in CASES[:-1]])
def test_relaxed_resolves_match_cvxpy(name, make, lim):
    # the binding-cost re-solves drop one family at a time from the compiled problem
    book = make()
    res = solve_constrained(book, lim)
    for fam in lim.families():
        sub = lim.without(fam)
        sol = res.qp.solve(sub, res.lo, res.hi, res.value_post)
        status, w, _ = cvxpy_solve(book, sub, res.lo, res.hi, res.value_post, compiled=lim)
        assert sol.solver_status == status, fam
        if w is not None:
            np.testing.assert_allclose(sol.weights, w, atol=1e-6, err_msg=fam)


@pytest.mark.parametrize("name,make,lim", CASES[:-1], ids=[c[0] for c in CASES[:-1]])
def test_explained_families_unchanged(name, make, lim):
    # the same reason codes and binding rows whether the duals come from cvxpy or Clarabel
    book = make()
    res = solve_constrained(book, lim)
    _, _, duals = cvxpy_solve(book, lim, res.lo, res.hi, res.value_post)
    ref = replace(res, duals=duals)
    assert list(order_reasons(book, res, lim)) == list(order_reasons(book, ref, lim))
    ours, theirs = binding_report(book, res, lim), binding_report(book, ref, lim)
    assert list(ours["constraint"]) == list(theirs["constraint"])
    assert len(ours) > 0


def test_binding_families_on_the_test_books():
    # what explain.py names on the books above (fixed here so a sign flip cannot pass)
    book = hand_book()
    lim = Limits(min_cash_weight=0.05, group_caps={"hy_credit": 0.1})
    res = solve_constrained(book, lim)
    assert list(binding_report(book, res, lim)["constraint"]) == [
        "min_cash_weight",
        "group_cap:hy_credit",
    ]
    assert res.duals["min_cash_weight"] > 0 and res.duals["group_caps"][0] > 0
    # budget dual: stationarity 2(w - b) + nu = 0 on an unconstrained ticker
    free = 1  # B: neither capped nor at a bound
    assert float(res.duals["budget"]) == pytest.approx(
        -2 * (res.weights[free] - book.benchmark[free]), abs=1e-7
    )


def test_phase_one_names_match_cvxpy():
    # two separate conflicts: the slack LP in Clarabel vs the same LP in cvxpy
    book = hand_book()
    lim = Limits(
        max_single_name_weight=0.1, duration_band=0.25, group_caps={"cash": 0.5}, max_turnover=0.0
    )
    res = solve_constrained(book, lim)
    assert res.status == "infeasible"
    names, _ = diagnose_infeasible(res, lim)
    w = cp.Variable(book.n, nonneg=True)
    s = {k: cp.Variable(nonneg=True) for k in ("cap", "band", "cash", "turn")}
    gap = book.duration @ w - book.benchmark_duration
    tr = cp.norm1(w[book.traded] * res.value_post - book.notional[book.traded]) / book.value
    cons = [
        cp.sum(w) == 1,
        w[book.capped] <= 0.1 + s["cap"],
        gap <= 0.25 + s["band"],
        -gap <= 0.25 + s["band"],
        cp.sum(w[book.groups == "cash"]) <= 0.5 + s["cash"],
        tr <= 0.0 + s["turn"],
    ]
    prob = cp.Problem(cp.Minimize(sum(s.values())), cons)
    prob.solve(solver=cp.CLARABEL)
    label = {
        "cap": "max_single_name_weight",
        "band": "duration_band",
        "cash": "group_cap:cash",
        "turn": "max_turnover",
    }
    assert names == [label[k] for k, v in s.items() if v.value > 1e-7]
    assert phase_one(book, lim, res) == names


def test_solver_failure_is_failed(monkeypatch):
    # Clarabel stopping short (here: one iteration allowed) is status "failed", never optimal
    monkeypatch.setattr(optimizer, "CLARABEL_OPTIONS", {"max_iter": 1})
    res = solve_constrained(hand_book(), Limits(max_single_name_weight=0.4))
    assert res.status == "failed" and res.weights is None
    assert "user_limit" in res.message


def test_optimizer_import_does_not_pull_cvxpy():
    code = (
        "import sys, fimonitor.rebalance.optimizer, fimonitor.rebalance.scenarios; "
        "print('cvxpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_module_of_the_package_imports_cvxpy():
    pkg = Path(optimizer.__file__).resolve().parents[1]
    hits = [
        str(f.relative_to(pkg))
        for f in pkg.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+cvxpy\b", f.read_text(encoding="utf-8"), re.M)
    ]
    assert hits == []
