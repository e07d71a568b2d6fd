"""Clarabel called directly: constraint rows stacked by family, statuses in plain words.

Clarabel solves::

    minimise    ½ xᵀP x + qᵀx
    subject to  A x + s = b,   s ∈ K

with ``K`` a product of cones; here only the zero cone (equalities, ``a·x = b``) and the
non-negative cone (inequalities ``a·x <= b``) are used. Its dual ``z`` satisfies
``P x + q + Aᵀz = 0`` with ``z >= 0`` on the inequality rows, so the dual of a row written
``a·x <= b`` is the multiplier λ >= 0 of ``f(x) + λ(a·x − b)`` (the sign convention cvxpy
reports for a constraint ``expr <= bound``), and the dual of an equality ``a·x = b`` is ν in
``f(x) + ν(a·x − b)``.

:class:`Rows` stacks named blocks of rows once (the matrices do not change between solves);
:class:`ConicProblem` keeps one Clarabel solver and, where Clarabel allows it, only replaces
the right-hand side ``b`` on later solves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.sparse as sps

log = logging.getLogger(__name__)

# Clarabel's status -> the words fimonitor reports (the same words cvxpy used for them).
STATUS = {
    "Solved": "optimal",
    "AlmostSolved": "optimal_inaccurate",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible_inaccurate",
    "DualInfeasible": "unbounded",
    "AlmostDualInfeasible": "unbounded_inaccurate",
    "MaxIterations": "user_limit",
    "MaxTime": "user_limit",
}
SOLVER_ERROR = "solver_error"  # NumericalError, InsufficientProgress, or an exception
WITH_SOLUTION = ("optimal", "optimal_inaccurate", "user_limit")


class Rows:
    """Constraint rows ``a·x (= or <=) b`` stacked in named blocks.

    Equality blocks must be added before inequality blocks (Clarabel takes the cones in row
    order: one zero cone, then one non-negative cone).
    """

    def __init__(self, nvar: int) -> None:
        self.nvar = nvar
        self.blocks: list[sps.csr_matrix] = []
        self.slices: dict[str, slice] = {}
        self.n_zero = 0
        self.n_rows = 0

    def add(self, name: str, a, *, equality: bool = False) -> None:
        """Append the rows ``a`` (array or sparse, ``nvar`` columns) under ``name``."""
        a = sps.csr_matrix(a)
        if a.shape[1] != self.nvar:
            raise ValueError(f"block {name}: {a.shape[1]} columns, expected {self.nvar}")
        if equality and self.n_rows != self.n_zero:
            raise ValueError(f"block {name}: equalities must come before inequalities")
        self.blocks.append(a)
        self.slices[name] = slice(self.n_rows, self.n_rows + a.shape[0])
        self.n_rows += a.shape[0]
        if equality:
            self.n_zero += a.shape[0]

    def matrix(self) -> sps.csc_matrix:
        """The stacked ``A`` (CSC, as Clarabel takes it)."""
        return sps.csc_matrix(sps.vstack(self.blocks, format="csc"))

    def cones(self) -> list:
        """Clarabel cones in row order."""
        out = []
        if self.n_zero:
            out.append(clarabel.ZeroConeT(self.n_zero))
        if self.n_rows > self.n_zero:
            out.append(clarabel.NonnegativeConeT(self.n_rows - self.n_zero))
        return out


@dataclass(frozen=True)
class ConicSolution:
    """One Clarabel solve.

    status   one of :data:`STATUS` values or ``solver_error``
    x, z     primal solution and row duals (None unless the status carries a solution)
    message  Clarabel's own status name, or the exception text
    """

    status: str
    x: np.ndarray | None
    z: np.ndarray | None
    message: str


class ConicProblem:
    """A Clarabel problem whose ``P``, ``q`` and ``A`` stay fixed; ``b`` changes per solve."""

    def __init__(self, P, q: np.ndarray, rows: Rows, settings: dict | None = None) -> None:
        self.P = sps.csc_matrix(sps.triu(P, format="csc"))
        self.q = np.asarray(q, dtype=float)
        self.A = rows.matrix()
        self.cones = rows.cones()
        self.settings = dict(settings or {})
        self._solver = None

    def _settings(self):
        s = clarabel.DefaultSettings()
        s.verbose = False
        for k, v in self.settings.items():
            setattr(s, k, v)
        return s

    def _can_update(self) -> bool:
        """Whether Clarabel lets ``b`` be replaced in place (no presolve/decomposition)."""
        allowed = getattr(self._solver, "is_data_update_allowed", None)
        return allowed is not None and bool(allowed())

    def solve(self, b: np.ndarray) -> ConicSolution:
        """Solve with right-hand side ``b`` (one entry per row)."""
        b = np.asarray(b, dtype=float)
        try:
            if self._solver is not None and self._can_update():
                self._solver.update(b=b)
            else:
                self._solver = clarabel.DefaultSolver(
                    self.P, self.q, self.A, b, self.cones, self._settings()
                )
            sol = self._solver.solve()
        except Exception as exc:  # Clarabel raises plain exceptions on bad data
            self._solver = None
            log.debug("Clarabel raised: %s", exc)
            return ConicSolution(SOLVER_ERROR, None, None, str(exc))
        raw = str(sol.status)
        status = STATUS.get(raw, SOLVER_ERROR)
        if status not in WITH_SOLUTION:
            return ConicSolution(status, None, None, raw)
        return ConicSolution(status, np.asarray(sol.x, dtype=float), np.asarray(sol.z), raw)
