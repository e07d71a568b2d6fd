"""The firm view of a batch: ``OUT/firm/YYYYMMDD/`` for each as-of date of the batch.

``firm_summary.csv``
    One row per book: ``book,status,market_value,duration_gap,portfolio_dv01,n_breach,
    n_warn,worst_alert,pack``. ``status`` is ``ok``, ``input_error`` or ``internal_error``;
    the numbers are the book's own ``portfolio_summary.csv`` values (blank for a failed
    book); ``worst_alert`` is the book's most severe alert on the date, as
    ``SEVERITY rule ticker`` (BREACH before WARN, then the largest excess over its limit
    relative to the limit, then rule and ticker); ``pack`` is the pack folder relative to OUT.
    Rows are in books-file order.
``firm_alerts.csv``
    ``book`` followed by the alerts columns ``date,rule,ticker,value,limit,severity``: every
    book's alerts on the date.
``firm_dv01_by_group.csv``
    ``group,portfolio_dv01``: the sum over ok books of each holding's DV01, by group.
``YYYYMMDD_firm_summary.pdf`` and ``.png``
    The one-page firm summary (:mod:`fimonitor.batch.firm_page`).

A book that failed before its dates were known (a planning error) appears in every date's
summary. The folder is written atomically (:func:`fimonitor.fileio.atomic_folder`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from fimonitor.batch.worker import BookPlan, TaskResult
from fimonitor.dates import stamp
from fimonitor.fileio import atomic_folder
from fimonitor.report.write import write_csv
from fimonitor.results import ALERT_COLUMNS

__all__ = ["FIRM_COLUMNS", "firm_tables", "worst_alert", "write_firm"]

log = logging.getLogger(__name__)

FIRM_COLUMNS = [
    "book",
    "status",
    "market_value",
    "duration_gap",
    "portfolio_dv01",
    "n_breach",
    "n_warn",
    "worst_alert",
    "pack",
]
SEVERITY_RANK = {"BREACH": 2, "WARN": 1}


def worst_alert(alerts: pd.DataFrame | None) -> str:
    """``SEVERITY rule ticker`` of the most severe alert ('' when there is none).

    Notes
    -----
    Order: severity (BREACH > WARN), then the relative excess ``|value - limit| / |limit|``
    (largest first; a zero limit counts as the absolute excess), then rule and ticker.
    """
    if alerts is None or alerts.empty:
        return ""
    a = alerts.assign(
        _rank=alerts["severity"].map(SEVERITY_RANK).fillna(0),
        _excess=(alerts["value"] - alerts["limit"]).abs()
        / alerts["limit"].abs().where(alerts["limit"] != 0, 1.0),
        _ticker=alerts["ticker"].fillna("").astype(str),
    )
    top = a.sort_values(
        ["_rank", "_excess", "rule", "_ticker"],
        ascending=[False, False, True, True],
        kind="stable",
    ).iloc[0]
    return " ".join(p for p in (str(top["severity"]), str(top["rule"]), top["_ticker"]) if p)


def _row(r: TaskResult) -> dict:
    base = {"book": r.book, "status": r.status}
    if r.status != "ok":
        return base | {"worst_alert": "", "pack": ""}
    return base | r.summary | {"worst_alert": worst_alert(r.alerts), "pack": r.pack}


def firm_tables(
    day: pd.Timestamp,
    results: list[TaskResult],
    failed_plans: list[BookPlan],
    book_order: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(summary, alerts, dv01 by group) of one as-of date.

    Parameters
    ----------
    day : Timestamp
        The as-of date.
    results : list of TaskResult
        The batch's task results (any dates; only ``day``'s are used).
    failed_plans : list of BookPlan
        Books whose dates could not be resolved (listed with their status).
    book_order : list of str
        Book names in books-file order (the row order).

    Returns
    -------
    summary, alerts, dv01 : DataFrame
        See the module docstring for the columns.
    """
    todays = [r for r in results if pd.Timestamp(r.as_of) == day]
    rows = [_row(r) for r in todays] + [
        {"book": p.book.name, "status": p.status, "worst_alert": "", "pack": ""}
        for p in failed_plans
    ]
    summary = pd.DataFrame(rows).reindex(columns=FIRM_COLUMNS)
    order = {name: i for i, name in enumerate(book_order)}
    summary = (
        summary.assign(_o=summary["book"].map(order))
        .sort_values("_o", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    for c in ("n_breach", "n_warn"):
        summary[c] = summary[c].astype("Int64")
    ok = [r for r in todays if r.status == "ok"]
    ok.sort(key=lambda r: order.get(r.book, len(order)))
    frames = [r.alerts.assign(book=r.book) for r in ok if r.alerts is not None and len(r.alerts)]
    alerts = (
        pd.concat(frames, ignore_index=True)[["book", *ALERT_COLUMNS]]
        if frames
        else pd.DataFrame(columns=["book", *ALERT_COLUMNS])
    )
    groups = [r.dv01_by_group for r in ok if r.dv01_by_group is not None]
    dv01 = (
        pd.concat(groups).groupby(level=0).sum().rename("portfolio_dv01")
        if groups
        else pd.Series(dtype=float, name="portfolio_dv01")
    )
    dv01 = dv01.rename_axis("group").reset_index()
    return summary, alerts, dv01


def write_firm(
    out: Path,
    results: list[TaskResult],
    failed_plans: list[BookPlan],
    render: bool = True,
    png: bool = True,
) -> list[Path]:
    """Write ``OUT/firm/YYYYMMDD/`` for every as-of date of the batch; returns the folders."""
    book_order = list(
        dict.fromkeys([r.book for r in results] + [p.book.name for p in failed_plans])
    )
    days = sorted({pd.Timestamp(r.as_of) for r in results})
    folders = []
    for day in days:
        summary, alerts, dv01 = firm_tables(day, results, failed_plans, book_order)
        final = Path(out) / "firm" / stamp(day)
        with atomic_folder(final) as tmp:
            write_csv(summary, tmp / "firm_summary.csv")
            write_csv(alerts, tmp / "firm_alerts.csv")
            write_csv(dv01, tmp / "firm_dv01_by_group.csv")
            if render:
                from fimonitor.batch.firm_page import write_firm_page

                write_firm_page(day, summary, alerts, dv01, tmp, png=png)
        log.info("firm view -> %s", final)
        folders.append(final)
    return folders
