"""The Book: really read-only under pandas copy-on-write, and the optional input columns."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.tiny import TINY_BENCHMARK, TINY_DATES, TINY_DURATIONS, TINY_PRICES, write_tiny_book

from fimonitor.data.book import FrozenFrame, freeze
from fimonitor.data.loaders import load_book
from fimonitor.errors import InputError, SchemaError

WRITES = {
    "iloc cell": lambda f: f.iloc.__setitem__((0, 0), -1.0),
    "loc cell": lambda f: f.loc.__setitem__((f.index[0], f.columns[0]), -1.0),
    "values": lambda f: f.values.__setitem__((0, 0), -1.0),
    "to_numpy": lambda f: f.to_numpy().__setitem__((0, 0), -1.0),
    "column array": lambda f: f[f.columns[0]].to_numpy().__setitem__(0, -1.0),
    "column assignment": lambda f: f.__setitem__(f.columns[0], -1.0),
    "new column": lambda f: f.__setitem__("NEW", 1.0),
    "del column": lambda f: f.__delitem__(f.columns[0]),
    "fillna inplace": lambda f: f.fillna(-1.0, inplace=True),
    "sort inplace": lambda f: f.sort_index(ascending=False, inplace=True),
    "index": lambda f: setattr(f, "index", f.index[::-1]),
}


@pytest.fixture(scope="module")
def shared_book(tmp_path_factory):
    """One Book for every write attempt: a write that got through would show in later tests."""
    return load_book(write_tiny_book(tmp_path_factory.mktemp("book")))


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("panel", ["close", "adj_close", "durations", "benchmark", "volume"])
def test_in_place_write_raises_and_book_unchanged(shared_book, panel: str, write: str) -> None:
    frame = getattr(shared_book, panel)
    before = frame.copy()
    if write == "sort inplace" and frame.index.is_monotonic_decreasing:
        WRITES[write](frame)  # already in that order (a one-row panel): pandas does nothing
    else:
        with pytest.raises((ValueError, TypeError)):
            WRITES[write](frame)
    after = getattr(shared_book, panel)
    assert after is frame and isinstance(after, FrozenFrame)
    pd.testing.assert_frame_equal(after, before, check_frame_type=False)


def test_later_stages_see_the_loaded_prices(tiny_book) -> None:
    with pytest.raises(ValueError, match="read-only"):
        tiny_book.close.iloc[0, 0] = -1.0
    with pytest.raises(ValueError, match="read-only"):
        tiny_book.close.values[0, 0] = -1
    assert tiny_book.close.iloc[0, 0] == TINY_PRICES[tiny_book.close.columns[0]][0]
    # a chained write goes to a temporary copy (pandas warns) and never reaches the Book
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tiny_book.close["TSY"].iloc[0] = -1.0
    assert tiny_book.close["TSY"].iloc[0] == 100.0


def test_mixed_frames_are_frozen_too(tiny_book) -> None:
    for frame in (tiny_book.transactions, tiny_book.securities):
        with pytest.raises((ValueError, TypeError)):
            frame.iloc[0, frame.columns.get_loc("row") if "row" in frame else 4] = 0
        with pytest.raises(TypeError):
            frame["x"] = 1


def test_derived_frames_are_ordinary_and_writable(tiny_book) -> None:
    for derived in (
        tiny_book.close.copy(),
        tiny_book.close.ffill(),
        tiny_book.close.loc["2024-02-01":],
        tiny_book.close * 2,
        tiny_book.close[["TSY"]],
    ):
        assert type(derived) is pd.DataFrame
        derived.iloc[0, 0] = -5.0
        derived["NEW"] = 1.0
    assert tiny_book.close.loc["2024-02-01", "TSY"] == 100.0


def test_freeze_keeps_values_and_dtypes() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, 2.0], "b": [1, 2], "c": ["x", "y"], "d": pd.to_datetime(["2024-01-02"] * 2)}
    )
    frozen = freeze(frame)
    pd.testing.assert_frame_equal(frozen, frame, check_frame_type=False)
    assert freeze(frozen) is frozen
    frame.iloc[0, 0] = 9.0  # the original stays writable and independent
    assert frozen.iloc[0, 0] == 1.0


# ----------------------------------------------------------------------------- optional columns
def _prices_with_ohlv(blank_volume_for: str = "BILL") -> str:
    rows = []
    for t, ps in TINY_PRICES.items():
        for i, (d, p) in enumerate(zip(TINY_DATES, ps, strict=True)):
            volume = "" if t == blank_volume_for else str(1000 * (i + 1))
            rows.append(f"{d},{t},{p},{p},{p - 0.5},{p + 1},{p - 1},{volume}")
    return "date,ticker,close,adj_close,open,high,low,volume\n" + "\n".join(rows) + "\n"


def test_ohlv_columns_become_panels(tmp_path: Path) -> None:
    book = load_book(write_tiny_book(tmp_path / "b", **{"prices.csv": _prices_with_ohlv()}))
    for name, shift in (("open", -0.5), ("high", 1.0), ("low", -1.0)):
        panel = getattr(book, name)
        assert panel.index.equals(book.close.index) and panel.columns.equals(book.close.columns)
        np.testing.assert_allclose(panel.to_numpy(), book.close.to_numpy() + shift)
    assert book.volume["TSY"].tolist() == [1000.0 * (i + 1) for i in range(10)]
    assert book.volume["BILL"].isna().all()  # blank cells -> NaN


def test_without_ohlv_columns_the_panels_are_all_nan(tiny_book) -> None:
    for name in ("open", "high", "low", "volume"):
        panel = getattr(tiny_book, name)
        assert panel.shape == tiny_book.close.shape and panel.isna().all().all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("1000", "-5"), r"row 2, ticker TSY, column volume: volume -5\.0 must not be negative"),
        (("99.5", "-1"), r"row 2, ticker TSY, column open: open -1\.0 must not be negative"),
        (("1000", "many"), r"row 2, ticker TSY, column volume: volume 'many' is not a number"),
        (("1000", "inf"), r"row 2, ticker TSY, column volume: volume 'inf' is not a number"),
    ],
)
def test_ohlv_values_are_checked(tmp_path: Path, edit, message) -> None:
    text = _prices_with_ohlv().replace(edit[0], edit[1], 1)
    data = write_tiny_book(tmp_path / "b", **{"prices.csv": text})
    with pytest.raises(SchemaError, match=r"^prices\.csv: " + message):
        load_book(data)


def test_convexity_panel_and_extra_duration_columns(tmp_path: Path, tiny_book) -> None:
    lines = TINY_DURATIONS.strip().splitlines()
    text = lines[0] + ",convexity,empirical_duration,method\n"
    text += "\n".join(
        f"{ln},{'' if 'BILL' in ln else i / 10},{'' if i % 2 else 5},model"
        for i, ln in enumerate(lines[1:])
    )
    book = load_book(write_tiny_book(tmp_path / "b", **{"duration_monthly.csv": text + "\n"}))
    pd.testing.assert_frame_equal(book.durations, tiny_book.durations, check_frame_type=False)
    conv = book.convexity
    assert conv.index.equals(book.durations.index) and conv.columns.equals(book.durations.columns)
    assert conv.loc["2024-01-01", "TSY"] == 0.0 and conv.loc["2024-02-01", "IGC"] == 0.6
    assert conv["BILL"].isna().all()
    assert tiny_book.convexity.isna().all().all()  # no column -> NaN
    bad = text.replace("model", "model", 1).replace(",0.1,", ",high,", 1)
    with pytest.raises(SchemaError, match=r"row 3, ticker IGC, column convexity: convexity 'high'"):
        load_book(write_tiny_book(tmp_path / "c", **{"duration_monthly.csv": bad + "\n"}))
    bad = text.replace(",5,model", ",99,model", 1)
    with pytest.raises(SchemaError, match=r"column empirical_duration: empirical_duration 99"):
        load_book(write_tiny_book(tmp_path / "d", **{"duration_monthly.csv": bad + "\n"}))


def test_named_benchmarks(tmp_path: Path, tiny_book) -> None:
    assert list(tiny_book.benchmarks) == ["benchmark"]
    assert tiny_book.benchmarks["benchmark"] is tiny_book.benchmark
    text = (
        "benchmark,ticker,weight\n"
        + "".join(f"benchmark,{ln}\n" for ln in TINY_BENCHMARK.strip().splitlines()[1:])
        + "rates,TSY,0.7\nrates,BMK,0.3\n"
    )
    book = load_book(write_tiny_book(tmp_path / "b", **{"benchmark_weights.csv": text}))
    assert list(book.benchmarks) == ["benchmark", "rates"]
    pd.testing.assert_frame_equal(book.benchmark, tiny_book.benchmark, check_frame_type=False)
    assert book.benchmarks["rates"].iloc[-1].to_dict() == {"BMK": 0.3, "TSY": 0.7}
    # without a row named "benchmark" the first benchmark of the file is the primary one
    text2 = "benchmark,ticker,weight\nrates,TSY,70\nrates,BMK,30\nbroad,TSY,1\n"
    book2 = load_book(write_tiny_book(tmp_path / "c", **{"benchmark_weights.csv": text2}))
    assert list(book2.benchmarks) == ["rates", "broad"]
    assert book2.benchmark is book2.benchmarks["rates"]
    with pytest.raises(TypeError):
        book2.benchmarks["x"] = book2.benchmark
    bad = "benchmark,ticker,weight\nrates,TSY,70\nrates,BMK,20\nbroad,TSY,1\n"
    with pytest.raises(
        InputError,
        match=r"benchmark_weights\.csv: row 2: weights sum to 90 in benchmark rates",
    ):
        load_book(write_tiny_book(tmp_path / "d", **{"benchmark_weights.csv": bad}))
