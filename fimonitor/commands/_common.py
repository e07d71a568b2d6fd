"""Arguments shared by several commands and the default locations."""

from __future__ import annotations

import argparse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """``./data`` when it exists, else the demo book bundled beside the package."""
    here = Path("data")
    if here.is_dir():
        return here
    bundled = REPO_ROOT / "data"
    return bundled if bundled.is_dir() else here


def add_data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="input folder (default: ./data, else the bundled demo book)",
    )


def data_dir(args: argparse.Namespace) -> Path:
    return args.data if args.data is not None else default_data_dir()
