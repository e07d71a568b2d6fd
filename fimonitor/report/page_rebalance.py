"""Page 3 of the pack: what to do today (POST_MIN), the scenarios compared, the trades."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from fimonitor.report import figures, figures_perf, figures_rebalance, style
from fimonitor.report import format as fmt
from fimonitor.report.figures import Column
from fimonitor.report.page_common import (
    group_labels,
    new_page,
    num,
    pack_frame,
    page_text,
    signed_value,
    who,
)
from fimonitor.report.panel import Panel
from fimonitor.results import Pack

# ---------------------------------------------------------------------------------------------
# Page 3
# ---------------------------------------------------------------------------------------------


def scenario_alerts(pack: Pack, scenario: str) -> pd.DataFrame:
    """The rules' alerts on a rebalance scenario's weights (the one rule engine and classifier).

    The scenario's weights come from ``rebalance.comparison``; durations, groups and cash-proxy
    flags from today's positions; limits from ``pack.thresholds``.
    """
    from fimonitor.config import RulesConfig, Threshold
    from fimonitor.rules.engine import evaluate_positions

    rb = pack.rebalance
    c = rb.comparison[rb.comparison["scenario"] == scenario] if rb is not None else None
    if c is None or c.empty:
        return pd.DataFrame(columns=["rule", "ticker", "value", "limit", "severity"])
    pos = pack.positions.set_index("ticker")
    frame = pd.DataFrame(
        {
            "ticker": c["ticker"].to_numpy(),
            "weight": c["weight"].to_numpy(dtype=float),
            "benchmark_weight": (c["weight"] - c["active_weight"]).to_numpy(dtype=float),
        }
    )
    for col in ("duration", "group", "is_cash_proxy"):
        frame[col] = pos[col].reindex(frame["ticker"]).to_numpy() if col in pos else np.nan
    frame["is_cash_proxy"] = frame["is_cash_proxy"].fillna(False).astype(bool)
    frame["group"] = frame["group"].fillna("")
    th = pack.thresholds or {}

    def t(key: str, kind: str = "max"):
        v = th.get(key)
        return None if v is None else Threshold(v[0], v[1], kind)

    rules = RulesConfig(
        max_single_name_weight=t("max_single_name_weight"),
        min_cash_weight=t("min_cash_weight", "min"),
        duration_gap=t("duration_gap"),
        active_weight=t("active_weight"),
        group_max_weight={
            g: Threshold(v[0], v[1], "max") for g, v in (th.get("group_max_weight") or {}).items()
        },
    )
    return evaluate_positions(frame, rules, pack.as_of)


def _left_text(pack: Pack, scenario: str, n_breach: float) -> str:
    """'leaves BREACH cash weight 0.40 %' for a scenario that leaves breaches."""
    if not np.isfinite(n_breach) or n_breach <= 0:
        return ""
    a = scenario_alerts(pack, scenario)
    b = a[a["severity"] == "BREACH"]
    if b.empty:
        return f"leaves {int(n_breach)} BREACH"
    labels = group_labels(pack)
    parts = [
        f"{fmt.rule_label(r['rule'])} {who(r, labels)} {signed_value(r)}" for _, r in b.iterrows()
    ]
    return "leaves BREACH " + "; ".join(parts)


def _scenario_table(ax, pack: Pack) -> pd.DataFrame:
    rb = pack.rebalance
    s = rb.summary.copy()
    s["_left"] = [_left_text(pack, str(r["scenario"]), num(r["n_breach"])) for _, r in s.iterrows()]

    def status(r: pd.Series) -> str:
        if r["scenario"] == "PRE":
            return "current book"
        st = fmt.text(r.get("status"))
        return f"{st}, {fmt.count(r['n_breach'])} BREACH left" if r["_left"] else st

    cols = [
        Column("Scenario", lambda r: fmt.text(r["scenario"]), "left", 1.0),
        Column("Status", status, "left", 1.9),
        Column("Breach", lambda r: fmt.count(r["n_breach"]), "right", 0.65),
        Column("Warn", lambda r: fmt.count(r["n_warn"]), "right", 0.55),
        Column("Gap", lambda r: fmt.years(r["duration_gap"], signed=True), "right", 0.8),
        Column("Turnover", lambda r: fmt.pct(r["turnover"]), "right", 0.85),
    ]

    def colour(r: pd.Series) -> str:
        if str(r.get("status")) == "infeasible" or r["_left"]:
            return style.BREACH
        return style.TEXT

    figures.table(
        ax,
        s,
        cols,
        title="Scenarios: alerts left, duration gap and turnover",
        row_fill=lambda r: style.BREACH_FILL if str(r.get("status")) == "infeasible" else "white",
        row_colour=colour,
        fontsize=6.5,
        note="Gap = portfolio − benchmark duration; turnover = Σ|notional| / market value",
    )
    return s


def _left_block(ax, s: pd.DataFrame) -> None:
    """Name the breaches each scenario leaves (POST_BM's "ok" included)."""
    lines = [(style.BREACH, f"{r['scenario']} {r['_left']}") for _, r in s.iterrows() if r["_left"]]
    if not lines:
        lines = [(style.OK, "No scenario leaves a BREACH.")]
    figures.text_block(ax, "Breaches each scenario leaves", lines, fontsize=6.6)


def _trades_table(ax, rb, scenario: str, mv: float, title: str | None = None) -> None:
    o = rb.orders[rb.orders["scenario"] == scenario].copy()
    o = o.reindex(o["notional"].abs().sort_values(ascending=False).index)
    buys = o.loc[o["side"] == "BUY", "notional"].sum()
    sells = o.loc[o["side"] == "SELL", "notional"].sum()
    wide = scenario == "POST_MIN"
    cols = [
        Column("Ticker", lambda r: fmt.text(r["ticker"]), "left", 0.6),
        Column("Side", lambda r: fmt.text(r["side"]), "left", 0.45),
        Column("Shares", lambda r: fmt.number(r["shares"]), "right", 0.7),
        Column("Price", lambda r: fmt.money(r["price"], 2), "right", 0.7),
        Column("Notional", lambda r: fmt.money(r["notional"]), "right", 0.9),
        Column(
            "% of MV",
            lambda r: fmt.pct(num(r["notional"]) / mv, 2) if mv else fmt.MISSING,
            "right",
            0.7,
        ),
    ]
    if "reason" in o:
        cols.append(
            Column("Reason", lambda r: fmt.text(r.get("reason")), "left", 3.2 if wide else 2.75)
        )
    status = rb.summary.set_index("scenario")["status"].get(scenario, "")
    if str(status) == "infeasible":
        empty = f"no trades: {scenario} is infeasible (see the diagnosis)"
    else:
        empty = "no trades needed: every rule is within its limits"
    figures.table(
        ax,
        o,
        cols,
        title=title or f"Trades {scenario}: {len(o)} orders",
        row_colour=lambda r: style.PORTFOLIO if r["side"] == "BUY" else style.NEGATIVE,
        note=(
            f"Buys {fmt.money(buys)} · sells {fmt.money(sells)} · ordered by notional"
            if len(o)
            else ""
        ),
        empty=empty,
        fontsize=6.6,
    )


def _today_box(fig: Figure, pack: Pack) -> None:
    """'What to do today': POST_MIN's orders, turnover and cost vs POST_CONS, alerts left."""
    rb = pack.rebalance
    summ = rb.summary.set_index("scenario")
    has_min = "POST_MIN" in summ.index
    st = str(summ["status"].get("POST_MIN", "")) if has_min else ""
    bad = st in ("infeasible", "failed", "inaccurate") or not has_min
    edge = style.BREACH if bad else style.PORTFOLIO
    fig.add_artist(
        FancyBboxPatch(
            (0.03, 0.842),
            0.94,
            0.064,
            boxstyle="round,pad=0,rounding_size=0.006",
            transform=fig.transFigure,
            facecolor=style.BREACH_FILL if bad else style.ROW_FILL,
            edgecolor=edge,
            lw=1.2,
        )
    )
    if not has_min:
        head = "What to do today: no least-trade scenario (POST_MIN) was computed"
        detail = ""
    else:
        r = summ.loc["POST_MIN"]
        n_o = int((rb.orders["scenario"] == "POST_MIN").sum())
        if bad:
            head = f"What to do today: POST_MIN {st.upper()} — the limits cannot all be met"
        else:
            head = (
                f"What to do today (POST_MIN, the least trade that cures): {n_o} orders, "
                f"turnover {fmt.pct(r['turnover'], 2)} → {fmt.count(r['n_breach'])} BREACH, "
                f"{fmt.count(r['n_warn'])} WARN left"
            )
        detail = fmt.text(r.get("diagnosis")) if "diagnosis" in r else ""
        if detail == fmt.MISSING:
            detail = ""
    text = page_text(fig)
    text.add(0.04, 0.889, head, fontsize=9.5, fontweight="bold", colour=edge)
    cons = ""
    if rb.status == "infeasible":
        cons = "POST_CONS INFEASIBLE: " + (fmt.text(rb.diagnosis) if rb.diagnosis else "")
    lines = [*textwrap.wrap(detail, 200)[:1], *textwrap.wrap(cons, 200)[:1]]
    for k, line in enumerate(lines):
        colour = style.BREACH if line.startswith("POST_CONS INF") else style.TEXT
        text.add(0.04, 0.868 - 0.016 * k, line, fontsize=7.2, colour=colour)


def _binding(ax, rb) -> None:
    b = rb.binding if rb.binding is not None else pd.DataFrame()
    if rb.status == "infeasible":
        lines = [(style.BREACH, f"POST_CONS infeasible: {fmt.text(rb.diagnosis)}")]
    elif b.empty:
        lines = [
            (
                style.TEXT,
                "No constraint binds: POST_CONS equals the closest-to-benchmark portfolio.",
            )
        ]
    else:
        lines = [(style.TEXT, f"• {fmt.text(t)}") for t in b["text"]]
    figures.text_block(ax, "Binding constraints in POST_CONS", lines, fontsize=6.6)


def rebalance_page(pack: Pack, top_n: int = 15) -> Figure:
    """Page 3: what to do today (POST_MIN), scenarios compared, trades, constraints."""
    rb = pack.rebalance
    mv = num(pack.summary_value("market_value")) if len(pack.summary) else float("nan")
    subtitle = (
        "POST_MIN: least trade inside every limit · POST_BM: to the benchmark · "
        "POST_CONS: closest to the benchmark within the rebalance constraints · weights in % of MV"
    )
    fig = new_page(pack, 3, subtitle)
    if rb is None:
        fig.text(
            0.5,
            0.5,
            "No rebalance was computed for this pack.",
            ha="center",
            fontsize=12,
            color=style.MUTED,
        )
        return fig
    _today_box(fig, pack)
    figures_rebalance.scenario_active_chart(
        rb.comparison,
        pack.thresholds,
        fig.add_axes((0.06, 0.48, 0.5, 0.31)),
        top_n=top_n,
        as_of=pack.as_of,
    )
    s = _scenario_table(Panel(fig, (0.6, 0.665, 0.37, 0.125)), pack)
    _left_block(Panel(fig, (0.6, 0.575, 0.37, 0.055)), s)
    _binding(Panel(fig, (0.6, 0.48, 0.37, 0.06)), rb)
    rs = pack_frame(pack, "rate_scenarios")
    min_bottom = 0.05 if rs.empty else 0.2
    _trades_table(
        Panel(fig, (0.03, min_bottom, 0.5, 0.4 - min_bottom)),
        rb,
        "POST_MIN",
        mv,
        title="What to do today — POST_MIN orders, with the alert each one cures",
    )
    if not rs.empty:
        figures_perf.rate_scenario_table(Panel(fig, (0.03, 0.045, 0.5, 0.115)), rs, pack.as_of)
    _trades_table(Panel(fig, (0.55, 0.05, 0.42, 0.385)), rb, "POST_CONS", mv)
    return fig
