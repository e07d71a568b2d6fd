"""`fimonitor rebalance` and `fimonitor dca` end to end: report, JSON, CSV, errors, recording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from fimonitor.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DATA = REPO / "data"

PORTFOLIO = """\
name: cli-test
cash: 0
targets: {PLTR: 30, ALAB: 25, TEM: 45}
holdings:
  PLTR: {shares: 300, price: 150.0, avg_cost: 60.0}
  ALAB: {shares: 220, price: 100.0, avg_cost: 80.0}
  TEM: {shares: 530, price: 100.0}
policy: {method: tiered, concentration: []}
"""


@pytest.fixture
def portfolio(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(PORTFOLIO)
    return p


@pytest.fixture
def tiny_data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    rows = ["date,ticker,close,adj_close"]
    for date, a, b in [
        ("2026-01-02", 100, 50),
        ("2026-01-05", 110, 48),
        ("2026-01-06", 120, 45),
        ("2026-01-12", 90, 50),
        ("2026-01-13", 95, 52),
    ]:
        rows += [f"{date},AAA,{a},{a}", f"{date},BBB,,{b}"]  # BBB: blank close, adj_close only
    (d / "prices.csv").write_text("\n".join(rows) + "\n")
    return d


def test_rebalance_report_json_csv(portfolio, tmp_path, capsys):
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert (
        main(
            [
                "rebalance",
                "--portfolio",
                str(portfolio),
                "--as-of",
                "2026-04-30",
                "--json",
                str(out_json),
                "--csv",
                str(out_csv),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "SELL orders" in text and "BUY orders" in text
    assert "SELL 40 PLTR @ $150.00 = $6,000.00  P&L +$3,600.00 (+150.0 %)" in text
    doc = json.loads(out_json.read_text())
    assert set(doc) >= {"total_value", "rows", "orders", "alerts"}
    assert doc["total_value"] == 120_000
    rows = {r["ticker"]: r for r in doc["rows"]}
    assert set(rows["PLTR"]) == {"ticker", "target", "weight", "drift", "action"}
    assert rows["PLTR"]["weight"] == pytest.approx(0.375) and rows["PLTR"]["target"] == 0.3
    assert rows["PLTR"]["drift"] == pytest.approx(0.075) and rows["PLTR"]["action"] == "SELL"
    assert rows["TEM"]["action"] == "HOLD"
    orders = {o["ticker"]: o for o in doc["orders"]}
    assert set(orders["PLTR"]) == {"ticker", "side", "shares", "price", "notional", "reason"}
    assert orders["PLTR"]["side"] == "SELL" and orders["ALAB"]["side"] == "BUY"
    csv = pd.read_csv(out_csv)
    assert list(csv.columns[:6]) == ["ticker", "side", "shares", "price", "notional", "reason"]
    assert csv["notional"].sum() == 12_000


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("targets: {A: 50}\n", "targets sum to 50"),
        ("targets: {A: 100}\nholdings: {A: {shares: 1, price: 1, colour: red}}\n", "'colour'"),
        ("targets: {A: 60, B: 40}\nholdings: {A: {shares: 1, price: 1}}\n", "ticker B: no price"),
        ("targets: [A, B]\n", "targets must be a mapping"),
        ("targets: {A: 100\n", "not valid YAML"),
    ],
)
def test_rebalance_bad_yaml_exits_2_with_one_line(tmp_path, capsys, text, match):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    assert main(["rebalance", "--portfolio", str(p)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "bad.yaml" in err
    assert re.search(match, err)


def test_rebalance_prices_from_data_with_adj_close_note(tmp_path, tiny_data, capsys):
    p = tmp_path / "p.yaml"
    p.write_text(
        "targets: {AAA: 50, BBB: 50}\nholdings: {AAA: {shares: 10}, BBB: {shares: 10}}\n"
        "policy: {method: calendar, concentration: []}\n"
    )
    out = tmp_path / "r.json"
    # 2026-01-10 is a Saturday: the previous price date 2026-01-06 is used and said so
    assert (
        main(
            [
                "rebalance",
                "--portfolio",
                str(p),
                "--data",
                str(tiny_data),
                "--as-of",
                "2026-01-10",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "as-of 2026-01-10 is not an NYSE trading day; using 2026-01-06" in text
    assert "BBB: close is blank on 2026-01-06; valued on adj_close 45.00" in text
    doc = json.loads(out.read_text())
    assert doc["total_value"] == pytest.approx(10 * 120 + 10 * 45)
    assert (
        main(
            ["rebalance", "--portfolio", str(p), "--data", str(tiny_data), "--as-of", "2026-02-01"]
        )
        == 2
    )
    assert "after the last price date" in capsys.readouterr().err


def test_rebalance_records_event(portfolio, tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    url = f"sqlite:///{db}"
    assert (
        main(["rebalance", "--portfolio", str(portfolio), "--as-of", "2026-04-30", "--db", url])
        == 0
    )
    with sa.create_engine(url).connect() as conn:
        rows = conn.execute(
            sa.text("select portfolio_id, event_type, status from rebalancing_events")
        ).fetchall()
    assert [tuple(r) for r in rows] == [("cli-test", "policy_tiered", "proposed")]
    assert (
        main(
            [
                "rebalance",
                "--portfolio",
                str(portfolio),
                "--as-of",
                "2026-04-30",
                "--db",
                url,
                "--no-record",
            ]
        )
        == 0
    )
    with sa.create_engine(url).connect() as conn:
        n = conn.execute(sa.text("select count(*) from rebalancing_events")).scalar()
    assert n == 1


def test_examples_run_against_bundled_data(tmp_path, capsys):
    for name in ("etf_tiered", "tax_aware"):
        out = tmp_path / f"{name}.json"
        assert (
            main(
                [
                    "rebalance",
                    "--portfolio",
                    str(EXAMPLES / f"{name}.yaml"),
                    "--data",
                    str(DATA),
                    "--as-of",
                    "2026-04-30",
                    "--json",
                    str(out),
                ]
            )
            == 0
        )
        doc = json.loads(out.read_text())
        assert doc["cash_after"] >= 0 and doc["orders"]
    text = capsys.readouterr().out
    assert "harvest substitute for XLE" in text and "wash_sale" in text


def test_dca_schedule_prints_dates(capsys):
    assert (
        main(
            [
                "dca",
                "schedule",
                "--frequency",
                "weekly",
                "--start",
                "2026-01-12",
                "--end",
                "2026-01-26",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "2026-01-12\n2026-01-20\n2026-01-26\n"


def test_dca_run_writes_orders_summary_and_records(tmp_path, tiny_data, capsys):
    p = tmp_path / "d.yaml"
    p.write_text(
        "name: d\ncash: 250\ntargets: {AAA: 60, BBB: 40}\npolicy: {fractional_shares: false}\n"
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "dca",
                "run",
                "--portfolio",
                str(p),
                "--amount",
                "200",
                "--frequency",
                "weekly",
                "--start",
                "2026-01-01",
                "--end",
                "2026-01-13",
                "--data",
                str(tiny_data),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    orders = pd.read_csv(out / "dca_orders.csv")
    assert list(orders.columns) == ["date", "ticker", "shares", "price", "notional"]
    # 2026-01-05: AAA 120/110 -> 1 share, BBB 80/48 -> 1 share (158); cash 92 left
    # 2026-01-12: budget 92: AAA 55.2/90 -> 0 (skipped), BBB 36.8/50 -> 0 (skipped)
    assert orders.to_dict("records") == [
        {"date": "2026-01-05", "ticker": "AAA", "shares": 1.0, "price": 110.0, "notional": 110.0},
        {"date": "2026-01-05", "ticker": "BBB", "shares": 1.0, "price": 48.0, "notional": 48.0},
    ]
    summary = pd.read_csv(out / "dca_summary.csv").set_index("ticker")
    # valued on the last investment date 2026-01-12
    assert summary.loc["AAA", "end_value"] == 90.0 and summary.loc["BBB", "end_value"] == 50.0
    text = capsys.readouterr().out
    assert "capital_insufficient" in text and "BBB: close is blank" in text
    with sa.create_engine(f"sqlite:///{out / 'fimonitor.sqlite'}").connect() as conn:
        n = conn.execute(
            sa.text("select count(*) from rebalancing_events where event_type = 'dca'")
        ).scalar()
    assert n == 1


def test_dca_run_bad_mode_and_dates(tmp_path, tiny_data, capsys):
    p = tmp_path / "d.yaml"
    p.write_text("cash: 250\ntargets: {AAA: 60, BBB: 40}\n")
    assert (
        main(
            [
                "dca",
                "run",
                "--portfolio",
                str(p),
                "--amount",
                "200",
                "--frequency",
                "weekly",
                "--start",
                "2025-01-01",
                "--end",
                "2026-01-13",
                "--data",
                str(tiny_data),
                "--out",
                str(tmp_path / "o"),
                "--no-record",
            ]
        )
        == 2
    )
    assert "prices cover" in capsys.readouterr().err
    assert not (tmp_path / "o" / "dca_orders.csv").exists()
