"""`fimonitor pack` end to end: the contract's files, the PDF, batches, and golden CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.tiny import write_tiny_book
from pypdf import PdfReader

from fimonitor.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo_20260430"
CONTRACT_CSVS = {
    "today_positions.csv": "ticker,name,group,rating_bucket,shares,price,market_value,weight,"
    "benchmark_weight,active_weight,duration,dv01",
    "sector_exposure.csv": "group,portfolio_weight,benchmark_weight,active_weight",
    "rating_exposure.csv": "rating_bucket,portfolio_weight,benchmark_weight,active_weight",
    "alerts.csv": "date,rule,ticker,value,limit,severity",
    "alerts_history.csv": "date,rule,ticker,value,limit,severity",
    "rebalance_orders.csv": "scenario,ticker,side,shares,price,notional",
    "rebalance_comparison.csv": "scenario,ticker,weight,active_weight",
    "rebalance_summary.csv": "scenario,n_breach,n_warn,portfolio_duration,duration_gap,turnover",
    "portfolio_summary.csv": "metric,value",
    "risk_metrics.csv": "metric,value",
}


@pytest.fixture(scope="module")
def demo_pack(demo_pack_dir) -> Path:
    """The demo pack rendered once per session (helpers.fixtures); read it, never write."""
    return demo_pack_dir


def test_demo_pack_has_every_contract_file(demo_pack):
    stamp = "20260430"
    for name in [
        f"{stamp}_FixedIncome_MonitoringPack_3pages.pdf",
        f"{stamp}_one_page_summary.png",
        f"{stamp}_weekly_pack.png",
        f"{stamp}_rebalance_pack.png",
        "manifest.json",
        *CONTRACT_CSVS,
    ]:
        assert (demo_pack / name).is_file(), name
    for name, header in CONTRACT_CSVS.items():
        first = (demo_pack / name).read_text().splitlines()[0]
        assert first.startswith(header), (name, first)
    summary = pd.read_csv(demo_pack / "portfolio_summary.csv").set_index("metric")["value"]
    for metric in [
        "as_of",
        "market_value",
        "cash_weight",
        "portfolio_duration",
        "benchmark_duration",
        "duration_gap",
        "portfolio_dv01",
        "n_breach",
        "n_warn",
    ]:
        assert metric in summary.index
    assert summary["as_of"] == "2026-04-30"
    manifest = json.loads((demo_pack / "manifest.json").read_text())
    assert manifest["as_of"] == "2026-04-30"
    assert set(manifest["inputs"]) >= {
        "prices.csv",
        "transactions.csv",
        "security_master.csv",
        "duration_monthly.csv",
        "benchmark_weights.csv",
        "monitor.yaml",
    }
    assert all(len(v["sha256"]) == 64 for v in manifest["inputs"].values())
    assert not list(demo_pack.parent.glob(".*tmp*"))


def test_demo_pdf_has_three_titled_pages(demo_pack):
    reader = PdfReader(demo_pack / "20260430_FixedIncome_MonitoringPack_3pages.pdf")
    assert len(reader.pages) == 3
    texts = [p.extract_text() for p in reader.pages]
    for text, title in zip(
        texts, ["One-page summary", "Weekly monitoring pack", "Rebalance pack"], strict=True
    ):
        assert "2026-04-30" in text
        assert title in text
    meta = reader.metadata
    assert "2026-04-30" in (meta.title or "") + (meta.subject or "")


def test_positions_agree_with_the_summary(demo_pack):
    pos = pd.read_csv(demo_pack / "today_positions.csv")
    summary = pd.read_csv(demo_pack / "portfolio_summary.csv").set_index("metric")["value"]
    assert pos["market_value"].sum() == pytest.approx(float(summary["market_value"]))
    assert pos["weight"].sum() == pytest.approx(1.0)
    assert pos["benchmark_weight"].sum() == pytest.approx(1.0)
    assert (pos["weight"] * pos["duration"].fillna(0)).sum() == pytest.approx(
        float(summary["portfolio_duration"])
    )
    assert pos["dv01"].sum() == pytest.approx(float(summary["portfolio_dv01"]))
    np.testing.assert_allclose(pos["dv01"], pos["market_value"] * pos["duration"] * 1e-4)
    alerts = pd.read_csv(demo_pack / "alerts.csv")
    assert (alerts["severity"] == "BREACH").sum() == int(summary["n_breach"])
    assert (alerts["severity"] == "WARN").sum() == int(summary["n_warn"])


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.csv")))
def test_demo_pack_matches_golden_csvs(demo_pack, name):
    """Regression: the demo pack's CSVs equal the reviewed copies in tests/golden.

    Regenerate after an intended change with ``python tests/regenerate_golden.py`` and review
    the diff.
    """
    got = pd.read_csv(demo_pack / name, keep_default_na=False)
    want = pd.read_csv(GOLDEN / name, keep_default_na=False)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        g = pd.to_numeric(got[col], errors="coerce")
        w = pd.to_numeric(want[col], errors="coerce")
        num = w.notna().to_numpy()  # numeric cells within 1e-9, the others (text, blank) equal
        np.testing.assert_allclose(g[num], w[num], rtol=1e-9, atol=1e-9, err_msg=f"{name}:{col}")
        assert got[col][~num].astype(str).tolist() == want[col][~num].astype(str).tolist(), (
            name,
            col,
        )


def test_batch_builds_one_pack_per_week_and_an_index(tmp_path, capsys, no_render):
    data = write_tiny_book(tmp_path / "d")
    out = tmp_path / "out"
    code = main(
        [
            "pack",
            "--data",
            str(data),
            "--out",
            str(out),
            "--from",
            "2024-01-29",
            "--to",
            "2024-02-09",
            "--every",
            "week",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["20240202", "20240209"]
    index = (out / "index.html").read_text()
    assert "20240202" in index and "20240209" in index
    code = main(
        [
            "pack",
            "--data",
            str(data),
            "--out",
            str(out),
            "--from",
            "2024-02-05",
            "--to",
            "2024-02-07",
            "--every",
            "day",
        ]
    )
    assert code == 0
    assert {"20240205", "20240206", "20240207"} <= {p.name for p in out.iterdir()}


def test_weekend_as_of_is_moved_and_said(tmp_path, capsys, no_render):
    data = write_tiny_book(tmp_path / "d")
    code = main(
        ["pack", "--data", str(data), "--out", str(tmp_path / "o"), "--as-of", "2024-02-03"]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "2024-02-03 is not an NYSE trading day; using 2024-02-02" in err
    assert (tmp_path / "o" / "20240202").is_dir()


@pytest.mark.slow
def test_both_engines_give_identical_csvs(tmp_path, capsys, no_render):
    data = write_tiny_book(tmp_path / "d")
    direct, notebook = tmp_path / "direct", tmp_path / "nb"
    assert main(["pack", "--data", str(data), "--out", str(direct)]) == 0
    code = main(["pack", "--data", str(data), "--out", str(notebook), "--engine", "notebook"])
    assert code == 0, capsys.readouterr().err
    a, b = direct / "20240209", notebook / "20240209"
    csvs = sorted(p.name for p in a.glob("*.csv"))
    assert csvs == sorted(p.name for p in b.glob("*.csv"))
    assert len(csvs) >= 10
    for name in csvs:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (b / "20240209_monitoring_pack.ipynb").is_file()
    html = (b / "20240209_monitoring_pack.html").read_text()
    assert "<html" in html.lower()
    assert "run_pack(" not in html  # code input hidden (nbconvert --no-input)
    assert json.loads((b / "manifest.json").read_text())["engine"] == "notebook"
