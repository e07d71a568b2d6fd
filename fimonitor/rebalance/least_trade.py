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

Every constraint is linear in (buy, sell, u) because ``V'`` is. Limits are moved inward by a
tiny margin (1e-9 weights / years) so that the rule engine's strict test ("exceeds" = by more
than 1e-12) never fires on a solution sitting on its limit; a result that still fails the
exact check is solved again with a wider margin.

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

from fimonitor.config import CURE_LEVELS, RulesConfig, Threshold
from fimonitor.rebalance.optimizer import Book, Limits
from fimonitor.rebalance.rounding import Settled, failing, settle, violations

log = logging.getLogger(__name__)

RULE_EPS = 1e-12  # the rule engine's "exceeds" tolerance
MARGINS = (1e-9, 1e-7, 1e-6, 1e-5)  # weights / years, tried in turn until the exact check passes
TIE_REL, TIE_ABS = 1e-7, 1e-9  # stage 2: turnover <= u*(1 + TIE_REL) + TIE_ABS
MILP_TIE = 1e-6  # stage 3: relative preference for trades toward the benchmark
LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
MILP_OPTIONS = {"time_limit": 20.0, "mip_rel_gap": 1e-7}
BASE_FAMILIES = ("cash_nonnegative",)  # never dropped in a diagnosis


@dataclass(frozen=True)
class Block:
    """Rows ``sense·(A @ h) <= sense·limit·v'`` of one limit family.

    A        sparse (rows × tickers) coefficients on post-trade holdings
    limit    per-row bound (weights; years × weight for duration rows)
    sense    +1 for ``<=``, -1 for ``>=``
    keys     per-row label (ticker, group or "")
    shown    per-row limit as the user wrote it (for reasons)
    """

    family: str
    A: sps.csr_matrix
    limit: np.ndarray
    sense: int
    keys: np.ndarray
    shown: np.ndarray


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


def cure_limit(t: Threshold | None, cure: str) -> float | None:
    """The level a rule must end within: ``breach``, or ``warn`` (else breach) for cure=warn."""
    if t is None:
        return None
    if cure == "warn" and t.warn is not None:
        return t.warn
    return t.breach


def _rows(idx: np.ndarray, n: int, coef: np.ndarray | float = 1.0) -> sps.csr_matrix:
    idx = np.asarray(idx, dtype=int)
    data = np.broadcast_to(np.asarray(coef, dtype=float), idx.shape)
    return sps.csr_matrix((data, (np.arange(idx.size), idx)), shape=(idx.size, n))


def _dense_row(a: np.ndarray) -> sps.csr_matrix:
    return sps.csr_matrix(np.asarray(a, dtype=float).reshape(1, -1))


