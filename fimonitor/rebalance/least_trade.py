"""POST_MIN: the least trade that brings every monitoring rule within its limit.

Problem (trades as fractions of the pre-trade value ``V``; ``x̂_i = x_i / V`` the pre-trade
holdings, CASH included; ``β`` the benchmark weights; ``k = cost_bps / 10,000``)::

    variables   buy_i, sell_i >= 0 for every ticker but CASH;  u = Σ (buy + sell)
    holdings    h_i = x̂_i + buy_i - sell_i,   h_CASH = x̂_CASH - Σ (buy - sell) - k·u
    value       v' = 1 - k·u   (post-trade value V' = V·v', costs paid from cash)
    minimise    u                      (Σ|trade notional| / V; with costs (1 + k)·u, same argmin)
    subject to  h_CASH >= 0, sell_i <= x̂_i                     (cash never negative, no shorts)
                every rule of ``rules:`` at the cure level (``rebalance.cure``):
                  h_i <= L·v'                   max_single_name_weight (not CASH / proxies)
                  Σ_{CASH+proxies} h >= L·v'     min_cash_weight
                  |Σ h·d - D_b·v'| <= L·v'       duration_gap (years)
                  |h_i - β_i·v'| <= L·v'         active_weight, every ticker, CASH included
                  Σ_{i in g} h_i <= L·v'         group_max_weight, per group
                every ``rebalance:`` constraint: single-name cap, cash floor, duration band,
                group caps, u <= max_turnover

Every constraint is linear in (buy, sell, u) because ``V'`` is. The result is settled exactly
(:func:`fimonitor.rebalance.rounding.settle`) and checked against every limit with the rule
engine's strict test ("exceeds" = by more than 1e-12). With whole shares the first solve uses
the limits as written (an integer portfolio exactly on a limit is allowed); in fractional
shares the limits are first moved inward by 1e-9 (weights / years) so the LP's tolerance never
lands a hair outside; a result that fails the check is solved again with the limits moved
inward by 1e-9, 1e-7, 1e-6, 1e-5 in turn.

Three stages, all HiGHS:

1. the LP above (``scipy.optimize.linprog``): its optimum is ``continuous_turnover``;
2. tie-break toward the benchmark: turnover held at ``u* (1 + 1e-7) + 1e-9``, minimise
   Σ|h_i − β_i·v'| (CASH included) as a second LP;
3. with ``whole_shares`` or ``min_trade_notional``: a MILP (``scipy.optimize.milp``) in share
   trades (integers when whole shares; a binary per side and ticker makes each trade 0 or at
   least ``min_trade_notional``) under the same constraints, minimising turnover with ties
   broken toward the benchmark by a 1e-6 relative preference for trades that move a ticker
   toward its benchmark weight (relative to the stage-2 solution).

``rounding_cost`` = final turnover − ``continuous_turnover`` (fractions of V): what whole shares
and the minimum trade size add to the continuous optimum.

An infeasible problem is a result: status ``infeasible`` with the conflicting limit families
named (each dropped in turn; if no single one helps, a phase-1 LP with one slack per family).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from fimonitor.config import CURE_LEVELS, RulesConfig
from fimonitor.rebalance.cure_limits import (
    BASE_FAMILIES,
    Block,
    broken,
    limit_blocks,
    pre_alerts,
)
from fimonitor.rebalance.cure_reasons import order_reasons
from fimonitor.rebalance.optimizer import Limits, ScenarioBook
from fimonitor.rebalance.rounding import Settled, failing, settle, violations

log = logging.getLogger(__name__)

MARGINS = (1e-9, 1e-7, 1e-6, 1e-5)  # weights / years, tried in turn until the exact check passes
TIE_REL, TIE_ABS = 1e-7, 1e-9  # stage 2: turnover <= u*(1 + TIE_REL) + TIE_ABS
MILP_TIE = 1e-6  # stage 3: relative preference for trades toward the benchmark
LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
MILP_OPTIONS = {"time_limit": 20.0, "mip_rel_gap": 1e-4}


@dataclass(frozen=True)
class LeastTrade:
    """The POST_MIN result.

    status               ``optimal``, ``infeasible`` or ``failed``
    settled              post-trade portfolio (None unless optimal)
    continuous_turnover  stage-1 LP optimum, Σ|trade| / V (NaN when not solved)
    rounding_cost        settled turnover − continuous_turnover, fraction of V
    reasons              per ticker, why it trades (meaningful where it trades)
    conflicts            names of the conflicting limit families (infeasible only)
    diagnosis            one line: why infeasible / failed, else empty
    continuous_trade     signed stage-2 trade per ticker, currency (CASH 0)
    """

    status: str
    settled: Settled | None
    continuous_turnover: float
    rounding_cost: float
    reasons: np.ndarray
    conflicts: tuple[str, ...] = ()
    diagnosis: str = ""
    continuous_trade: np.ndarray | None = None


# --- the linear programme in z = [buy (m), sell (m), u] -------------------------------------


@dataclass(frozen=True)
class Model:
    """Rows ``G z <= h`` (and the turnover identity) of the stage-1 LP; z in fractions of V."""

    G: sps.csr_matrix
    h: np.ndarray
    row_family: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    m: int
    margin: float = 0.0


def _assemble(
    book: ScenarioBook,
    blocks: list[Block],
    cost_rate: float,
    margin: float,
    max_turnover: float | None,
    *,
    rows_only: bool = False,
) -> Model:
    """Translate limit blocks on holdings into rows on z.

    For a row ``a·h <= L·v'``:  Σ_j (a_j − a_c)(buy_j − sell_j) + (L − a_c)·k·u <= L − a·x̂.
    Without costs a row on one non-cash ticker is a bound instead (``x̂ + buy − sell <= L``:
    buy <= max(0, L − x̂), sell >= max(0, x̂ − L); mirrored for ``>=``), which only excludes
    a simultaneous buy and sell of one ticker — never part of a least-turnover solution.
    """
    nc = np.flatnonzero(book.traded)
    c = book.cash_index
    m = nc.size
    pos = np.full(book.n, -1)
    pos[nc] = np.arange(m)
    xh = book.notional / book.value
    k = cost_rate
    lb = np.zeros(2 * m + 1)
    ub = np.concatenate([np.full(m, np.inf), xh[nc], [np.inf]])
    mats, rhs, fams = [], [], []
    for blk in blocks:
        s = float(blk.sense)
        lim = blk.limit - s * margin
        A = blk.A.tocsr()
        single = np.diff(A.indptr) == 1
        if k == 0 and not rows_only:
            col = A.indices[A.indptr[:-1][single]] if single.any() else np.array([], dtype=int)
            val = A.data[A.indptr[:-1][single]] if single.any() else np.array([])
            ok = np.zeros(A.shape[0], dtype=bool)
            ok[np.flatnonzero(single)] = (col != c) & (val == 1.0)
            if ok.any():
                j = pos[A.indices[A.indptr[:-1][ok]]]
                room = lim[ok] - xh[nc][j]
                if s > 0:  # x̂ + b − s <= L
                    ub[j] = np.minimum(ub[j], np.maximum(room, 0.0))
                    np.maximum.at(lb, m + j, np.maximum(-room, 0.0))
                else:  # x̂ + b − s >= L
                    ub[m + j] = np.minimum(ub[m + j], np.maximum(-room, 0.0))
                    np.maximum.at(lb, j, np.maximum(room, 0.0))
                A, lim = A[~ok], lim[~ok]
                if A.shape[0] == 0:
                    continue
        A = A.tocsc()
        ac = A[:, [c]].toarray().ravel()
        Anc = A[:, nc].tocsr()
        if np.any(ac):
            Anc = (Anc - sps.csr_matrix(ac[:, None]) @ sps.csr_matrix(np.ones((1, m)))).tocsr()
        ucoef = (lim - ac) * k
        rows = sps.hstack([s * Anc, -s * Anc, sps.csr_matrix((s * ucoef)[:, None])])
        mats.append(rows)
        rhs.append(s * (lim - A @ xh))
        fams.append(np.full(A.shape[0], blk.family, dtype=object))
    if max_turnover is not None:
        mats.append(sps.csr_matrix(([1.0], ([0], [2 * m])), shape=(1, 2 * m + 1)))
        rhs.append(np.array([max_turnover]))
        fams.append(np.array(["max_turnover"], dtype=object))
    G = sps.vstack(mats).tocsr()
    return Model(G, np.concatenate(rhs), np.concatenate(fams), lb, ub, m, margin)


def _turnover_row(m: int, scale: np.ndarray | None = None) -> sps.csr_matrix:
    """U − Σ(buy + sell) = 0 (``scale``: column scale of buy/sell)."""
    sc = np.ones(m) if scale is None else scale
    return sps.csr_matrix(np.concatenate([-sc, -sc, [1.0]]).reshape(1, -1))


def _lp(model: Model, c: np.ndarray, extra=None):
    A_eq = _turnover_row(model.m)
    G, h, lb, ub = model.G, model.h, model.lb, model.ub
    if extra is not None:
        G2, h2, lb2, ub2 = extra
        G = sps.vstack(
            [sps.hstack([G, sps.csr_matrix((G.shape[0], G2.shape[1] - G.shape[1]))]), G2]
        )
        h = np.concatenate([h, h2])
        lb, ub = np.concatenate([lb, lb2]), np.concatenate([ub, ub2])
        A_eq = sps.hstack([A_eq, sps.csr_matrix((1, G2.shape[1] - A_eq.shape[1]))])
    return linprog(
        c,
        A_ub=G,
        b_ub=h,
        A_eq=A_eq,
        b_eq=[0.0],
        bounds=np.column_stack([lb, ub]),
        method="highs",
        options=LP_OPTIONS,
    )


def _tie_break(book: ScenarioBook, model: Model, u_star: float, cost_rate: float):
    """Stage 2: min Σ|h_i − β_i v'| with u <= u*(1 + TIE_REL) + TIE_ABS. Returns z or None."""
    n, m = book.n, model.m
    ident = sps.identity(n, format="csr")
    blk_up = Block("tie", ident, book.benchmark.copy(), 1, book.tickers, book.benchmark)
    blk_lo = Block("tie", ident, book.benchmark.copy(), -1, book.tickers, book.benchmark)
    # |a·h − β v'| <= t_i  <=>  a·h − β v' − t_i <= 0  and  −(a·h − β v') − t_i <= 0
    up = _assemble(book, [blk_up], cost_rate, 0.0, None, rows_only=True)
    lo = _assemble(book, [blk_lo], cost_rate, 0.0, None, rows_only=True)
    nv = 2 * m + 1
    neg = -sps.identity(n, format="csr")
    G2 = sps.vstack(
        [
            sps.hstack([up.G, neg]),
            sps.hstack([lo.G, neg]),
            sps.hstack(
                [sps.csr_matrix(([1.0], ([0], [2 * m])), shape=(1, nv)), sps.csr_matrix((1, n))]
            ),
        ]
    ).tocsr()
    h2 = np.concatenate([up.h, lo.h, [u_star * (1 + TIE_REL) + TIE_ABS]])
    c = np.concatenate([np.zeros(nv), np.ones(n)])
    res = _lp(model, c, (G2, h2, np.zeros(n), np.full(n, np.inf)))
    if res.status != 0:
        return None
    return res.x[:nv]


