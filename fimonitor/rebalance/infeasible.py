"""Why POST_CONS is infeasible: the conflicting constraint families, named.

Two steps (:func:`diagnose_infeasible`): drop each family in turn and re-solve the compiled
QP (a family whose removal alone makes the rest feasible is named); if no single removal
helps, a phase-1 LP (:func:`phase_one`, Clarabel) gives each family one non-negative slack
and minimises their sum: the families that need slack are named.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from fimonitor.rebalance.conic import ConicProblem, Rows
from fimonitor.rebalance.optimizer import ConstrainedResult, Limits, ScenarioBook


def diagnose_infeasible(result: ConstrainedResult, limits: Limits) -> tuple[list[str], str]:
    """Name the constraint families that conflict in an infeasible POST_CONS.

    First each family is dropped in turn: every family whose removal alone makes the problem
    feasible is named. If no single removal helps, a phase-1 problem with one non-negative
    slack per family (each in its own unit, minimised in sum) names the families that need
    slack.

    Returns
    -------
    (names, text)
    """
    qp = result.qp
    fams = limits.families()
    if result.fixed.any():
        fams.append("min_trade_notional")
    alone = []
    for fam in fams:
        lo, hi = result.lo.copy(), result.hi.copy()
        lim = limits
        if fam == "min_trade_notional":
            lo, hi = qp.base_bounds(limits)
        elif fam == "max_single_name_weight":
            lim = limits.without(fam)
            keep = qp.book.capped & ~result.fixed
            hi[keep] = 1.0
        else:
            lim = limits.without(fam)
        if qp.solve(lim, lo, hi, result.value_post).status in ("optimal", "inaccurate"):
            alone.append(fam)
    if alone:
        text = (
            "infeasible: conflicting constraints "
            + ", ".join(alone)
            + (
                " (dropping any one of them makes the rest feasible)"
                if len(alone) > 1
                else " (dropping it makes the rest feasible)"
            )
        )
        return alone, text
    names = phase_one(qp.book, limits, result)
    text = (
        (
            "infeasible: constraints "
            + ", ".join(names)
            + " cannot hold together (phase-1 slack needed on each)"
        )
        if names
        else ("infeasible: no weights satisfy w >= 0 and sum(w) = 1 with the fixed holdings")
    )
    return names, text


def phase_one(book: ScenarioBook, limits: Limits, result: ConstrainedResult) -> list[str]:
    """Minimal slack per family (weights; years for the band) that makes the set feasible.

    An LP over ``x = [w, s, t]`` (one slack ``s_k >= 0`` per family, ``t`` the turnover
    split): minimise Σ s subject to w >= 0, Σ w = 1 and each family relaxed by its slack.
    """
    n = book.n
    keep = result.fixed
    fams: list[tuple[str, object, object]] = []  # (slack name, rows over w, rhs)
    if keep.any():
        sel = sps.identity(n, format="csr")[np.flatnonzero(keep)]
        bounds = np.r_[result.hi[keep], -result.lo[keep]]
        fams.append(("min_trade_notional", sps.vstack([sel, -sel]), bounds))
    if limits.max_single_name_weight is not None and book.capped.any():
        sel = sps.identity(n, format="csr")[np.flatnonzero(book.capped)]
        cap = np.full(sel.shape[0], limits.max_single_name_weight)
        fams.append(("max_single_name_weight", sel, cap))
    if limits.min_cash_weight is not None:
        fams.append(
            ("min_cash_weight", -book.cash_set.astype(float)[None, :], [-limits.min_cash_weight])
        )
    if limits.duration_band is not None:
        d, db, band = book.duration, book.benchmark_duration, limits.duration_band
        fams.append(("duration_band", np.vstack([d, -d]), [band + db, band - db]))
    for g, cap in limits.group_caps.items():
        if np.any(book.groups == g):
            fams.append((f"group_cap:{g}", (book.groups == g).astype(float)[None, :], [cap]))
    turnover = limits.max_turnover is not None
    tr = np.flatnonzero(book.traded)
    m = len(tr) if turnover else 0
    k = len(fams) + int(turnover)
    if not k:
        return []
    nvar = n + k + m
    rows, rhs = Rows(nvar), []
    rows.add("budget", sps.hstack([np.ones((1, n)), sps.csr_matrix((1, k + m))]), equality=True)
    rhs.append([1.0])
    rows.add("nonnegative", -sps.identity(nvar))
    rhs.append(np.zeros(nvar))
    for j, (name, a, b) in enumerate(fams):
        a = sps.csr_matrix(a)
        r = a.shape[0]
        slack = sps.csr_matrix((np.full(r, -1.0), (np.arange(r), np.full(r, j))), shape=(r, k))
        rows.add(name, sps.hstack([a, slack, sps.csr_matrix((r, m))]))
        rhs.append(np.asarray(b, dtype=float))
    names = [f[0] for f in fams]
    if turnover:
        # t_i >= |w_i·V' − x_i| / V, Σ t <= T + s
        scale = result.value_post / book.value
        sel = sps.csr_matrix((np.full(m, scale), (np.arange(m), tr)), shape=(m, n))
        pad, neg_t = sps.csr_matrix((m, k)), -sps.identity(m, format="csr")
        rows.add("turnover:plus", sps.hstack([sel, pad, neg_t]))
        rows.add("turnover:minus", sps.hstack([-sel, pad, neg_t]))
        xv = book.notional[tr] / book.value
        rhs += [xv, -xv]
        s_col = np.zeros((1, k))
        s_col[0, k - 1] = -1.0
        rows.add("max_turnover", sps.hstack([sps.csr_matrix((1, n)), s_col, np.ones((1, m))]))
        rhs.append([limits.max_turnover])
        names.append("max_turnover")
    q = np.r_[np.zeros(n), np.ones(k), np.zeros(m)]
    sol = ConicProblem(sps.csc_matrix((nvar, nvar)), q, rows).solve(np.concatenate(rhs))
    if sol.status not in ("optimal", "optimal_inaccurate"):
        return names
    slack = sol.x[n : n + k]
    return [name for name, v in zip(names, slack, strict=True) if v > 1e-7]
