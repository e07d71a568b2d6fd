"""Arguments shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from fimonitor.errors import InputError, cut
from fimonitor.paths import default_data_dir

__all__ = ["add_data_arg", "data_dir", "finite_float", "nonneg_float", "positive_float"]


def add_data_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--data DIR`` (default: see :func:`fimonitor.paths.default_data_dir`)."""
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="input folder (default: ./data, else ../data, else the bundled demo book)",
    )


def data_dir(args: argparse.Namespace) -> Path:
    """Return the ``--data`` folder, or the default one; a missing ``--data`` folder raises."""
    if args.data is not None and not Path(args.data).is_dir():
        what = "is not a folder" if Path(args.data).exists() else "does not exist"
        raise InputError(f"--data folder {cut(str(args.data))} {what}")
    return args.data if args.data is not None else default_data_dir()


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{cut(text, 40)!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{cut(text, 40)!r} is not a finite number")
    return value


def finite_float(text: str) -> float:
    """Argparse type: a finite number (``nan`` and ``inf`` are refused)."""
    return _number(text)


def nonneg_float(text: str) -> float:
    """Argparse type: a finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{cut(text, 40)!r} must not be negative")
    return value


def positive_float(text: str) -> float:
    """Argparse type: a finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{cut(text, 40)!r} must be positive")
    return value