def _milp(
    book: ScenarioBook,
    model: Model,
    z_cont: np.ndarray,
    whole: bool,
    min_trade: float,
    free: np.ndarray | None = None,
    near: bool = False,
):
    """Stage 3: share trades (integers when ``whole``) with min-trade binaries.

    Returns signed share trades per traded ticker (and a message) or None.

    ``free`` (bool per non-cash ticker): only these may trade (the others are held); None = all.
    ``near``: each free buy/sell within one share of the continuous trade (floor − 1 to
    ceil + 1; from 0 to the minimum trade + 1 share where the continuous trade is smaller).
    """
    V = book.value
    nc = np.flatnonzero(book.traded)
    m = model.m
    p = book.prices[nc]
    sc = p / V
    col = np.concatenate([sc, sc, [1.0]])
    G = (model.G @ sps.diags(col)).tocsr()
    # share bounds: the model's bounds (fractions of V) in shares; sells never exceed holdings
    held = book.shares[nc]
    lo_b, hi_b = model.lb[:m] / sc, np.minimum(model.ub[:m] / sc, V / p)
    lo_s, hi_s = model.lb[m : 2 * m] / sc, np.minimum(model.ub[m : 2 * m] / sc, held)
    if whole:
        lo_b, lo_s = np.ceil(lo_b - 1e-9), np.ceil(lo_s - 1e-9)
        hi_b, hi_s = np.floor(hi_b + 1e-9), np.floor(hi_s + 1e-9)
    if free is not None:
        hold = ~free & (lo_b <= 0) & (lo_s <= 0)
        hi_b, hi_s = np.where(hold, 0.0, hi_b), np.where(hold, 0.0, hi_s)
    if near:
        need = np.ceil(min_trade / p) + 1.0 if min_trade > 0 else np.zeros(m)
        for j0, lo, hi in ((0, lo_b, hi_b), (m, lo_s, hi_s)):  # buys, then sells
            t = z_cont[j0 : j0 + m] / sc
            small = t * p < min_trade
            lo[:] = np.where(small, lo, np.maximum(lo, np.floor(t) - 1.0))
            hi[:] = np.minimum(
                hi, np.where(small, np.maximum(need, np.ceil(t) + 1.0), np.ceil(t) + 1.0)
            )
    if np.any(lo_b > hi_b) or np.any(lo_s > hi_s):
        return None, "no whole number of shares meets a single-ticker limit"
    # held tickers leave the programme (their columns would be fixed at 0)
    kk = np.arange(m) if free is None else np.flatnonzero(free | (lo_b > 0) | (lo_s > 0))
    G = G[:, np.concatenate([kk, m + kk, [2 * m]])]
    w2 = (book.notional[nc] / V + z_cont[:m] - z_cont[m : 2 * m])[kk]
    m_all, m, p, sc = m, kk.size, p[kk], sc[kk]
    lo_b, lo_s, ub_b, ub_s = lo_b[kk], lo_s[kk], hi_b[kk], hi_s[kk]
    # toward-benchmark tie-break on the stage-2 solution's active sign
    act = np.sign(np.round(w2 - book.benchmark[nc][kk], 12))
    cb = sc * (1.0 + MILP_TIE * np.where(act < 0, -1.0, 1.0))
    cs = sc * (1.0 + MILP_TIE * np.where(act > 0, -1.0, 1.0))
    c = np.concatenate([cb, cs, [0.0]])
    lb = np.concatenate([lo_b, lo_s, [0.0]])
    ub = np.concatenate([ub_b, ub_s, [np.inf]])
    integ = np.concatenate([np.full(2 * m, 1 if whole else 0), [0]])
    A_eq = _turnover_row(m, sc)
    cons_A, cons_lo, cons_hi = [G, A_eq], [np.full(G.shape[0], -np.inf), [0.0]], [model.h, [0.0]]
    if min_trade > 0:
        min_trade = min_trade + model.margin * V  # room for the solver's tolerance
        # binaries yb, ys: p·q <= M·y, p·q >= min_trade·y, yb + ys <= 1
        big_b = p * ub_b
        big_s = p * ub_s
        nv = 2 * m + 1
        eye = sps.identity(m, format="csr")
        zc = sps.csr_matrix((m, m))
        pq_b = sps.hstack([sps.diags(p), zc, sps.csr_matrix((m, 1))])
        pq_s = sps.hstack([zc, sps.diags(p), sps.csr_matrix((m, 1))])
        G = sps.hstack([G, sps.csr_matrix((G.shape[0], 2 * m))])
        A_eq = sps.hstack([A_eq, sps.csr_matrix((1, 2 * m))])
        rows = sps.vstack(
            [
                sps.hstack([pq_b, -sps.diags(big_b), zc]),
                sps.hstack([pq_s, zc, -sps.diags(big_s)]),
                sps.hstack([-pq_b, min_trade * eye, zc]),
                sps.hstack([-pq_s, zc, min_trade * eye]),
                sps.hstack([sps.csr_matrix((m, nv)), eye, eye]),
            ]
        ).tocsr()
        rows = rows / V
        cons_A = [G, A_eq, rows]
        cons_lo.append(np.full(rows.shape[0], -np.inf))
        cons_hi.append(np.concatenate([np.zeros(4 * m), np.full(m, 1.0 / V)]))
        c = np.concatenate([c, np.zeros(2 * m)])
        lb = np.concatenate([lb, np.zeros(2 * m)])
        ub = np.concatenate([ub, np.ones(2 * m)])
        integ = np.concatenate([integ, np.ones(2 * m, dtype=int)])
    A = sps.vstack([sps.csr_matrix(x) for x in cons_A]).tocsr()
    res = milp(
        c,
        constraints=LinearConstraint(A, np.concatenate(cons_lo), np.concatenate(cons_hi)),
        integrality=integ,
        bounds=Bounds(lb, ub),
        options=MILP_OPTIONS,
    )
    if res.x is None:
        log.debug("POST_MIN milp: %s", res.message)
        return None, res.message
    q = res.x[: 2 * m]
    # whole shares: exact integers; fractional: a trade the solver left within its tolerance
    # of zero (a binary at 0) is no trade
    q = np.round(q) if whole else np.where(q * np.tile(p, 2) < 1e-9 * V, 0.0, q)
    out = np.zeros(m_all)
    out[kk] = q[:m] - q[m:]
    return out, ""


