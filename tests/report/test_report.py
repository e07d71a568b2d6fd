"""The 3-page PDF pack, its PNG pages, the formatting module and the pack index.

Structure, not pixels: page count, page text (pypdf), PNG size, figure titles and axis labels.
Packs are the synthetic ones of ``tests/helpers/report.py``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.report import DIAGNOSIS, make_pack

from fimonitor.report import figures, figures_alerts, figures_rebalance, pages, style
from fimonitor.report import format as fmt
from fimonitor.report.index import read_counts, write_index
from fimonitor.report.render import report_names, write_report

PAGE_PX = (
    round(style.PAGE_SIZE[0] * style.PNG_DPI - 0.5),
    round(style.PAGE_SIZE[1] * style.PNG_DPI - 0.5),
)


@pytest.fixture(scope="module")
def pack():
    return make_pack()


@pytest.fixture(scope="module")
def rendered(rendered_report):
    """``make_pack()`` rendered once per session (helpers.fixtures); read it, never write."""
    return rendered_report


def _texts(fig) -> str:
    """Every text drawn on a figure (figure texts, titles, tick labels, axis labels)."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title("left"), ax.get_title("center"), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# format.py
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (fmt.pct, (0.01234,), "1.2 %"),
        (fmt.pct, (0.01234, 2), "1.23 %"),
        (fmt.pct, (0.0123, 1, True), "+1.2 %"),
        (fmt.pct, (-0.0123, 1, True), "-1.2 %"),
        (fmt.pct, (-0.00001, 1, True), "0.0 %"),  # no "-0.0"
        (fmt.pct, (1.5,), "150.0 %"),
        (fmt.pp, (0.0125,), "+1.2 pp"),  # round-half-even on 1.25
        (fmt.pp, (-0.031, 1), "-3.1 pp"),
        (fmt.bp, (0.00045,), "4.5 bp"),
        (fmt.bp, (-0.0001, 0, True), "-1 bp"),
        (fmt.years, (6.234,), "6.23 y"),
        (fmt.years, (-0.176, 2, True), "-0.18 y"),
        (fmt.years, (0.5, 2, True), "+0.50 y"),
        (fmt.money, (1234567.8,), "$1,234,568"),
        (fmt.money, (-1234.5, 2), "-$1,234.50"),
        (fmt.money, (12.0, 0, True), "+$12"),
        (fmt.money_short, (1_234_567,), "$1.23m"),
        (fmt.money_short, (45_600,), "$45.60k"),
        (fmt.money_short, (-2.5e9,), "-$2.50bn"),
        (fmt.dv01, (6590.19,), "$6,590/bp"),
        (fmt.number, (1234.0,), "1,234"),
        (fmt.change, (2,), "+2"),
        (fmt.change, (-1.0,), "-1"),
        (fmt.change, (0,), "±0"),
        (fmt.date, (pd.Timestamp("2026-05-01 00:00"),), "2026-05-01"),
        (fmt.text, ("  ",), "–"),
        (fmt.rule_value, ("duration_gap", 0.5), "0.50 y"),
        (fmt.rule_value, ("active_weight", 0.05), "5.00 %"),
        (fmt.metric, ("volatility", 0.0563), "5.63 %"),
        (fmt.metric, ("sharpe", 0.714), "0.71"),
        (fmt.metric, ("portfolio_dv01", 100.0), "$100/bp"),
        (fmt.metric, ("benchmark_duration", 6.0), "6.00 y"),
        (fmt.metric, ("n_breach", 3), "3"),
        (fmt.metric, ("as_of", "2026-05-01"), "2026-05-01"),
    ],
)
def test_format_values(func, args, expected):
    assert func(*args) == expected


@pytest.mark.parametrize(
    "missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, "abc", math.inf, -math.inf]
)
@pytest.mark.parametrize(
    "func",
    [
        fmt.pct,
        fmt.pp,
        fmt.bp,
        fmt.years,
        fmt.money,
        fmt.dv01,
        fmt.number,
        fmt.change,
        fmt.money_short,
        fmt.date,
        fmt.text,
    ],
)
def test_format_missing_is_dash(func, missing):
    if func is fmt.text and (
        isinstance(missing, str) or (isinstance(missing, float) and math.isinf(missing))
    ):
        assert func(missing) == str(missing)  # text keeps any real label
        return
    assert func(missing) == "–"


