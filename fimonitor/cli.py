"""Command line entry point: argument parsing, logging set-up, errors -> exit codes.

Each sub-command lives in ``fimonitor/commands/<name>.py`` and exposes
``add_parser(subparsers) -> None``, which registers its parser and sets
``func=run`` where ``run(args) -> int`` returns the exit code.

Exit codes: 0 success; 2 bad input or usage (one line on stderr, no traceback);
1 unexpected internal error (set ``FIMONITOR_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import atexit
import errno
import gc
import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Iterable, Sequence

from fimonitor import __version__
from fimonitor.errors import MAX_MESSAGE, FimonitorError, cut

# name -> one-line help, in the order ``--help`` lists them. Only the chosen command's module
# is imported (``fimonitor --version`` / ``--help`` import no command at all); the help texts
# here must match the modules' own (tests/test_cli_lazy.py checks them).
COMMAND_HELP: dict[str, str] = {
    "pack": "build the 3-page PDF monitoring pack and its CSV/PNG files",
    "validate": "check the input folder and rules file, write nothing",
    "durations": "fund durations: analytic model or empirical estimate",
    "rebalance": "policy rebalancer for any portfolio (YAML)",
    "dca": "dollar-cost averaging: schedule and run",
    "backtest": "backtest rebalancing policies on the price history (docs/interface.md, backtest)",
    "metrics": "risk and performance metrics of a daily return series (docs/definitions.md)",
    "history": "list the snapshots, events or returns stored in the history database",
    "prices": "market data: refresh prices.csv",
    "performance": "returns and attribution against the benchmark for any date range",
    "assets": "technical indicators and performance metrics per asset",
    "batch": "build the packs of many books and a firm summary",
    "demo-books": "write N books derived from the demo book (real prices) to try `fimonitor batch`",
    "serve": "serve the read-only analytics API and the live dashboard",
}
COMMANDS: tuple[str, ...] = tuple(COMMAND_HELP)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """Return the ``fimonitor`` argument parser.

    Parameters
    ----------
    commands : the sub-commands to register in full (their modules are imported); the
        others get a placeholder parser carrying only their help line, so ``--help`` still
        lists every command. None (default) registers every command in full.

    Returns
    -------
    argparse.ArgumentParser : the parser.
    """
    full = set(COMMANDS if commands is None else commands)
    parser = _Parser(prog="fimonitor", description="Fixed-income portfolio monitoring.")
    parser.add_argument("--version", action="version", version=f"fimonitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_line in COMMAND_HELP.items():
        if name in full:
            importlib.import_module(f"fimonitor.commands.{name.replace('-', '_')}").add_parser(sub)
        else:
            sub.add_parser(name, help=help_line)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv``: its first non-option word, if it is a command.

    The top-level options (``--version``, ``-v``, ``-h``) take no value, so the first word
    that does not start with ``-`` is the command.
    """
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMAND_HELP else None
    return None


def configure_logging(verbose: bool) -> None:
    """Log to stderr: warnings and errors, or progress too with ``-v``.

    The level is set on the stderr handler as well as on the root logger, so that libraries
    which raise their own loggers to INFO (Dask's scheduler and nannies, with tracebacks of
    connections closed at shutdown) print nothing without ``-v``. When logging is already
    configured (fimonitor used inside another program or a notebook) nothing changes.
    """
    level = logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 internal error, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = chosen_command(argv)
    parser = build_parser([] if command is None else [command])
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
    except FimonitorError as exc:
        sys.stderr.write(f"fimonitor: error: {one_line(exc)}\n")
        return 2
    except BrokenPipeError:  # e.g. `fimonitor backtest | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
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


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> bool:
    """Ask numpy's BLAS for one thread in this process and its workers; True when set.

    The pack's matrix products are small (at most 5,000 x 1,260): a second BLAS thread
    spins more than it helps. Measured with ``benchmarks/bench_pack.py`` on 2 cores: the
    1,000-ticker pack takes the same wall time with 0.6 s less CPU, the demo pack 0.3 s less
    CPU; the 5,000-ticker pack ~1.5 s more wall time (16.5 vs 14.9 s), 0.7 s less CPU.
    Nothing changes when the user has set any of :data:`BLAS_THREAD_VARS` (their choice
    wins) or when numpy is already imported (the setting is read at import). Child processes
    (process pools, the notebook kernel) inherit it, as Dask's workers do by default.
    """
    if "numpy" in sys.modules or any(v in os.environ for v in BLAS_THREAD_VARS):
        return False
    for var in BLAS_THREAD_VARS:
        os.environ[var] = "1"
    return True