# --- entry point -----------------------------------------------------------------------------


def least_trade(
    book: ScenarioBook,
    limits: Limits,
    rules: RulesConfig,
    *,
    cure: str = "breach",
    cost_rate: float = 0.0,
    min_trade_notional: float = 0.0,
    whole_shares: bool = True,
) -> LeastTrade:
    """Return the least-turnover trades that cure every rule and keep every constraint.

    Every rule ends within its ``cure`` level and every ``rebalance:`` constraint holds (see
    the module docstring for the programme).

    Parameters
    ----------
    book : ScenarioBook
        Pre-trade holdings, prices, benchmark, durations, groups (CASH included).
    limits : Limits
        The ``rebalance:`` constraints.
    rules : RulesConfig
        The monitoring rules; each must end within its breach (or warn) limit.
    cure : {"breach", "warn"}
        ``breach``: no BREACH after trading; ``warn``: no WARN and no BREACH.
    cost_rate : float
        Trading cost as a fraction of traded notional (cost_bps / 10,000), paid from cash.
    min_trade_notional : float
        Currency; each trade is 0 or at least this.
    whole_shares : bool
        Integer share trades.

    Returns
    -------
    LeastTrade
        ``settled.turnover`` = Σ|trade| / V; ``continuous_turnover`` the LP optimum (same
        unit); ``rounding_cost`` their difference.

    Notes
    -----
    Minimising Σ|trade| and (1 + k)·Σ|trade| have the same solution, so costs change the
    constraints (V' = V − k·Σ|trade|) but not the ranking of trades.
    """
    if cure not in CURE_LEVELS:
        raise ValueError(f"cure must be one of {', '.join(CURE_LEVELS)}, got {cure!r}")
    blocks = limit_blocks(book, limits, rules, cure)
    alerts = pre_alerts(book, rules, cure)
    nc = np.flatnonzero(book.traded)
    V = book.value
    empty = np.full(book.n, "", dtype=object)
    # integer post-trade shares are checked only when the book holds whole shares already
    whole = whole_shares and bool(np.all(book.shares[nc] == np.round(book.shares[nc])))
    use_milp = whole_shares or min_trade_notional > 0
    # whole shares: an integer solution exactly on a limit is fine (the exact check decides);
    # fractional: the LP's own tolerance needs a hair of room from the first solve
    margins = (0.0, *MARGINS) if use_milp else MARGINS

    def continuous(model: Model):
        m = model.m
        r1 = _lp(model, np.concatenate([np.ones(2 * m), [0.0]]))
        if r1.status != 0:
            return r1, np.nan, None
        u = float(r1.x[2 * m])
        z = _tie_break(book, model, u, cost_rate)
        return r1, u, (r1.x if z is None else z)

    model = _assemble(book, blocks, cost_rate, margins[0], limits.max_turnover)
    r1, u_star, z = continuous(model)
    if r1.status == 2:
        names, text = diagnose(book, blocks, cost_rate, limits.max_turnover)
        return LeastTrade("infeasible", None, np.nan, np.nan, empty, tuple(names), text)
    if r1.status != 0:
        return LeastTrade("failed", None, np.nan, np.nan, empty, (), f"LP: {r1.message}")
    m = model.m
    cont = np.zeros(book.n)
    cont[nc] = (z[:m] - z[m : 2 * m]) * V
    last = ""
    for k, margin in enumerate(margins):
        if k:
            model = _assemble(book, blocks, cost_rate, margin, limits.max_turnover)
        if use_milp:
            # near the continuous optimum first, then every share count of the tickers it
            # trades (the rest held), then every ticker
            free = np.abs(cont[nc]) > 1e-12 * V
            dq, msg = None, ""
            for kw in ({"free": free, "near": True}, {"free": free}, {}):
                dq, msg = _milp(book, model, z, whole_shares, min_trade_notional, **kw)
                if dq is not None:
                    break
            if dq is None:
                text, names = _rounding_diagnosis(
                    book, model, z, whole_shares, min_trade_notional, msg
                )
                return LeastTrade("infeasible", None, u_star, np.nan, empty, names, text, cont)
        else:
            if k:
                r1, _, z = continuous(model)
                if r1.status != 0:
                    break
                cont[nc] = (z[:m] - z[m : 2 * m]) * V
            dq = cont[nc] / book.prices[nc]
        shares = book.shares.copy()
        shares[nc] += dq
        st = settle(book, shares, cost_rate)
        bad = broken(blocks, st, book)
        bad += failing(
            violations(book, st, limits, min_trade_notional=min_trade_notional, whole_shares=whole)
        )
        if not bad:
            reasons = order_reasons(book, st, blocks, alerts, cont, cost_rate, whole_shares)
            return LeastTrade("optimal", st, u_star, st.turnover - u_star, reasons, (), "", cont)
        last = ", ".join(dict.fromkeys(bad))
        log.info("POST_MIN: margin %.0e leaves %s broken; widening", margin, last)
    return LeastTrade(
        "failed", None, np.nan, np.nan, empty, (), f"limits {last} not met exactly after solving"
    )


