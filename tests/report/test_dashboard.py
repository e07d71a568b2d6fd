"""The dashboard template: open alerts and their age, escaping, and the static index."""

from __future__ import annotations

import json

import pandas as pd

from fimonitor.report.dashboard import (
    Dashboard,
    PortfolioView,
    TrendPoint,
    open_alerts,
    render_dashboard,
    trend_svg,
)
from fimonitor.report.index import pack_files, scan_packs, write_index


def _alerts(rows):
    return pd.DataFrame(
        rows, columns=["portfolio", "as_of", "rule", "ticker", "value", "limit", "severity"]
    )


def test_open_alerts_age_counts_the_current_unbroken_run():
    # snapshots of book A on d1..d4 (d3 without alerts); book B on d2, d4
    d = ["2026-01-02", "2026-01-09", "2026-01-16", "2026-01-23"]
    snaps = pd.DataFrame(
        {"portfolio": ["A"] * 4 + ["B"] * 2, "as_of": [*d, d[1], d[3]]},
    )
    hist = _alerts(
        [
            ("A", d[0], "active_weight", "TLT", 0.06, 0.05, "BREACH"),  # run d0 broken at d2
            ("A", d[1], "active_weight", "TLT", 0.06, 0.05, "BREACH"),
            ("A", d[3], "active_weight", "TLT", 0.07, 0.05, "BREACH"),  # reopened on d3
            ("A", d[1], "duration_gap", None, 0.6, 0.5, "WARN"),
            ("A", d[2], "duration_gap", None, 0.6, 0.5, "WARN"),
            ("A", d[3], "duration_gap", None, 0.7, 0.5, "WARN"),  # open since d1
            ("A", d[2], "min_cash_weight", None, 0.01, 0.02, "BREACH"),  # closed: not listed
            ("B", d[1], "active_weight", "HYG", 0.04, 0.03, "WARN"),
            ("B", d[3], "active_weight", "HYG", 0.04, 0.03, "WARN"),  # consecutive for B
        ]
    )
    got = open_alerts(hist, snaps)
    by_key = {(r.portfolio, r.rule, r.ticker): r for r in got.itertuples()}
    assert set(by_key) == {
        ("A", "active_weight", "TLT"),
        ("A", "duration_gap", ""),
        ("B", "active_weight", "HYG"),
    }
    assert str(by_key["A", "active_weight", "TLT"].since.date()) == d[3]
    assert by_key["A", "active_weight", "TLT"].age_days == 0
    assert str(by_key["A", "duration_gap", ""].since.date()) == d[1]
    assert by_key["A", "duration_gap", ""].age_days == 14
    assert by_key["B", "active_weight", "HYG"].age_days == 14
    assert got["severity"].iloc[0] == "BREACH"  # breaches first
    # shuffled input rows give the same answer
    again = open_alerts(hist.sample(frac=1, random_state=3), snaps.sample(frac=1, random_state=4))
    pd.testing.assert_frame_equal(got, again)


def test_open_alerts_empty():
    assert open_alerts(_alerts([]), None).empty


def test_every_input_string_is_escaped():
    evil = '<script>alert("x")</script>'
    d = Dashboard(
        title="t",
        portfolios=(
            PortfolioView(evil, "2026-01-02", 1, 2, 1e6, 0.3, (TrendPoint(evil, 1, 2, 0.3),)),
        ),
        alerts=open_alerts(_alerts([(evil, "2026-01-02", evil, evil, 0.1, 0.05, "WARN")]), None),
        packs=(),
    )
    text = render_dashboard(d)
    assert "<script" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_trend_svg_has_one_point_per_snapshot():
    trend = tuple(TrendPoint(f"2026-01-0{i}", i, 2 * i, 0.1 * i) for i in range(1, 6))
    svg = trend_svg(trend)
    assert svg.count("<svg") == 2 and svg.count("<circle") == 3 * 5
    assert "2026-01-01" in svg and "2026-01-05" in svg


def test_static_index_shows_trend_alerts_and_manifest_links(tmp_path):
    for stamp, nb, nw in (("20260102", 1, 0), ("20260109", 2, 1)):
        folder = tmp_path / stamp
        folder.mkdir()
        (folder / "portfolio_summary.csv").write_text(
            f"metric,value\nn_breach,{nb}\nn_warn,{nw}\nduration_gap,0.6\nmarket_value,100\n"
        )
        (folder / "alerts.csv").write_text(
            "date,rule,ticker,value,limit,severity\n"
            f"{stamp},active_weight,<b>TLT</b>,0.06,0.05,BREACH\n"
        )
        (folder / "not_listed.csv").write_text("x\n")
        outputs = {"portfolio_summary.csv": "00", "alerts.csv": "11"}
        (folder / "manifest.json").write_text(
            json.dumps({"portfolio_name": "Book <i>", "outputs": outputs})
        )
    text = write_index(tmp_path).read_text()
    assert "Book &lt;i&gt;" in text and "&lt;b&gt;TLT&lt;/b&gt;" in text
    assert 'href="20260109/alerts.csv"' in text and "not_listed" not in text
    assert "<svg" in text and "<script" not in text
    assert text.index("2026-01-09</a>") < text.index("2026-01-02</a>")  # newest pack first


def test_scan_finds_single_and_batch_layouts_and_skips_symlinks(tmp_path):
    (tmp_path / "20260102").mkdir()
    (tmp_path / "20260102" / "a.csv").write_text("x\n")
    (tmp_path / "20260102" / "b.exe").write_text("x\n")
    (tmp_path / "firm" / "20260109").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "firm")
    packs = scan_packs(tmp_path)
    assert [(p.book, p.stamp) for p in packs] == [("firm", "20260109"), (None, "20260102")]
    assert pack_files(tmp_path / "20260102") == {"a.csv": None}  # allow-listed extensions
