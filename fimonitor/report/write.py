"""The one writer of a pack folder: CSVs, pages, manifest — atomically.

Everything is written into a temporary folder beside the target, then renamed into place.
A run that fails leaves no partial folder and never touches an earlier pack; re-running the
same as-of replaces that folder only after the new one is complete.

CSV numbers are written at full precision (``repr`` of floats), dates as ISO ``YYYY-MM-DD``.
The contract's columns come first, in order; a few files carry extra trailing columns
(``reason`` on orders; ``status, est_cost, diagnosis`` on the rebalance summary;
``signed_value, excess`` on the alert files: the measure with its sign and the amount beyond
the crossed limit).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from fimonitor.analytics.attribution import ATTRIBUTION_COLUMNS
from fimonitor.analytics.benchmark_table import BENCHMARK_COLUMNS
from fimonitor.analytics.indicators import ASSET_METRIC_COLUMNS
from fimonitor.analytics.performance import RETURN_COLUMNS
from fimonitor.analytics.rate_attribution import RATE_COLUMNS
from fimonitor.dates import stamp
from fimonitor.fileio import atomic_folder, csv_text, sha256_file
from fimonitor.report.index import write_index
from fimonitor.report.render import write_report
from fimonitor.results import (
    ALERT_COLUMNS,
    COMPARISON_COLUMNS,
    POSITION_COLUMNS,
    REBALANCE_ORDER_COLUMNS,
    REBALANCE_SUMMARY_COLUMNS,
    Pack,
)

log = logging.getLogger(__name__)

KRD_COLUMNS = ["ticker", "tenor", "krd", "krd_dv01"]
SCENARIO_COLUMNS = ["scenario", "portfolio_pnl", "benchmark_pnl", "active_pnl"]


def _iso(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its datetime columns as ``YYYY-MM-DD`` text (``df`` itself when none)."""
    dated = [i for i, dt in enumerate(df.dtypes) if pd.api.types.is_datetime64_any_dtype(dt)]
    if not dated:
        return df
    out = df.copy()
    for i in dated:
        out.isetitem(i, out.iloc[:, i].dt.strftime("%Y-%m-%d"))
    return out


def write_csv(
    df: pd.DataFrame, path: Path, columns: list[str] | None = None, index: bool = False
) -> None:
    """Write ``df`` as CSV (ISO dates, full precision), ``columns`` first in this order."""
    frame = df if columns is None else df[[*columns, *[c for c in df.columns if c not in columns]]]
    Path(path).write_text(csv_text(_iso(frame), index=index), encoding="utf-8")


ALERT_EXTRA = ("signed_value", "excess")


def _alert_cols(alerts: pd.DataFrame, more: tuple[str, ...] = ()) -> pd.DataFrame:
    """The contract's alert columns, then ``more``, then ``signed_value, excess`` when present."""
    extra = [c for c in (*more, *ALERT_EXTRA) if c in alerts.columns]
    return alerts[[*ALERT_COLUMNS, *extra]]