def _rounding_diagnosis(book, model, z, whole, min_trade, msg) -> tuple[str, tuple[str, ...]]:
    """Continuous problem feasible but no whole-share / min-trade portfolio: name which."""
    if min_trade > 0:
        dq, _ = _milp(book, model, z, whole, 0.0)
        if dq is not None:
            return (
                "infeasible: conflicting constraints min_trade_notional (every limit can hold, "
                "but not with each trade 0 or at least the minimum)",
                ("min_trade_notional",),
            )
    return (
        "infeasible: conflicting constraints whole_shares (the limits hold in fractional "
        f"shares only; {msg})",
        ("whole_shares",),
    )


def diagnose(
    book: ScenarioBook, blocks: list[Block], cost_rate: float, max_turnover: float | None
) -> tuple[list[str], str]:
    """Name the limit families that conflict.

    Each is dropped in turn (LP re-solve); if none alone restores feasibility, a phase-1 LP with one
    slack per family names those needing slack.
    """
    fams = list(dict.fromkeys(b.family for b in blocks if b.family not in BASE_FAMILIES))
    if max_turnover is not None:
        fams.append("max_turnover")

    def feasible(drop: str) -> bool:
        keep = [b for b in blocks if b.family != drop]
        mt = None if drop == "max_turnover" else max_turnover
        model = _assemble(book, keep, cost_rate, 0.0, mt)
        m = model.m
        return _lp(model, np.concatenate([np.ones(2 * m), [0.0]])).status == 0

    alone = [f for f in fams if feasible(f)]
    if alone:
        tail = (
            " (dropping any one of them makes the rest feasible)"
            if len(alone) > 1
            else " (dropping it makes the rest feasible)"
        )
        return alone, "infeasible: conflicting constraints " + ", ".join(alone) + tail
    model = _assemble(book, blocks, cost_rate, 0.0, max_turnover, rows_only=True)
    m, nf = model.m, len(fams)
    pos = {f: i for i, f in enumerate(fams)}
    cols = np.array([pos.get(f, -1) for f in model.row_family])
    r = np.flatnonzero(cols >= 0)
    S = sps.csr_matrix((-np.ones(r.size), (r, cols[r])), shape=(model.G.shape[0], nf))
    G2 = sps.hstack([model.G, S]).tocsr()
    c = np.concatenate([np.zeros(2 * m + 1), np.ones(nf)])
    res = linprog(
        c,
        A_ub=G2,
        b_ub=model.h,
        A_eq=sps.hstack([_turnover_row(m), sps.csr_matrix((1, nf))]),
        b_eq=[0.0],
        bounds=np.column_stack(
            [
                np.concatenate([model.lb, np.zeros(nf)]),
                np.concatenate([model.ub, np.full(nf, np.inf)]),
            ]
        ),
        method="highs",
    )
    if res.status != 0:
        return fams, "infeasible: constraints " + ", ".join(fams) + " cannot hold together"
    names = [f for f in fams if res.x[2 * m + 1 + pos[f]] > 1e-9]
    return names, (
        "infeasible: constraints " + ", ".join(names) + " cannot hold together "
        "(phase-1 slack needed on each)"
    )
