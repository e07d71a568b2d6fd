"""The v2 tables through the API: frames written with ``record_pack``, read back as JSON.

A hand-made book (two as-ofs) is recorded through :func:`fimonitor.store.record_pack` with
every optional frame; each frame is also written as the pack's CSV and every endpoint must
answer the CSV's values.
"""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.api_helpers import TOKEN
from fimonitor.api import create_app
from fimonitor.store import record_pack

BOOK = "Hand <Book> & Co"
P = f"/portfolios/{quote(BOOK)}"
DAYS = ("2026-03-31", "2026-04-30")
TICKERS = ["AGG", "TLT", "LQD", "BIL"]


def _frames(k: int) -> dict[str, pd.DataFrame]:
    """The CSVs of as-of number ``k`` (values differ per as-of)."""
    rng = np.random.default_rng(k)
    periods = ["1D", "MTD", "YTD", "1Y"]
    pr = rng.normal(0, 0.01, len(periods))
    br = rng.normal(0, 0.01, len(periods))
    performance = pd.DataFrame(
        {
            "period": periods,
            "start": ["2026-03-30", "2026-02-27", "2025-12-31", "2025-03-31"],
            "end": DAYS[k],
            "portfolio_return": pr,
            "benchmark_return": br,
            "active_return": pr - br,
        }
    )
    groups = ["cash", "govt", "credit"]
    attr = pd.DataFrame(
        [
            {"period": per, "group": g}
            | dict(
                zip(
                    [
                        "portfolio_weight",
                        "benchmark_weight",
                        "portfolio_return",
                        "benchmark_return",
                        "allocation",
                        "selection",
                        "interaction",
                    ],
                    rng.normal(0, 0.1, 7),
                    strict=True,
                )
            )
            for per in ("MTD", "YTD")
            for g in groups
        ]
    )
    attr["total"] = attr["allocation"] + attr["selection"] + attr["interaction"]
    bench = pd.DataFrame(
        {
            "benchmark": ["US_AGG_PROXY", "US_TREASURY_PROXY"],
            "is_primary": [True, False],
            "duration": [5.7 + k, 5.9],
            "duration_gap": [0.6, 0.4],
            "return_1y": [0.039, 0.024],
            "excess_return_1y": [-0.0013, 0.014],
            "tracking_error": [0.0043, 0.0092],
            "information_ratio": [-0.3, 1.48],
            "beta": [0.98, 0.96],
            "alpha": [-0.0004, 0.0145],
        }
    )
    x = rng.normal(size=(300, len(TICKERS)))
    x[:, 1] += x[:, 0]
    corr = pd.DataFrame(np.corrcoef(x.T), index=TICKERS, columns=TICKERS)
    corr3m = pd.DataFrame(np.corrcoef(x[-63:].T), index=TICKERS, columns=TICKERS)
    pv = corr.abs().rsub(1).clip(lower=0) / 3  # any symmetric matrix in [0, 1]
    positions = pd.DataFrame(
        {
            "ticker": TICKERS,
            "name": ["Agg <b>", "Long 'T'", "Credit", "Bills"],
            "shares": [10.0, 20.0, 30.0, 40.0],
            "weight": [0.4, 0.3, 0.2, 0.1],
        }
    )
    metrics = pd.DataFrame(
        {
            "ticker": ["AGG", "TLT"],
            "date": DAYS[k],
            "sma_20": rng.normal(100, 1, 2),
            "rsi_14": rng.uniform(0, 100, 2),
            "volatility": rng.uniform(0, 0.1, 2),
        }
    )
    summary = pd.DataFrame(
        {
            "scenario": ["PRE", "POST_BM", "POST_MIN"],
            "status": ["ok", "ok", "infeasible"],
            "turnover": [0.0, 0.12, 0.0],
            "est_cost": [0.0, 12.5, 0.0],
        }
    )
    orders = pd.DataFrame(
        {
            "scenario": "POST_BM",
            "ticker": ["AGG", "TLT"],
            "side": ["BUY", "SELL"],
            "shares": [3.0, 2.0],
            "price": [100.5, 90.25],
            "notional": [301.5, -180.5],
            "reason": ["to benchmark", "to benchmark"],
        }
    )
    targets = pd.DataFrame(
        {
            "ticker_or_group": ["govt", "credit", "cash"],
            "target_weight": [0.5, 0.4, 0.1],
            "min_weight": [0.4, 0.3, 0.0],
            "max_weight": [0.6, 0.5, 0.2],
            "rebalance_threshold": [0.05, 0.05, 0.02],
            "frequency": ["monthly", "monthly", "weekly"],
            "active": [True, True, False],
        }
    )
    return {
        "performance": performance,
        "attribution": attr,
        "benchmarks": bench,
        "corr": corr,
        "corr3m": corr3m,
        "pv": pv,
        "positions": positions,
        "asset_metrics": metrics,
        "summary": summary,
        "orders": orders,
        "targets": targets,
    }


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """(client, {as-of: folder of CSVs}) over a database recorded through record_pack."""
    out = tmp_path_factory.mktemp("api_v2")
    url = f"sqlite:///{out / 'fimonitor.sqlite'}"
    folders = {}
    for k, day in enumerate(DAYS):
        f = _frames(k)
        record_pack(
            url,
            portfolio_id=BOOK,
            as_of=day,
            performance={"market_value": 1e6 + k, "n_breach": 0, "n_warn": 1},
            risk_metrics=pd.DataFrame(
                {"metric": ["volatility", "risk_level"], "value": [0.05, "MEDIUM"]}
            ),
            positions=f["positions"],
            period_returns=f["performance"],
            attribution=f["attribution"],
            benchmarks=f["benchmarks"],
            asset_metrics=f["asset_metrics"],
            correlations={"1Y": f["corr"], "3M": f["corr3m"]},
            correlation_p_values={"1Y": f["pv"]},
            correlation_observations={"1Y": 252, "3M": 63},
            rebalancing=f["summary"],
            rebalance_orders=f["orders"],
            allocations=f["targets"],
            allocations_source="targets.csv",
        )
        folder = out / day.replace("-", "")
        folder.mkdir()
        for name in ("performance", "attribution", "benchmarks", "asset_metrics", "targets"):
            f[name].to_csv(folder / f"{name}.csv", index=False)
        f["corr"].to_csv(folder / "correlations.csv")
        f["corr3m"].to_csv(folder / "correlations_3m.csv")
        f["pv"].to_csv(folder / "correlation_p_values.csv")
        f["orders"].to_csv(folder / "rebalance_orders.csv", index=False)
        folders[day] = folder
    record_pack(url, portfolio_id="Bare", as_of=DAYS[1], performance={"market_value": 1.0})
    f = _frames(0)
    record_pack(
        url,
        portfolio_id="Short",
        as_of=DAYS[1],
        performance={"market_value": 1.0},
        correlations={"1M": f["corr"].iloc[:2, :2], "3M": f["corr3m"].iloc[:3, :3]},
    )
    app = create_app(url, out / "no-packs", [TOKEN])
    client = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    return client, folders


