"""Constrained rebalance (POST_CONS) as a convex QP, solved by Clarabel called directly.

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

The QP is built once as ``scipy.sparse`` matrices (:class:`CompiledQP`; the turnover L1 norm
through one auxiliary ``t_i >= |w_i - x_i/V'|`` per traded ticker) and handed to Clarabel
(interior point, accurate at 5,000 names) through :mod:`fimonitor.rebalance.conic`; later
solves of the same run (cost fixed point, min-trade fixing, binding costs, infeasibility
diagnosis) change only the right-hand side. No modelling layer is imported (cvxpy, which
built the same problem up to fimonitor 0.2, cost ~1 s of import; it remains a test-only peer
that must agree to 1e-6). Duals keep cvxpy's sign convention: >= 0 for every inequality,
``λ`` in ``||w - b||² + λ·(a·w - bound)``. The status is checked and every constraint
residual is measured on the returned weights; a solve whose residuals exceed
``RESIDUAL_TOL`` is reported as ``inaccurate``, never as optimal.

An infeasible constraint set is a result (status ``infeasible``) with the conflicting
constraint families named by :func:`fimonitor.rebalance.infeasible.diagnose_infeasible`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sps

from fimonitor.rebalance.conic import SOLVER_ERROR, ConicProblem, Rows

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

    weights        post-trade weights w (fractions of ``value_post``), CASH included
    status         ``optimal``, ``inaccurate``, ``infeasible`` or ``failed``
    residual       largest constraint violation measured on ``weights`` (weights/years)
    duals          constraint name -> dual value(s) (>= 0 for inequalities; objective units
                   per unit of bound); ``lo``/``hi``/``group_caps`` are vectors, the rest
                   0-d arrays; ``budget`` is ν in 2(w − b) + … + ν = 0
    solver_status  Clarabel's status in cvxpy's words (``optimal``, ``optimal_inaccurate``,
                   ``infeasible``, ``infeasible_inaccurate``, ``user_limit``,
                   ``solver_error``, ...; see :data:`fimonitor.rebalance.conic.STATUS`)
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
    """The QP built once as Clarabel matrices; re-solves change only the right-hand side.

    Variables ``x = [w, t]`` (``t``, one per traded ticker, only with ``max_turnover``):
    ``P = 2·I`` on ``w`` and ``q = −2b``, so ``½xᵀPx + qᵀx = ||w − b||² − ||b||²``. Rows
    (each family's duals are the Clarabel duals of its rows, see
    :mod:`fimonitor.rebalance.conic`)::

        budget                  Σ w = 1                              (equality)
        lo, hi                  −w <= −lo,  w <= hi                  one row per ticker
        min_cash_weight         −Σ_{cash set} w <= −m
        duration_band:upper     D·w <= band + D_b
        duration_band:lower     −D·w <= band − D_b
        group_caps              Σ_{i in g} w_i <= cap_g              one row per group
        max_turnover            w_i − t_i <= x_i/V',  −w_i − t_i <= −x_i/V',  Σ t <= T·V/V'

    Every imposed family is compiled; a family missing from the ``limits`` of one solve is
    relaxed by its bound (floor 0, band ``BIG_BAND``, group cap 2, turnover 4·V/V').
    Relaxed re-solves (binding costs, infeasibility diagnosis) reuse the matrices. Internal
    to one rebalance run.
    """

    def __init__(self, book: ScenarioBook, limits: Limits) -> None:
        self.book = book
        self.limits = limits
        n = book.n
        d = book.duration
        self.traded_idx = np.flatnonzero(book.traded)
        m = len(self.traded_idx) if limits.max_turnover is not None else 0
        nvar = n + m

        def wide(a) -> sps.csr_matrix:
            """Rows over ``w`` padded with zero columns for ``t``."""
            a = sps.csr_matrix(a)
            return sps.hstack([a, sps.csr_matrix((a.shape[0], m))], format="csr") if m else a

        eye = sps.identity(n, format="csr")
        rows = Rows(nvar)
        rows.add("budget", wide(np.ones((1, n))), equality=True)
        rows.add("lo", wide(-eye))
        rows.add("hi", wide(eye))
        if limits.min_cash_weight is not None:
            rows.add("min_cash_weight", wide(-book.cash_set.astype(float)[None, :]))
        if limits.duration_band is not None:
            rows.add("duration_band:upper", wide(d[None, :]))
            rows.add("duration_band:lower", wide(-d[None, :]))
        self.group_names = [g for g in limits.group_caps if np.any(book.groups == g)]
        if self.group_names:
            member = np.vstack([book.groups == g for g in self.group_names])
            self.gmat = sps.csr_matrix(member.astype(float))
            rows.add("group_caps", wide(self.gmat))
        if m:
            sel = sps.csr_matrix((np.ones(m), (np.arange(m), self.traded_idx)), shape=(m, n))
            neg_t = -sps.identity(m, format="csr")
            rows.add("turnover:plus", sps.hstack([sel, neg_t], format="csr"))
            rows.add("turnover:minus", sps.hstack([-sel, neg_t], format="csr"))
            rows.add(
                "max_turnover",
                sps.hstack([sps.csr_matrix((1, n)), np.ones((1, m))], format="csr"),
            )
        self.rows = rows
        p = sps.csc_matrix((np.full(n, 2.0), (np.arange(n), np.arange(n))), shape=(nvar, nvar))
        q = np.concatenate([-2.0 * book.benchmark, np.zeros(m)])
        self.problem = ConicProblem(p, q, rows, CLARABEL_OPTIONS)

    def base_bounds(self, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
        """Per-ticker bounds from the single-name cap alone: lo = 0, hi = cap or 1."""
        n = self.book.n
        hi = np.ones(n)
        if limits.max_single_name_weight is not None:
            hi[self.book.capped] = limits.max_single_name_weight
        return np.zeros(n), hi

    def rhs(self, limits: Limits, lo: np.ndarray, hi: np.ndarray, value_post: float) -> np.ndarray:
        """The right-hand side ``b`` for one solve (see the class docstring for the rows)."""
        book, sl = self.book, self.rows.slices
        b = np.empty(self.rows.n_rows)
        b[sl["budget"]] = 1.0
        b[sl["lo"]] = -lo
        b[sl["hi"]] = hi
        if "min_cash_weight" in sl:
            m = limits.min_cash_weight
            b[sl["min_cash_weight"]] = -(0.0 if m is None else m)
        if "duration_band:upper" in sl:
            band = BIG_BAND if limits.duration_band is None else limits.duration_band
            db = book.benchmark_duration
            b[sl["duration_band:upper"]] = band + db
            b[sl["duration_band:lower"]] = band - db
        if "group_caps" in sl:
            b[sl["group_caps"]] = [limits.group_caps.get(g, 2.0) for g in self.group_names]
        if "max_turnover" in sl:
            wpre = book.notional[self.traded_idx] / value_post
            b[sl["turnover:plus"]] = wpre
            b[sl["turnover:minus"]] = -wpre
            t = limits.max_turnover
            b[sl["max_turnover"]] = (4.0 if t is None else t) * book.value / value_post
        return b

    def duals(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Duals per constraint family (>= 0 for inequalities; scalars as 0-d arrays)."""
        out = {}
        for name, s in self.rows.slices.items():
            if name.startswith("turnover:"):
                continue  # the rows t >= |w − wpre| (their duals belong to the split)
            v = z[s].astype(float)
            out[name] = v if name in ("lo", "hi", "group_caps") else np.asarray(v[0])
        return out

    def solve(self, limits: Limits, lo: np.ndarray, hi: np.ndarray, value_post: float) -> Solve:
        """Solve with ``limits``, bounds ``lo``/``hi`` and post-trade value ``value_post``.

        ``limits`` is a subset of the compiled families (a missing one is relaxed);
        ``value_post`` enters the turnover constraint.
        """
        book = self.book
        sol = self.problem.solve(self.rhs(limits, lo, hi, value_post))
        status = sol.status
        if status == SOLVER_ERROR:
            log.warning("CLARABEL failed: %s", sol.message)
            return Solve(None, "failed", np.inf, {}, status, f"CLARABEL failed: {sol.message}")
        if status in ("infeasible", "infeasible_inaccurate"):
            return Solve(None, "infeasible", np.inf, {}, status)
        if status not in ("optimal", "optimal_inaccurate") or sol.x is None:
            return Solve(None, "failed", np.inf, {}, status, f"solver status {status}")
        w = sol.x[: book.n]
        res = residuals(book, w, limits, lo, hi, value_post)
        worst = max(res.values()) if res else 0.0
        duals = self.duals(sol.z)
        if status == "optimal_inaccurate" or worst > RESIDUAL_TOL:
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
