"""``fimonitor demo-books``: write N demo books (one folder each) and ``books.yaml``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``demo-books`` sub-command."""
    p = sub.add_parser(
        "demo-books",
        help="write N books derived from the demo book (real prices) to try `fimonitor batch`",
    )
    p.add_argument("--n", type=int, default=20, metavar="N", help="number of books (default 20)")
    p.add_argument(
        "--out", type=Path, default=Path("books"), metavar="DIR", help="folder (default: books)"
    )
    p.add_argument(
        "--broken",
        action="store_true",
        help="make the last book's ledger buy an unknown ticker (an input error)",
    )
    p.add_argument("--seed", type=int, default=17, help="random seed (default 17)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor demo-books``; return the exit code."""
    from fimonitor.batch.demo import write_demo_books

    print(write_demo_books(args.out, args.n, broken=args.broken, seed=args.seed))
    return 0
