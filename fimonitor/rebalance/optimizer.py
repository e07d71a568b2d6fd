"""Constrained rebalance (POST_CONS) as a convex QP (cvxpy, CLARABEL).

The weights closest to the benchmark under the ``rebalance:`` constraints.

Problem (weights ``w`` are fractions of the post-trade value ``V'``, CASH included)::

    minimise    ||w - b||²
    subject to  w >= 0,  Σ w = 1
                w_i <= cap                      each non-cash, non-cash-proxy ticker
                Σ_{CASH + cash proxies} w >= m   min_cash_weight
                |Σ w·D - Σ b·D| <= band         duration_band, years
                Σ_{i in g} w_i <= cap_g         group_caps
                Σ_{i != CASH} |w_i - x_i/V'| <= T·V/V'     max_turnover (x = pre notionals)

Trading costs (``cost_bps``) are paid from cash, so ``V' = V - cost(w)``; the solve is
repeated on the fixed point of ``V'`` (one solve when costs are zero). Trades smaller than
``min_trade_notional`` are removed by fixing those tickers at their pre-trade weight and
solving again (a ticker held above its cap is forced to sell at least the minimum instead).

The solver is named explicitly (CLARABEL: interior point, accurate at 5,000 names; cvxpy's
default OSQP stops at its iteration limit on this problem). The status is checked and every
constraint residual is measured on the returned weights; a solve whose residuals exceed
``RESIDUAL_TOL`` is reported as ``inaccurate``, never as optimal.

An infeasible constraint set is a result (status ``infeasible``) with the conflicting
constraint families named by :func:`diagnose_infeasible`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import cvxpy as cp
import numpy as np
import scipy.sparse as sps

log = logging.getLogger(__name__)

RESIDUAL_TOL = 1e-6  # weight units (and years for the duration band)
DUAL_TOL = 1e-7
BIG_BAND = 1e3  # years: a duration band that never binds
# The objective is ~0 near the benchmark, so an interior-point gap of g leaves |w - b| ~ sqrt(g):
# Clarabel's default 1e-8 gap gives weights good to ~1e-4 only; 1e-12 gives ~1e-6.
CLARABEL_OPTIONS = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12}
CASH = "CASH"


@dataclass(frozen=True)
class ScenarioBook:
    """The rebalance universe as arrays, one entry per ticker (CASH included).

    tickers     ticker names
    prices      price per share (CASH: 1.0), currency
    shares      pre-trade shares (CASH: the cash amount)
    benchmark   benchmark weights b, fractions summing to 1
    duration    years (CASH 0; a missing duration counts as 0)
    groups      security-master group of each ticker
    capped      True where max_single_name_weight applies (not CASH, not a cash proxy)
    cash_set    True for CASH and cash proxies (min_cash_weight)
    """

    tickers: np.ndarray
    prices: np.ndarray
    shares: np.ndarray
    benchmark: np.ndarray
    duration: np.ndarray
    groups: np.ndarray
    capped: np.ndarray
    cash_set: np.ndarray

    @property
    def n(self) -> int:
        """Number of tickers (CASH included)."""
        return len(self.tickers)

    @property
    def cash_index(self) -> int:
        """Position of CASH in the arrays."""
        return int(np.flatnonzero(self.tickers == CASH)[0])

    @property
    def traded(self) -> np.ndarray:
        """Tickers whose trades count (everything but CASH)."""
        return self.tickers != CASH

    @property
    def notional(self) -> np.ndarray:
        """Pre-trade market values x_i = shares × price (CASH: the cash amount)."""
        return self.shares * self.prices

    @property
    def value(self) -> float:
        """Pre-trade portfolio value V = Σ x_i."""
        return float(self.notional.sum())

    @property
    def benchmark_duration(self) -> float:
        """Benchmark duration Σ b_i·D_i, years."""
        return float(self.benchmark @ self.duration)


@dataclass(frozen=True)
class Limits:
    """The ``rebalance:`` constraints; ``None`` (or a missing group) means not imposed.

    max_turnover is Σ|trade notional| / pre-trade value V (CASH not counted).
    """

    max_single_name_weight: float | None = None
    min_cash_weight: float | None = None
    duration_band: float | None = None
    group_caps: dict[str, float] = field(default_factory=dict)
    max_turnover: float | None = None

    def families(self) -> list[str]:
        """Names of the imposed constraint families (group caps one family per group)."""
        out = [
            k
            for k in ("max_single_name_weight", "min_cash_weight", "duration_band")
            if getattr(self, k) is not None
        ]
        out += [f"group_cap:{g}" for g in self.group_caps]
        if self.max_turnover is not None:
            out.append("max_turnover")
        return out

    def without(self, family: str) -> Limits:
        """Return these limits with one family removed (see :meth:`families`)."""
        if family.startswith("group_cap:"):
            g = family.split(":", 1)[1]
            return replace(self, group_caps={k: v for k, v in self.group_caps.items() if k != g})
        return replace(self, **{family: None})


@dataclass(frozen=True)
class Solve:
    """One QP solve.

    weights   post-trade weights w (fractions of ``value_post``), CASH included
    status    ``optimal``, ``inaccurate``, ``infeasible`` or ``failed``
    residual  largest constraint violation measured on ``weights`` (weights/years)
    duals     constraint name -> dual value(s) (>= 0; objective units per unit of bound)
    """

    weights: np.ndarray | None
    status: str
    residual: float
    duals: dict
    solver_status: str
    message: str = ""


@dataclass(frozen=True)
class ConstrainedResult:
    """POST_CONS in continuous weights, after the cost and min-trade iterations.

    weights     fractions of ``value_post`` (CASH included); None unless status is optimal
    value_post  V' = V - trading cost, currency
    fixed       True where a ticker was held at its pre-trade weight (min_trade_notional)
    lo, hi      the per-ticker bounds of the final solve (weights)
    """

    weights: np.ndarray | None
    value_post: float
    status: str
    residual: float
    duals: dict
    fixed: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    message: str
    qp: CompiledQP


class CompiledQP:
    """The QP compiled once with cvxpy Parameters.

    Relaxed re-solves (binding costs, infeasibility diagnosis) reuse the compiled problem.
    Internal to one rebalance run.
    """

    def __init__(self, book: ScenarioBook, limits: Limits) -> None:
        self.book = book
        self.limits = limits
        n = book.n
        b, d = book.benchmark, book.duration
        self.w = w = cp.Variable(n, name="w")
        self.lo = cp.Parameter(n, name="lo")
        self.hi = cp.Parameter(n, name="hi")
        self.cons: dict[str, cp.Constraint] = {
            "lo": w >= self.lo,
            "hi": w <= self.hi,
            "budget": cp.sum(w) == 1,
        }
        self.floor = self.band = self.gcap = self.tcap = self.wpre = None
        if limits.min_cash_weight is not None:
            self.floor = cp.Parameter(nonneg=True, name="floor")
            self.cons["min_cash_weight"] = book.cash_set.astype(float) @ w >= self.floor
        if limits.duration_band is not None:
            self.band = cp.Parameter(nonneg=True, name="band")
            db = book.benchmark_duration
            self.cons["duration_band:upper"] = d @ w - db <= self.band
            self.cons["duration_band:lower"] = db - d @ w <= self.band
        self.group_names = [g for g in limits.group_caps if np.any(book.groups == g)]
        if self.group_names:
            rows, cols = [], []
            for k, g in enumerate(self.group_names):
                idx = np.flatnonzero(book.groups == g)
                rows.extend([k] * len(idx))
                cols.extend(idx.tolist())
            self.gmat = sps.csr_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(len(self.group_names), n)
            )
            self.gcap = cp.Parameter(len(self.group_names), nonneg=True, name="gcap")
            self.cons["group_caps"] = self.gmat @ w <= self.gcap
        self.traded_idx = np.flatnonzero(book.traded)
        if limits.max_turnover is not None:
            self.wpre = cp.Parameter(len(self.traded_idx), name="wpre")
            self.tcap = cp.Parameter(nonneg=True, name="tcap")
            self.cons["max_turnover"] = cp.norm1(w[self.traded_idx] - self.wpre) <= self.tcap
        self.problem = cp.Problem(cp.Minimize(cp.sum_squares(w - b)), list(self.cons.values()))

    def base_bounds(self, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
        """Per-ticker bounds from the single-name cap alone: lo = 0, hi = cap or 1."""
        n = self.book.n
        hi = np.ones(n)
        if limits.max_single_name_weight is not None:
            hi[self.book.capped] = limits.max_single_name_weight
        return np.zeros(n), hi

    def solve(self, limits: Limits, lo: np.ndarray, hi: np.ndarray, value_post: float) -> Solve:
        """Solve with ``limits``, bounds ``lo``/``hi`` and post-trade value ``value_post``.

        ``limits`` is a subset of the compiled families (a missing one is relaxed);
        ``value_post`` enters the turnover constraint.
        """
        book = self.book
        value = book.value
        wpre_all = book.notional / value_post
        self.lo.value = lo
        self.hi.value = hi
        if self.floor is not None:
            m = limits.min_cash_weight
            self.floor.value = 0.0 if m is None else m
        if self.band is not None:
            band = limits.duration_band
            self.band.value = BIG_BAND if band is None else band
        if self.gcap is not None:
            self.gcap.value = np.array([limits.group_caps.get(g, 2.0) for g in self.group_names])
        if self.tcap is not None:
            self.wpre.value = wpre_all[self.traded_idx]
            t = limits.max_turnover
            self.tcap.value = 4.0 * value / value_post if t is None else t * value / value_post
        try:
            self.problem.solve(solver=cp.CLARABEL, **CLARABEL_OPTIONS)
        except cp.error.SolverError as exc:
            log.warning("CLARABEL failed: %s", exc)
            return Solve(None, "failed", np.inf, {}, "solver_error", str(exc))
        status = self.problem.status
        if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return Solve(None, "infeasible", np.inf, {}, status)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.w.value is None:
            return Solve(None, "failed", np.inf, {}, status, f"solver status {status}")
        w = np.asarray(self.w.value, dtype=float)
        res = residuals(book, w, limits, lo, hi, value_post)
        worst = max(res.values()) if res else 0.0
        duals = {
            k: (None if c.dual_value is None else np.asarray(c.dual_value, dtype=float))
            for k, c in self.cons.items()
        }
        if status == cp.OPTIMAL_INACCURATE or worst > RESIDUAL_TOL:
            msg = (
                f"solver status {status}; largest constraint residual {worst:.2e} "
                f"({max(res, key=res.get)})"
            )
            return Solve(w, "inaccurate", worst, duals, status, msg)
        return Solve(w, "optimal", worst, duals, status)


def residuals(
    book: ScenarioBook,
    w: np.ndarray,
    limits: Limits,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    value_post: float | None = None,
) -> dict[str, float]:
    """Violation of each constraint family by weights ``w`` (0 where satisfied).

    Units: weights (fractions) except ``duration_band`` (years). ``max_turnover`` uses
    Σ_{i != CASH} |w_i·V' - x_i| / V with ``V' = value_post`` (default: V).
    """
    value = book.value
    vp = value if value_post is None else value_post
    out = {
        "nonnegative": float(max(0.0, -w.min())),
        "budget": float(abs(w.sum() - 1.0)),
    }
    if lo is not None:
        out["lower_bounds"] = float(max(0.0, (lo - w).max()))
    if hi is not None:
        out["upper_bounds"] = float(max(0.0, (w - hi).max()))
    if limits.max_single_name_weight is not None and book.capped.any():
        out["max_single_name_weight"] = float(
            max(0.0, (w[book.capped] - limits.max_single_name_weight).max())
        )
    if limits.min_cash_weight is not None:
        out["min_cash_weight"] = float(max(0.0, limits.min_cash_weight - w[book.cash_set].sum()))
    if limits.duration_band is not None:
        gap = float(w @ book.duration - book.benchmark_duration)
        out["duration_band"] = max(0.0, abs(gap) - limits.duration_band)
    for g, cap in limits.group_caps.items():
        out[f"group_cap:{g}"] = float(max(0.0, w[book.groups == g].sum() - cap))
    if limits.max_turnover is not None:
        tr = np.abs(w * vp - book.notional)[book.traded].sum() / value
        out["max_turnover"] = float(max(0.0, tr - limits.max_turnover))
    return out


def solve_constrained(
    book: ScenarioBook,
    limits: Limits,
    *,
    cost_rate: float = 0.0,
    min_trade_notional: float = 0.0,
    max_iter: int = 12,
) -> ConstrainedResult:
    """POST_CONS continuous weights with costs and the minimum trade size honoured.

    Parameters
    ----------
    book : ScenarioBook
    limits : Limits
    cost_rate : float
        Trading cost as a fraction of traded notional (cost_bps / 10,000), paid from cash.
    min_trade_notional : float
        Currency; a ticker whose trade would be smaller is held at its pre-trade weight.

    Returns
    -------
    ConstrainedResult
        ``status`` is ``optimal`` only when CLARABEL reports optimal and every residual is
        below ``RESIDUAL_TOL``.
    """
    qp = CompiledQP(book, limits)
    value = book.value
    x = book.notional
    value_post = value
    fixed = np.zeros(book.n, dtype=bool)
    forced_sale = np.zeros(book.n, dtype=bool)
    tiny = 1e-9 * value
    sol = None
    lo = hi = np.zeros(book.n)
    for _ in range(max_iter):
        lo, hi = qp.base_bounds(limits)
        wpre = x / value_post
        keep = fixed & ~forced_sale
        lo[keep] = wpre[keep]
        hi[keep] = wpre[keep]
        hi[forced_sale] = np.minimum(
            hi[forced_sale], (x[forced_sale] - min_trade_notional) / value_post
        )
        sol = qp.solve(limits, lo, hi, value_post)
        if sol.status != "optimal":
            break
        trade = np.where(book.traded, sol.weights * value_post - x, 0.0)
        size = np.abs(trade)
        small = book.traded & ~fixed & (size > tiny) & (size < min_trade_notional)
        if small.any():
            over_cap = (
                small
                & book.capped
                & (limits.max_single_name_weight is not None)
                & (x / value_post > (limits.max_single_name_weight or 1.0) + 1e-12)
            )
            forced_sale |= over_cap & (x >= min_trade_notional)
            fixed |= small
            log.debug(
                "min_trade_notional: holding %d tickers at their pre-trade weight", int(small.sum())
            )
            continue
        new_post = value - cost_rate * size.sum()
        if abs(new_post - value_post) <= 1e-10 * value:
            break
        value_post = new_post
    assert sol is not None
    ok = sol.status == "optimal"
    return ConstrainedResult(
        weights=sol.weights if ok else None,
        value_post=value_post,
        status=sol.status,
        residual=sol.residual,
        duals=sol.duals if ok else {},
        fixed=fixed & ~forced_sale,
        lo=lo,
        hi=hi,
        message=sol.message,
        qp=qp,
    )


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
    names = _phase_one(qp.book, limits, result)
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


def _phase_one(book: ScenarioBook, limits: Limits, result: ConstrainedResult) -> list[str]:
    """Minimal slack per family (weights; years for the band) that makes the set feasible."""
    n = book.n
    w = cp.Variable(n, nonneg=True)
    cons = [cp.sum(w) == 1]
    slack: dict[str, cp.Variable] = {}

    def s(name: str) -> cp.Variable:
        slack[name] = cp.Variable(nonneg=True, name=name)
        return slack[name]

    keep = result.fixed
    if keep.any():
        sk = s("min_trade_notional")
        cons += [w[keep] <= result.hi[keep] + sk, w[keep] >= result.lo[keep] - sk]
    if limits.max_single_name_weight is not None and book.capped.any():
        cons.append(w[book.capped] <= limits.max_single_name_weight + s("max_single_name_weight"))
    if limits.min_cash_weight is not None:
        cons.append(cp.sum(w[book.cash_set]) >= limits.min_cash_weight - s("min_cash_weight"))
    if limits.duration_band is not None:
        sd = s("duration_band")
        gap = book.duration @ w - book.benchmark_duration
        cons += [gap <= limits.duration_band + sd, -gap <= limits.duration_band + sd]
    for g, cap in limits.group_caps.items():
        if np.any(book.groups == g):
            cons.append(cp.sum(w[book.groups == g]) <= cap + s(f"group_cap:{g}"))
    if limits.max_turnover is not None:
        tr = cp.norm1(w[book.traded] * result.value_post - book.notional[book.traded]) / book.value
        cons.append(tr <= limits.max_turnover + s("max_turnover"))
    if not slack:
        return []
    prob = cp.Problem(cp.Minimize(cp.sum(list(slack.values()))), cons)
    try:
        prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:
        return list(slack)
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return list(slack)
    return [k for k, v in slack.items() if v.value is not None and v.value > 1e-7]
