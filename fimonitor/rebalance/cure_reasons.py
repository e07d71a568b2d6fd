"""Why each POST_MIN order is there: the alert it cures, else the limit it keeps.

Reasons (one per order):

- ``cures <SEVERITY> <rule> <key> <value> > <limit>``: the order moves a pre-trade alert at the
  cure level toward its limit (a sale of the ticker or group member above its cap, a trade
  toward benchmark of a ticker in active-weight alert, a sale that raises cash, a trade whose
  duration moves the gap toward zero against a pro-rata funding).
- ``keeps <limit>``: the first limit that breaks when that one order is undone (its cash flow
  returned to CASH, every other order kept), e.g. ``keeps active_weight CASH 5 %``.
- ``residual: whole-share rounding``: neither, and the continuous optimum did not trade it (or
  shares are whole); ``residual: tie-break to benchmark`` otherwise.
"""

from __future__ import annotations

import numpy as np

from fimonitor.rebalance.cure_limits import RULE_EPS, Block
from fimonitor.rebalance.optimizer import ScenarioBook
from fimonitor.rebalance.rounding import Settled


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


def _fmt_alert(a: tuple) -> str:
    rule, key, value, lim, sevr = a[:5]
    op = "<" if rule == "min_cash_weight" else ">"
    if rule == "duration_gap":
        v, lv = f"{value:.2f} y", f"{lim:g} y"
    else:
        v, lv = f"{value * 100:.2f} %", f"{lim * 100:g} %"
    return " ".join(x for x in ("cures", sevr, rule, key, v, op, lv) if x)


def order_reasons(
    book: ScenarioBook,
    st: Settled,
    blocks: list[Block],
    alerts: list[tuple],
    continuous_trade: np.ndarray,
    cost_rate: float,
    whole_shares: bool,
) -> np.ndarray:
    """Return why each ticker trades.

    The alert it cures, else the limit that would break without it (``keeps …``), else
    ``residual: whole-share rounding``.

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
            A = blk.A.tocsr()
            single = np.diff(A.indptr) == 1
            cols = A.indices[A.indptr[:-1]] if single.all() and A.nnz else None
            if cols is not None and not np.any(cols == c):
                # one row per ticker: undoing order j moves only ticker j's own row
                row_of = np.full(n, -1)
                row_of[cols] = np.arange(cols.size)
                row = row_of[todo]
                has = row >= 0
                r = np.where(has, row, 0)
                val = A.data[r] * (h[todo] - tj) / (vp + dv)
                hit = has & (blk.sense * (val - blk.limit[r]) > RULE_EPS)
            else:  # a few dense rows (cash, groups, duration, min cash): rows × orders
                Ac = A.tocsc()
                delta = (Ac[:, [c]].toarray() * (tj + dv)[None, :]) - (
                    Ac[:, todo].toarray() * tj[None, :]
                )
                val = ((Ac @ h)[:, None] + delta) / (vp + dv)[None, :]
                bad = blk.sense * (val - blk.limit[:, None]) > RULE_EPS
                hit, r = bad.any(axis=0), bad.argmax(axis=0)
            new = hit & (reasons[todo] == "")
            if new.any():
                label = [f"keeps {_shown(blk.family, blk.keys[i], blk.shown[i])}" for i in r[new]]
                reasons[todo[new]] = label
    one_share = book.prices
    rounding = np.abs(continuous_trade) < one_share
    fallback = (
        "residual: whole-share rounding" if whole_shares else "residual: tie-break to benchmark"
    )
    reasons = np.where(trading & (reasons == "") & (rounding | whole_shares), fallback, reasons)
    reasons = np.where(trading & (reasons == ""), "residual: tie-break to benchmark", reasons)
    reasons[c] = ""
    return reasons
