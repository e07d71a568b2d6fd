"""Time the whole ``fimonitor`` process against the import floor (issue 18's table).

Usage: python benchmarks/bench_pack.py [--sizes 10 1000] [--repeat 3] [--batch 0|1]

Each row runs a fresh ``python -m fimonitor ...`` process (this checkout first on PYTHONPATH)
under ``/usr/bin/time``, --repeat times, and prints the median wall time, CPU time
(user + sys) and peak RSS, with the CPU ratio to the floor ``python -c "import pandas,
matplotlib.pyplot"`` measured in the same run. CPU time is the figure to compare on a shared
machine; wall time is printed as well.

Rows: the floor; ``--version``; ``--help``; ``pack`` on the demo book (``data/``); ``pack`` on
synthetic books of --sizes tickers x 1,260 days (written by ``bench_core.write_book`` under
``benchmarks/_books/N/``, with a rules file); a batch ``pack --from/--to --every week`` of
6 dates of the demo book (per pack), serial and on a process pool of one worker per CPU
(``--executor process:N``). The "x floor" column is CPU / floor CPU, "wall x" wall / floor
wall. Goals (issue 18): demo pack <= 4x the floor (stretch; <= 5x at most); 1,000-ticker pack
<= 1.6x the 10-ticker pack; 5,000 tickers under 25 s and 1.5 GB peak RSS; batch <= 0.3x a
single pack per pack; --version/--help <= 0.15 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

RULES = """portfolio_name: Synthetic {n}
rules:
  max_single_name_weight: {{warn: 0.02, breach: 0.05}}
  min_cash_weight:        {{warn: 0.03, breach: 0.02}}
  duration_gap:           {{warn: 0.5, breach: 1.0}}
  active_weight:          {{warn: 0.003, breach: 0.005}}
  group_max_weight:
    hy_credit: {{warn: 0.10, breach: 0.15}}
rebalance:
  max_single_name_weight: 0.05
  min_cash_weight: 0.02
  duration_band: 0.25
  group_caps: {{hy_credit: 0.15}}
  whole_shares: true
"""


def synthetic_book(n: int, days: int = 1260) -> Path:
    """The ``bench_core`` synthetic book of ``n`` tickers, with a ``monitor.yaml``."""
    from bench_core import write_book

    folder = write_book(HERE / "_books" / str(n), n, days)
    rules = folder / "monitor.yaml"
    if not rules.exists():
        rules.write_text(RULES.format(n=n), encoding="utf-8")
    return folder


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, user+sys CPU s, peak RSS MiB) of one process, from ``/usr/bin/time``.

    The process runs in the timed checkout (``python -m`` puts the working folder first on
    ``sys.path``).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M", *cmd]
        proc = subprocess.run(
            full, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
        wall, user, sys_, rss = Path(tf.name).read_text().split()[-4:]
    return float(wall), float(user) + float(sys_), float(rss) / 1024


def measure(cmd: list[str], env: dict[str, str], repeat: int, per: int = 1) -> dict[str, float]:
    """Median wall / CPU / peak RSS over ``repeat`` runs, wall and CPU divided by ``per``.

    ``@RUN@`` in an argument is replaced by the run number (a fresh output folder per run).
    """
    runs = [run_once([a.replace("@RUN@", str(i)) for a in cmd], env) for i in range(repeat)]
    return {
        "wall": statistics.median(r[0] for r in runs) / per,
        "cpu": statistics.median(r[1] for r in runs) / per,
        "rss": max(r[2] for r in runs),
    }


def main() -> None:
    """Print the table: one row per command, with ratios to the floor and the goals."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1, help="1: time a batch pack, 0: skip it")
    ap.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the fimonitor checkout to time (default: this one; e.g. an export of main)",
    )
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(args.root), MPLBACKEND="Agg")
    py = [sys.executable]
    fim = [*py, "-m", "fimonitor"]
    tmp = Path(tempfile.mkdtemp(prefix="bench_pack_"))
    rows: list[tuple[str, dict[str, float], str]] = []
    try:
        floor = measure([*py, "-c", "import pandas, matplotlib.pyplot"], env, args.repeat)
        rows.append(("floor: import pandas, matplotlib.pyplot", floor, ""))
        for flag in ("--version", "--help"):
            m = measure([*fim, flag], env, args.repeat)
            rows.append((f"fimonitor {flag}", m, f"goal <= 0.15 s: {m['wall']:.2f} s wall"))
        demo = measure(
            [*fim, "pack", "--data", str(args.root / "data"), "--out", str(tmp / "demo@RUN@")],
            env,
            args.repeat,
        )
        rows.append(("pack, demo book", demo, "goal <= 4x floor (stretch), <= 5x"))
        by_size: dict[int, dict[str, float]] = {}
        for n in args.sizes:
            folder = synthetic_book(n)
            rep = args.repeat if n <= 1000 else 1
            m = measure(
                [*fim, "pack", "--data", str(folder), "--out", str(tmp / f"n{n}_@RUN@")], env, rep
            )
            by_size[n] = m
            note = ""
            if n != 10 and 10 in by_size:
                ten = by_size[10]
                note = (
                    f"{m['cpu'] / ten['cpu']:.2f}x the 10-ticker pack (CPU), "
                    f"{m['wall'] / ten['wall']:.2f}x (wall)"
                )
                if n == 1000:
                    note += "; goal <= 1.6x"
            if n >= 5000:
                note += f"; goal < 25 s and 1.5 GB: {m['wall']:.1f} s, {m['rss']:.0f} MiB"
            rows.append((f"pack, {n:,} tickers x 1,260 days", m, note))
        if args.batch:
            base = [
                *fim,
                "pack",
                "--data",
                str(args.root / "data"),
                "--from",
                "2026-03-25",
                "--to",
                "2026-04-30",
                "--every",
                "week",
            ]
            workers = os.cpu_count() or 1
            for label, extra in (
                ("serial", []),
                (f"process:{workers}", ["--executor", f"process:{workers}"]),
            ):
                cmd = [*base, "--out", str(tmp / f"batch{len(rows)}_@RUN@"), *extra]
                n_dates = _batch_size(cmd, env, tmp)
                m = measure(cmd, env, args.repeat, per=n_dates)
                note = (
                    f"{n_dates} dates; {m['cpu'] / demo['cpu']:.2f}x a single pack (CPU), "
                    f"{m['wall'] / demo['wall']:.2f}x (wall); goal <= 0.3x"
                )
                rows.append((f"batch pack, {label}, per pack", m, note))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    f = floor["cpu"]
    print(f"median of {args.repeat} runs; CPU = user + sys of the process; ratio = CPU / floor CPU")
    print(
        f"{'run':<42} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9} {'x floor':>8} {'wall x':>7}  note"
    )
    for name, m, note in rows:
        ratio, wall_ratio = m["cpu"] / f, m["wall"] / floor["wall"]
        print(
            f"{name:<42} {m['wall']:7.2f} {m['cpu']:7.2f} {m['rss']:9.0f} {ratio:8.2f} "
            f"{wall_ratio:7.2f}  {note}"
        )


def _batch_size(cmd: list[str], env: dict[str, str], tmp: Path) -> int:
    """Number of packs the batch command writes (one warm-up run, counted from stdout)."""
    out = subprocess.run(
        cmd, env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True, check=True
    ).stdout
    for folder in tmp.glob("batch*_@RUN@"):
        shutil.rmtree(folder, ignore_errors=True)
    return sum(1 for line in out.splitlines() if not line.endswith("index.html"))


if __name__ == "__main__":
    main()
