"""The pipeline wires the analytics into the pack: CSVs, the Pack, the history database."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers.tiny import DATA, TINY_RULES, write_tiny_book

from fimonitor import pipeline
from fimonitor.analytics import correlation as corr_mod
from fimonitor.analytics import key_rates, pack_tables, risk
from fimonitor.analytics.attribution import ATTRIBUTION_COLUMNS
from fimonitor.analytics.correlation_windows import compact_correlation_windows
from fimonitor.analytics.exposures import compute_history
from fimonitor.analytics.indicators import ASSET_METRIC_COLUMNS, asset_metrics
from fimonitor.analytics.performance import RETURN_COLUMNS
from fimonitor.analytics.performance_tables import performance_tables
from fimonitor.analytics.rate_attribution import RATE_COLUMNS
from fimonitor.errors import ConfigError, StoreError
from fimonitor.store import read

NEW_CSVS = {
    "performance.csv": RETURN_COLUMNS,
    "attribution.csv": ATTRIBUTION_COLUMNS,
    "rate_attribution.csv": RATE_COLUMNS,
    "key_rate_dv01.csv": ["ticker", "tenor", "krd", "krd_dv01"],
    "rate_scenarios.csv": ["scenario", "portfolio_pnl", "benchmark_pnl", "active_pnl"],
    "asset_metrics.csv": list(ASSET_METRIC_COLUMNS),
    "benchmarks.csv": [
        "benchmark",
        "is_primary",
        "duration",
        "duration_gap",
        "return_1y",
        "excess_return_1y",
        "tracking_error",
        "information_ratio",
        "beta",
        "alpha",
    ],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo pack without pages, its book, config, history and database URL."""
    out = tmp_path_factory.mktemp("wire")
    folder = pipeline.run_pack(data_dir=DATA, output_dir=out, render=False)
    book, config = pipeline.load_inputs(DATA)
    d = pd.Timestamp("2026-04-30")
    h = compute_history(book, end=d, max_stale_days=config.max_stale_days)
    return {
        "folder": folder,
        "out": out,
        "book": book,
        "config": config,
        "h": h,
        "d": d,
        "url": pipeline.default_db_url(out),
    }


def _csv(demo, name):
    return pd.read_csv(demo["folder"] / name)


def test_every_new_csv_with_its_columns_first_and_in_the_manifest(demo):
    manifest = json.loads((demo["folder"] / "manifest.json").read_text())
    for name, cols in NEW_CSVS.items():
        frame = _csv(demo, name)
        assert list(frame.columns[: len(cols)]) == cols, name
        assert len(frame) > 0, name
        assert name in manifest["outputs"], name


def test_performance_tables_equal_the_library(demo):
    want = performance_tables(demo["book"], demo["h"], demo["d"], demo["config"])
    for name in ("performance", "attribution", "rate_attribution"):
        got = _csv(demo, f"{name}.csv")
        w = want[name]
        for col in w.columns:
            if pd.api.types.is_numeric_dtype(w[col]):
                np.testing.assert_allclose(got[col], w[col], rtol=1e-12, err_msg=col)
            else:
                assert got[col].astype(str).tolist() == w[col].astype(str).str[:10].tolist()


def test_key_rate_tables_equal_the_library_and_the_rule_panel(demo):
    book, h, d = demo["book"], demo["h"], demo["d"]
    rows = book.key_rates[book.key_rates["month"] == "2026-04"]
    mv = h.market_value.loc[d]
    bench = h.benchmark.loc[d][lambda s: s > 0]
    want = key_rates.key_rate_dv01(mv, rows, bench, float(h.total_value.loc[d]))
    got = _csv(demo, "key_rate_dv01.csv")
    np.testing.assert_allclose(got["krd_dv01"], want["krd_dv01"], rtol=1e-12)
    conv = book.convexity.loc["2026-04-01"]
    scen = key_rates.rate_scenarios(mv, rows, conv, bench, float(h.total_value.loc[d]))
    np.testing.assert_allclose(_csv(demo, "rate_scenarios.csv")["active_pnl"], scen["active_pnl"])
    # the ACTIVE rows are the rule's panel on the as-of date
    active = got[got["ticker"] == "ACTIVE"].set_index("tenor")["krd_dv01"]
    panel = key_rates.active_key_rate_dv01_history(
        h.weights, h.benchmark, h.total_value, book.key_rates
    )
    np.testing.assert_allclose(active[list(panel.columns)], panel.loc[d], rtol=1e-9)


