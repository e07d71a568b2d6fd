"""The limits POST_MIN must meet, as row blocks on post-trade holdings, and their exact check.

Each block is one family of rows ``sense·(A @ h) <= sense·limit·v'`` on post-trade holdings
``h`` (fractions of the pre-trade value V, CASH included) and post-trade value ``v' = V'/V``.
Families: ``rule:<rule>`` for the monitoring rules at the cure level (``rule:group_max_weight:
<group>`` per group), the ``rebalance:`` constraints by their :meth:`Limits.families` names,
and ``cash_nonnegative``.

Cure level (``rebalance.cure``): ``breach`` ends every rule within its breach limit, ``warn``
within its warn limit (or breach where a rule has no warn). Values are measured exactly as the
rule engine does (active weight per ticker CASH included; min cash = CASH + proxies; duration
gap = |Σ w·d − D_b|; groups per group) and "exceeds" means by more than 1e-12.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from fimonitor.config import RulesConfig, Threshold
from fimonitor.rebalance.optimizer import Limits, ScenarioBook
from fimonitor.rebalance.rounding import Settled
from fimonitor.severity import BREACH, EPS, WARN, classify

RULE_EPS = EPS  # the rule engine's "exceeds" tolerance
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


def limit_blocks(book: ScenarioBook, limits: Limits, rules: RulesConfig, cure: str) -> list[Block]:
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


def _values(blocks: list[Block], st: Settled) -> list[np.ndarray]:
    """Per block, the excess of each row over its limit on the settled portfolio (> 0 = broken)."""
    w = st.weights
    return [blk.sense * (blk.A @ w - blk.limit) for blk in blocks]


def broken(blocks: list[Block], st: Settled, book: ScenarioBook) -> list[str]:
    """Return the limit families a settled portfolio breaks.

    Rules by the engine's test (> 1e-12), the rest (rebalance constraints, cash) by
    ``rounding.CHECK_TOL`` semantics at 1e-12 as well.
    """
    out = []
    for blk, ex in zip(blocks, _values(blocks, st), strict=True):
        if ex.size and ex.max() > RULE_EPS and blk.family not in out:
            out.append(blk.family)
    return out


def _severity(values: np.ndarray, t: Threshold) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise rule-engine severity ("BREACH", "WARN", "") and the crossed limit."""
    code, limit = classify(values, t.warn, t.breach, t.kind)
    return np.where(code == BREACH, "BREACH", np.where(code == WARN, "WARN", "")), limit


def pre_alerts(book: ScenarioBook, rules: RulesConfig, cure: str) -> list[tuple]:
    """Return the alerts of the pre-trade book at the cure level.

    Measured as the rule engine does: ``(rule, key, value, limit, severity, where, direction)`` with
    ``where`` the ticker index or mask the alert is about and ``direction`` the trade sign that
    cures it (-1 sell, +1 buy; for duration_gap the sign the gap must move).
    """
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
