"""Model durations for a data folder: the file I/O around the duration model.

Reads ``DIR/duration_model.csv`` (one row per fund: index maturity range, weighting, spread
source), ``treasury_yields.csv`` (``DGS*``), ``fred_rates_extra.csv`` (TIPS ``DFII*``, needed for
``curve=real`` rows), ``etf_meta.csv`` (trailing yields, for ``spread_source=trailing_yield``),
``prices.csv`` and ``security_master.csv``; returns the ``duration_monthly`` rows
(``month,ticker,duration,convexity,empirical_duration,method``; the empirical column from
:mod:`fimonitor.analytics.empirical_duration`) and the ``key_rate_durations_monthly`` rows
(``month,ticker,tenor,krd``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from fimonitor.analytics.duration_model import fund_spread, model_durations
from fimonitor.analytics.duration_tables import output_frames, specs_from_frame
from fimonitor.analytics.empirical_duration import (
    NOMINAL_TENORS,
    NOT_FIXED_INCOME,
    REAL_TENORS,
    estimate_from_folder,
)
from fimonitor.data.curves import REAL_FILE, YIELDS_FILE, read_curve
from fimonitor.data.loaders import read_prices, read_security_master
from fimonitor.data.tables import read_table
from fimonitor.errors import DataGapError, InputError

__all__ = ["KRD_FILE", "MODEL_FILE", "model_from_folder"]

log = logging.getLogger(__name__)

MODEL_FILE = "duration_model.csv"
META_FILE = "etf_meta.csv"
KRD_FILE = "key_rate_durations_monthly.csv"


def _read_text_csv(path: Path, required: bool = True) -> pd.DataFrame | None:
    if not path.is_file() and not required:
        return None
    return read_table(path, ("ticker",))


def _trailing_yields(path: Path) -> tuple[dict[str, float], dict[str, pd.Timestamp]]:
    meta = _read_text_csv(path, required=False)
    if meta is None or "trailing_yield" not in meta.columns:
        return {}, {}
    ty = pd.to_numeric(meta["trailing_yield"].replace("", None), errors="coerce")
    when = pd.to_datetime(
        meta.get("fetched_at", pd.Series("", index=meta.index)).str[:10],
        format="%Y-%m-%d",
        errors="coerce",
    )
    ok = ty.notna()
    return (
        dict(zip(meta["ticker"][ok], ty[ok].astype(float), strict=True)),
        dict(zip(meta["ticker"][ok], when[ok], strict=True)),
    )


def model_from_folder(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model duration rows for the fixed-income funds of a data folder.

    Funds: the rows of ``duration_model.csv`` whose ticker is a non-equity ticker of
    ``security_master.csv`` (other rows serve as blend components). A fund gets a row for month
    ``M`` when it has a price dated before ``M`` and ``M`` is not after the last price month.

    Returns
    -------
    (DataFrame, DataFrame)
        ``duration_monthly`` rows and ``key_rate_durations_monthly`` rows (see
        :func:`fimonitor.analytics.duration_model.output_frames`).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"data folder {data_dir} does not exist")
    specs = specs_from_frame(_read_text_csv(data_dir / MODEL_FILE), MODEL_FILE)
    nominal = read_curve(data_dir / YIELDS_FILE, ("DGS",), required=True)
    nominal = nominal[[c for c in nominal.columns if c in NOMINAL_TENORS]]
    real = read_curve(data_dir / REAL_FILE, ("DFII",), required=False)
    if real is not None:
        real = real[[c for c in real.columns if c in REAL_TENORS]]
    sec = read_security_master(data_dir / "security_master.csv")
    funds = [t for t, g in sec["group"].items() if t != "CASH" and g not in NOT_FIXED_INCOME]
    unmodelled = [t for t in funds if t not in specs]
    if unmodelled:
        log.warning("no %s row for %s: no model duration", MODEL_FILE, ", ".join(unmodelled))
    funds = [t for t in funds if t in specs]
    if not funds:
        raise DataGapError(f"no fixed-income fund of the security master in {MODEL_FILE}")

    yields, fetched = _trailing_yields(data_dir / META_FILE)
    spreads = {}
    for name, spec in specs.items():  # a few dozen rows
        if spec.spread_source == "none":
            continue
        tenors = REAL_TENORS if spec.curve == "real" else NOMINAL_TENORS
        src = nominal if spec.curve == "nominal" else real
        snap = fetched.get(name)
        cv = src if snap is None or pd.isna(snap) else src.loc[:snap]
        at = cv.ffill().iloc[-1].dropna() / 100.0
        at = at[sorted(at.index, key=tenors.get)]
        spreads[name] = fund_spread(spec, yields.get(name), at)
        log.info("%s spread over the curve: %.4f", name, spreads[name])

    model = model_durations(specs, nominal, real, spreads=spreads)
    model = model[model["ticker"].isin(funds)]
    prices = read_prices(data_dir / "prices.csv")
    priced = prices.dropna(subset=["adj_close"]).groupby("ticker")["date"].min()
    first = (priced.dt.to_period("M") + 1).astype(str)
    last_month = str(prices["date"].max().to_period("M"))
    start = model["ticker"].map(first)
    model = model[start.notna() & (model["month"] >= start) & (model["month"] <= last_month)]
    empirical = estimate_from_folder(data_dir)
    return output_frames(model, empirical)