def limit_blocks(book: Book, limits: Limits, rules: RulesConfig, cure: str) -> list[Block]:
    """Every limit family as row blocks on post-trade holdings (fractions of V)."""
    n, b, d = book.n, book.benchmark, book.duration
    db = book.benchmark_duration
    c = book.cash_index
    out = [Block("cash_nonnegative", _rows([c], n), np.zeros(1), -1, np.array([""]), np.zeros(1))]

    def cap(fam: str, mask: np.ndarray, lim: float) -> None:
        idx = np.flatnonzero(mask)
        if idx.size:
            out.append(
                Block(
                    fam,
                    _rows(idx, n),
                    np.full(idx.size, lim),
                    1,
                    book.tickers[idx],
                    np.full(idx.size, lim),
                )
            )

    def agg(fam: str, a: np.ndarray, lim: float, sense: int, key: str, shown: float) -> None:
        out.append(
            Block(fam, _dense_row(a), np.array([lim]), sense, np.array([key]), np.array([shown]))
        )

    def duration(fam: str, band: float) -> None:
        agg(fam, d, db + band, 1, "upper", band)
        agg(fam, d, db - band, -1, "lower", band)

    lim = cure_limit(rules.max_single_name_weight, cure)
    if lim is not None:
        cap("rule:max_single_name_weight", book.capped, lim)
    lim = cure_limit(rules.min_cash_weight, cure)
    if lim is not None:
        agg("rule:min_cash_weight", book.cash_set.astype(float), lim, -1, "", lim)
    lim = cure_limit(rules.duration_gap, cure)
    if lim is not None:
        duration("rule:duration_gap", lim)
    lim = cure_limit(rules.active_weight, cure)
    if lim is not None:
        nc = np.flatnonzero(book.traded)
        out.append(
            Block(
                "rule:active_weight",
                _rows(nc, n),
                b[nc] + lim,
                1,
                book.tickers[nc],
                np.full(nc.size, lim),
            )
        )
        lo = nc[b[nc] - lim > 0]
        if lo.size:
            out.append(
                Block(
                    "rule:active_weight",
                    _rows(lo, n),
                    b[lo] - lim,
                    -1,
                    book.tickers[lo],
                    np.full(lo.size, lim),
                )
            )
        agg("rule:active_weight", np.eye(1, n, c).ravel(), b[c] + lim, 1, "CASH", lim)
        if b[c] - lim > 0:
            agg("rule:active_weight", np.eye(1, n, c).ravel(), b[c] - lim, -1, "CASH", lim)
    for g, t in rules.group_max_weight.items():
        lim = cure_limit(t, cure)
        if lim is not None and np.any(book.groups == g):
            agg(f"rule:group_max_weight:{g}", (book.groups == g).astype(float), lim, 1, g, lim)
    if limits.max_single_name_weight is not None:
        cap("max_single_name_weight", book.capped, limits.max_single_name_weight)
    if limits.min_cash_weight is not None:
        m = limits.min_cash_weight
        agg("min_cash_weight", book.cash_set.astype(float), m, -1, "", m)
    if limits.duration_band is not None:
        duration("duration_band", limits.duration_band)
    for g, capg in limits.group_caps.items():
        if np.any(book.groups == g):
            agg(f"group_cap:{g}", (book.groups == g).astype(float), capg, 1, g, capg)
    return out


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


def _assemble(
    book: Book,
    blocks: list[Block],
    cost_rate: float,
    margin: float,
    max_turnover: float | None,
) -> Model:
    """Translate limit blocks on holdings into rows on z.

    For a row ``a·h <= L·v'``:  Σ_j (a_j − a_c)(buy_j − sell_j) + (L − a_c)·k·u <= L − a·x̂.
    """
    nc = np.flatnonzero(book.traded)
    c = book.cash_index
    m = nc.size
    xh = book.notional / book.value
    k = cost_rate
    mats, rhs, fams = [], [], []
    for blk in blocks:
        A = blk.A.tocsc()
        ac = A[:, [c]].toarray().ravel()
        Anc = A[:, nc].tocsr()
        if np.any(ac):
            Anc = (Anc - sps.csr_matrix(ac[:, None]) @ sps.csr_matrix(np.ones((1, m)))).tocsr()
        s = float(blk.sense)
        lim = blk.limit - s * margin if blk.family not in BASE_FAMILIES else blk.limit
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
    lb = np.zeros(2 * m + 1)
    ub = np.concatenate([np.full(m, np.inf), xh[nc], [np.inf]])
    return Model(G, np.concatenate(rhs), np.concatenate(fams), lb, ub, m)


def _turnover_row(m: int, scale: np.ndarray | None = None) -> sps.csr_matrix:
    """u − Σ(buy + sell) = 0 (``scale``: column scale of buy/sell)."""
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


def _tie_break(book: Book, model: Model, u_star: float, cost_rate: float):
    """Stage 2: min Σ|h_i − β_i v'| with u <= u*(1 + TIE_REL) + TIE_ABS. Returns z or None."""
    n, m = book.n, model.m
    ident = sps.identity(n, format="csr")
    blk_up = Block("tie", ident, book.benchmark.copy(), 1, book.tickers, book.benchmark)
    blk_lo = Block("tie", ident, book.benchmark.copy(), -1, book.tickers, book.benchmark)
    # |a·h − β v'| <= t_i  <=>  a·h − β v' − t_i <= 0  and  −(a·h − β v') − t_i <= 0
    up = _assemble(book, [blk_up], cost_rate, 0.0, None)
    lo = _assemble(book, [blk_lo], cost_rate, 0.0, None)
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