def _csv(folder, name: str, **kw) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", **kw)


def _items(client, path: str, **params) -> pd.DataFrame:
    r = client.get(path, params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return pd.DataFrame(r.json()["items"])


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    for c in want.columns:
        if pd.api.types.is_numeric_dtype(want[c]) and not pd.api.types.is_bool_dtype(want[c]):
            np.testing.assert_array_equal(got[c].to_numpy(float), want[c].to_numpy(float), c)
        else:
            assert got[c].tolist() == want[c].tolist(), c


def test_performance_is_the_period_returns(hand):
    client, folders = hand
    for day, params in ((DAYS[0], {"as_of": DAYS[0]}), (DAYS[1], {})):
        got = _items(client, f"{P}/performance", **params)
        want = _csv(folders[day], "performance")
        assert set(got["as_of"]) == {day}
        _same(got, want)


def test_attribution_by_period_and_as_of(hand):
    client, folders = hand
    want = _csv(folders[DAYS[0]], "attribution")
    got = _items(client, f"{P}/attribution", as_of=DAYS[0])
    _same(got, want)
    ytd = _items(client, f"{P}/attribution", period="ytd")
    _same(ytd, _csv(folders[DAYS[1]], "attribution").query("period == 'YTD'"))
    assert client.get(f"{P}/attribution", params={"period": "3Y"}).json()["total"] == 0


def test_benchmarks(hand):
    client, folders = hand
    got = _items(client, f"{P}/benchmarks", as_of=DAYS[0])
    _same(got, _csv(folders[DAYS[0]], "benchmarks"))
    assert got["is_primary"].tolist() == [True, False]
    assert _items(client, f"{P}/benchmarks")["duration"].iloc[0] == 6.7  # latest as-of


def test_allocations_are_the_targets_with_bounds(hand):
    client, folders = hand
    got = _items(client, f"{P}/allocations")
    _same(got, _csv(folders[DAYS[1]], "targets"))
    assert set(got["source"]) == {"targets.csv"} and got["updated_at"].str.match(r"\d{4}-").all()


def test_asset_metrics_from_to_and_unknown_ticker(hand):
    client, folders = hand
    got = _items(client, "/assets/AGG/metrics")
    want = pd.concat([_csv(folders[d], "asset_metrics") for d in DAYS]).query("ticker == 'AGG'")
    _same(got, want)
    assert np.isnan(got["sma_50"].astype(float)).all()  # not recorded: null
    one = _items(client, "/assets/AGG/metrics", **{"from": "2026-04-01", "to": "2026-04-30"})
    assert one["date"].tolist() == [DAYS[1]]
    held = client.get("/assets/LQD/metrics").json()  # held, but no metrics stored
    assert held["items"] == [] and held["total"] == 0
    assert client.get("/assets/ZZZ/metrics").status_code == 404
    assert client.get("/assets/AGG/metrics", params={"from": "2027-01-01"}).json()["total"] == 0


def test_correlation_windows_matrix_pvalues_and_top_pairs(hand):
    client, folders = hand
    folder = folders[DAYS[1]]
    i, j = np.triu_indices(len(TICKERS), 1)
    for window, name in (("1y", "correlations"), ("3M", "correlations_3m")):
        body = client.get(f"{P}/correlations", params={"window": window}).json()
        want = _csv(folder, name, index_col=0)
        assert body["tickers"] == TICKERS and body["window"] == window.upper()
        got = pd.DataFrame(body["items"])
        assert list(zip(got["ticker_1"], got["ticker_2"], strict=True)) == [
            (TICKERS[a], TICKERS[b]) for a, b in zip(i, j, strict=True)
        ]
        want32 = want.to_numpy(float)[i, j].astype(np.float32).astype(float)
        np.testing.assert_array_equal(got["correlation"].to_numpy(float), want32)
        assert {w["window"]: w["n_observations"] for w in body["windows"]} == {"1Y": 252, "3M": 63}
        # top pairs: ranked by |r| (independent sort of the CSV), full precision
        top = pd.DataFrame(body["top_pairs"])
        order = np.argsort(-np.abs(want.to_numpy(float)[i, j]), kind="stable")[: len(top)]
        np.testing.assert_allclose(
            top["correlation"], want.to_numpy(float)[i, j][order], rtol=1e-15
        )
    pv = _csv(folder, "correlation_p_values", index_col=0).to_numpy(float)[i, j]
    got = pd.DataFrame(client.get(f"{P}/correlations").json()["items"])
    np.testing.assert_allclose(got["p_value"].to_numpy(float), pv, rtol=1e-6)
    got3m = pd.DataFrame(client.get(f"{P}/correlations", params={"window": "3m"}).json()["items"])
    assert got3m["p_value"].isna().all()  # none stored for 3M
    earlier = client.get(f"{P}/correlations", params={"as_of": DAYS[0]}).json()
    assert {i["as_of"] for i in earlier["items"]} == {DAYS[0]}


def test_events_carry_their_orders(hand):
    client, folders = hand
    events = client.get(f"{P}/rebalancing-events").json()["items"]
    assert [(e["event_date"], e["scenario"]) for e in events] == [
        (d, s) for d in DAYS for s in ("POST_BM", "POST_MIN")
    ]
    bm = next(e for e in events if e["scenario"] == "POST_BM")
    want = _csv(folders[DAYS[0]], "rebalance_orders").drop(columns="scenario")
    _same(pd.DataFrame(bm["orders"]), want)
    assert bm["orders"][0]["line"] == 1 and bm["status"] == "pending"
    assert bm["traded_notional"] == pytest.approx(want["notional"].abs().sum())
    assert bm["cost"] == 12.5 and bm["post_state"]["turnover"] == 0.12
    infeasible = client.get(f"{P}/rebalancing-events", params={"status": "infeasible"}).json()
    assert [e["orders"] for e in infeasible["items"]] == [[], []]


def test_risk_text_value(hand):
    client, _ = hand
    got = client.get(f"{P}/risk").json()["items"]
    assert [(i["metric"], i["value"], i["text_value"]) for i in got] == [
        ("volatility", 0.05, None),
        ("risk_level", None, "MEDIUM"),
    ]


@pytest.mark.parametrize(
    "what", ["performance", "attribution", "benchmarks", "allocations", "positions", "risk"]
)
def test_a_stored_snapshot_without_rows_is_an_empty_list(hand, what):
    client, _ = hand
    body = client.get(f"/portfolios/Bare/{what}").json()
    assert body["items"] == [] and body["total"] == 0


def test_empty_correlations_list_the_stored_windows(hand):
    client, _ = hand
    body = client.get(f"{P}/correlations", params={"window": "6M"}).json()
    assert body["items"] == [] and body["top_pairs"] == [] and body["tickers"] == []
    assert sorted(w["window"] for w in body["windows"]) == ["1Y", "3M"]
    short = client.get("/portfolios/Short/correlations").json()  # no 1Y: the longest stored
    assert short["window"] == "3M" and short["total"] == 3
    bare = client.get("/portfolios/Bare/correlations").json()
    assert bare["items"] == [] and bare["windows"] == []


def test_dashboard_escapes_names(hand):
    client, _ = hand
    html = client.get("/").text
    assert "Hand &lt;Book&gt; &amp; Co" in html and "<Book>" not in html
