"""The dashboard page: one HTML template shared by ``OUT/index.html`` and ``fimonitor serve``.

:func:`render_dashboard` turns plain data (:class:`Dashboard`) into one self-contained HTML page:
per portfolio the latest breach/warning counts and an inline-SVG trend of ``n_breach``,
``n_warn`` and the duration gap over the stored snapshots; the open alerts with their age; and
the links to every pack's PDF, PNG pages, CSVs and notebook HTML. No script, no external
resource (it works offline); every string that comes from data is escaped with
:func:`html.escape` (security-master names are untrusted input).

:func:`open_alerts` computes the open alerts and their age from a long frame of snapshot alerts;
the static index feeds it from the packs' CSVs, the server from the history database.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from fimonitor import __version__

#: Columns of the frame :func:`open_alerts` reads and returns (plus ``since, age_days``).
ALERT_FIELDS = ("portfolio", "as_of", "rule", "ticker", "value", "limit", "severity")


@dataclass(frozen=True)
class TrendPoint:
    """One stored snapshot of a portfolio (``duration_gap`` in years)."""

    as_of: str
    n_breach: float | None
    n_warn: float | None
    duration_gap: float | None


@dataclass(frozen=True)
class PortfolioView:
    """A portfolio's latest snapshot and its trend, oldest point first."""

    name: str
    as_of: str
    n_breach: float | None
    n_warn: float | None
    market_value: float | None
    duration_gap: float | None
    trend: tuple[TrendPoint, ...] = ()


