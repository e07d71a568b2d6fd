"""A pack's condensed correlation windows go into the store as they are, on both back ends."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.analytics.correlation import correlation, p_values
from fimonitor.analytics.correlation_windows import compact_correlation
from fimonitor.store import db, read

from .store_helpers import AS_OF


def test_correlation_window_objects_round_trip(store_url) -> None:
    rng = np.random.default_rng(3)
    rets = pd.DataFrame(
        rng.normal(size=(63, 30)) + rng.normal(size=(63, 1)),
        columns=[f"T{i:02d}" for i in range(30)],
    )
    rets.iloc[5:9, 4] = np.nan  # a gap: fewer rows for that ticker's pairs
    windows = {"3M": compact_correlation(rets), "1M": compact_correlation(rets.iloc[-21:])}
    db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, correlations=windows)
    stored = read.correlation_windows(store_url, "demo").set_index("window")
    assert stored.loc["3M", "n_observations"] == 63 and stored.loc["1M", "n_tickers"] == 30
    corr, n = correlation(rets)
    back = read.correlations(store_url, "demo", window="3M")
    np.testing.assert_array_equal(back.to_numpy(), windows["3M"].matrix().to_numpy(np.float32))
    np.testing.assert_allclose(back.to_numpy(), corr.to_numpy(), rtol=0, atol=6e-8)
    pv = read.correlations(store_url, "demo", window="3M", p_values=True).to_numpy()
    want = p_values(corr, n).to_numpy(copy=True)
    np.fill_diagonal(want, np.nan)
    np.testing.assert_allclose(pv, want, rtol=1.2e-7, atol=0)
    top = read.top_pairs(store_url, "demo", window="3M")
    assert len(top) == 50 and top["rank"].tolist() == list(range(1, 51))
    pd.testing.assert_frame_equal(
        top[["ticker_1", "ticker_2", "correlation", "p_value"]].reset_index(drop=True),
        windows["3M"].top[["ticker_1", "ticker_2", "correlation", "p_value"]],
        check_dtype=False,
    )
    db.record_pack(
        store_url, portfolio_id="demo", as_of=AS_OF, correlations=windows, n_top_pairs=500
    )
    more = read.top_pairs(store_url, "demo", window="3M")  # beyond the 50 kept: float32 values
    assert len(more) == 435 and more["correlation"].abs().is_monotonic_decreasing
