"""``fimonitor rebalance``: the policy rebalancer for any portfolio (docs/interface.md, rebalance).

Prints the drift table (current, target, drift, action), then SELL and BUY orders with value,
reason and P&L vs cost, then alerts; ``--json`` writes the plan JSON, ``--csv`` the orders.
Prices come from the portfolio file (``price:``) or ``--data DIR`` prices.csv on ``--as-of``
(default: its last date); a ticker whose close is blank is valued on ``adj_close`` (noted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
from pathlib import Path

import pandas as pd

from fimonitor.commands import notify_options
from fimonitor.data.asof import resolve_as_of
from fimonitor.dates import parse_date
from fimonitor.fileio import atomic_write_csv, atomic_write_text
from fimonitor.notify import policy_message, send, should_send
from fimonitor.paths import default_data_dir
from fimonitor.policy.portfolio import Portfolio, load_portfolio
from fimonitor.policy.prices import needed_tickers, price_panel, prices_on
from fimonitor.policy.rebalancer import POLICY_CSV_COLUMNS, PolicyResult, rebalance
from fimonitor.policy.review import REVIEW_COLUMNS, last_rebalance_from_db, quarter_review
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
    p.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="OUT.csv",
        help="write the orders (and the quarter review to OUT_review.csv when there is one)",
    )
    p.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="record the event in this history database (SQLAlchemy URL)",
    )
    p.add_argument("--no-record", action="store_true", help="do not record the event")
    notify_options.add_arguments(p)
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
    lines += _tiers_text(result) + _review_text(result)
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


def _tiers_text(result: PolicyResult) -> list[str]:
    """Scores, tiers and exit triggers per holding (only when the file gives them)."""
    h = result.holdings
    if h is None or h.empty:
        return []
    head = f"{'holding':<10}{'score':>7}  {'tier (previous)':<28}{'triggers':>9}  thesis"
    out = ["", "Scores and tiers", head, "-" * len(head)]
    for r in h.itertuples():
        score = "" if r.score is None or math.isnan(r.score) else f"{r.score:.1f}"
        tier = r.tier + (f" ({r.previous_tier})" if r.previous_tier else "")
        thesis = "intact" if r.intact else "broken"
        out.append(f"{r.ticker:<10}{score:>7}  {tier:<28}{r.triggers_hit:>9}  {thesis}")
    return out


def _review_text(result: PolicyResult) -> list[str]:
    """The quarter review table (return since the last rebalance, contribution, class)."""
    rv = result.review
    if rv is None or rv.empty or result.review_since is None:
        return []
    head = f"{'holding':<10}{'then':>10}{'now':>10}{'return':>10}{'contrib.':>10}  class"
    out = [
        "",
        f"Quarter review since {result.review_since:%Y-%m-%d} (portfolio "
        f"{fmt.pct(result.review_return, 2, signed=True)})",
        head,
        "-" * len(head),
    ]
    for r in rv.to_dict("records"):
        out.append(
            f"{r['ticker']:<10}{fmt.money(r['start_price'], 2):>10}{fmt.money(r['price'], 2):>10}"
            f"{fmt.pct(r['return'], 1, signed=True):>10}"
            f"{fmt.pct(r['contribution'], 2, signed=True):>10}  {r['class']}"
        )
    return out


def _notify(args, settings, result: PolicyResult, portfolio: Portfolio) -> None:
    """Send the policy message when the settings ask for it (after the work)."""
    if not settings.enabled:
        return
    alerts = result.alerts.rename(columns={"level": "severity"})
    has_orders = len(result.orders) > 0
    urgent = bool((result.alerts["level"] == "URGENT").any())
    if not should_send(settings.on, "rebalance", False, urgent, has_orders):
        return
    msg = policy_message(portfolio.name, result.as_of, result.orders, alerts, command="rebalance")
    send(settings.urls, msg, strict=settings.strict)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor rebalance``; return the exit code."""
    portfolio = load_portfolio(args.portfolio)
    settings = notify_options.settings_from(args, portfolio.origin.notify)
    notes: list[str] = []
    prices: dict[str, float] = {}
    history = None
    data = args.data
    if data is None:  # prices missing from the file: use ./data (or the bundled demo book)
        priced = portfolio.file_prices()
        need = needed_tickers(portfolio)
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
    since = portfolio.origin.last_rebalance
    if pd.isna(since) and args.db:
        since = last_rebalance_from_db(args.db, portfolio.name, as_of)
    if not pd.isna(since):
        review, total = quarter_review(portfolio, prices or portfolio.file_prices(), history, since)
        if review.empty:
            notes.append(f"quarter review since {since:%Y-%m-%d}: no price history (use --data)")
        else:
            result = dataclasses.replace(
                result, review=review, review_since=since, review_return=total
            )
    if notes:
        result = PolicyResult(**{**result.__dict__, "notes": (*notes, *result.notes)})
    print(report_text(result, portfolio))
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(result.to_json_dict(), indent=2, default=str))
        print(f"\nwrote {args.json}")
    if args.csv is not None:
        atomic_write_csv(result.orders[POLICY_CSV_COLUMNS], args.csv)
        print(f"wrote {args.csv}")
        if not result.review.empty:
            review_csv = args.csv.with_name(f"{args.csv.stem}_review.csv")
            atomic_write_csv(result.review[REVIEW_COLUMNS], review_csv)
            print(f"wrote {review_csv}")
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
    _notify(args, settings, result, portfolio)
    return 0