def test_format_numeric_strings_from_metric_tables():
    # portfolio_summary.csv read back with pandas gives object/str values
    assert fmt.pct("0.05") == "5.0 %"
    assert fmt.years("6.5") == "6.50 y"


def test_pct_agrees_with_independent_formatting():
    rng = np.random.default_rng(1)
    for v in rng.normal(0, 0.05, 200):
        assert fmt.pct(v, 2).replace(",", "") == f"{round(v * 100, 2) + 0.0:.2f} %"


# ---------------------------------------------------------------------------------------------
# PDF and PNG files
# ---------------------------------------------------------------------------------------------


def test_file_names(pack, rendered):
    assert [p.name for p in rendered] == [
        "20260501_FixedIncome_MonitoringPack_3pages.pdf",
        "20260501_one_page_summary.png",
        "20260501_weekly_pack.png",
        "20260501_rebalance_pack.png",
    ]
    assert report_names(pack) == [p.name for p in rendered]
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in rendered)


def test_pdf_three_landscape_pages_with_titles_and_as_of(pack, rendered):
    reader = PdfReader(rendered[0])
    assert len(reader.pages) == 3
    for i, page in enumerate(reader.pages):
        box = page.mediabox
        assert float(box.width) > float(box.height)  # landscape
        assert abs(float(box.width) - 841.68) < 1 and abs(float(box.height) - 595.44) < 1  # A4
        text = page.extract_text()
        assert "2026-05-01" in text
        assert pages.PAGE_TITLES[i] in text
        assert pack.portfolio_name in text
        assert f"page {i + 1} of 3" in text
        assert "fimonitor 0.1.0" in text


def test_pdf_metadata(rendered):
    meta = PdfReader(rendered[0]).metadata
    assert "Monitoring Pack" in meta.title and "2026-05-01" in meta.title
    assert "2026-05-01" in meta.subject
    assert "0.1.0" in meta["/Creator"] and "0.1.0" in meta["/Keywords"]
    assert "/CreationDate" not in meta


@pytest.mark.slow  # renders the whole report a second time
def test_pdf_is_byte_identical_across_runs(pack, rendered, tmp_path):
    again = write_report(pack, tmp_path)
    assert again[0].read_bytes() == rendered[0].read_bytes()


def test_png_pages_are_150_dpi_a4(rendered):
    for png in rendered[1:]:
        with Image.open(png) as im:
            assert im.size == PAGE_PX == (1753, 1240)
            assert round(im.info["dpi"][0]) == 150


def test_page_text_shows_key_numbers(pack, rendered):
    text = PdfReader(rendered[0]).pages[0].extract_text()
    mv = pack.summary_value("market_value")
    assert fmt.money(mv) in text
    assert fmt.dv01(pack.summary_value("portfolio_dv01")) in text
    assert fmt.years(pack.summary_value("portfolio_duration")) in text
    assert "Data quality: 1 BREACH, 2 WARN" in text
    assert "5.63 %" in text  # volatility from risk_metrics
    # breach count 3, previous 3 (from n_breach_prev) -> "±0"; warn 5 vs 6 -> "-1"
    b, w = int(pack.summary_value("n_breach")), int(pack.summary_value("n_warn"))
    pb, pw = int(pack.summary_value("n_breach_prev")), int(pack.summary_value("n_warn_prev"))
    assert f"{fmt.change(b - pb)} vs 2026-04-24" in text
    assert f"{fmt.change(w - pw)} vs 2026-04-24" in text


def test_page3_trades_table_for_both_scenarios(pack, rendered):
    text = PdfReader(rendered[0]).pages[2].extract_text()
    orders = pack.rebalance.orders
    n = int((orders["scenario"] == "POST_CONS").sum())
    assert f"Trades POST_CONS: {n} orders" in text
    assert "What to do today" in text
    cons = orders[orders["scenario"] == "POST_CONS"]
    biggest = cons.sort_values("notional", ascending=False).iloc[0]
    assert fmt.money(biggest["notional"]) in text
    assert "Binding constraints in POST_CONS" in text
    assert "Cash floor 2.0 % binds" in text


# ---------------------------------------------------------------------------------------------
# Figures: titles, labels, units; crowding; infeasible
# ---------------------------------------------------------------------------------------------


