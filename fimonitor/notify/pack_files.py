"""The notification of a written pack, read back from its folder (``OUT/YYYYMMDD``).

Used by ``fimonitor pack`` (and one book of ``batch``) after the pack is published, so the
message describes exactly what was written:

- alerts today: ``alerts.csv``; the counts are its BREACH and WARN rows;
- orders: ``rebalance_orders.csv`` rows of scenario ``POST_MIN`` (with their ``reason``);
- previous alerts: the newest earlier pack folder beside this one (its ``alerts.csv``), else
  the pack's own ``changes_since_previous.csv`` (rows with a ``previous_severity``; a cured
  alert's value is its last value in ``alerts_history.csv``);
- the portfolio name: ``manifest.json``; the pack path: the PDF in the folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fimonitor.notify.message import Message, alert_changes, pack_message

ALERT_COLUMNS = ["date", "rule", "ticker", "value", "limit", "severity"]
FOLDER_RE = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class PackNotice:
    """A pack's message and the facts :func:`fimonitor.notify.should_send` needs."""

    message: Message
    has_changes: bool
    has_breach: bool
    has_orders: bool


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    df = pd.read_csv(path, keep_default_na=True)
    if "ticker" in df.columns:
        df["ticker"] = df["ticker"].fillna("")
    return df


def previous_pack_folder(folder: Path) -> Path | None:
    """The newest ``YYYYMMDD`` sibling folder before ``folder`` that has an ``alerts.csv``."""
    folder = Path(folder)
    if not folder.parent.is_dir():
        return None
    earlier = sorted(
        p
        for p in folder.parent.iterdir()
        if p.is_dir()
        and FOLDER_RE.match(p.name)
        and p.name < folder.name
        and (p / "alerts.csv").is_file()
    )
    return earlier[-1] if earlier else None


def previous_alerts(folder: Path) -> pd.DataFrame | None:
    """The previous pack's alerts (see the module docstring); None when there is none.

    Parameters
    ----------
    folder : Path
        This pack's folder.

    Returns
    -------
    DataFrame or None
        Alerts schema (``date,rule,ticker,value,limit,severity``).
    """
    prev = previous_pack_folder(folder)
    if prev is not None:
        return _read(prev / "alerts.csv")
    changes = _read(Path(folder) / "changes_since_previous.csv")
    if changes is None:
        return None
    had = changes[changes["previous_severity"].fillna("").astype(str).str.strip() != ""]
    out = pd.DataFrame(
        {
            "date": pd.NaT,
            "rule": had["rule"],
            "ticker": had["ticker"],
            "value": had["value"],
            "limit": float("nan"),
            "severity": had["previous_severity"],
        }
    )
    hist = _read(Path(folder) / "alerts_history.csv")
    if hist is not None and not hist.empty and len(out):
        last = hist.sort_values("date").groupby(["rule", "ticker"]).last()[["value", "limit"]]
        key = pd.MultiIndex.from_arrays([out["rule"], out["ticker"]])
        filled = last.reindex(key)
        cured = out["value"].isna().to_numpy()
        out.loc[cured, "value"] = filled["value"].to_numpy()[cured]
        out["limit"] = filled["limit"].to_numpy()
    return out.reset_index(drop=True)


def pack_notice(folder: Path, portfolio: str | None = None) -> PackNotice:
    """Build the message of the pack written in ``folder``.

    Parameters
    ----------
    folder : Path
        The published pack folder.
    portfolio : str, optional
        The book's name (default: ``manifest.json``'s ``portfolio_name``, else the folder).

    Returns
    -------
    PackNotice
    """
    folder = Path(folder)
    alerts = _read(folder / "alerts.csv")
    if alerts is None:
        alerts = pd.DataFrame(columns=ALERT_COLUMNS)
    manifest = folder / "manifest.json"
    meta = json.loads(manifest.read_text()) if manifest.is_file() else {}
    name = portfolio or meta.get("portfolio_name") or folder.name
    as_of = meta.get("as_of") or (alerts["date"].iloc[0] if len(alerts) else folder.name)
    orders = _read(folder / "rebalance_orders.csv")
    if orders is not None and "scenario" in orders.columns:
        orders = orders[orders["scenario"] == "POST_MIN"]
    new, cured = alert_changes(alerts, previous_alerts(folder))
    pdfs = sorted(folder.glob("*.pdf"))
    sev = alerts["severity"].astype(str)
    n_breach, n_warn = int((sev == "BREACH").sum()), int((sev == "WARN").sum())
    msg = pack_message(
        name, as_of, n_breach, n_warn, new, cured, orders, pdfs[0] if pdfs else folder
    )
    return PackNotice(
        message=msg,
        has_changes=bool(len(new) or len(cured)),
        has_breach=n_breach > 0,
        has_orders=orders is not None and len(orders) > 0,
    )
