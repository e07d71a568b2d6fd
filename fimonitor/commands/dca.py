"""``fimonitor dca schedule|run``: dollar-cost averaging on the NYSE calendar.

See docs/interface.md (dca).

``schedule`` prints one investment date a line. ``run`` invests ``--amount`` on each date and
writes ``OUT/dca_orders.csv`` (date,ticker,shares,price,notional) and ``OUT/dca_summary.csv``
(per ticker: target, shares bought, invested, average price, end shares/price/value/weight),
prints a summary table and records the run in the history database
(default ``sqlite:///OUT/fimonitor.sqlite``; ``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fimonitor.commands._common import positive_float
from fimonitor.dates import parse_date
from fimonitor.errors import InputError
from fimonitor.fileio import atomic_write_csv
from fimonitor.paths import default_data_dir
from fimonitor.policy.dca import FREQUENCIES, MODES, cure_inputs_from_folder, run_dca, schedule
from fimonitor.policy.portfolio import load_portfolio
from fimonitor.policy.prices import price_panel
from fimonitor.report import format as fmt
from fimonitor.store.db import record_rebalancing_event


def add_parser(subparsers) -> None:
    """Register the ``dca`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "dca",
        help="dollar-cost averaging: schedule and run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="dca_command", metavar="{schedule,run}", parser_class=type(p))
    s = sub.add_parser("schedule", help="print the investment dates")
    _dates_args(s)
    s.set_defaults(func=run_schedule)
    r = sub.add_parser("run", help="invest an amount on each date")
    r.add_argument("--portfolio", required=True, type=Path, metavar="FILE.yaml")
    r.add_argument(
        "--amount",
        required=True,
        type=positive_float,
        metavar="X",
        help="currency invested on each date",
    )
    _dates_args(r)
    r.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder with prices.csv (default: ./data, else the bundled demo book)",
    )
    r.add_argument("--out", type=Path, default=Path("outputs"), metavar="DIR")
    r.add_argument(
        "--mode",
        choices=MODES,
        default="weights",
        help="weights (default), underweight-first or cure-breaches",
    )
    r.add_argument(
        "--deposit",
        action="store_true",
        help="add the amount to cash on each date (new money) before investing",
    )
    r.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="rules file for cure-breaches (default: DIR/monitor.yaml)",
    )
    r.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="history database (default: sqlite:///OUT/fimonitor.sqlite)",
    )
    r.add_argument("--no-record", action="store_true", help="do not record the run")
    r.set_defaults(func=run_run)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def _dates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frequency", required=True, choices=FREQUENCIES)
    p.add_argument("--start", required=True, metavar="DATE")
    p.add_argument("--end", required=True, metavar="DATE")


def run_schedule(args: argparse.Namespace) -> int:
    """Print the investment dates of ``fimonitor dca schedule``; return the exit code."""
    dates = schedule(
        args.frequency, parse_date(args.start, "--start"), parse_date(args.end, "--end")
    )
    sys.stdout.write("".join(f"{d:%Y-%m-%d}\n" for d in dates))
    return 0


def run_run(args: argparse.Namespace) -> int:
    """Run ``fimonitor dca run``: invest, write the CSVs, record; return the exit code."""
    portfolio = load_portfolio(args.portfolio)
    dates = schedule(
        args.frequency, parse_date(args.start, "--start"), parse_date(args.end, "--end")
    )
    if len(dates) == 0:
        raise InputError(f"no {args.frequency} investment date between {args.start} and {args.end}")
    data = args.data if args.data is not None else default_data_dir()
    prices, notes = None, []
    if args.data is not None or (data / "prices.csv").is_file():
        panel, fallback = price_panel(data)
        if dates[0] < panel.index[0] or dates[-1] > panel.index[-1]:
            raise InputError(
                f"prices cover {panel.index[0]:%Y-%m-%d} .. "
                f"{panel.index[-1]:%Y-%m-%d}; the schedule runs {dates[0]:%Y-%m-%d}"
                f" .. {dates[-1]:%Y-%m-%d}",
                file=data / "prices.csv",
            )
        file_prices = portfolio.file_prices()
        prices = panel.drop(columns=[c for c in file_prices if c in panel.columns])
        adj = [
            t
            for t in portfolio.target_tickers()
            if t in fallback.columns
            and t not in file_prices
            and fallback[t].loc[dates[0] : dates[-1]].any()
        ]
        if adj:
            notes.append(f"{', '.join(adj)}: close is blank; valued on adj_close")
    cure = cure_inputs_from_folder(data, args.config) if args.mode == "cure-breaches" else None
    result = run_dca(
        portfolio,
        args.amount,
        dates,
        prices,
        mode=args.mode,
        deposit=args.deposit,
        cure=cure,
        progress=sys.stderr.isatty(),
    )
    out = Path(args.out)
    atomic_write_csv(result.orders, out / "dca_orders.csv")
    atomic_write_csv(result.summary, out / "dca_summary.csv")

    print(
        f"DCA {portfolio.name}: {fmt.money(args.amount, 2)} {args.frequency} by {args.mode}, "
        f"{len(dates)} dates {dates[0]:%Y-%m-%d} .. {dates[-1]:%Y-%m-%d}"
    )
    print(
        f"invested {fmt.money(result.invested, 2)} in {len(result.orders)} purchases; "
        f"skipped {result.skipped} under {fmt.money(portfolio.min_investment_per_stock, 2)}; "
        f"cash {fmt.money(result.cash_start, 2)} -> {fmt.money(result.cash_end, 2)}"
        + (f" (deposited {fmt.money(result.deposited, 2)})" if args.deposit else "")
    )
    head = (
        f"{'ticker':<8}{'target':>9}{'bought':>12}{'invested':>15}{'avg price':>12}"
        f"{'end value':>15}{'end weight':>12}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for r in result.summary.itertuples():
        print(
            f"{r.ticker:<8}{fmt.pct(r.target, 1):>9}{fmt.number(r.shares_bought, 2):>12}"
            f"{fmt.money(r.invested, 2):>15}{fmt.money(r.avg_price, 2):>12}"
            f"{fmt.money(r.end_value, 2):>15}{fmt.pct(r.end_weight, 2):>12}"
        )
    all_notes = notes + list(result.notes)
    if all_notes:
        print("\nNotes")
        for n in all_notes[:20]:
            print(f"  {n}")
        if len(all_notes) > 20:
            print(f"  ... and {len(all_notes) - 20} more")
    print(f"\nwrote {out / 'dca_orders.csv'} and {out / 'dca_summary.csv'}")
    if not args.no_record:
        url = args.db or f"sqlite:///{(out / 'fimonitor.sqlite').resolve()}"
        event_id = record_rebalancing_event(
            url,
            portfolio_id=portfolio.name,
            event_date=dates[-1],
            event_type="dca",
            inputs={
                "portfolio": str(args.portfolio),
                "amount": args.amount,
                "frequency": args.frequency,
                "start": f"{dates[0]:%Y-%m-%d}",
                "end": f"{dates[-1]:%Y-%m-%d}",
                "mode": args.mode,
                "deposit": args.deposit,
            },
            orders=result.orders.assign(
                date=result.orders["date"].dt.strftime("%Y-%m-%d"), side="BUY"
            ),
            status="completed",
            post_state={r.ticker: float(r.end_weight) for r in result.summary.itertuples()},
        )
        print(f"recorded event {event_id} in {url}")
    return 0
