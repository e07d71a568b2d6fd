"""The pack notice read back from hand-made pack folders."""

from __future__ import annotations

import json
from pathlib import Path

from fimonitor.notify.pack_files import pack_notice, previous_alerts

HEAD = "date,rule,ticker,value,limit,severity\n"


def folder(root: Path, day: str, alerts: str, orders: str | None = None, changes=None) -> Path:
    f = root / day
    f.mkdir(parents=True)
    (f / "alerts.csv").write_text(HEAD + alerts)
    (f / "manifest.json").write_text(
        json.dumps({"as_of": f"{day[:4]}-{day[4:6]}-{day[6:]}", "portfolio_name": "Book"})
    )
    if orders is not None:
        (f / "rebalance_orders.csv").write_text(
            "scenario,ticker,side,shares,price,notional,reason\n" + orders
        )
    if changes is not None:
        (f / "changes_since_previous.csv").write_text(changes)
    return f


def test_new_cured_and_post_min_orders_against_the_previous_folder(tmp_path):
    folder(
        tmp_path,
        "20240202",
        "2024-02-02,active_weight,TSY,0.1068,0.10,WARN\n2024-02-02,duration_gap,,1.5,1.0,BREACH\n",
    )
    today = folder(
        tmp_path,
        "20240209",
        "2024-02-09,duration_gap,,2.01,1.0,BREACH\n2024-02-09,active_weight,HYB,0.1318,0.10,WARN\n",
        "POST_MIN,HYB,SELL,150,88.0,13200,cures BREACH duration_gap\n"
        "POST_BM,TSY,SELL,10,102.0,1020,to_benchmark\n",
    )
    n = pack_notice(today)
    body = n.message.body
    assert n.message.title == "fimonitor Book 2024-02-09: 1 BREACH, 1 WARN"
    assert "New alerts (1):\n- WARN active_weight HYB: 13.18 % (limit 10.00 %)" in body
    assert "Cured since the previous pack (1):\n- WARN active_weight TSY: 10.68 %" in body
    assert "Orders (POST_MIN) (1):\n- SELL 150 HYB @ 88.00 = 13,200 (cures BREACH" in body
    assert "TSY @ 102" not in body  # other scenarios are not sent
    assert f"Pack: {today}" in body
    assert (n.has_changes, n.has_breach, n.has_orders) == (True, True, True)


def test_without_previous_folder_the_changes_table_gives_the_previous_alerts(tmp_path):
    changes = (
        "status,rule,ticker,severity,previous_severity,value,since\n"
        "persisting,duration_gap,,BREACH,BREACH,2.01,2024-02-01\n"
        "cured,active_weight,TSY,,WARN,,\n"
    )
    today = folder(
        tmp_path, "20240209", "2024-02-09,duration_gap,,2.01,1.0,BREACH\n", changes=changes
    )
    (today / "alerts_history.csv").write_text(
        HEAD + "2024-02-01,active_weight,TSY,0.11,0.10,WARN\n"
        "2024-02-02,active_weight,TSY,0.1068,0.10,WARN\n"
    )
    prev = previous_alerts(today)
    assert list(prev["rule"]) == ["duration_gap", "active_weight"]
    n = pack_notice(today)
    assert "New alerts" not in n.message.body
    assert "- WARN active_weight TSY: 10.68 % (limit 10.00 %)" in n.message.body  # last value
    assert n.has_changes and not n.has_orders


def test_no_change_no_previous(tmp_path):
    folder(tmp_path, "20240202", "2024-02-02,duration_gap,,1.5,1.0,BREACH\n")
    today = folder(tmp_path, "20240209", "2024-02-09,duration_gap,,2.01,1.0,BREACH\n")
    n = pack_notice(today)
    assert not n.has_changes and "No alert is new or cured" in n.message.body
    first = pack_notice(tmp_path / "20240202")  # no earlier pack: every alert is new
    assert first.has_changes and "New alerts (1)" in first.message.body