@dataclass(frozen=True)
class PackRow:
    """One pack folder and the links to its files (hrefs already built by the caller)."""

    book: str
    date: str
    folder_href: str | None
    pdf: str | None
    pngs: tuple[tuple[str, str], ...]  # (label, href)
    csvs: tuple[tuple[str, str], ...]  # (file name, href)
    notebook: str | None
    n_breach: str
    n_warn: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the page shows."""

    title: str
    portfolios: tuple[PortfolioView, ...]
    alerts: pd.DataFrame  # open_alerts() output
    packs: tuple[PackRow, ...]
    generated: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def open_alerts(history: pd.DataFrame, snapshots: pd.DataFrame | None = None) -> pd.DataFrame:
    """The alerts open on each portfolio's latest snapshot, with the date they opened.

    Parameters
    ----------
    history : pd.DataFrame
        Columns :data:`ALERT_FIELDS`: every alert of every stored snapshot (``as_of`` dates).
    snapshots : pd.DataFrame, optional
        ``portfolio, as_of`` of every stored snapshot, so that a snapshot without alerts ends a
        run (without it, only dates that carry alerts count).

    Returns
    -------
    pd.DataFrame
        The latest snapshot's alerts per portfolio with ``since`` (date) and ``age_days``
        (calendar days, int), BREACH first, then oldest first.

    Notes
    -----
    ``since`` is the first snapshot of the unbroken run of snapshots, ending at the latest one,
    in which the same ``(portfolio, rule, ticker)`` alert is present; ``age_days`` =
    latest as-of − since. Snapshots are ranked per portfolio over the dates in ``history`` and
    in ``snapshots``; the run is found without loops (position − rank within the alert
    key is constant along a run).
    """
    cols = [*ALERT_FIELDS, "since", "age_days"]
    if history is None or history.empty:
        return pd.DataFrame(columns=cols)
    h = history.loc[:, list(ALERT_FIELDS)].copy()
    h["as_of"] = pd.to_datetime(h["as_of"])
    h["ticker"] = h["ticker"].fillna("").astype(str)
    dates = h[["portfolio", "as_of"]]
    if snapshots is not None and len(snapshots):
        s = snapshots.loc[:, ["portfolio", "as_of"]].assign(
            as_of=lambda f: pd.to_datetime(f["as_of"])
        )
        dates = pd.concat([dates, s])
    dates = dates.drop_duplicates().sort_values(["portfolio", "as_of"])
    dates["pos"] = dates.groupby("portfolio").cumcount()
    last = dates.groupby("portfolio")["as_of"].transform("max")
    latest_pos = dates[dates["as_of"] == last].set_index("portfolio")["pos"]
    h = h.merge(dates, on=["portfolio", "as_of"], how="left").sort_values(
        ["portfolio", "rule", "ticker", "pos"]
    )
    key = ["portfolio", "rule", "ticker"]
    # consecutive positions share pos - rank; the run ending at the latest snapshot is current
    h["run"] = h["pos"] - h.groupby(key).cumcount()
    h["latest_pos"] = h["portfolio"].map(latest_pos)
    now = h[h["pos"] == h["latest_pos"]]
    current_run = h.merge(now[[*key, "run"]], on=[*key, "run"])
    since = current_run.groupby(key)["as_of"].min().rename("since").reset_index()
    out = now.merge(since, on=key)
    out["age_days"] = (out["as_of"] - out["since"]).dt.days.astype(int)
    out["order"] = (out["severity"] != "BREACH").astype(int)
    out = out.sort_values(["order", "since", "portfolio", "rule", "ticker"])
    return out[cols].reset_index(drop=True)


# --- formatting -----------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _count(value: object) -> str:
    v = _num(value)
    return "–" if v is None else str(round(v))


def _fmt(value: object, spec: str) -> str:
    v = _num(value)
    return "–" if v is None else format(v, spec)


def _value(rule: str, value: object) -> str:
    """Alert values: years for the duration gap, percent for weights."""
    return _fmt(value, "+.2f") + " y" if rule == "duration_gap" else _fmt(value, ".2%")


# --- SVG trend ------------------------------------------------------------------------------

_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 620, 110, 46, 12, 14, 22


def _polyline(xs: Sequence[float], ys: Sequence[float | None], colour: str, y0: float, y1: float):
    h = _H - _PAD_T - _PAD_B
    span = (y1 - y0) or 1.0
    pts = []
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            continue
        pts.append(f"{x:.1f},{_PAD_T + h - (y - y0) / span * h:.1f}")
    if not pts:
        return ""
    dots = "".join(
        f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.2" fill="{colour}"/>'
        for p in pts
    )
    return (
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(pts)}"/>'
        + dots
    )


def _panel(
    trend: Sequence[TrendPoint], series: Sequence[tuple[str, str, str]], title: str, unit: str
) -> str:
    """One SVG line chart: ``series`` = (attribute, colour, legend label)."""
    n = len(trend)
    inner = _W - _PAD_L - _PAD_R
    xs = [_PAD_L + (inner * i / (n - 1) if n > 1 else inner / 2) for i in range(n)]
    values = [
        v for attr, _, _ in series for v in (_num(getattr(p, attr)) for p in trend) if v is not None
    ]
    lo = min([0.0, *values])
    hi = max([0.0, *values]) or 1.0
    y_of = _PAD_T + (_H - _PAD_T - _PAD_B)
    parts = [
        f'<svg class="trend" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
        f'aria-label="{_esc(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{_PAD_L}" y="10" class="t">{_esc(title)}</text>',
        f'<line x1="{_PAD_L}" y1="{y_of}" x2="{_W - _PAD_R}" y2="{y_of}" class="ax"/>',
        f'<text x="{_PAD_L - 4}" y="{_PAD_T + 4}" class="yl">{_esc(_tick(hi, unit))}</text>',
        f'<text x="{_PAD_L - 4}" y="{y_of}" class="yl">{_esc(_tick(lo, unit))}</text>',
    ]
    if lo < 0 < hi:
        y_zero = _PAD_T + (_H - _PAD_T - _PAD_B) * (1 - (0 - lo) / (hi - lo))
        parts.append(
            f'<line x1="{_PAD_L}" y1="{y_zero:.1f}" x2="{_W - _PAD_R}" y2="{y_zero:.1f}" '
            'class="zero"/>'
        )
    if n:
        parts.append(f'<text x="{_PAD_L}" y="{_H - 6}" class="xl">{_esc(trend[0].as_of)}</text>')
        parts.append(
            f'<text x="{_W - _PAD_R}" y="{_H - 6}" class="xl end">{_esc(trend[-1].as_of)}</text>'
        )
    legend_x = _W - _PAD_R
    for _attr, colour, label in reversed(series):
        parts.append(
            f'<text x="{legend_x}" y="10" class="lg end" fill="{colour}">{_esc(label)}</text>'
        )
        legend_x -= 9 * len(label) + 14
    for attr, colour, _ in series:
        parts.append(_polyline(xs, [_num(getattr(p, attr)) for p in trend], colour, lo, hi))
    parts.append("</svg>")
    return "".join(parts)


def _tick(v: float, unit: str) -> str:
    return f"{v:+.2f}{unit}" if unit else f"{v:.0f}"


def trend_svg(trend: Sequence[TrendPoint]) -> str:
    """Two inline SVG charts: alert counts and duration gap (years) per stored snapshot."""
    if not trend:
        return '<p class="muted">no stored snapshots</p>'
    counts = _panel(
        trend,
        (("n_breach", "#C0392B", "breaches"), ("n_warn", "#B37400", "warnings")),
        "Alerts per snapshot",
        "",
    )
    gap = _panel(
        trend, (("duration_gap", "#1F4E79", "gap"),), "Duration gap (portfolio − benchmark)", " y"
    )
    return f'<div class="charts">{counts}{gap}</div>'


# --- page -----------------------------------------------------------------------------------

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { color: #1F4E79; font-size: 1.5em; margin-bottom: 0.2em; }
h2 { color: #1F4E79; font-size: 1.15em; margin-top: 1.4em; }
.muted { color: #777; }
.cards { display: flex; flex-wrap: wrap; gap: 1.2em; }
.card { border: 1px solid #ccd6e0; border-radius: 6px; padding: 0.8em 1em; background: #fafcfe; }
.card h3 { margin: 0 0 0.3em 0; font-size: 1.1em; }
.charts { display: flex; flex-wrap: wrap; gap: 0.8em; }
details summary { cursor: pointer; color: #1F4E79; }
.kpis { display: flex; gap: 1.6em; margin: 0.3em 0 0.6em 0; }
.kpi b { display: block; font-size: 1.6em; }
.kpi.breach b { color: #C0392B; } .kpi.warn b { color: #B37400; }
.kpi.ok b { color: #2E7D32; }
table { border-collapse: collapse; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td { white-space: nowrap; } td.csvs { white-space: normal; font-size: 0.85em; }
th { background: #E8EEF4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.breach, span.breach { color: #C0392B; font-weight: bold; }
td.warn, span.warn { color: #B37400; font-weight: bold; }
svg.trend { display: block; margin: 0.2em 0; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10px; fill: #555; }
svg text.t { font-size: 11px; fill: #222; font-weight: bold; }
svg text.yl { text-anchor: end; } svg text.end { text-anchor: end; }
svg text.lg { font-weight: bold; }
svg line.ax { stroke: #999; } svg line.zero { stroke: #bbb; stroke-dasharray: 3 3; }
"""


