"""Arguments shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from fimonitor.errors import InputError, cut
from fimonitor.paths import default_data_dir

__all__ = [
    "add_data_arg",
    "add_executor_arg",
    "data_dir",
    "finite_float",
    "nonneg_float",
    "positive_float",
]


def add_data_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--data DIR`` (default: see :func:`fimonitor.paths.default_data_dir`)."""
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="input folder (default: ./data, else ../data, else the bundled demo book)",
    )


def add_executor_arg(p: argparse.ArgumentParser, *, default: str | None, prefix: str = "") -> None:
    """Add ``--executor serial|process[:N]|dask[:ADDRESS]`` (``fimonitor batch`` and ``pack``).

    The value is parsed by :func:`fimonitor.batch.executors.parse_executor` when the command
    runs (not here: ``--help`` imports no library module). ``default`` None lets a command
    tell an explicit ``--executor`` from the default one (``serial``).
    """
    p.add_argument(
        "--executor",
        default=default,
        metavar="serial|process[:N]|dask[:ADDRESS]",
        help=f"{prefix}serial (default), a local process pool, or Dask (a scheduler address, "
        "or a LocalCluster of 2 worker processes)",
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