def write_tables(pack: Pack, folder: Path) -> None:
    """Every CSV of the pack (docs/interface.md and docs/definitions.md, plus supporting tables)."""
    write_csv(pack.positions[POSITION_COLUMNS], folder / "today_positions.csv")
    write_csv(pack.summary, folder / "portfolio_summary.csv")
    write_csv(pack.sector_exposure, folder / "sector_exposure.csv")
    write_csv(pack.rating_exposure, folder / "rating_exposure.csv")
    write_csv(_alert_cols(pack.alerts), folder / "alerts.csv")
    write_csv(_alert_cols(pack.alerts_history), folder / "alerts_history.csv")
    write_csv(_alert_cols(pack.alerts, ("since",)), folder / "alerts_open_since.csv")
    write_csv(pack.weekly.reset_index(), folder / "weekly_trend.csv")
    drivers = pd.concat(
        [
            pack.drivers_rule.rename(columns={"rule": "driver"}).assign(kind="rule"),
            pack.drivers_ticker.rename(columns={"ticker": "driver"}).assign(kind="ticker"),
        ],
        ignore_index=True,
    )
    write_csv(drivers, folder / "alert_drivers.csv", ["kind", "driver"])
    write_csv(pack.changes, folder / "changes_since_previous.csv")
    write_csv(pack.data_quality, folder / "data_quality.csv")
    if pack.rebalance is not None:
        rb = pack.rebalance
        write_csv(rb.orders, folder / "rebalance_orders.csv", REBALANCE_ORDER_COLUMNS)
        write_csv(rb.comparison, folder / "rebalance_comparison.csv", COMPARISON_COLUMNS)
        write_csv(rb.summary, folder / "rebalance_summary.csv", REBALANCE_SUMMARY_COLUMNS)
        write_csv(rb.binding, folder / "rebalance_binding.csv")
    if not pack.risk_metrics.empty:
        write_csv(pack.risk_metrics, folder / "risk_metrics.csv")
    if not pack.correlations.empty:
        write_csv(pack.correlations, folder / "correlations.csv", index=True)
    if not pack.rolling_risk.empty:
        write_csv(pack.rolling_risk, folder / "rolling_risk.csv", index=True)
    for name, frame, columns in (
        ("performance.csv", pack.performance, RETURN_COLUMNS),
        ("attribution.csv", pack.attribution, ATTRIBUTION_COLUMNS),
        ("rate_attribution.csv", pack.rate_attribution, RATE_COLUMNS),
        ("key_rate_dv01.csv", pack.key_rate_dv01, KRD_COLUMNS),
        ("rate_scenarios.csv", pack.rate_scenarios, SCENARIO_COLUMNS),
        ("asset_metrics.csv", pack.asset_metrics, list(ASSET_METRIC_COLUMNS)),
        ("benchmarks.csv", pack.benchmarks, BENCHMARK_COLUMNS),
    ):
        if not frame.empty:
            write_csv(frame, folder / name, columns)


def write_manifest(pack: Pack, folder: Path, engine: str) -> None:
    """Write ``manifest.json``: as-of, version, engine, time, SHA-256 of inputs and outputs."""
    outputs = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
    manifest = {
        "as_of": pack.as_of.date().isoformat(),
        "portfolio_name": pack.portfolio_name,
        "version": pack.version,
        "engine": engine,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": {name: {"sha256": digest} for name, digest in pack.inputs.items()},
        "outputs": outputs,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_pack(
    pack: Pack,
    out_root: Path,
    *,
    render: bool = True,
    engine: str = "direct",
    extra: dict[str, Path] | None = None,
    commit: Callable[[Path], None] | None = None,
    png: bool = True,
    index: bool = True,
) -> Path:
    """Write the whole pack into ``out_root/YYYYMMDD`` atomically; returns that folder.

    ``commit(tmp)`` (the pipeline records the history database there) runs once the complete
    pack is in its temporary folder and before it replaces ``out_root/YYYYMMDD``
    (:func:`fimonitor.fileio.atomic_folder`); when it raises, nothing is published, the
    index is not rewritten and any earlier pack of that date stays.

    ``png`` False skips the PNG pages (the PDF is still rendered when ``render``).
    ``index`` False leaves ``out_root/index.html`` alone: a batch of dates writes it once
    at the end, over every folder, instead of once per date.
    """
    final = Path(out_root) / stamp(pack.as_of)
    with atomic_folder(final, commit=commit) as tmp:
        if render:  # the CSVs are written while the PNGs are rasterised
            write_report(pack, tmp, png=png, meanwhile=lambda: write_tables(pack, tmp))
        else:
            write_tables(pack, tmp)
        for name, src in (extra or {}).items():
            shutil.copy2(src, tmp / name)
        write_manifest(pack, tmp, engine)
    if index:
        write_index(Path(out_root))
    return final