def _milp(book: Book, model: Model, z_cont: np.ndarray, whole: bool, min_trade: float):
    """Stage 3: share trades (integers when ``whole``), min-trade binaries; returns signed
    share trades per traded ticker or None."""
    V = book.value
    nc = np.flatnonzero(book.traded)
    m = model.m
    p = book.prices[nc]
    sc = p / V
    col = np.concatenate([sc, sc, [1.0]])
    G = (model.G @ sps.diags(col)).tocsr()
    # share bounds: fraction bounds scaled; sells never exceed the shares held
    held = book.shares[nc]
    ub_b = np.full(m, np.inf)
    ub_s = np.floor(held + 1e-9) if whole else held.copy()
    # a buy can never exceed the whole value (cash + every sale)
    ub_b = np.minimum(ub_b, np.floor(V / p + 1e-9) if whole else V / p)
    # toward-benchmark tie-break on the stage-2 solution's active sign
    w2 = book.notional[nc] / V + z_cont[:m] - z_cont[m : 2 * m]
    act = np.sign(np.round(w2 - book.benchmark[nc], 12))
    cb = sc * (1.0 + MILP_TIE * np.where(act < 0, -1.0, 1.0))
    cs = sc * (1.0 + MILP_TIE * np.where(act > 0, -1.0, 1.0))
    c = np.concatenate([cb, cs, [0.0]])
    lb = np.zeros(2 * m + 1)
    ub = np.concatenate([ub_b, ub_s, [np.inf]])
    integ = np.concatenate([np.full(2 * m, 1 if whole else 0), [0]])
    A_eq = _turnover_row(m, sc)
    cons_A, cons_lo, cons_hi = [G, A_eq], [np.full(G.shape[0], -np.inf), [0.0]], [model.h, [0.0]]
    if min_trade > 0:
        # binaries yb, ys: p·q <= M·y, p·q >= min_trade·y, yb + ys <= 1
        big_b = p * np.minimum(ub_b, V / p)
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
    if whole:
        q = np.round(q)
    return q[:m] - q[m:], ""


# --- exact checks and explanations -----------------------------------------------------------


def _values(blocks: list[Block], st: Settled) -> list[np.ndarray]:
    """Per block, the excess of each row over its limit on the settled portfolio (> 0 = broken)."""
    w = st.weights
    return [blk.sense * (blk.A @ w - blk.limit) for blk in blocks]


def broken(blocks: list[Block], st: Settled, book: Book) -> list[str]:
    """Families broken on a settled portfolio: rules by the engine's test (> 1e-12), the rest
    (rebalance constraints, cash) by ``rounding.CHECK_TOL`` semantics at 1e-12 as well."""
    out = []
    for blk, ex in zip(blocks, _values(blocks, st), strict=True):
        if ex.size and ex.max() > RULE_EPS and blk.family not in out:
            out.append(blk.family)
    return out


def _shown(family: str, key: str, limit: float) -> str:
    if family == "cash_nonnegative":
        return "cash >= 0"
    rule = family.removeprefix("rule:")
    if rule.startswith("group_max_weight:") or rule.startswith("group_cap:"):
        rule = rule.split(":", 1)[0]
    unit = " y" if rule in ("duration_gap", "duration_band") else " %"
    lim = limit if unit == " y" else limit * 100
    key = "" if key in ("upper", "lower") else key
    return " ".join(x for x in (rule, key, f"{lim:g}{unit}") if x)


