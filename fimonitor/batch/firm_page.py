"""The one-page firm summary: ``YYYYMMDD_firm_summary.pdf`` and ``.png``.

Left: the books ranked by severity (breaches, then warnings, then book name), with status,
market value, duration gap, DV01 and the worst alert; failed books first, in red. Right:
alerts by rule across books (BREACH and WARN counts) and the firm's aggregate DV01 by group.
Colours and fonts are the pack's (:mod:`fimonitor.report.style`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from fimonitor.dates import stamp
from fimonitor.report import style

__all__ = ["MAX_ROWS", "firm_figure", "rank_books", "write_firm_page"]

MAX_ROWS = 30  # book rows shown on the page; the CSV has them all
STATUS_RANK = {"internal_error": 0, "input_error": 1, "ok": 2}


def rank_books(summary: pd.DataFrame) -> pd.DataFrame:
    """Books ordered by severity: failed first, then most breaches, most warnings, name."""
    return (
        summary.assign(
            _s=summary["status"].map(STATUS_RANK).fillna(3),
            _b=summary["n_breach"].fillna(0).astype(float),
            _w=summary["n_warn"].fillna(0).astype(float),
        )
        .sort_values(["_s", "_b", "_w", "book"], ascending=[True, False, False, True])
        .drop(columns=["_s", "_b", "_w"])
        .reset_index(drop=True)
    )


def _money(x: object) -> str:
    return "" if pd.isna(x) else f"{float(x):,.0f}"


def _num(x: object, digits: int = 2) -> str:
    return "" if pd.isna(x) else f"{float(x):,.{digits}f}"


def _table(ax, ranked: pd.DataFrame) -> None:
    ax.axis("off")
    ax.set_title(f"Books ranked by severity ({len(ranked)} books)")
    shown = ranked.head(MAX_ROWS)
    cells = [
        [
            r.book,
            r.status,
            _money(r.market_value),
            _num(r.duration_gap),
            _money(r.portfolio_dv01),
            "" if pd.isna(r.n_breach) else str(int(r.n_breach)),
            "" if pd.isna(r.n_warn) else str(int(r.n_warn)),
            "" if pd.isna(r.worst_alert) else str(r.worst_alert)[:34],
        ]
        for r in shown.itertuples()
    ]
    if not cells:
        ax.text(0, 1, "no books", va="top")
        return
    cols = ["book", "status", "market value", "dur. gap", "DV01", "BR", "WN", "worst alert"]
    t = ax.table(
        cellText=cells,
        colLabels=cols,
        loc="upper left",
        cellLoc="left",
        colWidths=[0.13, 0.13, 0.14, 0.08, 0.1, 0.05, 0.05, 0.32],
    )
    t.auto_set_font_size(False)
    t.set_fontsize(style.TABLE_SIZE - 0.5)
    t.scale(1, 1.1)
    for (row, _), cell in t.get_celld().items():
        cell.set_edgecolor(style.GRID)
        if row == 0:
            cell.set_facecolor(style.HEADER_FILL)
            continue
        rec = shown.iloc[row - 1]
        if rec["status"] != "ok":
            cell.set_facecolor(style.BREACH_FILL)
            cell.get_text().set_color(style.BREACH)
        elif (rec["n_breach"] or 0) > 0:
            cell.set_facecolor(style.severity_fill("BREACH"))
        elif (rec["n_warn"] or 0) > 0:
            cell.set_facecolor(style.severity_fill("WARN"))
    if len(ranked) > MAX_ROWS:
        ax.text(
            0,
            -0.02,
            f"… and {len(ranked) - MAX_ROWS} more in firm_summary.csv",
            transform=ax.transAxes,
            color=style.MUTED,
            va="top",
        )


def _by_rule(ax, alerts: pd.DataFrame) -> None:
    ax.set_title("Alerts by rule across books")
    if alerts.empty:
        ax.text(0.5, 0.5, "no alerts", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    counts = (
        alerts.groupby(["rule", "severity"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["BREACH", "WARN"], fill_value=0)
    )
    counts = counts.sort_values(["BREACH", "WARN"], ascending=True)
    y = range(len(counts))
    ax.barh(y, counts["BREACH"], color=style.BREACH, label="BREACH")
    ax.barh(y, counts["WARN"], left=counts["BREACH"], color=style.WARN, label="WARN")
    ax.set_yticks(list(y), counts.index)
    ax.set_xlabel("alerts (book × ticker)")
    ax.legend(loc="lower right")


def _dv01(ax, dv01: pd.DataFrame) -> None:
    ax.set_title("Aggregate DV01 by group (currency per bp)")
    if dv01.empty:
        ax.set_axis_off()
        return
    d = dv01.sort_values("portfolio_dv01")
    ax.barh(d["group"], d["portfolio_dv01"], color=style.PORTFOLIO)
    ax.set_xlabel("DV01")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")


def firm_figure(
    day: pd.Timestamp, summary: pd.DataFrame, alerts: pd.DataFrame, dv01: pd.DataFrame
) -> Figure:
    """Build the firm page (A4 landscape) from the three firm tables."""
    with style.pack_style():
        fig = Figure(figsize=style.PAGE_SIZE)
        ranked = rank_books(summary)
        n_fail = int((summary["status"] != "ok").sum())
        n_b = int(summary["n_breach"].fillna(0).sum())
        n_w = int(summary["n_warn"].fillna(0).sum())
        books_b = int((summary["n_breach"].fillna(0) > 0).sum())
        fig.suptitle(
            f"Firm summary — {pd.Timestamp(day).date()}",
            x=0.03,
            ha="left",
            fontsize=style.TITLE_SIZE,
            fontweight="bold",
            color=style.PORTFOLIO,
        )
        fig.text(
            0.03,
            0.925,
            f"{len(summary)} books: {len(summary) - n_fail} built, {n_fail} failed · "
            f"{n_b} BREACH in {books_b} books, {n_w} WARN · total market value "
            f"{_money(summary['market_value'].sum())}, "
            f"DV01 {_money(summary['portfolio_dv01'].sum())}",
            fontsize=style.SUBTITLE_SIZE,
            color=style.MUTED,
        )
        gs = fig.add_gridspec(
            2,
            2,
            width_ratios=[1.5, 1],
            left=0.03,
            right=0.97,
            top=0.88,
            bottom=0.07,
            hspace=0.35,
            wspace=0.42,
        )
        _table(fig.add_subplot(gs[:, 0]), ranked)
        _by_rule(fig.add_subplot(gs[0, 1]), alerts)
        _dv01(fig.add_subplot(gs[1, 1]), dv01)
        fig.text(
            0.03,
            0.02,
            "fimonitor batch · firm_summary.csv, firm_alerts.csv",
            fontsize=style.FOOTER_SIZE,
            color=style.MUTED,
        )
    return fig


def write_firm_page(
    day: pd.Timestamp,
    summary: pd.DataFrame,
    alerts: pd.DataFrame,
    dv01: pd.DataFrame,
    folder: Path,
    *,
    png: bool = True,
) -> list[Path]:
    """Save the firm page as ``YYYYMMDD_firm_summary.pdf`` (and ``.png``) into ``folder``."""
    base = Path(folder) / f"{stamp(day)}_firm_summary"
    fig = firm_figure(day, summary, alerts, dv01)
    with style.pack_style():
        with PdfPages(base.with_suffix(".pdf"), metadata={"Title": "Firm summary"}) as pdf:
            pdf.savefig(fig)
        paths = [base.with_suffix(".pdf")]
        if png:
            fig.savefig(base.with_suffix(".png"), dpi=style.PNG_DPI, metadata={"Software": None})
            paths.append(base.with_suffix(".png"))
    return paths
