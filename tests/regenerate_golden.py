"""Rebuild tests/golden/demo_20260430 from the bundled demo book. Review the diff after.

The rebalance files are left out: whole-share rounding of a solver result may move one share
between platforms; they are checked by property tests instead.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fimonitor.pipeline import run_pack

HERE = Path(__file__).resolve().parent
FILES = [
    "today_positions.csv",
    "portfolio_summary.csv",
    "sector_exposure.csv",
    "rating_exposure.csv",
    "alerts.csv",
    "alerts_history.csv",
    "risk_metrics.csv",
    "weekly_trend.csv",
    "alert_drivers.csv",
    "performance.csv",
    "attribution.csv",
    "rate_attribution.csv",
    "key_rate_dv01.csv",
    "rate_scenarios.csv",
    "asset_metrics.csv",
    "benchmarks.csv",
]

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        folder = run_pack(data_dir=HERE.parent / "data", output_dir=tmp, render=False)
        target = HERE / "golden" / "demo_20260430"
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copy2(folder / name, target / name)
    print(f"wrote {len(FILES)} files to {target}")