def _severity(values: np.ndarray, t: Threshold) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise rule-engine severity ("BREACH", "WARN", "") and the crossed limit."""
    v = np.asarray(values, dtype=float)
    inf = np.inf if t.kind == "max" else -np.inf
    warn = inf if t.warn is None else t.warn
    breach = inf if t.breach is None else t.breach
    if t.kind == "max":
        is_b, is_w = v > breach + RULE_EPS, v > warn + RULE_EPS
    else:
        is_b, is_w = v < breach - RULE_EPS, v < warn - RULE_EPS
    sev = np.where(is_b, "BREACH", np.where(is_w, "WARN", ""))
    return sev, np.where(is_b, breach, warn)


def pre_alerts(book: Book, rules: RulesConfig, cure: str) -> list[tuple]:
    """Alerts of the pre-trade book at the cure level, measured as the rule engine does:
    ``(rule, key, value, limit, severity, where, direction)`` with ``where`` the ticker index
    or mask the alert is about and ``direction`` the trade sign that cures it (-1 sell,
    +1 buy; for duration_gap the sign the gap must move)."""
    w = book.notional / book.value
    levels = ["BREACH"] if cure == "breach" else ["BREACH", "WARN"]
    out: list[tuple] = []

    def add(rule, keys, values, t, where, direction) -> None:
        sev, lim = _severity(values, t)
        for j in np.flatnonzero(np.isin(sev, levels)):  # alerts only (a handful)
            out.append(
                (
                    rule,
                    str(keys[j]),
                    float(values[j]),
                    float(lim[j]),
                    str(sev[j]),
                    where[j],
                    float(direction[j]),
                )
            )

    if rules.active_weight is not None:
        act = w - book.benchmark
        add(
            "active_weight",
            book.tickers,
            np.abs(act),
            rules.active_weight,
            np.arange(book.n),
            -np.sign(act),
        )
    if rules.max_single_name_weight is not None:
        idx = np.flatnonzero(book.capped)
        add(
            "max_single_name_weight",
            book.tickers[idx],
            w[idx],
            rules.max_single_name_weight,
            idx,
            -np.ones(idx.size),
        )
    for g, t in rules.group_max_weight.items():
        mask = book.groups == g
        add("group_max_weight", [g], np.array([w[mask].sum()]), t, [mask], [-1.0])
    if rules.duration_gap is not None:
        gap = float(w @ book.duration - book.benchmark_duration)
        add("duration_gap", [""], np.array([abs(gap)]), rules.duration_gap, [None], [-np.sign(gap)])
    if rules.min_cash_weight is not None:
        add(
            "min_cash_weight",
            [""],
            np.array([w[book.cash_set].sum()]),
            rules.min_cash_weight,
            [~book.cash_set],
            [-1.0],
        )
    return out


def _fmt_alert(a: tuple) -> str:
    rule, key, value, lim, sevr = a[:5]
    op = "<" if rule == "min_cash_weight" else ">"
    if rule == "duration_gap":
        v, lv = f"{value:.2f} y", f"{lim:g} y"
    else:
        v, lv = f"{value * 100:.2f} %", f"{lim * 100:g} %"
    return " ".join(x for x in ("cures", sevr, rule, key, v, op, lv) if x)


def order_reasons(
    book: Book,
    st: Settled,
    blocks: list[Block],
    alerts: list[tuple],
    continuous_trade: np.ndarray,
    cost_rate: float,
    whole_shares: bool,
) -> np.ndarray:
    """Why each ticker trades: the alert it cures, else the limit that would break without it
    (``keeps …``), else ``residual: whole-share rounding``.

    An order cures a pre-trade alert when it moves the measured value toward the limit: a sale
    of the ticker (or a member of the group) above its cap, a trade toward benchmark of a
    ticker in active-weight alert, a trade whose duration moves the gap toward zero (vs cash),
    a sale that raises cash. ``keeps`` names the first family that breaks when that one order
    is undone (its cash flow returned to CASH), every other order kept.
    """
    n = book.n
    V = book.value
    t = st.trade / V
    reasons = np.full(n, "", dtype=object)
    trading = book.traded & (st.trade != 0)
    c = book.cash_index
    w = book.notional / V
    for a in alerts:  # few alerts: the loop is over alerts, each vectorised over tickers
        rule, key, _, _, _, where, direction = a
        if rule == "active_weight" and key == "CASH":
            ok = trading & (np.sign(t) == -direction)  # a buy lowers cash, a sale raises it
        elif rule == "active_weight" or rule == "max_single_name_weight":
            ok = trading & (np.arange(n) == where) & (np.sign(t) == direction)
        elif rule == "duration_gap":
            ok = trading & (np.sign(t * (book.duration - w @ book.duration)) == direction)
        else:
            ok = trading & np.asarray(where, dtype=bool) & (np.sign(t) == direction)
        reasons = np.where(ok & (reasons == ""), _fmt_alert(a), reasons)
    todo = np.flatnonzero(trading & (reasons == ""))
    if todo.size:
        # undo order j: h_j -= t_j; cash += t_j + k|t_j|; v' += k|t_j|  (vectorised over j)
        h = st.shares * book.prices / V
        vp = st.value_post / V
        tj = t[todo]
        dv = cost_rate * np.abs(tj)
        for blk in blocks:
            A = blk.A.tocsc()
            base = A @ h  # rows
            delta = (A[:, [c]].toarray() * (tj + dv)[None, :]) - (
                A[:, todo].toarray() * tj[None, :]
            )
            val = (base[:, None] + delta) / (vp + dv)[None, :]
            ex = blk.sense * (val - blk.limit[:, None])
            bad = ex > RULE_EPS
            hit = bad.any(axis=0)
            row = bad.argmax(axis=0)
            label = np.array(
                [f"keeps {_shown(blk.family, blk.keys[r], blk.shown[r])}" for r in row],
                dtype=object,
            )
            cur = reasons[todo]
            reasons[todo] = np.where(hit & (cur == ""), label, cur)
    one_share = book.prices
    rounding = np.abs(continuous_trade) < one_share
    fallback = (
        "residual: whole-share rounding" if whole_shares else "residual: tie-break to benchmark"
    )
    reasons = np.where(trading & (reasons == "") & (rounding | whole_shares), fallback, reasons)
    reasons = np.where(trading & (reasons == ""), "residual: tie-break to benchmark", reasons)
    reasons[c] = ""
    return reasons


# --- entry point -----------------------------------------------------------------------------


def least_trade(
    book: Book,
    limits: Limits,
    rules: RulesConfig,
    *,
    cure: str = "breach",
    cost_rate: float = 0.0,
    min_trade_notional: float = 0.0,
    whole_shares: bool = True,
) -> LeastTrade:
    """The least-turnover trades that end every rule within its ``cure`` level and keep every
    ``rebalance:`` constraint (see the module docstring for the programme).

    Parameters
    ----------
    book : Book
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
    last = ""
    for margin in MARGINS:
        model = _assemble(book, blocks, cost_rate, margin, limits.max_turnover)
        m = model.m
        c1 = np.concatenate([np.ones(2 * m), [0.0]])
        r1 = _lp(model, c1)
        if r1.status == 2:
            names, text = diagnose(book, blocks, cost_rate, limits.max_turnover)
            return LeastTrade("infeasible", None, np.nan, np.nan, empty, tuple(names), text)
        if r1.status != 0:
            return LeastTrade("failed", None, np.nan, np.nan, empty, (), f"LP: {r1.message}")
        u_star = float(r1.x[2 * m])
        z = _tie_break(book, model, u_star, cost_rate)
        z = r1.x if z is None else z
        cont = np.zeros(book.n)
        cont[nc] = (z[:m] - z[m : 2 * m]) * V
        if whole_shares or min_trade_notional > 0:
            dq, msg = _milp(book, model, z, whole_shares, min_trade_notional)
            if dq is None:
                text, names = _rounding_diagnosis(
                    book, model, z, whole_shares, min_trade_notional, msg
                )
                return LeastTrade("infeasible", None, u_star, np.nan, empty, names, text, cont)
        else:
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
    book: Book, blocks: list[Block], cost_rate: float, max_turnover: float | None
) -> tuple[list[str], str]:
    """Name the limit families that conflict: each dropped in turn (LP re-solve); if none
    alone restores feasibility, a phase-1 LP with one slack per family names those needing
    slack."""
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
    model = _assemble(book, blocks, cost_rate, 0.0, max_turnover)
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
