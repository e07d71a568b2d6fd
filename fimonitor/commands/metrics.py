"""``fimonitor metrics``: risk and performance metrics of a return series.

Every metric is defined in docs/definitions.md (risk metrics).

``fimonitor metrics --returns R.csv [--benchmark B.csv] [--rf X] [--weights W.csv]``
prints ``metric,value`` CSV lines (full precision; an undefined metric is blank).
R.csv and B.csv hold ``date,return`` (daily simple returns as fractions); W.csv holds
``ticker,weight`` (fractions or percentages) for ``effective_n``. ``--rf`` is the daily
risk-free rate (fraction), used by the Sharpe ratio.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.analytics.risk import risk_metrics
from fimonitor.errors import InputError, SchemaError


def _read(path: Path, columns: tuple[str, str]) -> pd.DataFrame:
    """Read a two-column CSV as text; ``row`` is the spreadsheet line (header = row 1)."""
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError("file is empty (expected a header row)", file=path) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; expected "
            f"{','.join(columns)}, found {','.join(df.columns)}",
            file=path,
        )
    df = df[list(columns)].apply(lambda s: s.str.strip())
    df["row"] = np.arange(2, len(df) + 2)
    if df.empty:
        raise SchemaError("has no data rows", file=path)
    return df


def _first_bad(df: pd.DataFrame, mask: pd.Series, path: Path, problem, column: str) -> None:
    if bool(mask.any()):
        bad = df[mask].iloc[0]
        raise SchemaError(problem(bad), file=path, row=int(bad["row"]), column=column)


def _numbers(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    num = pd.to_numeric(df[col], errors="coerce")
    _first_bad(
        df,
        num.isna() | ~np.isfinite(num.fillna(0.0)),
        path,
        lambda r: f"{col} {r[col]!r} is not a number",
        col,
    )
    return num.astype(float)


def read_returns(path: str | Path) -> pd.Series:
    """``date,return`` CSV -> daily returns (fractions) indexed by date, sorted."""
    path = Path(path)
    df = _read(path, ("date", "return"))
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    _first_bad(
        df, dates.isna(), path, lambda r: f"date {r['date']!r} is not a date (YYYY-MM-DD)", "date"
    )
    values = _numbers(df, "return", path)
    dup = dates.duplicated()
    _first_bad(df, dup, path, lambda r: f"duplicate date {r['date']}", "date")
    out = pd.Series(values.to_numpy(), index=pd.DatetimeIndex(dates, name="date"), name="return")
    return out.sort_index()


def read_weights(path: str | Path) -> pd.Series:
    """``ticker,weight`` CSV -> weights (as given; :func:`effective_n` normalises)."""
    path = Path(path)
    df = _read(path, ("ticker", "weight"))
    _first_bad(df, df["ticker"] == "", path, lambda r: "ticker is blank", "ticker")
    w = _numbers(df, "weight", path)
    _first_bad(df, w < 0, path, lambda r: f"weight {r['weight']} is negative", "weight")
    dup = df["ticker"].str.upper().duplicated()
    _first_bad(df, dup, path, lambda r: f"duplicate ticker {r['ticker']}", "ticker")
    return pd.Series(w.to_numpy(), index=df["ticker"].str.upper(), name="weight")


def compute(
    returns: str | Path,
    benchmark: str | Path | None = None,
    rf: float = 0.0,
    weights: str | Path | None = None,
) -> pd.DataFrame:
    """Read the files and return :func:`risk_metrics`' ``metric,value`` frame."""
    r = read_returns(returns)
    b = read_returns(benchmark) if benchmark else None
    if b is not None and r.index.intersection(b.index).empty:
        raise InputError("has no dates in common with the returns file", file=benchmark)
    w = read_weights(weights) if weights else None
    return risk_metrics(r, b, rf=rf, weights=w)


def add_parser(subparsers) -> None:
    """Register the ``metrics`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "metrics",
        help="risk and performance metrics of a daily return series (docs/definitions.md)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--returns", required=True, metavar="R.csv", help="date,return (fractions)")
    p.add_argument("--benchmark", metavar="B.csv", help="date,return of the benchmark")
    p.add_argument(
        "--rf",
        type=float,
        default=0.0,
        metavar="X",
        help="daily risk-free rate, fraction (default 0)",
    )
    p.add_argument("--weights", metavar="W.csv", help="ticker,weight for effective_n")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor metrics``; return the exit code."""
    table = compute(args.returns, args.benchmark, args.rf, args.weights)
    sys.stdout.write(table.to_csv(index=False, lineterminator="\n"))
    return 0
