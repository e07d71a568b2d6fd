"""Every endpoint through the ASGI app; values equal the packs' CSVs for the demo book."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

from api.api_helpers import AS_OFS, PORTFOLIO, REPO

P = f"/portfolios/{quote(PORTFOLIO)}"


def _csv(packs_dir, day: str, name: str) -> pd.DataFrame:
    return pd.read_csv(packs_dir / day.replace("-", "") / name, keep_default_na=False)


def _summary(packs_dir, day: str) -> dict[str, str]:
    df = _csv(packs_dir, day, "portfolio_summary.csv")
    return dict(zip(df["metric"], df["value"], strict=True))


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    assert body["detail"].endswith(".") and body["detail"].count(". ") == 0  # one sentence
    return body


def test_health_needs_no_token(anon):
    r = anon.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_portfolios(client):
    body = client.get("/portfolios").json()
    assert body["items"] == [{"name": PORTFOLIO, "last_as_of": AS_OFS[-1]}]
    assert body["total"] == 1 and body["next"] is None


def test_snapshots_equal_each_pack_summary(client, packs_dir):
    items = client.get(f"{P}/snapshots").json()["items"]
    assert [i["as_of"] for i in items] == list(AS_OFS)
    for item in items:
        want = _summary(packs_dir, item["as_of"])
        for key in ("market_value", "cash_weight", "portfolio_duration", "duration_gap"):
            assert item[key] == float(want[key]), key  # full precision, as a JSON number
        assert item["n_breach"] == int(want["n_breach"]) and isinstance(item["n_breach"], int)
        assert item["n_warn"] == int(want["n_warn"])


def test_snapshots_from_to(client):
    items = client.get(f"{P}/snapshots", params={"from": AS_OFS[1], "to": AS_OFS[2]}).json()
    assert [i["as_of"] for i in items["items"]] == [AS_OFS[1], AS_OFS[2]]


def test_positions_equal_today_positions_csv(client, packs_dir):
    for day in (AS_OFS[0], None):
        params = {"as_of": day} if day else {}
        items = client.get(f"{P}/positions", params=params).json()["items"]
        want = _csv(packs_dir, day or AS_OFS[-1], "today_positions.csv")
        got = pd.DataFrame(items)
        assert got["ticker"].tolist() == want["ticker"].tolist()
        assert set(got["as_of"]) == {day or AS_OFS[-1]}
        for col in ("shares", "price", "market_value", "weight", "benchmark_weight", "dv01"):
            np.testing.assert_array_equal(got[col].to_numpy(float), want[col].to_numpy(float))
        assert got["name"].tolist() == want["name"].tolist()
        assert abs(got["weight"].sum() - 1) < 1e-12  # fractions, not percent


def test_alerts_equal_alerts_csv_and_filters(client, packs_dir):
    items = client.get(f"{P}/alerts", params={"limit": 1000}).json()["items"]
    want = pd.concat(
        [_csv(packs_dir, d, "alerts.csv").assign(as_of=d) for d in AS_OFS], ignore_index=True
    )
    got = pd.DataFrame(items)
    assert len(got) == len(want)
    cols = ["as_of", "date", "rule", "ticker", "severity"]
    assert got[cols].astype(str).values.tolist() == want[cols].astype(str).values.tolist()
    np.testing.assert_array_equal(got["value"].to_numpy(float), want["value"].to_numpy(float))
    np.testing.assert_array_equal(got["limit"].to_numpy(float), want["limit"].to_numpy(float))

    breaches = client.get(
        f"{P}/alerts", params={"severity": "BREACH", "from": AS_OFS[3], "to": AS_OFS[3]}
    ).json()["items"]
    last = want[(want["as_of"] == AS_OFS[3]) & (want["severity"] == "BREACH")]
    assert sorted(b["ticker"] for b in breaches) == sorted(last["ticker"])
    by_rule = client.get(f"{P}/alerts", params={"rule": "duration_gap"}).json()["items"]
    assert by_rule and {a["rule"] for a in by_rule} == {"duration_gap"}


def test_risk_equals_risk_metrics_csv(client, packs_dir):
    items = client.get(f"{P}/risk", params={"as_of": AS_OFS[1]}).json()["items"]
    want = _csv(packs_dir, AS_OFS[1], "risk_metrics.csv")
    assert [i["metric"] for i in items] == want["metric"].tolist()
    num = pd.to_numeric(want["value"], errors="coerce")
    got = [np.nan if i["value"] is None else i["value"] for i in items]
    np.testing.assert_array_equal(got, num.to_numpy(float))
    texts = {i["metric"]: i["text_value"] for i in items if i["value"] is None}
    assert texts == dict(zip(want["metric"][num.isna()], want["value"][num.isna()], strict=True))


def test_correlations_equal_the_matrix(client, packs_dir):
    body = client.get(f"{P}/correlations", params={"limit": 1000, "window": "1y"}).json()
    want = pd.read_csv(packs_dir / "20260430" / "correlations.csv", index_col=0)
    n = len(want)
    assert body["window"] == "1Y" and body["tickers"] == want.index.tolist()
    assert body["total"] == n * (n - 1) // 2 == len(body["items"])
    got = pd.DataFrame(body["items"])
    i, j = np.triu_indices(n, 1)
    assert got["ticker_1"].tolist() == want.index[i].tolist()
    assert got["ticker_2"].tolist() == want.index[j].tolist()
    # stored as float32: each value is the CSV's number rounded to float32, exactly
    want32 = want.to_numpy(float)[i, j].astype(np.float32).astype(float)
    np.testing.assert_array_equal(got["correlation"].to_numpy(float), want32)
    assert "1Y" in [w["window"] for w in body["windows"]]
    assert {w["as_of"] for w in body["windows"]} == {AS_OFS[-1]}
    # top pairs: the strongest |correlation| of the matrix, full precision
    top = body["top_pairs"]
    assert [p["rank"] for p in top] == list(range(1, len(top) + 1)) and top
    strongest = np.sort(np.abs(want.to_numpy(float)[i, j]))[::-1][: len(top)]
    np.testing.assert_allclose([abs(p["correlation"]) for p in top], strongest, rtol=1e-12)
    assert body == client.get(f"{P}/correlations", params={"limit": 1000}).json() | {
        "next": None
    }  # 1Y is the default window
    other = client.get(f"{P}/correlations", params={"window": "3Y"}).json()
    assert other["items"] == [] and other["total"] == 0 and other["top_pairs"] == []


def test_events_with_their_proposals(client, packs_dir):
    events = client.get(f"{P}/rebalancing-events", params={"limit": 1000}).json()["items"]
    summary = _csv(packs_dir, AS_OFS[0], "rebalance_summary.csv")
    first = [e for e in events if e["event_date"] == AS_OFS[0]]
    want = sorted(s for s in summary["scenario"] if s != "PRE")
    assert sorted(e["scenario"] for e in first) == want
    assert sorted(e["inputs"]["scenario"] for e in first) == want
    post = {e["scenario"]: e["post_state"] for e in first}
    for row in summary[summary["scenario"] != "PRE"].to_dict("records"):
        assert post[row["scenario"]]["turnover"] == pytest.approx(float(row["turnover"]))
    for e in events:
        assert len(e["orders"]) == e["n_orders"]
    status = first[0]["status"]
    filtered = client.get(f"{P}/rebalancing-events", params={"status": status}).json()
    assert {e["status"] for e in filtered["items"]} == {status}
    assert client.get(f"{P}/rebalancing-events", params={"status": "nope"}).json()["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        f"{P}/positions?as_of=2026-04-10",
        f"{P}/risk?as_of=2026-04-10",
        f"{P}/performance?as_of=2026-04-10",
        f"{P}/attribution?as_of=2026-04-10",
        f"{P}/benchmarks?as_of=2026-04-10",
        f"{P}/correlations?as_of=2026-04-10",
        "/portfolios/nope/allocations",
        "/assets/NOPE/metrics?from=2026-01-01",
    ],
)
def test_what_is_not_stored_is_a_404_problem(client, path):
    detail = _problem(client.get(path), 404)["detail"]
    assert "is stored" in detail and "not stored yet" not in detail.lower()


def test_unknown_portfolio_and_path(client):
    assert (
        "No portfolio named 'nope'"
        in _problem(client.get("/portfolios/nope/alerts"), 404)["detail"]
    )
    _problem(client.get("/no/such/thing"), 404)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("snapshots?from=2026-02-30", "from"),
        ("snapshots?to=yesterday", "to"),
        ("positions?as_of=20260430x", "as_of"),
        ("alerts?severity=LOW", "severity"),
        ("alerts?limit=1001", "limit"),
        ("alerts?offset=-1", "offset"),
        ("correlations?window=abc", "window"),
        ("correlations?window=252", "window"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client, query, param):
    body = _problem(client.get(f"{P}/{query}"), 422)
    assert f"'{param}'" in body["detail"]


def test_pagination_walks_every_row_via_next(client):
    full = client.get(f"{P}/positions", params={"limit": 1000}).json()
    seen, url, pages = [], f"{P}/positions?limit=5", 0
    while url:
        body = client.get(url).json()
        assert body["limit"] == 5 and len(body["items"]) <= 5
        seen += body["items"]
        url, pages = body["next"], pages + 1
    assert seen == full["items"] and pages == -(-full["total"] // 5)
    last = client.get(f"{P}/positions", params={"limit": 5, "offset": full["total"]}).json()
    assert last["items"] == [] and last["next"] is None


def test_next_link_keeps_filters_and_encoding(client):
    body = client.get(f"{P}/alerts", params={"severity": "WARN", "limit": 2}).json()
    assert body["next"].startswith(f"http://testserver{P}/alerts?")
    assert "severity=WARN" in body["next"] and "offset=2" in body["next"]


def test_packs_lists_every_pack_with_urls(client, packs_dir):
    body = client.get("/packs").json()
    assert [p["as_of"] for p in body["items"]] == list(reversed(AS_OFS))
    first = body["items"][0]
    manifest = json.loads((packs_dir / "20260430" / "manifest.json").read_text())
    assert set(first["files"]) == {*manifest["outputs"], "manifest.json"}
    url = first["files"]["today_positions.csv"]
    assert url == "http://testserver/packs/20260430/today_positions.csv"
    r = client.get(url)
    assert (
        r.status_code == 200
        and r.content == (packs_dir / "20260430" / "today_positions.csv").read_bytes()
    )
    assert r.headers["content-type"].startswith("text/csv")


def test_openapi_and_docs_offline(anon):
    spec = anon.get("/openapi.json").json()
    for path in (
        "/portfolios/{name}/snapshots",
        "/portfolios/{name}/alerts",
        "/assets/{ticker}/metrics",
        "/packs/{book}/{stamp}/{file}",
    ):
        assert path in spec["paths"]
    docs = anon.get("/docs").text
    assert "/docs/static/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert "/docs/openapi-3.0.json" in docs
    legacy = anon.get("/docs/openapi-3.0.json").json()
    assert legacy["openapi"] == "3.0.3" and '{"type": "null"}' not in json.dumps(legacy)
    assert legacy["paths"].keys() == spec["paths"].keys()
    js = anon.get("/docs/static/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000


def _numeric_equal(got: pd.DataFrame, want: pd.DataFrame, cols) -> None:
    for c in cols:
        expect = pd.to_numeric(want[c].replace("", np.nan)).to_numpy(float)  # blank = null
        np.testing.assert_array_equal(got[c].to_numpy(float), expect, c)


@pytest.mark.parametrize("day", [AS_OFS[0], AS_OFS[-1]])
def test_performance_attribution_benchmarks_equal_the_csvs(client, packs_dir, day):
    perf = pd.DataFrame(client.get(f"{P}/performance", params={"as_of": day}).json()["items"])
    want = _csv(packs_dir, day, "performance.csv")
    assert len(want) and perf["period"].tolist() == want["period"].tolist()
    assert perf["start"].tolist() == want["start"].tolist()
    assert perf["end"].tolist() == want["end"].tolist()
    _numeric_equal(perf, want, ["portfolio_return", "benchmark_return", "active_return"])

    attr = client.get(f"{P}/attribution", params={"as_of": day, "limit": 1000}).json()["items"]
    attr = pd.DataFrame(attr)
    want = _csv(packs_dir, day, "attribution.csv")
    assert len(want) and attr[["period", "group"]].values.tolist() == (
        want[["period", "group"]].values.tolist()
    )
    _numeric_equal(attr, want, [c for c in want.columns if c not in ("period", "group")])
    ytd = client.get(f"{P}/attribution", params={"as_of": day, "period": "ytd"}).json()
    assert ytd["total"] == int((want["period"] == "YTD").sum())

    bench = pd.DataFrame(client.get(f"{P}/benchmarks", params={"as_of": day}).json()["items"])
    want = _csv(packs_dir, day, "benchmarks.csv")
    assert len(want) and bench["benchmark"].tolist() == want["benchmark"].tolist()
    assert bench["is_primary"].tolist() == [str(v) == "True" for v in want["is_primary"]]
    _numeric_equal(bench, want, [c for c in want.columns if c not in ("benchmark", "is_primary")])


def test_asset_metrics_equal_the_csvs(client, packs_dir):
    want = pd.concat(
        [pd.read_csv(packs_dir / d.replace("-", "") / "asset_metrics.csv") for d in AS_OFS],
        ignore_index=True,
    )
    assert len(want)
    ticker = want["ticker"].iloc[0]
    mine = want[want["ticker"] == ticker].sort_values("date")
    got = pd.DataFrame(
        client.get(f"/assets/{ticker}/metrics", params={"limit": 1000}).json()["items"]
    )
    assert got["date"].tolist() == mine["date"].tolist()
    cols = [c for c in mine.columns if c not in ("ticker", "date", "notes")]
    _numeric_equal(got, mine, cols)
    one = client.get(
        f"/assets/{ticker}/metrics", params={"from": AS_OFS[-1], "to": AS_OFS[-1]}
    ).json()
    assert [i["date"] for i in one["items"]] == [AS_OFS[-1]]


def test_allocations_are_the_targets_of_the_last_pack(client, packs_dir):
    from fimonitor.pipeline import load_inputs
    from fimonitor.store.targets import targets_from_monitor

    _, cfg = load_inputs(REPO / "data")
    positions = pd.read_csv(packs_dir / AS_OFS[-1].replace("-", "") / "today_positions.csv")
    want = targets_from_monitor(positions, cfg)
    got = pd.DataFrame(client.get(f"{P}/allocations", params={"limit": 1000}).json()["items"])
    assert len(want) and got["ticker_or_group"].tolist() == want["ticker_or_group"].tolist()
    cols = ["target_weight", "min_weight", "max_weight", "rebalance_threshold"]
    np.testing.assert_allclose(got[cols].to_numpy(float), want[cols].to_numpy(float), rtol=1e-12)
    assert got["active"].tolist() == want["active"].astype(bool).tolist()


def test_event_orders_equal_rebalance_orders_csv(client, packs_dir):
    day = AS_OFS[-1]
    want = _csv(packs_dir, day, "rebalance_orders.csv")
    events = client.get(f"{P}/rebalancing-events", params={"limit": 1000}).json()["items"]
    mine = [e for e in events if e["event_date"] == day]
    assert sum(e["n_orders"] for e in mine) == len(want)
    for e in mine:
        rows = want[want["scenario"] == e["scenario"]]
        got = pd.DataFrame(e["orders"], columns=["ticker", "side", "shares", "price", "notional"])
        assert got["ticker"].tolist() == rows["ticker"].tolist()
        assert got["side"].tolist() == rows["side"].tolist()
        _numeric_equal(got, rows, ["shares", "price", "notional"])


def test_rolling_correlations_equal_the_stored_long_frame(client, db_url):
    from fimonitor.store import read

    want = read.rolling_correlations(db_url, PORTFOLIO, AS_OFS[-1], "20d")
    body = client.get(
        f"{P}/rolling-correlations", params={"window": "20D", "limit": 1000, "offset": 0}
    ).json()
    n = len(want)
    assert body["total"] == n and n == 252 * want["ticker"].nunique()
    got = pd.DataFrame(body["items"])
    assert list(got.columns) == ["as_of", "window", "date", "ticker", "correlation"]
    assert set(got["as_of"]) == {AS_OFS[-1]} and set(got["window"]) == {"20d"}
    head = want.head(len(got))
    assert got["date"].tolist() == head["date"].dt.strftime("%Y-%m-%d").tolist()
    assert got["ticker"].tolist() == head["ticker"].tolist()
    vals = [np.nan if v is None else v for v in got["correlation"]]
    np.testing.assert_array_equal(vals, head["correlation"].to_numpy(float))
    both = client.get(f"{P}/rolling-correlations", params={"as_of": AS_OFS[-1]}).json()
    assert both["total"] == 2 * n
