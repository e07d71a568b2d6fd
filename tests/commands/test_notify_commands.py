"""`--notify` on pack, rebalance and dca run: the posted message, sent to 127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers.tiny import TINY_RULES, write_tiny_book
from helpers.webhook import free_closed_port

import fimonitor.notify as notify_pkg
from fimonitor.cli import main

pytestmark = pytest.mark.usefixtures("loopback_only")

PORTFOLIO = {
    "name": "hooked",
    "cash": 0,
    "targets": {"PLTR": 30, "BND": 70},
    "holdings": {
        "PLTR": {"shares": 400, "price": 150.0, "avg_cost": 60.0},  # 60,000 of 100,000
        "BND": {"shares": 400, "price": 100.0},
    },
    "policy": {
        "method": "threshold",
        "concentration": [{"above": 50, "trim_to": 40, "urgent": True}],
    },
}


def write_portfolio(tmp_path: Path, **extra) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({**PORTFOLIO, **extra}, sort_keys=False))
    return path


def test_rebalance_posts_orders_and_alerts(tmp_path, hook, capsys):
    port, received = hook()
    path = write_portfolio(tmp_path, notify=f"json://127.0.0.1:{port}/policy")
    assert main(["rebalance", "--portfolio", str(path), "--as-of", "2026-04-30"]) == 0
    assert len(received) == 1
    msg = received[0]["json"]
    assert received[0]["path"] == "/policy"
    assert msg["title"] == "fimonitor rebalance hooked 2026-04-30: 2 orders"
    body = msg["message"]
    # PLTR 60 % > 50 %: trim to 40 % = sell 20,000 = 134 shares (133.3 rounded up) = 20,100;
    # BND (40 % vs 70 %) buys with all the proceeds: floor(20,100 / 100) = 201 shares
    assert "SELL 134 PLTR @ 150.00 = 20,100" in body
    assert "concentration: weight > 50 %, trim to 40 % (URGENT)" in body
    assert "BUY 201 BND @ 100.00 = 20,100" in body
    assert "- URGENT concentration: PLTR is 60.0 % of the portfolio" in body
    assert msg["type"] == "failure"  # an URGENT alert


def test_rebalance_cli_url_replaces_file_url_and_on_breach(tmp_path, hook):
    port_file, got_file = hook()
    port_cli, got_cli = hook()
    path = write_portfolio(tmp_path, notify=f"json://127.0.0.1:{port_file}/file")
    url = f"json://127.0.0.1:{port_cli}/cli"
    code = main(
        [
            "rebalance",
            "--portfolio",
            str(path),
            "--as-of",
            "2026-04-30",
            "--notify",
            url,
            "--notify-on",
            "breach",
        ]
    )
    assert code == 0 and got_file == [] and len(got_cli) == 1


def test_rebalance_no_orders_sends_nothing_on_change(tmp_path, hook):
    port, received = hook()
    # PLTR 30,000 and BND 70,000: on target, no order
    bal = {"PLTR": {"shares": 200, "price": 150.0}, "BND": {"shares": 700, "price": 100.0}}
    path = write_portfolio(tmp_path, holdings=bal, targets={"PLTR": 30, "BND": 70})
    url = f"json://127.0.0.1:{port}/x"
    args = ["rebalance", "--portfolio", str(path), "--as-of", "2026-04-30", "--notify", url]
    assert main(args) == 0
    assert received == []
    code = main(
        [
            "rebalance",
            "--portfolio",
            str(path),
            "--as-of",
            "2026-04-30",
            "--notify",
            url,
            "--notify-on",
            "always",
        ]
    )
    assert code == 0 and len(received) == 1
    assert "Orders: none" in received[0]["json"]["message"]


def test_bad_url_stops_before_work_and_failed_send_is_a_warning(tmp_path, capsys):
    path = write_portfolio(tmp_path)
    code = main(["rebalance", "--portfolio", str(path), "--notify", "telegram://tok/123"])
    out = capsys.readouterr()
    assert code == 2 and out.out == "" and "tok" not in out.err
    dead = f"json://127.0.0.1:{free_closed_port()}/x"
    args = ["rebalance", "--portfolio", str(path), "--as-of", "2026-04-30", "--notify", dead]
    assert main(args) == 0
    assert "Total value" in capsys.readouterr().out
    assert main([*args, "--notify-strict"]) == 2


def test_dca_run_posts_its_orders(tmp_path, hook):
    port, received = hook()
    data = write_tiny_book(tmp_path / "d")
    path = tmp_path / "dca.yaml"
    path.write_text(yaml.safe_dump({"name": "dca-hook", "cash": 10_000, "targets": {"TSY": 100}}))
    code = main(
        [
            "dca",
            "run",
            "--portfolio",
            str(path),
            "--amount",
            "1000",
            "--frequency",
            "weekly",
            "--start",
            "2024-01-29",
            "--end",
            "2024-02-09",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--no-record",
            "--notify",
            f"json://127.0.0.1:{port}/d",
        ]
    )
    assert code == 0 and len(received) == 1
    msg = received[0]["json"]
    assert msg["title"].startswith("fimonitor dca run dca-hook 2024-02-05: 2 orders")
    assert "- 2024-01-29 BUY" in msg["message"] and "TSY" in msg["message"]
    assert "(dca weights)" in msg["message"]


def test_pack_sends_after_publishing(tmp_path, hook, monkeypatch, no_render):
    port, received = hook()
    rules = TINY_RULES + f"notify: {{urls: ['json://127.0.0.1:{port}/pack'], on: always}}\n"
    data = write_tiny_book(tmp_path / "d", **{"monitor.yaml": rules})
    out = tmp_path / "o"
    seen: list[bool] = []
    real_send = notify_pkg.send

    def checking_send(urls, message, strict=False):
        seen.append((out / "20240209" / "manifest.json").is_file())
        return real_send(urls, message, strict=strict)

    monkeypatch.setattr(notify_pkg, "send", checking_send)
    assert main(["pack", "--data", str(data), "--out", str(out)]) == 0
    assert seen == [True] and len(received) == 1
    msg = received[0]["json"]
    body = msg["message"]
    severity = pd.read_csv(out / "20240209" / "alerts.csv")["severity"]
    n_breach, n_warn = int((severity == "BREACH").sum()), int((severity == "WARN").sum())
    assert msg["title"] == f"fimonitor Tiny Test Book 2024-02-09: {n_breach} BREACH, {n_warn} WARN"
    assert f"Pack: {out / '20240209'}" in body
    orders = pd.read_csv(out / "20240209" / "rebalance_orders.csv")
    post_min = orders[orders["scenario"] == "POST_MIN"]
    assert len(post_min) > 0 and f"Orders (POST_MIN) ({len(post_min)}):" in body
    for o in post_min.itertuples():
        assert f"{o.side} {int(o.shares):,} {o.ticker} @ {o.price:.2f}" in body
