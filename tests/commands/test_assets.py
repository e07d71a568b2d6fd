"""`fimonitor assets` on the bundled demo book."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.indicators import ASSET_METRIC_COLUMNS
from fimonitor.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    df = pd.read_csv(DATA / "prices.csv", parse_dates=["date"])
    return df.pivot(index="date", columns="ticker", values="adj_close").sort_index()


def test_assets_csv_for_named_tickers(tmp_path: Path, prices: pd.DataFrame) -> None:
    out = tmp_path / "assets.csv"
    code, _, err = _run(
        "assets", "--data", str(DATA), "--as-of", "2026-03-31", "--tickers", "tlt", "SHY",
        "--csv", str(out),
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table.columns) == [*ASSET_METRIC_COLUMNS, "notes"]
    assert table["ticker"].tolist() == ["SHY", "TLT"]
    assert (table["date"] == "2026-03-31").all()
    p = prices.loc[:"2026-03-31"]
    for _, row in table.iterrows():
        px = p[row["ticker"]].to_numpy()
        assert row["return_1m"] == pytest.approx(px[-1] / px[-22] - 1, rel=1e-12)
        assert row["return_5y"] == pytest.approx(px[-1] / px[-1261] - 1, rel=1e-12)
        assert row["sma_20"] == pytest.approx(np.mean(px[-20:]), rel=1e-12)
        assert np.isnan(row["atr_14"]) or "atr_14" not in str(row["notes"])


def test_assets_default_is_held_and_benchmark(prices: pd.DataFrame) -> None:
    code, out, err = _run("assets", "--data", str(DATA))
    assert code == 0, err
    shown = {line.split()[0] for line in out.splitlines()[1:]}
    bench = set(pd.read_csv(DATA / "benchmark_weights.csv")["ticker"])
    assert bench <= shown
    assert "TSLA" not in shown and len(shown) < prices.shape[1]
    code, out, _ = _run("assets", "--data", str(DATA), "--all-assets")
    assert code == 0 and len(out.splitlines()) == 1 + prices.shape[1]


def test_assets_bad_input_exits_2() -> None:
    code, _, err = _run("assets", "--data", str(DATA), "--tickers", "NOPE")
    assert code == 2 and "ticker NOPE" in err and "no prices" in err
    code, _, err = _run("assets", "--data", str(DATA), "--tickers", "TLT", "--all-assets")
    assert code == 2 and "not both" in err


class _BookWithOHLCV:
    """The loaded demo Book plus ``high/low/volume`` panels (what the OHLCV loader adds)."""

    def __init__(self, book, prices: pd.DataFrame) -> None:
        self._book = book
        for col in ("high", "low", "volume"):
            setattr(self, col, prices.pivot(index="date", columns="ticker", values=col))

    def __getattr__(self, name: str):
        return getattr(self._book, name)


def test_assets_uses_ohlcv_panels_when_the_book_has_them(monkeypatch) -> None:
    from fimonitor import pipeline
    from fimonitor.analytics.indicators import asset_metrics

    raw = pd.read_csv(DATA / "prices.csv", parse_dates=["date"])
    if "high" not in raw.columns:
        pytest.skip("demo prices.csv has no OHLCV columns")
    real = pipeline.load_inputs
    book, config = real(DATA)
    wrapped = _BookWithOHLCV(book, raw)
    monkeypatch.setattr(pipeline, "load_inputs", lambda *a, **k: (wrapped, config))
    code, out, err = _run("assets", "--data", str(DATA), "--tickers", "SPY", "AGG")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "no high/low/close" in rows["AGG"] and "no high/low/close" not in rows["SPY"]
    d = pd.Timestamp("2026-04-30")
    direct = asset_metrics(
        book.adj_close[["SPY"]], book.close[["SPY"]], wrapped.high[["SPY"]],
        wrapped.low[["SPY"]], wrapped.volume[["SPY"]], None, d,
    ).iloc[0]  # fmt: skip
    assert np.isfinite(direct["atr_14"]) and 0 <= direct["stoch_k"] <= 100
    assert f"{direct['atr_14']:.6g}" in rows["SPY"] and f"{direct['obv']:.6g}" in rows["SPY"]
