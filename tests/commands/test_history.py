"""`fimonitor history`: snapshots, events with their orders, period returns and attribution."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.cli import main
from fimonitor.store import db, read

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from store_helpers import AS_OF, full_inputs


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db.record_pack(url, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
    db.record_pack(url, portfolio_id="other", as_of=AS_OF, **full_inputs(AS_OF, 2.0))
    db.record_rebalancing_event(
        url,
        portfolio_id="p1",
        event_date="2025-06-03",
        event_type="policy_tiered",
        inputs={"portfolio": "p.yaml"},
        orders=pd.DataFrame(
            {
                "ticker": ["XLE"],
                "side": ["SELL"],
                "shares": [2.0],
                "price": [60.0],
                "notional": [120.0],
                "reason": ["drift"],
            }
        ),
        status="proposed",
    )
    return url


def test_events_show_orders_of_every_portfolio(tmp_path) -> None:
    url = _db(tmp_path)
    code, out, err = _run("history", "--db", url, "--events")
    assert code == 0, err
    assert out.startswith("7 rebalancing events in sqlite:///")
    assert "demo 2025-06-02 pack_rebalance POST_BM [pending]: 3 orders" in out
    assert "other 2025-06-02 pack_rebalance POST_CONS [infeasible]: 0 orders" in out
    assert "p1 2025-06-03 policy_tiered [proposed]: 1 order, traded 120.00" in out
    assert out.count("to_benchmark") == 6 and "XLE" in out
    code, out, _ = _run("history", "--db", url, "--events", "--portfolio", "p1", "--csv")
    csv = pd.read_csv(io.StringIO(out))
    assert csv[["portfolio_id", "ticker", "side", "notional"]].values.tolist() == [
        ["p1", "XLE", "SELL", 120.0]
    ]
    code, out, _ = _run("history", "--db", url, "--events", "--csv")
    csv = pd.read_csv(io.StringIO(out))
    assert len(csv) == 4 + 4 + 1 + 2  # orders, plus one row per event without orders


def test_performance_prints_returns_and_attribution(tmp_path) -> None:
    url = _db(tmp_path)
    code, out, err = _run("history", "--db", url, "--performance", "--portfolio", "demo")
    assert code == 0, err
    assert "demo as of 2025-06-02: returns" in out and "other" not in out
    assert "YTD" in out and "+0.50 %" in out  # active YTD return
    assert "attribution by group" in out and "treasury" in out and "+0.90 %" in out
    code, out, _ = _run("history", "--db", url, "--performance", "--csv")
    periods, attribution = out.split("\n\n")
    assert len(pd.read_csv(io.StringIO(periods))) == 6
    assert set(pd.read_csv(io.StringIO(attribution))["group"]) == {"treasury", "cash"}


def test_snapshots_filter_by_portfolio(tmp_path) -> None:
    url = _db(tmp_path)
    code, out, _ = _run("history", "--db", url)
    assert code == 0 and out.startswith("2 snapshots in")
    code, out, _ = _run("history", "--db", url, "--portfolio", "other", "--csv")
    csv = pd.read_csv(io.StringIO(out))
    assert csv["portfolio_id"].tolist() == ["other"] and csv["market_value"].tolist() == [34000.0]


def test_bad_url_exit_2(tmp_path) -> None:
    code, _, err = _run("history", "--db", "nosuchdb://x")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "unknown database kind" in err


def test_correlations_show_windows_top_pairs_and_every_pair(tmp_path) -> None:
    url = _db(tmp_path)
    code, out, err = _run("history", "--db", url, "--correlations")
    assert code == 0, err
    assert "demo as of 2025-06-02: correlation windows" in out
    assert "other as of 2025-06-02: strongest 1Y pairs" in out
    assert out.count("    3M ") == 2 and out.count("    1Y ") == 2
    code, _, err = _run("history", "--db", url, "--correlations", "--csv")
    assert code == 2 and "pass --portfolio" in err
    code, out, err = _run(
        "history", "--db", url, "--correlations", "--csv", "--portfolio", "demo", "--window", "3m"
    )
    assert code == 0, err
    pairs = pd.read_csv(io.StringIO(out))
    want = read.correlations(url, "demo", window="3M")
    k = len(want)
    assert list(pairs.columns) == ["ticker_1", "ticker_2", "correlation", "p_value"]
    assert len(pairs) == k * (k - 1) // 2
    got = want.to_numpy()[
        want.index.get_indexer(pairs["ticker_1"]), want.columns.get_indexer(pairs["ticker_2"])
    ]
    np.testing.assert_array_equal(pairs["correlation"].to_numpy(np.float32), got)
