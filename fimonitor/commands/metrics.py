"""``fimonitor metrics``: risk and performance metrics of a return series.

Every metric is defined in docs/definitions.md (risk metrics).

``fimonitor metrics --returns R.csv [--benchmark B.csv] [--rf X] [--weights W.csv]``
prints ``metric,value`` CSV lines (full precision; an undefined metric is blank).
R.csv and B.csv hold ``date,return`` (daily simple returns as fractions); W.csv holds
``ticker,weight`` (fractions summing to 1 or percentages summing to 100) for
``effective_n``. ``--rf`` is the daily risk-free rate (fraction), used by the Sharpe ratio.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fimonitor.analytics.risk import risk_metrics
from fimonitor.commands._common import finite_float
from fimonitor.data.tables import read_returns_file, read_weights_file
from fimonitor.errors import InputError
from fimonitor.fileio import csv_text

#: the readers live in the data layer; kept under their 0.1 names
read_returns = read_returns_file
read_weights = read_weights_file


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
        type=finite_float,
        default=0.0,
        metavar="X",
        help="daily risk-free rate, fraction (default 0)",
    )
    p.add_argument("--weights", metavar="W.csv", help="ticker,weight for effective_n")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor metrics``; return the exit code."""
    table = compute(args.returns, args.benchmark, args.rf, args.weights)
    sys.stdout.write(csv_text(table))
    return 0
