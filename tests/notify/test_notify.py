"""fimonitor.notify: messages, when to send, redaction, settings, and real sends to 127.0.0.1.

No network beyond the loopback interface: an autouse fixture makes any other connection or
name lookup fail the test, and proxies are switched off so requests go straight to the
local server.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import threading
from itertools import product
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers.webhook import free_closed_port

from fimonitor.commands import notify_options
from fimonitor.errors import ConfigError, FimonitorError, InputError, NotifyError
from fimonitor.notify import (
    MODES,
    Message,
    NotifySettings,
    alert_changes,
    pack_message,
    parse_notify,
    policy_message,
    redact,
    scrub,
    send,
    should_send,
    validate_urls,
)
from fimonitor.notify.message import MAX_BODY, MAX_TITLE, fmt_money, fmt_number, fmt_pct

pytestmark = pytest.mark.usefixtures("loopback_only")

REPO = Path(__file__).resolve().parents[2]
ALERT_COLS = ["date", "rule", "ticker", "value", "limit", "severity"]


def _alerts(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ALERT_COLS)


NEW = _alerts(
    [
        ["2026-04-30", "duration_gap", None, 0.6234, 0.5, "WARN"],
        ["2026-04-30", "max_single_name_weight", "LQD", 0.27314, 0.25, "BREACH"],
    ]
)
CURED = _alerts([["2026-04-29", "min_cash_weight", "", 0.0291, 0.03, "WARN"]])
ORDERS = pd.DataFrame(
    [
        ["POST_MIN", "SHY", "BUY", 300, 82.1, 24630.0, "floor:min_cash"],
        ["POST_MIN", "LQD", "SELL", 1200, 108.25, 129900.0, "cap:max_single_name_weight"],
    ],
    columns=["scenario", "ticker", "side", "shares", "price", "notional", "reason"],
)


# ---------------------------------------------------------------- messages


def test_number_formats_read_like_a_person_writes_them():
    assert fmt_number(10_000_000) == "10,000,000"
    assert fmt_pct(0.0433) == "4.33 %"
    assert fmt_money(129_900.4) == "129,900"
    assert fmt_money(85.5) == "85.50"
    assert fmt_number(-0.4) == "0"  # never "-0"
    assert fmt_pct(float("nan")) == "–"


def test_pack_message_lists_new_and_cured_alerts_orders_and_the_pack():
    m = pack_message(
        "demo",
        pd.Timestamp("2026-04-30"),
        1,
        1,
        NEW,
        CURED,
        ORDERS,
        Path("outputs/20260430/20260430_FixedIncome_MonitoringPack_3pages.pdf"),
    )
    assert m.title == "fimonitor demo 2026-04-30: 1 BREACH, 1 WARN"
    assert m.level == "failure"
    lines = m.body.splitlines()
    assert lines[:3] == ["Portfolio: demo", "As of: 2026-04-30", "Alerts: 1 BREACH, 1 WARN"]
    # BREACH first; a weight in percent with 2 decimals, a gap in years
    i = lines.index("New alerts (2):")
    assert lines[i + 1] == "- BREACH max_single_name_weight LQD: 27.31 % (limit 25.00 %)"
    assert lines[i + 2] == "- WARN duration_gap: 0.62 y (limit 0.50 y)"
    i = lines.index("Cured since the previous pack (1):")
    assert lines[i + 1] == "- WARN min_cash_weight: 2.91 % (limit 3.00 %)"
    # the scenario in the heading; SELL before BUY; thousands separators
    i = lines.index("Orders (POST_MIN) (2):")
    assert lines[i + 1] == "- SELL 1,200 LQD @ 108.25 = 129,900 (cap:max_single_name_weight)"
    assert lines[i + 2] == "- BUY 300 SHY @ 82.10 = 24,630 (floor:min_cash)"
    assert lines[-1] == "Pack: outputs/20260430/20260430_FixedIncome_MonitoringPack_3pages.pdf"
    assert "No alert is new" not in m.body


def test_pack_message_with_nothing_new():
    m = pack_message("demo", "2026-04-30", 0, 2, NEW.iloc[0:0], None, None, None)
    assert m.level == "warning"
    assert m.body.splitlines() == [
        "Portfolio: demo",
        "As of: 2026-04-30",
        "Alerts: 0 BREACH, 2 WARN",
        "",
        "No alert is new or cured since the previous pack.",
    ]
    assert pack_message("demo", "2026-04-30", 0, 0, None, None, None, None).level == "info"


def test_long_lists_are_cut_and_the_message_is_bounded():
    many = _alerts(
        [["2026-04-30", "active_weight", f"T{i:03d}", 0.04, 0.03, "WARN"] for i in range(25)]
    )
    m = pack_message("x" * 500, "2026-04-30", 0, 25, many, many, None, None, max_items=10)
    lines = m.body.splitlines()
    i = lines.index("New alerts (25):")
    assert lines[i + 1] == "- WARN active_weight T000: 4.00 % (limit 3.00 %)"
    assert lines[i + 11] == "… and 15 more"
    assert len(m.title) <= MAX_TITLE and m.title.endswith("…")
    huge = _alerts(
        [["2026-04-30", "active_weight", "T" * 400 + str(i), 0.04, 0.03, "WARN"] for i in range(9)]
    )
    assert len(pack_message("p", "2026-04-30", 0, 9, huge, huge, None, None).body) <= MAX_BODY


def test_policy_message_for_rebalance():
    orders = pd.DataFrame(
        [
            ["XLK", "SELL", 8, 185.0, 1480.0, "over target by 12.5 pp"],
            ["XLE", "BUY", 10, 60.0, 600.0, "under target"],
            ["BND", "BUY", 3, 72.5, 217.5, "under target"],
        ],
        columns=["ticker", "side", "shares", "price", "notional", "reason"],
    )
    alerts = pd.DataFrame(
        [["concentration", "PLTR", 0.52, 0.5, "URGENT", "PLTR is 52.0 % (> 50 %): trim to 40 %"]],
        columns=["type", "ticker", "value", "limit", "severity", "message"],
    )
    m = policy_message("growth.yaml", "2026-04-30", orders, alerts)
    assert m.title == "fimonitor rebalance growth.yaml 2026-04-30: 3 orders"
    assert m.level == "failure"
    lines = m.body.splitlines()
    assert "Orders: 3 (sell 1,480, buy 817.50)" in lines
    i = lines.index("Orders (3):")
    assert lines[i + 1 : i + 4] == [
        "- SELL 8 XLK @ 185.00 = 1,480 (over target by 12.5 pp)",
        "- BUY 10 XLE @ 60.00 = 600.00 (under target)",
        "- BUY 3 BND @ 72.50 = 217.50 (under target)",
    ]
    i = lines.index("Alerts (1):")
    assert lines[i + 1] == "- URGENT concentration: PLTR is 52.0 % (> 50 %): trim to 40 %"


def test_policy_message_for_dca_and_for_no_orders():
    dca = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-02", "2026-04-01"]),
            "ticker": ["VTI", "VTI"],
            "shares": [1.5, 2.0],
            "price": [300.0, 250.0],
            "notional": [450.0, 500.0],
        }
    )
    m = policy_message("core", "2026-04-01", dca, None, command="dca run")
    assert m.title == "fimonitor dca run core 2026-04-01: 2 orders"
    assert "- 2026-03-02 BUY 1.5 VTI @ 300.00 = 450.00" in m.body.splitlines()
    assert "Orders: 2 (sell 0.00, buy 950.00)" in m.body
    none = policy_message("core", "2026-04-01", dca.iloc[0:0], None)
    assert none.level == "info" and "Orders: none" in none.body
    assert none.title.endswith(": 0 orders")


def test_alert_changes_new_escalated_and_cured():
    prev = _alerts(
        [
            ["d0", "duration_gap", None, 0.6, 0.5, "WARN"],
            ["d0", "active_weight", "TLT", 0.04, 0.03, "WARN"],
            ["d0", "min_cash_weight", "", 0.025, 0.03, "WARN"],
        ]
    )
    cur = _alerts(
        [
            ["d1", "duration_gap", "", 0.7, 0.5, "WARN"],  # same alert: blank == None
            ["d1", "active_weight", "TLT", 0.06, 0.05, "BREACH"],  # escalated: new
            ["d1", "max_single_name_weight", "LQD", 0.26, 0.25, "BREACH"],  # new
        ]
    )
    new, cured = alert_changes(cur, prev)
    assert list(zip(new["rule"], new["severity"], strict=True)) == [
        ("active_weight", "BREACH"),
        ("max_single_name_weight", "BREACH"),
    ]
    assert cured["rule"].tolist() == ["min_cash_weight"]
    assert cured["value"].tolist() == [0.025]  # the previous pack's value
    assert list(new.columns) == ALERT_COLS
    first_new, first_cured = alert_changes(cur, None)
    assert len(first_new) == 3 and first_cured.empty
    same_new, same_cured = alert_changes(cur, cur.sample(frac=1, random_state=1))
    assert same_new.empty and same_cured.empty


# ---------------------------------------------------------------- when to send

TRUTH = [
    # mode, command, has_changes, has_breach, has_orders -> send
    ("change", "pack", True, False, False, True),
    ("change", "pack", False, True, True, False),  # a standing breach is not news
    ("change", "batch", True, False, False, True),
    ("change", "batch", False, False, True, False),
    ("change", "rebalance", False, False, True, True),
    ("change", "rebalance", True, True, False, False),
    ("change", "dca run", False, False, True, True),
    ("change", "dca", False, False, False, False),
    ("breach", "pack", True, False, True, False),
    ("breach", "pack", False, True, False, True),
    ("breach", "rebalance", False, True, False, True),
    ("breach", "dca run", True, False, True, False),
    ("always", "pack", False, False, False, True),
    ("always", "rebalance", False, False, False, True),
]


@pytest.mark.parametrize(("mode", "command", "changes", "breach", "orders", "expected"), TRUTH)
def test_should_send_truth_table(mode, command, changes, breach, orders, expected):
    assert should_send(mode, command, changes, breach, orders) is expected


def test_should_send_over_every_combination():
    for command, c, b, o in product(("pack", "batch", "rebalance", "dca run"), *[(0, 1)] * 3):
        assert should_send("always", command, c, b, o) is True
        assert should_send("breach", command, c, b, o) is bool(b)
        fact = c if command in ("pack", "batch") else o
        assert should_send("change", command, c, b, o) is bool(fact)


def test_should_send_rejects_unknown_mode_and_command():
    with pytest.raises(
        InputError, match="--notify-on: unknown mode 'sometimes'; use one of change"
    ):
        should_send("sometimes", "pack", True, True, True)
    with pytest.raises(InputError, match="unknown command 'backtest'"):
        should_send("always", "backtest", True, True, True)


# ---------------------------------------------------------------- redaction

SECRET_URLS = {
    "tgram://bottoken/ChatID": ("tgram://***", ["bottoken", "ChatID"]),
    "slack://T/B/C": ("slack://***", ["T/B/C"]),
    "mailto://user:pass@host": ("mailto://***@host", ["user", "pass"]),
    "json://user:pass@127.0.0.1:8080/path?token=x": (
        "json://***@127.0.0.1:8080/***",
        ["user", "pass", "path", "token=x"],
    ),
}


@pytest.mark.parametrize("url", list(SECRET_URLS))
def test_redact_keeps_scheme_and_host_only(url):
    expected, secrets = SECRET_URLS[url]
    assert redact(url) == expected
    for s in secrets:
        assert s not in redact(url)


def test_redact_edge_cases():
    assert redact("  TGRAM://123456:ABCdef/987  ") == "tgram://***"
    assert redact("json://127.0.0.1:8080") == "json://127.0.0.1:8080"
    assert redact("jsons://hooks.example.com/") == "jsons://hooks.example.com"
    assert redact("no scheme token123") == "***"


def test_scrub_removes_secrets_from_free_text():
    url = "mailto://user:hunter22@example.com"
    text = "Could not load E-Mail URL: mailto://user:h...2@example.com (user hunter22)"
    out = scrub(text, [url])
    assert "hunter22" not in out and "h...2" not in out and "user" not in out
    assert "mailto://***@example.com" in out
    slack = scrub("Teams hook T failed for slack://T/B/C", ["slack://T/B/C"])
    assert slack == "Teams hook *** failed for slack://***"


# ---------------------------------------------------------------- settings


def test_parse_notify_forms():
    assert parse_notify(None, "monitor.yaml") == NotifySettings(source="monitor.yaml: notify")
    one = parse_notify("json://h.example.com/x", "monitor.yaml")
    assert one.urls == ("json://h.example.com/x",) and one.on == "change" and not one.strict
    assert parse_notify(["tgram://a/b", " slack://T/B/C "], "p.yaml").urls == (
        "tgram://a/b",
        "slack://T/B/C",
    )
    # YAML 1.1 reads a bare `on:` key as True; it still means `on`
    raw = yaml.safe_load("notify: {urls: [json://h/x], on: breach, strict: true}")["notify"]
    s = parse_notify(raw, "monitor.yaml")
    assert (s.urls, s.on, s.strict, s.enabled) == (("json://h/x",), "breach", True, True)


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ({"url": ["json://h/x"]}, r"monitor.yaml: notify: unknown key 'url'; valid keys are urls"),
        ({"urls": ["json://h/x"], "on": "daily"}, r"notify.on: unknown mode 'daily'"),
        ({"urls": ["json://h/x"], "strict": "yes"}, r"notify.strict must be true or false"),
        ({"urls": "json://h/x", "on": "change"} | {"urls": [3]}, r"notify.urls\[0\] must be"),
        ("hooks.example.com/secret-token", r"notify\[0\] \*\*\* is not a URL"),
        (42, r"notify must be a URL, a list of URLs or a mapping"),
    ],
)
def test_parse_notify_errors_name_the_file_and_key(obj, match):
    with pytest.raises(ConfigError, match=match) as err:
        parse_notify(obj, "monitor.yaml")
    assert "secret-token" not in str(err.value)


def test_validate_urls_unknown_scheme_names_the_flag_and_hides_the_secret():
    with pytest.raises(InputError) as err:
        validate_urls(["json://127.0.0.1:9/x", "telegram://bot:SECRET99/chat"], "--notify")
    msg = str(err.value)
    assert msg.startswith("--notify: telegram://***: unknown notification scheme 'telegram'")
    assert "SECRET99" not in msg and "\n" not in msg
    with pytest.raises(InputError, match=r"monitor.yaml: notify: tgram://\*\*\*: not a valid"):
        validate_urls(["tgram://bottoken/ChatID"], "monitor.yaml: notify")
    assert validate_urls([" json://127.0.0.1:9/x "]) == ("json://127.0.0.1:9/x",)


def test_notify_options_flags_and_precedence():
    p = argparse.ArgumentParser()
    notify_options.add_arguments(p)
    file_settings = parse_notify(
        {"urls": ["json://127.0.0.1:9/file"], "on": "always", "strict": False}, "monitor.yaml"
    )
    s = notify_options.settings_from(p.parse_args([]), file_settings)
    assert (s.urls, s.on, s.strict) == (("json://127.0.0.1:9/file",), "always", False)
    args = p.parse_args(
        [
            *("--notify", "json://127.0.0.1:9/a", "--notify", "jsons://127.0.0.1:9/b"),
            *("--notify-on", "breach", "--notify-strict"),
        ]
    )
    s = notify_options.settings_from(args, file_settings)
    assert s.urls == ("json://127.0.0.1:9/a", "jsons://127.0.0.1:9/b")
    assert (s.on, s.strict, s.source) == ("breach", True, "--notify")
    off = notify_options.settings_from(p.parse_args(["--no-notify"]), file_settings)
    assert not off.enabled
    assert notify_options.settings_from(p.parse_args([])) == NotifySettings()
    with pytest.raises(InputError, match=r"^--notify: foo://\*\*\*: unknown"):
        notify_options.settings_from(p.parse_args(["--notify", "foo://k:SECRET@x"]))
    with pytest.raises(SystemExit):
        p.parse_args(["--notify-on", "sometimes"])


# ---------------------------------------------------------------- sending


def test_send_posts_title_and_body_to_a_local_webhook(hook, caplog):
    port, received = hook()
    msg = pack_message("demo", "2026-04-30", 1, 1, NEW, CURED, ORDERS, "outputs/20260430")
    url = f"json://user:s3cretpw@127.0.0.1:{port}/hook?-token=tok123"
    with caplog.at_level(logging.DEBUG):
        outcomes = send([url], msg)
    assert outcomes == [outcomes[0]] and outcomes[0].ok and outcomes[0].detail == ""
    assert outcomes[0].url == f"json://***@127.0.0.1:{port}/***"
    assert len(received) == 1
    posted = received[0]
    assert posted["path"] == "/hook?token=tok123"  # a `-key` is passed on as a query key
    assert posted["json"]["title"] == "fimonitor demo 2026-04-30: 1 BREACH, 1 WARN"
    assert posted["json"]["message"] == msg.body
    breach = "- BREACH max_single_name_weight LQD: 27.31 % (limit 25.00 %)"
    assert breach in posted["json"]["message"]
    assert "Pack: outputs/20260430" in posted["json"]["message"]
    assert posted["json"]["type"] == "failure"
    # secrets reach the server (Basic auth), never the log, even at DEBUG
    assert posted["headers"]["Authorization"].startswith("Basic ")
    assert "s3cretpw" not in caplog.text and "tok123" not in caplog.text
    assert "dXNlcjpzM2NyZXRwdw" not in caplog.text  # the Basic auth header


def test_send_to_several_urls_reports_each(hook):
    port_a, got_a = hook()
    port_b, got_b = hook()
    out = send([f"json://127.0.0.1:{port_a}/a", f"json://127.0.0.1:{port_b}/b"], Message("t", "b"))
    assert [o.ok for o in out] == [True, True]
    assert len(got_a) == len(got_b) == 1 and got_b[0]["json"]["message"] == "b"


@pytest.mark.parametrize("where", ["error500", "closed_port"])
def test_failed_send_warns_once_without_the_secret(hook, caplog, where):
    port = hook(status=500)[0] if where == "error500" else free_closed_port()
    url = f"json://user:s3cretpw@127.0.0.1:{port}/hook?-token=tok123"
    with caplog.at_level(logging.DEBUG):
        outcomes = send([url], Message("t", "b"))
    assert len(outcomes) == 1 and not outcomes[0].ok
    assert outcomes[0].url == f"json://***@127.0.0.1:{port}/***"
    assert outcomes[0].detail  # Apprise's reason, e.g. "... error=500."
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert line.startswith(f"notification to json://***@127.0.0.1:{port}/*** failed: ")
    assert "\n" not in line
    assert "s3cretpw" not in caplog.text and "tok123" not in caplog.text
    if where == "error500":
        assert "500" in outcomes[0].detail


def test_strict_send_raises_notify_error_in_one_line(caplog):
    port = free_closed_port()
    url = f"json://user:s3cretpw@127.0.0.1:{port}/hook"
    with pytest.raises(NotifyError) as err:
        send([url], Message("t", "b"), strict=True)
    msg = str(err.value)
    assert isinstance(err.value, FimonitorError)
    assert msg.startswith(f"notification failed for 1 of 1 URL(s): json://***@127.0.0.1:{port}/***")
    assert "\n" not in msg and "s3cretpw" not in msg and "s3cretpw" not in caplog.text


def test_apprise_logger_is_restored_after_sending():
    lg = logging.getLogger("apprise")
    before = (lg.level, lg.propagate, list(lg.handlers))
    send([f"json://127.0.0.1:{free_closed_port()}/x"], Message("t", "b"))
    assert (lg.level, lg.propagate, list(lg.handlers)) == before


def test_apprise_is_imported_only_when_sending():
    code = (
        "import sys; import fimonitor.notify as n; import fimonitor.commands.notify_options;"
        "n.pack_message('p', '2026-04-30', 0, 0, None, None, None, None);"
        "assert n.send([], n.Message('t', 'b')) == [];"
        "assert n.validate_urls([]) == ();"
        "assert 'apprise' not in sys.modules, 'apprise imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert MODES == ("change", "always", "breach")


def test_the_loopback_guard_sees_other_hosts(loopback_only):
    out = send(["json://hooks.example.com/x"], Message("t", "b"))
    assert not out[0].ok and out[0].url == "json://hooks.example.com/***"
    assert loopback_only == ["lookup 'hooks.example.com'"]
    loopback_only.clear()  # expected here; the fixture checks every other test


def test_missing_values_read_as_blank_or_dash():
    a = _alerts([[pd.NaT, "min_cash_weight", pd.NA, float("nan"), 0.02, "BREACH"]])
    m = pack_message("p", pd.NaT, 1, 0, a, None, None, None)
    assert "- BREACH min_cash_weight: – (limit 2.00 %)" in m.body.splitlines()
    assert "As of: –" in m.body and "<NA>" not in m.body


def test_concurrent_sends_from_threads(hook):
    port, received = hook()
    lg = logging.getLogger("apprise")
    before = (lg.level, lg.propagate, list(lg.handlers))
    results: list[list] = []

    def work(i: int) -> None:
        results.append(send([f"json://127.0.0.1:{port}/t{i}"], Message(f"t{i}", "b")))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r["json"]["title"] for r in received) == ["t0", "t1", "t2", "t3"]
    assert all(out[0].ok for out in results) and len(results) == 4
    assert (lg.level, lg.propagate, list(lg.handlers)) == before
