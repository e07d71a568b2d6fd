"""``fimonitor durations estimate``: monthly empirical durations from prices and Treasury yields.

    fimonitor durations estimate [--data DIR] [--out FILE] [--window N]

Reads ``prices.csv`` (``adj_close``), ``treasury_yields.csv`` (FRED ``DGS*``, percent), the
optional ``fred_rates_extra.csv`` (TIPS real yields ``DFII*``) and the optional
``security_master.csv`` (to pick the fixed-income funds and their groups), and writes
``month,ticker,duration,method`` (default ``DIR/duration_monthly.csv``), atomically.
The method is described in :mod:`fimonitor.analytics.empirical_duration`.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from pathlib import Path

import pandas as pd

from fimonitor.analytics.empirical_duration import (
    DEFAULT_WINDOW,
    MARKET_TICKER,
    NOMINAL_TENORS,
    REAL_TENORS,
    FundSpec,
    estimate_durations,
    spec_for,
)
from fimonitor.data.loaders import read_prices, read_security_master
from fimonitor.errors import DataGapError, InputError, SchemaError
from fimonitor.fileio import atomic_write_csv

log = logging.getLogger(__name__)

YIELDS_FILE = "treasury_yields.csv"
REAL_FILE = "fred_rates_extra.csv"
NOT_FIXED_INCOME = {"equity"}
DECIMALS = 4  # years; estimates are not meaningful beyond 1e-4 y


def read_curve(path: Path, prefixes: tuple[str, ...], *, required: bool) -> pd.DataFrame | None:
    """A FRED wide yield file -> date x series (percent, float), only columns with ``prefixes``.

    Blank cells stay NaN. Raises InputError naming the file and row for a bad date or number.
    """
    path = Path(path)
    if not path.is_file():
        if required:
            raise InputError("file not found", file=path)
        return None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    if "date" not in raw.columns:
        raise SchemaError(f"missing column date; found {', '.join(raw.columns)}", file=path)
    cols = [c for c in raw.columns if c.startswith(prefixes)]
    if not cols:
        raise SchemaError(f"no yield columns starting with {'/'.join(prefixes)}", file=path)
    dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        raise SchemaError(
            f"date {raw['date'].iloc[i]!r} is not a date (YYYY-MM-DD)",
            file=path,
            row=i + 2,
            column="date",
        )
    out = {}
    for c in cols:
        s = raw[c].str.strip().replace({"": None, ".": None})
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise SchemaError(
                f"{c} {raw[c].iloc[i]!r} is not a number", file=path, row=i + 2, column=c
            )
        out[c] = num.astype(float).to_numpy()
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(dates, name="date")).sort_index()
    if frame.index.has_duplicates:
        d = frame.index[frame.index.duplicated()][0]
        raise SchemaError(f"duplicate date {d.date()}", file=path)
    return frame


def estimate_from_folder(data_dir: str | Path, *, window: int = DEFAULT_WINDOW) -> pd.DataFrame:
    """Estimate ``duration_monthly`` rows for the fixed-income funds of a data folder.

    Funds: every non-equity ticker of ``security_master.csv`` that has prices (or, without
    a security master, every ticker with a built-in setting). Spread-aware funds fall back to
    the rates-only fit (with a warning) when SPY has no prices; TIPS funds fall back to the
    nominal curve when ``fred_rates_extra.csv`` is absent.

    Returns
    -------
    DataFrame
        ``month`` (YYYY-MM), ``ticker``, ``duration`` (years, rounded to 4 decimals), ``method``.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"data folder {data_dir} does not exist")
    prices = read_prices(data_dir / "prices.csv")
    adj = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    nominal = read_curve(data_dir / YIELDS_FILE, ("DGS",), required=True)
    nominal = nominal[[c for c in nominal.columns if c in NOMINAL_TENORS]]
    real = read_curve(data_dir / REAL_FILE, ("DFII",), required=False)
    if real is not None:
        real = real[[c for c in real.columns if c in REAL_TENORS]]

    master = data_dir / "security_master.csv"
    if master.is_file():
        sec = read_security_master(master)
        candidates = [
            (t, g) for t, g in sec["group"].items() if t != "CASH" and g not in NOT_FIXED_INCOME
        ]
    else:
        candidates = [(t, None) for t in adj.columns]

    specs: dict[str, FundSpec] = {}
    for t, g in candidates:
        spec = spec_for(t, g)
        if spec is None or t not in adj.columns or adj[t].notna().sum() == 0:
            continue
        specs[t] = spec
    if not specs:
        raise DataGapError("no fixed-income fund with prices to estimate", file=master)

    market = adj[MARKET_TICKER] if MARKET_TICKER in adj.columns else None
    if market is None and any(s.spread_aware for s in specs.values()):
        log.warning("%s has no prices: credit funds get the rates-only fit", MARKET_TICKER)
        specs = {t: replace(s, spread_aware=False) for t, s in specs.items()}
    if real is None and any(s.curve == "real" for s in specs.values()):
        log.warning("%s not found: inflation-linked funds use the nominal curve", REAL_FILE)
        specs = {t: replace(s, curve="nominal") for t, s in specs.items()}

    out = estimate_durations(adj, nominal, specs, real_yields=real, market=market, window=window)
    out["duration"] = out["duration"].round(DECIMALS)
    return out


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "model":
        from fimonitor.commands.durations_model import run_model  # imports this module

        return run_model(args)
    if getattr(args, "action", None) != "estimate":
        raise InputError(
            "usage: fimonitor durations {estimate,model} [--data DIR] [--out FILE|DIR]"
        )
    data_dir = Path(args.data)
    out = Path(args.out) if args.out else data_dir / "duration_monthly.csv"
    frame = estimate_from_folder(data_dir, window=args.window)
    atomic_write_csv(frame, out)
    months = frame["month"]
    print(
        f"wrote {out}: {len(frame)} rows, {frame['ticker'].nunique()} funds, "
        f"{months.min()}..{months.max()} (method: empirical_estimate)"
    )
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("durations", help="estimate monthly empirical fund durations")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    e = sub.add_parser("estimate", help="rolling regression of fund returns on Treasury yields")
    e.add_argument("--data", default="data", help="input folder (default: data)")
    e.add_argument("--out", default=None, help="output CSV (default: DIR/duration_monthly.csv)")
    e.add_argument(
        "--window",
        type=int,
        default=DEFAULT_WINDOW,
        help=f"trading days per regression (default {DEFAULT_WINDOW})",
    )
    e.set_defaults(func=run)
    m = sub.add_parser("model", help="analytic durations and key-rate durations from index rules")
    m.add_argument("--data", default="data", help="input folder (default: data)")
    m.add_argument("--out", default=None, help="output folder (default: the data folder)")
    m.set_defaults(func=run)
    p.set_defaults(func=run)