def test_every_chart_has_title_and_labelled_axes(pack):
    with style.pack_style():
        for _, fig in pages.build_pages(pack):
            charts = [ax for ax in fig.axes if ax.axison]
            assert charts, "each page has at least one chart"
            for ax in charts:
                assert ax.get_title("left"), "chart without a title"
                assert ax.get_ylabel() or ax.get_yticklabels(), "unlabelled y axis"
                assert ax.get_xlabel(), f"no x label on {ax.get_title('left')}"


def test_units_on_value_axes(pack):
    with style.pack_style():
        ax = figures.active_weights_chart(pack.positions, pack.thresholds)
        assert "%" in ax.get_xlabel()
        ax = figures.duration_chart(pack.duration_history, pack.thresholds)
        assert "years" in ax.get_ylabel()
        ax = figures.dv01_chart(pack.positions)
        assert "$ per 1 bp" in ax.get_xlabel()
        ax = figures_alerts.rolling_risk_chart(pack.rolling_risk)
        assert "%" in ax.get_ylabel() or "not enough" in ax.texts[0].get_text()
        ax = figures_rebalance.scenario_active_chart(pack.rebalance.comparison, pack.thresholds)
        assert "%" in ax.get_ylabel()


def test_active_chart_limits_drawn_and_top_n():
    p = make_pack(50)
    with style.pack_style():
        ax = figures.active_weights_chart(p.positions, p.thresholds, top_n=12)
    assert len(ax.get_yticklabels()) == 12
    n_nonzero = int((p.positions["active_weight"].abs() > 0).sum())
    assert f"top 12 of {n_nonzero} tickers" in ax.get_title("left")
    xs = sorted({round(float(line.get_xdata()[0]), 4) for line in ax.get_lines()})
    assert xs == [-0.05, -0.03, 0.0, 0.03, 0.05]
    # the bars are the 12 largest |active weights|, coloured by severity
    top = p.positions.set_index("ticker")["active_weight"].abs().nlargest(12)
    assert {t.get_text() for t in ax.get_yticklabels()} == set(top.index)
    reds = sum(1 for b in ax.patches if b.get_facecolor()[:3] == _rgb(style.BREACH))
    assert reds == int((top > 0.05).sum())


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(hex_colour)


def test_duration_zones_coloured_by_severity(pack):
    """No-alert zone unfilled; warn zone (0.5 < |gap| <= 1) amber; breach zone (> 1) red."""
    from matplotlib.colors import to_hex

    with style.pack_style():
        ax = figures.duration_chart(pack.duration_history, pack.thresholds)
    zones = [c for c in ax.collections if str(c.get_gid()).startswith("zone:")]
    assert len(zones) == 4  # warn above/below, breach above/below
    bench = pack.duration_history["benchmark_duration"].to_numpy()
    for c in zones:
        sev = c.get_gid().split(":")[1]
        colour = to_hex(c.get_facecolor()[0])
        ys = c.get_paths()[0].vertices[:, 1]
        if sev == "WARN":
            assert colour == to_hex(style.WARN_FILL)
            # the amber zone lies between warn and breach on one side of the benchmark
            assert np.isclose(np.abs(ys - np.median(bench)).min(), 0.5, atol=0.6)
        else:
            assert colour == to_hex(style.BREACH_FILL)
    up = next(c for c in zones if c.get_gid() == "zone:WARN").get_paths()[0].vertices[:, 1]
    assert np.isclose(up.min(), (bench + 0.5).min()) or np.isclose(up.max(), (bench - 0.5).max())
    # nothing is painted between benchmark − 0.5 and benchmark + 0.5 (the no-alert zone)
    for c in zones:
        ys = c.get_paths()[0].vertices[:, 1]
        assert not np.any((ys > bench.max() - 0.5 + 1e-9) & (ys < bench.min() + 0.5 - 1e-9))


@pytest.mark.parametrize(
    ("ticks", "expected"),
    [
        ([-0.075, -0.05, -0.025, 0.0, 0.025, 0.05, 0.075], ["-7.5 %", "-2.5 %", "+2.5 %"]),
        ([-0.08, -0.04, 0.0, 0.04, 0.08], ["-8 %", "+4 %", "0 %"]),
        ([0.0, 0.005, 0.01], ["+0.5 %", "+1.0 %", "0.0 %"]),
    ],
)
def test_percent_ticks_show_their_real_value(ticks, expected):
    labels = figures.PctFormatter(signed=True).format_ticks(ticks)
    for e in expected:
        assert e in labels
    # every label parses back to its tick
    back = [float(lab.replace(" %", "").replace("+", "")) / 100 for lab in labels]
    assert np.allclose(back, ticks)


