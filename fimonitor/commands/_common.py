"""Arguments shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from fimonitor.paths import default_data_dir

__all__ = ["add_data_arg", "data_dir"]


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
    """Return the ``--data`` folder, or the default one."""
    return args.data if args.data is not None else default_data_dir()
