"""Returns, attribution, key-rate DV01 and rate-scenario figures, and where the pages put them."""

from __future__ import annotations

import pandas as pd
from helpers.report import make_pack
from matplotlib.colors import to_hex
from pypdf import PdfReader

from fimonitor.report import figures_perf, style
from fimonitor.report.render import write_report

PERF = pd.DataFrame(
    {
        "period": ["1D", "MTD", "QTD", "YTD", "1Y"],
        "start": pd.to_datetime(["2026-04-29", "2026-03-31", "2026-03-31", "2025-12-31", None]),
        "end": pd.Timestamp("2026-04-30"),
        "portfolio_return": [0.001, 0.0123, 0.0150, 0.0210, None],
        "benchmark_return": [0.0008, 0.0100, 0.0160, 0.0200, None],
        "active_return": [0.0002, 0.0023, -0.0010, 0.0010, None],
    }
)
KRD = pd.DataFrame(
    {
        "ticker": ["ACTIVE"] * 4,
        "tenor": ["2y", "5y", "10y", "30y"],
        "krd": [0.1, -0.2, 0.3, 0.4],
        "krd_dv01": [-120.0, 80.0, 310.0, 650.0],
    }
)
ATTR = pd.DataFrame(
    {
        "period": "YTD",
        "group": ["treasury", "hy_credit"],
        "allocation": [-0.0004, 0.0003],
        "selection": [0.0002, 0.0001],
        "interaction": [0.0, 0.0001],
        "total": [-0.0002, 0.0005],
    }
)
SCEN = pd.DataFrame(
    {
        "scenario": ["parallel_up_100", "steepener"],
        "portfolio_pnl": [-600000.0, 70000.0],
        "benchmark_pnl": [-550000.0, 100000.0],
        "active_pnl": [-50000.0, -30000.0],
    }
)


def test_key_rate_bars_coloured_by_the_rule():
    with style.pack_style():
        ax = figures_perf.key_rate_chart(KRD, "2026-04-30", {"key_rate_dv01": (300.0, 600.0)})
    bars = [p for p in ax.patches if p.get_gid() == "bars:krd"] or ax.patches
    colours = [to_hex(b.get_facecolor()) for b in bars]
    # 2y, 5y under 300: no alert; 10y 310: WARN; 30y 650: BREACH
    assert colours == [
        to_hex(style.ACCENT),
        to_hex(style.ACCENT),
        to_hex(style.WARN),
        to_hex(style.BREACH),
    ]
    assert "$ per 1 bp" in ax.get_xlabel() and "2026-04-30" in ax.get_title("left")


def test_pages_show_returns_key_rates_attribution_and_scenarios_when_present(tmp_path):
    p = make_pack()
    for name, frame in (
        ("performance", PERF),
        ("key_rate_dv01", KRD),
        ("attribution", ATTR),
        ("rate_scenarios", SCEN),
    ):
        object.__setattr__(p, name, frame)
    files = write_report(p, tmp_path)
    pages = [pg.extract_text() for pg in PdfReader(files[0]).pages]
    assert len(pages) == 3
    assert "Returns to" in pages[0] and "+1.23 %" in pages[0] and "+0.23 pp" in pages[0]
    assert "Active DV01 by key rate" in pages[0]
    assert "Attribution by group, YTD" in pages[1] and "High yield" in pages[1]
    assert "Rate scenarios" in pages[2] and "Parallel +100 bp" in pages[2]
    assert "-$50,000" in pages[2]


def test_pages_without_the_new_tables_keep_the_risk_table(tmp_path):
    files = write_report(make_pack(), tmp_path)
    pages = [pg.extract_text() for pg in PdfReader(files[0]).pages]
    assert "Active DV01 by key rate" not in pages[0]
    assert "Risk" in pages[0] and "Rate scenarios" not in pages[2]
