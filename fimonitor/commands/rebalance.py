"""``fimonitor rebalance``: the policy rebalancer for any portfolio (docs/interface.md, rebalance).

Prints the drift table (current, target, drift, action), then SELL and BUY orders with value,
reason and P&L vs cost, then alerts; ``--json`` writes the plan JSON, ``--csv`` the orders.
Prices come from the portfolio file (``price:``) or ``--data DIR`` prices.csv on ``--as-of``
(default: its last date); a ticker whose close is blank is valued on ``adj_close`` (noted).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from fimonitor.data.asof import resolve_as_of
from fimonitor.dates import parse_date
from fimonitor.fileio import atomic_write_csv, atomic_write_text
from fimonitor.paths import default_data_dir
from fimonitor.policy.portfolio import Portfolio, load_portfolio
from fimonitor.policy.prices import price_panel, prices_on
from fimonitor.policy.rebalancer import POLICY_CSV_COLUMNS, PolicyResult, rebalance
from fimonitor.report import format as fmt
from fimonitor.store.db import record_rebalancing_event

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    """Register the ``rebalance`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "rebalance",
        help="policy rebalancer for any portfolio (YAML)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--portfolio", required=True, type=Path, metavar="FILE.yaml")
    p.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="valuation date (default: the last date in --data prices, else today)",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder whose prices.csv gives prices not written in the portfolio "
        "file (default: ./data or the bundled demo book, used only when the "
        "file lacks a price)",
    )
    p.add_argument("--json", type=Path, default=None, metavar="OUT.json")
    p.add_argument("--csv", type=Path, default=None, metavar="OUT.csv", help="write the orders")
    p.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="record the event in this history database (SQLAlchemy URL)",
    )
    p.add_argument("--no-record", action="store_true", help="do not record the event")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- report text
def report_text(result: PolicyResult, portfolio: Portfolio) -> str:
    """Return the terminal report: drift table, SELL orders, BUY orders, alerts, notes."""
    lines = [
        f"Portfolio {portfolio.name} — {portfolio.policy.method} policy, as of "
        f"{result.as_of:%Y-%m-%d}",
        f"Total value {fmt.money(result.total_value, 2)}; cash "
        f"{fmt.money(result.cash_before, 2)} -> {fmt.money(result.cash_after, 2)} "
        f"(reserve {fmt.money(portfolio.cash_reserve, 2)}); turnover "
        f"{fmt.pct(result.turnover, 2)}",
        "",
    ]
    head = f"{'holding':<16}{'current':>10}{'target':>10}{'drift':>11}{'after':>10}  action"
    lines += [head, "-" * len(head)]
    for r in result.rows.itertuples():
        flag = "  URGENT" if r.urgent else ""
        lines.append(
            f"{r.row:<16}{fmt.pct(r.weight, 2):>10}{fmt.pct(r.target, 2):>10}"
            f"{fmt.pp(r.drift, 2):>11}{fmt.pct(r.post_weight, 2):>10}  "
            f"{r.action:<5} {r.reason}{flag}"
        )
    cash_w = result.cash_before / result.total_value
    lines.append(f"{'CASH':<16}{fmt.pct(cash_w, 2):>10}")
    for side in ("SELL", "BUY"):
        sub = result.orders[result.orders["side"] == side]
        lines += ["", f"{side} orders" + ("" if len(sub) else ": none")]
        for o in sub.itertuples():
            text = (
                f"  {side} {fmt.number(o.shares, 0 if float(o.shares).is_integer() else 4)} "
                f"{o.ticker} @ {fmt.money(o.price, 2)} = {fmt.money(o.notional, 2)}"
            )
            if side == "SELL":
                pnl_pct = o.pnl / o.cost_basis if o.cost_basis else float("nan")
                text += (
                    f"  P&L {fmt.money(o.pnl, 2, signed=True)} ({fmt.pct(pnl_pct, 1, signed=True)})"
                )
            lines += [text, f"      reason: {o.reason}"]
    if portfolio.policy.tax.enabled:
        g = result.realised
        lines += [
            "",
            f"Realised gain: short-term {fmt.money(g['short_term'], 2, signed=True)}, "
            f"long-term {fmt.money(g['long_term'], 2, signed=True)}"
            + (
                f", undated lots {fmt.money(g['unknown_term'], 2, signed=True)}"
                if g["unknown_term"]
                else ""
            ),
        ]
    if len(result.alerts):
        lines += ["", "Alerts"]
        lines += [f"  {a.level:<7}{a.type}: {a.message}" for a in result.alerts.itertuples()]
    if result.notes:
        lines += ["", "Notes"] + [f"  {n}" for n in result.notes]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor rebalance``; return the exit code."""
    portfolio = load_portfolio(args.portfolio)
    notes: list[str] = []
    prices: dict[str, float] = {}
    history = None
    data = args.data
    if data is None:  # prices missing from the file: use ./data (or the bundled demo book)
        priced = portfolio.file_prices()
        need = [*portfolio.holdings, *portfolio.target_tickers()]
        if any(t not in priced for t in need) and (default_data_dir() / "prices.csv").is_file():
            data = default_data_dir()
    if data is not None:
        panel, fallback = price_panel(data)
        resolved = resolve_as_of(panel.index, args.as_of)
        as_of = resolved.date
        notes += [resolved.note] if resolved.note else []
        prices, fell_back = prices_on(panel, fallback, as_of, portfolio)
        notes += fell_back
        history = panel.loc[:as_of]
    elif args.as_of in (None, "latest"):
        as_of = pd.Timestamp.today().normalize()
    else:
        as_of = parse_date(args.as_of, "--as-of")
    result = rebalance(portfolio, prices, as_of=as_of, price_history=history)
    if notes:
        result = PolicyResult(**{**result.__dict__, "notes": (*notes, *result.notes)})
    print(report_text(result, portfolio))
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(result.to_json_dict(), indent=2, default=str))
        print(f"\nwrote {args.json}")
    if args.csv is not None:
        atomic_write_csv(result.orders[POLICY_CSV_COLUMNS], args.csv)
        print(f"wrote {args.csv}")
    if args.db and not args.no_record:
        event_id = record_rebalancing_event(
            args.db,
            portfolio_id=portfolio.name,
            event_date=as_of,
            event_type=f"policy_{portfolio.policy.method}",
            inputs={
                "portfolio": str(args.portfolio),
                "as_of": f"{as_of:%Y-%m-%d}",
                "data": None if data is None else str(data),
                "method": portfolio.policy.method,
                "tax": portfolio.policy.tax.enabled,
            },
            orders=result.orders[POLICY_CSV_COLUMNS],
            status="proposed",
            pre_state={r.row: float(r.weight) for r in result.rows.itertuples()},
            post_state={r.row: float(r.post_weight) for r in result.rows.itertuples()},
            tax_impact=float(result.realised["total"]),
        )
        print(f"recorded event {event_id} in {args.db}")
    return 0