FULL_COLLECTION_EVERY = 100  # young collections per full one (CPython's default: 10)


def fewer_full_collections() -> tuple[int, int, int]:
    """Make the cyclic garbage collector's full passes 10x rarer; return the new thresholds.

    A full pass walks every live object: the imported modules and the pack's frames. With
    CPython's default a pack runs 3-4 of them, 0.15 s of CPU for the demo book, 0.26 s at
    1,000 tickers and 0.25 s at 5,000 (measured with ``gc.callbacks``); with
    :data:`FULL_COLLECTION_EVERY` = 100 a single pack runs none (young generations are still
    collected as usual), and the 5,000-ticker pack's peak RSS is unchanged (1.39 GB).
    """
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    return gc.get_threshold()


#: Allocations below this many bytes come from malloc's heap, where freed blocks are reused.
MMAP_THRESHOLD = 32 << 20
#: Free bytes kept at the heap's top before malloc gives them back to the system.
TRIM_THRESHOLD = 64 << 20
MALLOC_ENV_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def reuse_freed_memory() -> bool:
    """Let glibc's malloc reuse freed array memory instead of returning it; True when set.

    A date x ticker panel is 10 MB at 1,000 tickers; the pack makes dozens of such
    temporaries. With glibc's defaults (a dynamic mmap threshold, trim at twice it) many of
    them are fresh memory from the kernel, paid in page faults (system CPU) on first touch,
    and handed back when freed. With the mmap threshold fixed at :data:`MMAP_THRESHOLD`
    (glibc's own dynamic ceiling, 32 MB) and the trim threshold at :data:`TRIM_THRESHOLD`
    the freed blocks are reused. Measured (``/usr/bin/time``, CPU = user + sys, medians):
    1,000 tickers ~0.08 s less CPU (minor faults 103k -> 83k, peak RSS +5 MiB); 10 tickers
    and demo about the same; 5,000 tickers the same CPU and peak RSS (its 50 MB panels stay
    above the threshold; 64 MB / 128 MB saved ~1 s there but raised the peak RSS to
    1,445-1,493 MiB, over the 1.5 GB = 1,430 MiB goal). Only on glibc, and not when the
    environment sets any of :data:`MALLOC_ENV_VARS` (the user's choice wins).
    """
    if any(v in os.environ for v in MALLOC_ENV_VARS) or not sys.platform.startswith("linux"):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        import ctypes

        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        return bool(
            libc.mallopt(m_mmap_threshold, MMAP_THRESHOLD)
            and libc.mallopt(m_trim_threshold, TRIM_THRESHOLD)
        )
    except (OSError, ValueError, AttributeError):  # no such confstr name / libc symbol
        return False


def run() -> None:
    """Console entry point: :func:`main`, then end the process without interpreter teardown.

    BLAS runs on one thread (:func:`one_blas_thread`) unless the environment says otherwise,
    the garbage collector makes fewer full passes (:func:`fewer_full_collections`) and
    malloc reuses freed memory (:func:`reuse_freed_memory`, when a command runs: not for
    ``--version`` / ``--help``, which skip the ctypes import).

    Every output file is closed and the history database committed inside :func:`main`;
    here stdout/stderr are flushed, logging is shut down and the ``atexit`` handlers run
    (temporary folders, worker pools), then the process exits with ``os._exit``, skipping
    the freeing of every module and object (~0.5-0.7 s of CPU after a pack;
    ``benchmarks/bench_pack.py``). With other threads still running, it exits normally.
    """
    one_blas_thread()
    fewer_full_collections()
    if chosen_command(sys.argv[1:]) is not None:  # --version / --help: nothing to allocate
        reuse_freed_memory()
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken pipe: nothing more can be written
            pass
    logging.shutdown()
    atexit._run_exitfuncs()  # the registered handlers still run
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