def _portfolio_card(p: PortfolioView) -> str:
    nb, nw = _count(p.n_breach), _count(p.n_warn)
    b_cls = "breach" if nb not in {"0", "–"} else "ok"
    w_cls = "warn" if nw not in {"0", "–"} else "ok"
    return (
        f'<div class="card"><h3>{_esc(p.name)}</h3>'
        f'<div class="muted">as of {_esc(p.as_of)} · {len(p.trend)} stored snapshot(s)</div>'
        f'<div class="kpis"><div class="kpi {b_cls}"><b>{_esc(nb)}</b>breaches</div>'
        f'<div class="kpi {w_cls}"><b>{_esc(nw)}</b>warnings</div>'
        f'<div class="kpi"><b>{_esc(_fmt(p.duration_gap, "+.2f"))} y</b>duration gap</div>'
        f'<div class="kpi"><b>{_esc(_fmt(p.market_value, ",.0f"))}</b>market value</div></div>'
        f"{trend_svg(p.trend)}</div>"
    )


def _alerts_table(alerts: pd.DataFrame) -> str:
    if alerts is None or alerts.empty:
        return '<p class="muted">no open alerts on the latest snapshot</p>'
    rows = []
    for r in alerts.to_dict("records"):
        sev = str(r["severity"])
        cls = "breach" if sev == "BREACH" else "warn"
        since = pd.Timestamp(r["since"]).strftime("%Y-%m-%d") if pd.notna(r["since"]) else "–"
        rows.append(
            f'<tr><td>{_esc(r["portfolio"])}</td><td class="{cls}">{_esc(sev)}</td>'
            f"<td>{_esc(r['rule'])}</td><td>{_esc(r['ticker'] or '–')}</td>"
            f'<td class="num">{_esc(_value(str(r["rule"]), r["value"]))}</td>'
            f'<td class="num">{_esc(_value(str(r["rule"]), r["limit"]))}</td>'
            f'<td>{_esc(since)}</td><td class="num">{_esc(r["age_days"])}</td></tr>'
        )
    return (
        "<table><thead><tr><th>Portfolio</th><th>Severity</th><th>Rule</th><th>Ticker / group"
        "</th><th>Value</th><th>Limit</th><th>Open since</th><th>Age (days)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _link(href: str, label: str) -> str:
    return f'<a href="{_esc(href)}">{_esc(label)}</a>'


def _packs_table(packs: Sequence[PackRow]) -> str:
    rows = []
    for e in packs:
        date = _link(e.folder_href, e.date) if e.folder_href else _esc(e.date)
        pdf = _link(e.pdf, "PDF") if e.pdf else "–"
        pngs = " · ".join(_link(h, label) for label, h in e.pngs) or "–"
        csvs = (
            f"<details><summary>{len(e.csvs)} CSV files</summary>"
            + " ".join(_link(h, name.removesuffix(".csv")) for name, h in e.csvs)
            + "</details>"
            if e.csvs
            else "–"
        )
        nb = _link(e.notebook, "HTML") if e.notebook else "–"
        b_cls = ' class="breach"' if e.n_breach not in {"0", "–"} else ""
        w_cls = ' class="warn"' if e.n_warn not in {"0", "–"} else ""
        rows.append(
            f"<tr><td>{_esc(e.book)}</td><td>{date}</td><td>{pdf}</td><td>{pngs}</td>"
            f"<td{b_cls}>{_esc(e.n_breach)}</td><td{w_cls}>{_esc(e.n_warn)}</td>"
            f'<td>{nb}</td><td class="csvs">{csvs}</td></tr>'
        )
    body = "\n".join(rows) if rows else '<tr><td colspan="8">no packs yet</td></tr>'
    return (
        "<table><thead><tr><th>Book</th><th>As of</th><th>PDF</th><th>Pages (PNG)</th>"
        "<th>Breaches</th><th>Warnings</th><th>Notebook</th><th>CSVs</th></tr></thead>"
        f"<tbody>\n{body}\n</tbody></table>"
    )


def render_dashboard(d: Dashboard) -> str:
    """The HTML text of the dashboard (self-contained: inline CSS and SVG, no script)."""
    cards = "".join(_portfolio_card(p) for p in d.portfolios) or (
        '<p class="muted">no stored snapshots yet (run <code>fimonitor pack</code>)</p>'
    )
    notes = "".join(f'<p class="muted">{_esc(n)}</p>' for n in d.notes)
    generated = f" · generated {_esc(d.generated)}" if d.generated else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(d.title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_esc(d.title)}</h1>
<p class="muted">{len(d.portfolios)} portfolio(s) · {len(d.packs)} pack(s){generated}</p>
{notes}
<h2>Portfolios: latest snapshot and trend</h2>
<div class="cards">{cards}</div>
<h2>Open alerts ({0 if d.alerts is None else len(d.alerts)})</h2>
<p class="muted">Alerts on each portfolio's latest snapshot. Open since = the first stored snapshot
of the unbroken run of snapshots that carry the alert; age in calendar days.</p>
{_alerts_table(d.alerts)}
<h2>Packs</h2>
<p class="muted">Newest first. Counts are the alerts on each as-of date.</p>
{_packs_table(d.packs)}
<p><small>fimonitor {_esc(__version__)}</small></p>
</body>
</html>
"""