def test_risk_and_correlations_use_the_same_return_rows(demo):
    book, h, d, config = demo["book"], demo["h"], demo["d"], demo["config"]
    r = risk.time_weighted_returns(h.total_value, h.flows).dropna().iloc[-252:]
    b = pipeline.benchmark_returns(book, h, r.index)
    pos = pipeline.positions_on(h, d)
    want = risk.extended_risk_metrics(
        r, b, rf=config.risk_free_rate, weights=pos.set_index("ticker")["weight"]
    )
    got = _csv(demo, "risk_metrics.csv")
    assert got["metric"].tolist() == want["metric"].tolist()
    assert got["value"].iloc[-3] == want["value"].iloc[-3] == "Low"  # risk_level
    corr = pd.read_csv(demo["folder"] / "correlations.csv", index_col=0)
    held = list(corr.index)
    prices = book.adj_close[held].loc[:d]
    rets = (prices / prices.shift(1) - 1).loc[r.index]  # 252 rows: the metrics' rows
    assert len(rets) == 252
    np.testing.assert_allclose(corr.to_numpy(), rets.corr().to_numpy(), rtol=0, atol=1e-12)


def test_benchmarks_csv_against_an_independent_calculation(demo):
    book, h, d = demo["book"], demo["h"], demo["d"]
    got = _csv(demo, "benchmarks.csv").set_index("benchmark")
    assert got["is_primary"].tolist() == [True, False]
    prim = got.loc["US_AGG_PROXY"]
    summary = _csv(demo, "portfolio_summary.csv").set_index("metric")["value"]
    assert prim["duration"] == pytest.approx(float(summary["benchmark_duration"]), rel=1e-12)
    rm = _csv(demo, "risk_metrics.csv").set_index("metric")["value"]
    for m in ("tracking_error", "information_ratio", "beta", "alpha"):
        assert prim[m] == pytest.approx(float(rm[m]), rel=1e-12)
    # the Treasury proxy by hand: fixed weights from 2024-01-02, numpy only
    w = pd.read_csv(DATA / "benchmark_weights.csv")
    w = w[w["benchmark"] == "US_TREASURY_PROXY"].set_index("ticker")["weight"]
    r = risk.time_weighted_returns(h.total_value, h.flows).dropna().iloc[-252:]
    px = book.adj_close[w.index].loc[:d]
    b = ((px / px.shift(1) - 1).loc[r.index] * w).sum(axis=1).to_numpy()
    x = r.to_numpy()
    te = np.std(x - b, ddof=1) * np.sqrt(252)
    beta = np.cov(x, b)[0, 1] / np.var(b, ddof=1)
    tre = got.loc["US_TREASURY_PROXY"]
    assert tre["return_1y"] == pytest.approx(np.prod(1 + b) - 1, rel=1e-12)
    assert tre["excess_return_1y"] == pytest.approx(np.prod(1 + x) - np.prod(1 + b), rel=1e-9)
    assert tre["tracking_error"] == pytest.approx(te, rel=1e-12)
    assert tre["information_ratio"] == pytest.approx(np.mean(x - b) * 252 / te, rel=1e-12)
    assert tre["beta"] == pytest.approx(beta, rel=1e-12)
    assert tre["alpha"] == pytest.approx((x.mean() - beta * b.mean()) * 252, rel=1e-9)
    dur = book.durations.loc["2026-04-01", w.index]
    assert tre["duration"] == pytest.approx(float((w * dur).sum()), rel=1e-9)