def test_alert_timeline_cells_are_worst_severity_per_week():
    h = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2026-04-20", "2026-04-21", "2026-04-27", "2026-04-29", "2026-04-13"]
            ),
            "rule": ["active_weight"] * 4 + ["duration_gap"],
            "ticker": ["TLT", "TLT", "TLT", "TLT", ""],
            "severity": ["WARN", "BREACH", "WARN", "WARN", "WARN"],
        }
    )
    codes, partial = figures_alerts.alert_timeline(h, "2026-04-30", 3)
    weeks = list(codes.columns.strftime("%Y-%m-%d"))
    assert weeks == ["2026-04-10", "2026-04-17", "2026-04-24", "2026-05-01"]
    assert codes.loc[("active_weight", "TLT")].tolist() == [0, 0, 2, 1]  # worst of the week
    assert codes.loc[("duration_gap", "")].tolist() == [0, 1, 0, 0]
    assert codes.index[0] == ("active_weight", "TLT")  # BREACH rows first
    # window 2026-04-10 (Fri, after 04-09) .. 2026-04-30 (Thu): first and last week partial
    assert partial.tolist() == [True, False, False, True]
    with style.pack_style():
        ax = figures_alerts.alert_timeline_chart(codes, partial)
    mesh = next(c for c in ax.collections if c.get_gid() == "timeline")
    assert np.asarray(mesh.get_array()).reshape(codes.shape).tolist() == codes.to_numpy().tolist()
    assert any(t.get_text().endswith("*") for t in ax.get_xticklabels())
    assert all(
        t.get_text()[-5:-1].isdigit() or t.get_text()[-4:].isdigit() for t in ax.get_xticklabels()
    )  # the year is on every date label


def test_ratings_sorted_by_scale_and_groups_labelled():
    assert sorted(["BB", "A", "NR", "BBB", "cash", "AA", "AAA", "D"], key=fmt.rating_rank) == [
        "AAA",
        "AA",
        "A",
        "BBB",
        "BB",
        "D",
        "NR",
        "cash",
    ]
    assert fmt.group_label("hy_credit") == "High yield"
    assert fmt.group_label("hy_credit", {"hy_credit": "HY"}) == "HY"
    assert fmt.group_label("odd_code") == "odd_code"


def test_alert_value_signed_and_streak_path():
    row = pd.Series(
        {
            "rule": "active_weight",
            "ticker": "MBB",
            "value": 0.0433,
            "signed_value": -0.0433,
            "limit": 0.03,
            "excess": 0.0133,
            "severity": "WARN",
            "since": pd.Timestamp("2026-03-16"),
            "first_breach": pd.Timestamp("2026-03-16"),
            "severity_since": pd.Timestamp("2026-04-15"),
            "age_days": 33,
        }
    )
    assert pages.signed_value(row) == "-4.33 pp"
    assert pages.excess_text(row) == "+1.33 pp"
    assert pages.streak_path(row) == "BREACH 2026-03-16 → WARN 2026-04-15"
    assert pages.age_text(row) == "33 d"
    esc = row.copy()
    esc["severity"], esc["first_breach"] = "BREACH", pd.Timestamp("2026-03-20")
    assert pages.streak_path(esc) == "WARN 2026-03-16 → BREACH 2026-03-20"


def test_fifty_holdings_render_with_top_n(tmp_path):
    p = make_pack(50)
    files = write_report(p, tmp_path)
    reader = PdfReader(files[0])
    assert len(reader.pages) == 3
    t1 = reader.pages[0].extract_text()
    assert "top 12 of 52 tickers" in t1
    assert "top 12 of 50 holdings" in t1
    assert "top 15 of 52 tickers" in reader.pages[2].extract_text()


