"""The demo's OHLCV columns: old columns untouched, values sane, rebuild reproducible."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
SOURCE = DATA.parents[2] / "shared" / "data" / "raw" / "SmokeBellow__invest-tech"


def _script():
    spec = importlib.util.spec_from_file_location("add_ohlcv", DATA / "add_ohlcv.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_old_columns_are_byte_identical() -> None:
    """The first four columns hash to the digest of the file before OHLCV was added."""
    text = (DATA / "prices.csv").read_text()
    old = "\n".join(ln.rsplit(",", 4)[0] if ln else ln for ln in text.split("\n"))
    prov = (DATA / "PROVENANCE.md").read_text()
    m = re.search(r"first four columns alone.*?`([0-9a-f]{64})`", prov, re.S)
    assert m, "PROVENANCE.md must record the digest of the old columns"
    assert hashlib.sha256(old.encode()).hexdigest() == m.group(1)
    assert text.split("\n", 1)[0] == "date,ticker,close,adj_close,open,high,low,volume"


def test_ohlcv_values_are_consistent() -> None:
    p = pd.read_csv(DATA / "prices.csv")
    filled = p.dropna(subset=["open", "high", "low", "volume"])
    assert set(filled["ticker"]) == set(_script().SOURCE_TICKERS)
    assert len(filled) == 20_324
    assert p.loc[p["open"].notna() != p["volume"].notna()].empty  # all four or none
    assert (filled["low"] <= filled[["open", "close"]].min(axis=1)).all()
    assert (filled["high"] >= filled[["open", "close"]].max(axis=1)).all()
    assert (filled["volume"] > 0).all() and (filled["volume"] % 1 == 0).all()
    # XLK before its 2:1 split on 2025-12-05: split-adjusted like close (about half the tape)
    xlk = filled[filled["ticker"] == "XLK"].set_index("date")
    assert xlk.loc["2025-12-04", "high"] == pytest.approx(145.795)
    assert np.all(np.abs(xlk["close"] / xlk["high"] - 1) < 0.1)


@pytest.mark.skipif(not SOURCE.is_dir(), reason="the source bars are not on this machine")
def test_rebuild_matches_the_shipped_file() -> None:
    text = (DATA / "prices.csv").read_text()
    base = "\n".join(ln.rsplit(",", 4)[0] if ln else ln for ln in text.split("\n"))
    rebuilt, filled = _script().build(base, SOURCE)
    assert rebuilt == text
    assert sum(filled.values()) == 20_324
