"""``fimonitor durations model``: analytic fund durations and key-rate durations.

    fimonitor durations model [--data DIR] [--out DIR]

Writes ``OUT/duration_monthly.csv`` and ``OUT/key_rate_durations_monthly.csv`` atomically (OUT
defaults to the data folder). The method is in :mod:`fimonitor.analytics.duration_model`; the
folder I/O in :mod:`fimonitor.analytics.duration_folder`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fimonitor.analytics.duration_folder import KRD_FILE, model_from_folder
from fimonitor.fileio import atomic_write_csv


def run_model(args: argparse.Namespace) -> int:
    """Run ``fimonitor durations model``: write both files, print one line."""
    data_dir = Path(args.data)
    out = Path(args.out) if args.out else data_dir
    dur, krd = model_from_folder(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(dur, out / "duration_monthly.csv")
    atomic_write_csv(krd, out / KRD_FILE)
    print(
        f"wrote {out / 'duration_monthly.csv'} and {out / KRD_FILE}: {len(dur)} rows, "
        f"{dur['ticker'].nunique()} funds, {dur['month'].min()}..{dur['month'].max()} "
        "(method: model)"
    )
    return 0