def test_tick_labels_do_not_overlap_with_50_holdings():
    p = make_pack(50)
    with style.pack_style():
        fig = pages.summary_page(p)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            if not ax.axison:
                continue
            for labels in (ax.get_yticklabels(), ax.get_xticklabels()):
                boxes = [lab.get_window_extent(renderer) for lab in labels if lab.get_text()]
                for a, b in itertools.pairwise(boxes):
                    assert not a.overlaps(b), ax.get_title("left")


def test_table_shows_top_n_of_m():
    p = make_pack(50)
    with style.pack_style():
        fig = pages.rebalance_page(p)
    text = _texts(fig)
    n = int((p.rebalance.orders["scenario"] == "POST_CONS").sum())
    assert f"Trades POST_CONS: {n} orders (top " in text and f"of {n})" in text


def test_infeasible_pack_shows_diagnosis(tmp_path):
    p = make_pack(infeasible=True)
    files = write_report(p, tmp_path)
    text = PdfReader(files[0]).pages[2].extract_text()
    assert "POST_CONS INFEASIBLE" in text
    assert "min_cash_weight 0.02 + duration_band 0.25" in text
    assert DIAGNOSIS.startswith("infeasible: min_cash_weight")
    assert "Trades POST_CONS: 0 orders" in text


def test_previous_counts_derived_from_history_when_absent():
    p = make_pack(with_prev_counts=False)
    full = make_pack()
    assert "n_breach_prev" not in set(p.summary["metric"])
    assert pages.previous_counts(p) == (
        full.summary_value("n_breach_prev"),
        full.summary_value("n_warn_prev"),
    )


def test_open_alerts_age_counts_streak_days(pack):
    oa = pages.open_alerts(pack)
    assert len(oa) == len(pack.alerts)
    sessions = pd.DatetimeIndex(sorted(pack.alerts_history["date"].unique()))
    for _, r in oa.iterrows():
        expected = int(((sessions >= r["since"]) & (sessions <= pack.as_of)).sum())
        assert r["age_days"] == expected
    assert oa["severity"].iloc[0] == "BREACH"  # breaches listed first


def test_pack_without_rebalance_or_alerts_renders(tmp_path):
    import dataclasses

    p = make_pack()
    empty = p.alerts.iloc[0:0]
    p = dataclasses.replace(
        p,
        rebalance=None,
        alerts=empty,
        data_quality=p.data_quality.iloc[0:0],
        changes=p.changes.iloc[0:0],
        moves=p.moves.iloc[0:0],
    )
    files = write_report(p, tmp_path)
    reader = PdfReader(files[0])
    assert len(reader.pages) == 3
    assert "No rebalance was computed" in reader.pages[2].extract_text()
    assert "no alerts open today" in reader.pages[1].extract_text()
    assert "All inputs passed" in reader.pages[0].extract_text()


# ---------------------------------------------------------------------------------------------
# index.html
# ---------------------------------------------------------------------------------------------


def test_index_links_every_pack(tmp_path, rendered):
    for stamp, (nb, nw) in {"20260424": (4, 6), "20260501": (3, 5)}.items():
        d = tmp_path / stamp
        d.mkdir()
        for f in rendered:
            (d / f.name.replace("20260501", stamp)).write_bytes(b"x")
        (d / "portfolio_summary.csv").write_text(
            f"metric,value\nas_of,2026-05-01\nn_breach,{nb}\nn_warn,{nw}\n"
        )
    (tmp_path / "notes").mkdir()  # not a pack folder
    (tmp_path / "20269999x").mkdir()
    out = write_index(tmp_path)
    assert out == tmp_path / "index.html"
    text = out.read_text()
    assert text.index("2026-05-01") < text.index("2026-04-24")  # newest first
    for stamp in ("20260424", "20260501"):
        assert f'href="{stamp}/{stamp}_FixedIncome_MonitoringPack_3pages.pdf"' in text
        for suffix in ("one_page_summary", "weekly_pack", "rebalance_pack"):
            assert f'href="{stamp}/{stamp}_{suffix}.png"' in text
    assert '<td class="breach">4</td><td class="warn">6</td>' in text
    assert "notes" not in text and "20269999x" not in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]


def test_index_empty_and_unreadable_summary(tmp_path):
    (tmp_path / "20260102").mkdir()
    text = write_index(tmp_path).read_text()
    assert "2026-01-02" in text and "<td>–</td><td>–</td>" in text
    assert read_counts(tmp_path / "missing.csv") == ("–", "–")