def test_asset_metrics_equal_the_library(demo):
    book, h, d, config = demo["book"], demo["h"], demo["d"], demo["config"]
    got = _csv(demo, "asset_metrics.csv")
    t = got["ticker"].tolist()
    want = asset_metrics(
        book.adj_close[t],
        book.close[t],
        book.high[t],
        book.low[t],
        book.volume[t],
        pipeline.benchmark_returns(book, h, h.dates),
        d,
        rf=config.risk_free_rate,
        lookback=config.risk_lookback_days,
    )
    for col in ("rsi_14", "return_1y", "beta", "atr_14"):
        np.testing.assert_allclose(got[col], want[col].astype(float), rtol=1e-12, err_msg=col)
    bench = set(book.benchmarks["US_AGG_PROXY"].columns)
    assert bench <= set(t)


def test_the_store_holds_the_new_frames_and_history_shows_them(demo, capsys):
    from fimonitor.cli import main

    url = demo["url"]
    perf = read.performance(url)
    np.testing.assert_allclose(
        perf["portfolio_return"].to_numpy(float),
        _csv(demo, "performance.csv")["portfolio_return"].to_numpy(float),
    )
    assert len(read.attribution(url)) == len(_csv(demo, "attribution.csv"))
    assert sorted(read.benchmarks(url)["benchmark"]) == ["US_AGG_PROXY", "US_TREASURY_PROXY"]
    assert len(read.asset_metrics(url)) == len(_csv(demo, "asset_metrics.csv"))
    assert len(read.allocations(url)) > 0
    daily = read.daily_returns(url, "Demo Core Fixed Income")
    assert len(daily) == len(demo["h"].dates) - 1  # every return date from inception
    windows = read.correlation_windows(url)
    assert len(windows) == 4  # 1M, 3M, 6M, 1Y
    assert main(["history", "--out", str(demo["out"]), "--performance"]) == 0
    text = capsys.readouterr().out
    assert "as of 2026-04-30: returns" in text and "attribution by group" in text
    assert "YTD" in text and "treasury" in text


# ------------------------------------------------------------------ tiny books
KRD = "month,ticker,tenor,krd\n" + "".join(
    f"2024-01,{t},{k},{v}\n"
    for t, vals in {"TSY": (1, 2, 3, 0), "IGC": (1, 2, 3, 2), "HYB": (1, 2, 1, 0)}.items()
    for k, v in zip(("2y", "5y", "10y", "30y"), vals, strict=True)
)


