"""Command line entry point: argument parsing, logging set-up, errors -> exit codes.

Each sub-command lives in ``fimonitor/commands/<name>.py`` and exposes
``add_parser(subparsers) -> None``, which registers its parser and sets
``func=run`` where ``run(args) -> int`` returns the exit code.

Exit codes: 0 success; 2 bad input or usage (one line on stderr, no traceback);
1 unexpected internal error (set ``FIMONITOR_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from fimonitor import __version__
from fimonitor.errors import MAX_MESSAGE, FimonitorError, cut

COMMANDS: tuple[str, ...] = (
    "pack",
    "validate",
    "durations",
    "rebalance",
    "dca",
    "backtest",
    "metrics",
    "history",
    "prices",
    "performance",
    "assets",
    "serve",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``fimonitor`` argument parser with every sub-command registered."""
    parser = _Parser(prog="fimonitor", description="Fixed-income portfolio monitoring.")
    parser.add_argument("--version", action="version", version=f"fimonitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"fimonitor.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 internal error, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
    except FimonitorError as exc:
        sys.stderr.write(f"fimonitor: error: {one_line(exc)}\n")
        return 2
    except OSError as exc:
        if getattr(exc, "errno", None) in _DISK_FULL:
            where = cut(exc.filename) if exc.filename else "the output folder"
            sys.stderr.write(f"fimonitor: error: disk full / cannot write {where}\n")
            return 1
        if isinstance(exc, _BAD_PATH):
            where = cut(exc.filename) if exc.filename else "a path"
            sys.stderr.write(f"fimonitor: error: cannot use {where}: {exc.strerror or exc}\n")
            return 2
        return _internal(exc)
    except BrokenPipeError:  # e.g. `fimonitor backtest | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("fimonitor: interrupted\n")
        return 130
    except Exception as exc:
        return _internal(exc)
    return int(code or 0)


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_BAD_PATH = (PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError)


def one_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, without SQL echoes, cut to a bounded length."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for marker in (" [SQL:", "(Background on this error"):
        text = text.split(marker)[0].rstrip()
    return cut(text, MAX_MESSAGE)


def _internal(exc: BaseException) -> int:
    if os.environ.get("FIMONITOR_DEBUG"):
        traceback.print_exc()
    sys.stderr.write(
        f"fimonitor: internal error: {type(exc).__name__}: {one_line(exc)} "
        "(set FIMONITOR_DEBUG=1 for the traceback)\n"
    )
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
