"""The Clarabel wrapper: rows, duals' sign convention, in-place right-hand-side updates,
statuses; on problems small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from fimonitor.rebalance.conic import ConicProblem, Rows

TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12}


def two_asset(cap: float = 0.5):
    """min (w1 − 0.7)² + (w2 − 0.3)² s.t. w1 + w2 = 1, w1 <= cap, w2 <= 1."""
    rows = Rows(2)
    rows.add("budget", np.ones((1, 2)), equality=True)
    rows.add("hi", sps.identity(2))
    p = ConicProblem(2 * sps.identity(2), np.array([-1.4, -0.6]), rows, TIGHT)
    return p, np.array([1.0, cap, 1.0])


def test_hand_solved_duals():
    # KKT: 2(w − b) + ν·1 + λ = 0; w1 = cap = 0.5, w2 = 0.5: ν = −2(0.5 − 0.3) = −0.4,
    # λ1 = −2(0.5 − 0.7) − ν = 0.8 (>= 0: the cap pushes w1 down), λ2 = 0
    p, b = two_asset()
    sol = p.solve(b)
    assert sol.status == "optimal" and sol.message == "Solved"
    np.testing.assert_allclose(sol.x, [0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(sol.z, [-0.4, 0.8, 0.0], atol=1e-9)


def test_update_matches_a_fresh_solver():
    p, b = two_asset()
    p.solve(b)
    b2 = np.array([1.0, 0.6, 1.0])
    reused = p.solve(b2)
    fresh = two_asset()[0].solve(b2)
    # the same problem to round-off (Clarabel re-uses its scaling and symbolic factorisation)
    np.testing.assert_allclose(reused.x, fresh.x, atol=1e-13)
    np.testing.assert_allclose(reused.z, fresh.z, atol=1e-13)
    np.testing.assert_allclose(reused.x, [0.6, 0.4], atol=1e-9)


def test_infeasible_then_feasible_again():
    p, _ = two_asset()
    bad = p.solve(np.array([1.0, 0.2, 0.2]))  # w1 + w2 <= 0.4 < 1
    assert bad.status == "infeasible" and bad.x is None and bad.z is None
    ok = p.solve(np.array([1.0, 0.5, 1.0]))
    assert ok.status == "optimal"
    np.testing.assert_allclose(ok.x, [0.5, 0.5], atol=1e-9)


def test_iteration_limit_and_bad_data_are_reported():
    rows = Rows(2)
    rows.add("budget", np.ones((1, 2)), equality=True)
    rows.add("hi", sps.identity(2))
    p = ConicProblem(2 * sps.identity(2), np.array([-1.4, -0.6]), rows, {"max_iter": 1})
    assert p.solve(np.array([1.0, 0.5, 1.0])).status == "user_limit"
    bad = ConicProblem(2 * sps.identity(2), np.array([-1.4, -0.6]), rows)
    sol = bad.solve(np.array([1.0, 0.5]))  # one entry short
    assert sol.status == "solver_error" and sol.x is None


def test_rows_order_and_shapes():
    rows = Rows(3)
    rows.add("eq", np.ones((1, 3)), equality=True)
    rows.add("le", sps.identity(3))
    assert rows.slices == {"eq": slice(0, 1), "le": slice(1, 4)}
    assert rows.matrix().shape == (4, 3) and rows.n_zero == 1
    with pytest.raises(ValueError, match="before inequalities"):
        rows.add("eq2", np.ones((1, 3)), equality=True)
    with pytest.raises(ValueError, match="columns"):
        rows.add("wide", np.ones((1, 4)))