def test_key_rate_dv01_rule_alerts_like_the_library(tmp_path):
    rules = TINY_RULES.replace("rules:\n", "rules:\n  key_rate_dv01: {warn: 1.0, breach: 1.5}\n")
    data = write_tiny_book(
        tmp_path / "d", **{"key_rate_durations_monthly.csv": KRD, "monitor.yaml": rules}
    )
    book, config = pipeline.load_inputs(data)
    assert config.rules.key_rate_dv01.breach == 1.5  # currency: never read as a percent
    pack = pipeline.build_pack(book, config, with_rebalance=False)
    h = compute_history(book, end=pack.as_of)
    want = key_rates.key_rate_dv01_alerts(
        key_rates.active_key_rate_dv01_history(
            h.weights, h.benchmark, h.total_value, book.key_rates
        ),
        1.0,
        1.5,
    )
    want = want[want["date"] > pack.as_of - pd.Timedelta(weeks=2)].reset_index(drop=True)
    got = pack.alerts_history[pack.alerts_history["rule"] == "key_rate_dv01"].reset_index(drop=True)
    assert set(got["severity"]) == {"WARN", "BREACH"}
    key = ["date", "ticker"]  # the engine orders tickers by name, the library by tenor
    pd.testing.assert_frame_equal(
        got[list(want.columns)].sort_values(key).reset_index(drop=True),
        want.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    assert "key_rate_dv01" in set(pack.drivers_rule["rule"])
    assert pack.weekly["alert_days"].sum() > 0
    assert not set(pack.drivers_ticker["ticker"]) & {"2y", "5y", "10y", "30y"}


def test_key_rate_dv01_rule_without_the_file_is_a_data_quality_note(tmp_path):
    rules = TINY_RULES.replace("rules:\n", "rules:\n  key_rate_dv01: {warn: 1.0, breach: 1.5}\n")
    data = write_tiny_book(tmp_path / "d", **{"monitor.yaml": rules})
    book, config = pipeline.load_inputs(data)
    pack = pipeline.build_pack(book, config, with_rebalance=False)
    assert "rule not evaluated" in set(pack.data_quality["item"])
    assert pack.key_rate_dv01.empty


TWO_BENCHMARKS = "benchmark,ticker,weight\nA,TSY,50\nA,IGC,30\nA,BMK,20\nB,TSY,100\n"


def test_several_benchmarks_need_a_primary(tmp_path):
    data = write_tiny_book(tmp_path / "d", **{"benchmark_weights.csv": TWO_BENCHMARKS})
    with pytest.raises(ConfigError, match=r"monitor\.yaml.*A, B|A, B.*monitor\.yaml"):
        pipeline.load_inputs(data)
    bad = TINY_RULES + "benchmarks: {primary: C}\n"
    (data / "monitor.yaml").write_text(bad)
    with pytest.raises(ConfigError, match=r"'C' is not in benchmark_weights\.csv"):
        pipeline.load_inputs(data)


def test_the_configured_primary_drives_the_rules(tmp_path):
    data = write_tiny_book(
        tmp_path / "d",
        **{
            "benchmark_weights.csv": TWO_BENCHMARKS,
            "monitor.yaml": TINY_RULES + "benchmarks: {primary: B}\n",
        },
    )
    book, config = pipeline.load_inputs(data)
    assert book.benchmark_name == "B"
    pack = pipeline.build_pack(book, config, with_rebalance=False)
    pos = pack.positions.set_index("ticker")
    assert pos.loc["TSY", "benchmark_weight"] == 1.0
    assert pack.benchmarks["benchmark"].tolist() == ["A", "B"]
    assert pack.benchmarks["is_primary"].tolist() == [False, True]
    # by hand: B is 100 % TSY (duration 6.5 in 2024-02; prices from helpers.tiny)
    b = pack.benchmarks.set_index("benchmark").loc["B"]
    tsy = np.array([100.0, 101.0, 102.0, 100.0, 99.0, 100.0, 101.0, 100.0, 100.0, 102.0])
    assert b["duration"] == pytest.approx(6.5)
    assert b["return_1y"] == pytest.approx(tsy[-1] / tsy[0] - 1, rel=1e-12)
    assert b["duration_gap"] == pytest.approx(
        float(pack.summary_value("portfolio_duration")) - 6.5, rel=1e-12
    )
    # the same book with primary A: rules follow
    cfg_a = type(config)(**{**config.__dict__, "benchmark_primary": "A"})
    pack_a = pipeline.build_pack(book, cfg_a, with_rebalance=False)
    assert pack_a.positions.set_index("ticker").loc["TSY", "benchmark_weight"] == 0.5


def test_previous_pack_is_the_nearest_earlier_pack_in_out(tmp_path):
    data = write_tiny_book(tmp_path / "d")
    out = tmp_path / "out"
    pipeline.run_pack("2024-02-02", data, output_dir=out, render=False)
    pipeline.run_pack("2024-02-07", data, output_dir=out, render=False)
    folder = pipeline.run_pack("2024-02-09", data, output_dir=out, render=False)
    summary = pd.read_csv(folder / "portfolio_summary.csv").set_index("metric")["value"]
    assert summary["previous_as_of"] == "2024-02-07"  # not the week-earlier 2024-02-02
    # without earlier packs: the week-earlier date
    alone = pipeline.run_pack("2024-02-09", data, output_dir=tmp_path / "o2", render=False)
    s2 = pd.read_csv(alone / "portfolio_summary.csv").set_index("metric")["value"]
    assert s2["previous_as_of"] == "2024-02-02"
    # a pack only in the database counts too
    (out / "20240207" / "manifest.json").unlink()
    assert pipeline.previous_pack_date(
        out, pipeline.default_db_url(out), "Tiny Test Book", pd.Timestamp("2024-02-09")
    ) == pd.Timestamp("2024-02-07")


def test_batch_previous_is_fixed_before_work():
    ds = [pd.Timestamp(x) for x in ("2024-02-02", "2024-02-09")]
    prev = pipeline.batch_previous(ds, [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-05")])
    assert prev == {ds[0]: pd.Timestamp("2024-01-31"), ds[1]: pd.Timestamp("2024-02-05")}
    assert pipeline.batch_previous(ds, []) == {ds[0]: None, ds[1]: ds[0]}


def test_bad_db_url_writes_nothing(tmp_path):
    data = write_tiny_book(tmp_path / "d")
    out = tmp_path / "out"
    with pytest.raises(StoreError, match="unknown database kind"):
        pipeline.run_pack(data_dir=data, output_dir=out, db="nosuch://x", render=False)
    assert not out.exists() or not any(out.iterdir())


def test_a_failed_record_keeps_the_old_pack(tmp_path, monkeypatch):
    data = write_tiny_book(tmp_path / "d")
    out = tmp_path / "out"
    folder = pipeline.run_pack(data_dir=data, output_dir=out, render=False)
    before = (folder / "manifest.json").read_text()

    def boom(*a, **k):
        raise RuntimeError("database down")

    monkeypatch.setattr(pipeline, "record_pack", boom)
    with pytest.raises(RuntimeError):
        pipeline.run_pack(data_dir=data, output_dir=out, render=False)
    assert (folder / "manifest.json").read_text() == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_correlation_windows_and_rolling_in_the_pack(demo, tmp_path):
    pack = pipeline.build_pack(demo["book"], demo["config"], with_rebalance=False)
    assert list(pack.correlation_windows) == ["1M", "3M", "6M", "1Y"]  # 3Y: history too short
    assert pack.correlation_observations["1Y"] == 252
    one_year = pack.correlation_windows["1Y"]  # condensed float32: same numbers to 6e-8
    pd.testing.assert_frame_equal(one_year.matrix(), pack.correlations, rtol=0, atol=6e-8)
    want_p = corr_mod.p_values(pack.correlations, 252).to_numpy(copy=True)
    np.fill_diagonal(want_p, np.nan)
    np.testing.assert_allclose(one_year.p_matrix().to_numpy(), want_p, rtol=1e-6, atol=1e-37)
    roll = pack_tables.rolling_long(pack.rolling_correlations)
    assert set(roll["window"]) == {"20d", "60d"}
    # recorded as one blob per window; read back as the same long frame (float32 values)
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    pipeline.record(pack, url)
    back = read.rolling_correlations(url)
    assert len(back) == len(roll) == 2 * 252 * len(pack.rolling_correlations["20d"].columns)
    pd.testing.assert_frame_equal(
        back[["window", "date", "ticker"]], roll[["window", "date", "ticker"]], check_dtype=False
    )
    np.testing.assert_allclose(back["correlation"], roll["correlation"], rtol=0, atol=6e-8)
    assert back["correlation"].isna().tolist() == roll["correlation"].isna().tolist()
    last = roll[(roll["window"] == "20d") & (roll["date"] == pack.as_of)].set_index("ticker")
    r = risk.time_weighted_returns(demo["h"].total_value, demo["h"].flows).dropna()
    rets = corr_mod.daily_returns(demo["book"].adj_close.loc[: pack.as_of], r.index)
    t = last.index[0]
    want = np.corrcoef(rets[t].iloc[-20:], r.iloc[-20:])[0, 1]
    assert last.loc[t, "correlation"] == pytest.approx(want, rel=1e-9)


def test_correlations_csv_left_out_above_the_holdings_limit(demo, tmp_path):
    import dataclasses

    from fimonitor.config import parse_config
    from fimonitor.fileio import read_yaml

    raw = read_yaml(demo["config"].source) | {"correlations_csv_max_holdings": 3}
    config = parse_config(raw, file=demo["config"].source)
    assert config.correlations_csv_max_holdings == 3
    assert dataclasses.replace(config, correlations_csv_max_holdings=1000) == demo["config"]
    pack = pipeline.build_pack(demo["book"], config, with_rebalance=False)
    full = pipeline.build_pack(demo["book"], demo["config"], with_rebalance=False)
    n = len(full.correlations)
    assert n > 3 and pack.correlations.empty  # not computed at all
    note = pack.data_quality[pack.data_quality["item"] == "correlations.csv not written"]
    assert note["severity"].tolist() == ["WARN"]
    detail = note["detail"].iloc[0]
    assert f"{n} holdings exceed correlations_csv_max_holdings (3)" in detail
    assert "history database" in detail and "fimonitor history --correlations" in detail
    # the windows are still computed and stored
    np.testing.assert_array_equal(
        pack.correlation_windows["1Y"].r, full.correlation_windows["1Y"].r
    )
    folder = pipeline.run_pack(
        output_dir=tmp_path, book=demo["book"], monitor_config=config, render=False
    )
    assert not (folder / "correlations.csv").exists()
    assert "correlations.csv not written" in (folder / "data_quality.csv").read_text()
    stored = read.correlation_windows(f"sqlite:///{tmp_path / 'fimonitor.sqlite'}")
    assert stored["window"].tolist() == ["1M", "3M", "6M", "1Y"]


def test_old_pack_constructor_still_works():
    from helpers.report import make_pack

    pack = make_pack()
    assert pack.performance.empty and pack.correlation_windows == {}


def test_the_correlation_windows_come_after_the_history_is_released(demo, monkeypatch):
    """build_pack drops the history panels before the windows (peak memory at 5,000 names)."""
    import weakref

    refs, alive = [], []
    history, windows = pipeline.compute_history, pack_tables.correlation_window_tables

    def keep_ref(*a, **k):
        h = history(*a, **k)
        refs.append(weakref.ref(h))
        return h

    def check(*a, **k):
        alive.append(refs[0]() is not None)
        return windows(*a, **k)

    monkeypatch.setattr(pipeline, "compute_history", keep_ref)
    monkeypatch.setattr(pack_tables, "correlation_window_tables", check)
    pack = pipeline.build_pack(demo["book"], demo["config"], with_rebalance=False)
    assert alive == [False]
    # the same windows as one call on the whole price history, and the same matrix
    all_r = pack_tables.portfolio_returns(demo["h"], pack.as_of)
    held = pack.positions.loc[(pack.positions["weight"] > 0) & (pack.positions["ticker"] != "CASH")]
    tickers = [t for t in held["ticker"] if t in demo["book"].adj_close.columns]
    whole = compact_correlation_windows(
        demo["book"].adj_close.loc[: pack.as_of, tickers],
        all_r.index,
        {k.upper(): v for k, v in corr_mod.WINDOWS.items()},
    )
    assert list(whole) == list(pack.correlation_windows) == ["1M", "3M", "6M", "1Y"]
    assert {k: w.n_observations for k, w in whole.items()} == pack.correlation_observations
    for name, w in whole.items():
        got = pack.correlation_windows[name]
        assert got.tickers == w.tickers
        np.testing.assert_array_equal(got.r, w.r)
        np.testing.assert_array_equal(got.p, w.p)
    one = pack_tables.correlation_tables(demo["book"], list(held["ticker"]), all_r, 252)
    pd.testing.assert_frame_equal(one["matrix"], pack.correlations)
