"""Empirical (rate) duration of bond funds from prices and Treasury yields.

No published history of fund effective durations exists in the bundled data, so
``duration_monthly.csv`` is *estimated*: for every month and fund, the sensitivity
of the fund's daily total return to daily changes of the Treasury yield at the
fund's reference maturity, measured over a trailing window of trading days that
ends before the month starts.

Method
------
For each fund and each trading day ``t`` the estimator uses

* ``r_t``  – simple daily return of ``adj_close`` (a total-return price, so
  distributions do not show up as price drops);
* ``dy_t`` – daily change of the reference yield, in percentage points. The
  reference yield is the FRED constant-maturity curve (``DGS1MO`` ... ``DGS30``)
  linearly interpolated at the fund's reference maturity (``FundSpec.tenor``,
  years), or, for inflation-linked funds, the TIPS real-yield curve
  (``DFII5`` ... ``DFII30``);
* ``m_t``  – for spread-bearing funds (``FundSpec.spread_aware``), the daily
  return of an equity market proxy (SPY).

and fits, by ordinary least squares over the trailing ``window`` observations,

    r_t = a + b * dy_t                  (rates-only fit)
    r_t = a + b * dy_t + c * m_t        (spread-aware fit)

The duration is ``D = -100 * b``: ``b`` is the return per 1.00 percentage point of
yield, and a duration of ``D`` years loses ``D`` % per +1.00 pp, i.e. ``b = -D / 100``.

Why the equity regressor. Credit spreads widen when yields fall in a sell-off
(flight to quality) and equities fall; a rates-only regression then mixes the
spread move into ``b`` and shows a credit fund's rate sensitivity well below its
effective duration (for high yield often near zero). Adding the equity return
absorbs most of the spread/risk-appetite component, so ``b`` is the partial
sensitivity to rates with risk appetite held fixed. It still tends to sit below
the published effective duration for credit, munis (their yields move less than
Treasuries) and hedged international bonds (their yields are not US yields); the
shipped PROVENANCE and the tests document the band.

Timing and look-ahead. The value for month ``M`` uses only observations dated
strictly before the first calendar day of ``M`` (the window ends on the last
trading day of ``M-1``) and holds from the first day of ``M``. Returns and yield
changes are taken between consecutive dates on which *both* the price and the
yield exist (US bond-market holidays such as Columbus Day have prices but no
FRED yields: the next return then spans two sessions, and so does the yield
change).

Cash proxies (T-bill funds) get the same fit at their short tenor, floored at 0;
their true duration is a few weeks to months and a negative estimate is noise.

The regressions are vectorised: rolling means of the cross products over all
dates at once (pandas ``rolling``), solved as closed-form 1x1 or 2x2 systems.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.data.curves import REAL_FILE, YIELDS_FILE, read_curve
from fimonitor.data.loaders import read_prices, read_security_master
from fimonitor.errors import DataGapError, InputError

logger = logging.getLogger(__name__)

#: FRED nominal constant-maturity series and their maturities in years.
NOMINAL_TENORS: dict[str, float] = {
    "DGS1MO": 1 / 12,
    "DGS3MO": 0.25,
    "DGS6MO": 0.5,
    "DGS1": 1.0,
    "DGS2": 2.0,
    "DGS3": 3.0,
    "DGS5": 5.0,
    "DGS7": 7.0,
    "DGS10": 10.0,
    "DGS20": 20.0,
    "DGS30": 30.0,
}
#: FRED TIPS real-yield series and their maturities in years.
REAL_TENORS: dict[str, float] = {
    "DFII5": 5.0,
    "DFII7": 7.0,
    "DFII10": 10.0,
    "DFII20": 20.0,
    "DFII30": 30.0,
}

METHOD_LABEL = "empirical_estimate"
DEFAULT_WINDOW = 126
MARKET_TICKER = "SPY"


@dataclass(frozen=True)
class FundSpec:
    """How one fund's empirical duration is estimated.

    Attributes
    ----------
    tenor : float
        Reference maturity in years at which the yield curve is interpolated
        (roughly the fund's weighted-average maturity bucket).
    curve : {"nominal", "real"}
        Nominal Treasury curve, or the TIPS real-yield curve (inflation-linked funds).
    spread_aware : bool
        Add the equity market return as a second regressor (credit, EM, munis).
    floor : float or None
        Lower bound applied to the estimate, years (0 for cash proxies); None = no bound.
    """

    tenor: float
    curve: str = "nominal"
    spread_aware: bool = False
    floor: float | None = None


#: Reference settings for the demo funds (tenor ~ the fund's maturity bucket / WAM).
DEFAULT_SPECS: dict[str, FundSpec] = {
    # cash proxies: T-bills, weeks to a few months
    "BIL": FundSpec(0.25, floor=0.0),
    "SGOV": FundSpec(0.25, floor=0.0),
    "SHV": FundSpec(0.5, floor=0.0),
    # Treasuries
    "SHY": FundSpec(2.0),
    "IEI": FundSpec(5.0),
    "IEF": FundSpec(8.5),
    "TLH": FundSpec(15.0),
    "TLT": FundSpec(25.0),
    "GOVT": FundSpec(8.25),
    # TIPS: real yields
    "TIP": FundSpec(7.2, curve="real"),
    "SCHP": FundSpec(7.2, curve="real"),
    # investment-grade credit
    "LQD": FundSpec(12.0, spread_aware=True),
    "VCIT": FundSpec(7.0, spread_aware=True),
    "VCSH": FundSpec(3.0, spread_aware=True),
    "IGSB": FundSpec(3.0, spread_aware=True),
    # high yield
    "HYG": FundSpec(5.0, spread_aware=True),
    "JNK": FundSpec(5.0, spread_aware=True),
    # securitised / aggregate
    "MBB": FundSpec(7.0),
    "AGG": FundSpec(8.0),
    "BND": FundSpec(8.0),
    # EM USD sovereigns
    "EMB": FundSpec(12.0, spread_aware=True),
    # munis
    "MUB": FundSpec(10.0, spread_aware=True),
    "VTEB": FundSpec(10.0, spread_aware=True),
    # hedged international aggregate
    "BNDX": FundSpec(10.0),
}

#: Fallback by security-master group for tickers not in DEFAULT_SPECS.
GROUP_SPECS: dict[str, FundSpec] = {
    "cash": FundSpec(0.25, floor=0.0),
    "treasury": FundSpec(7.0),
    "tips": FundSpec(7.0, curve="real"),
    "ig_credit": FundSpec(7.0, spread_aware=True),
    "hy_credit": FundSpec(5.0, spread_aware=True),
    "mbs": FundSpec(7.0),
    "em": FundSpec(10.0, spread_aware=True),
    "muni": FundSpec(10.0, spread_aware=True),
    "international": FundSpec(10.0),
    "aggregate": FundSpec(8.0),
}


def spec_for(ticker: str, group: str | None = None) -> FundSpec | None:
    """Return the estimation settings for ``ticker``: its own entry, else its group's, else None."""
    if ticker in DEFAULT_SPECS:
        return DEFAULT_SPECS[ticker]
    if group is not None:
        return GROUP_SPECS.get(group)
    return None


def interpolate_curve(
    yields: pd.DataFrame, tenors: Mapping[str, float], maturity: float
) -> pd.Series:
    """Yield at ``maturity`` years, linear in maturity between the two nearest series.

    Parameters
    ----------
    yields : DataFrame
        date x series, percent. Only columns named in ``tenors`` are used.
    tenors : mapping
        series name -> maturity in years.
    maturity : float
        Target maturity, years; clamped to the available range.

    Returns
    -------
    Series
        Interpolated yield, percent, indexed like ``yields`` (NaN where a needed
        series is missing on a date).
    """
    cols = sorted((t, c) for c, t in tenors.items() if c in yields.columns)
    if not cols:
        raise InputError(f"no yield series among {sorted(tenors)}", file="treasury_yields.csv")
    mats = [t for t, _ in cols]
    if maturity <= mats[0]:
        return yields[cols[0][1]].astype(float)
    if maturity >= mats[-1]:
        return yields[cols[-1][1]].astype(float)
    hi = next(i for i, t in enumerate(mats) if t >= maturity)
    (t0, c0), (t1, c1) = cols[hi - 1], cols[hi]
    w = (maturity - t0) / (t1 - t0)
    return (1.0 - w) * yields[c0].astype(float) + w * yields[c1].astype(float)


def _rolling_beta(
    y: pd.DataFrame, x: pd.DataFrame, m: pd.Series | None, window: int, min_periods: int
) -> pd.DataFrame:
    """Return the rolling OLS slope on ``x`` (per column), optionally also regressing on ``m``.

    ``y`` and ``x`` are date x ticker frames of the same shape (x differs per ticker
    because each fund has its own reference yield). A row is used only when y, x
    (and m) are all present. Returns the slope on x, date x ticker.
    """
    valid = y.notna() & x.notna()
    if m is not None:
        valid &= m.notna().to_numpy()[:, None]
    yv = y.where(valid)
    xv = x.where(valid)
    roll = {"window": window, "min_periods": min_periods}
    n = valid.astype(float).rolling(**roll).sum()
    ex = xv.rolling(**roll).mean()
    ey = yv.rolling(**roll).mean()
    sxx = (xv * xv).rolling(**roll).mean() - ex * ex
    sxy = (xv * yv).rolling(**roll).mean() - ex * ey
    if m is None:
        beta = sxy / sxx
    else:
        mv = pd.DataFrame(
            np.repeat(m.to_numpy()[:, None], y.shape[1], axis=1), index=y.index, columns=y.columns
        ).where(valid)
        em = mv.rolling(**roll).mean()
        smm = (mv * mv).rolling(**roll).mean() - em * em
        sxm = (xv * mv).rolling(**roll).mean() - ex * em
        smy = (mv * yv).rolling(**roll).mean() - em * ey
        det = sxx * smm - sxm * sxm
        beta = (smm * sxy - sxm * smy) / det
    return beta.where(n >= min_periods)


def estimate_durations(
    adj_close: pd.DataFrame,
    yields: pd.DataFrame,
    specs: Mapping[str, FundSpec],
    *,
    real_yields: pd.DataFrame | None = None,
    market: pd.Series | None = None,
    window: int = DEFAULT_WINDOW,
    min_periods: int | None = None,
    months: Iterable[pd.Period] | None = None,
) -> pd.DataFrame:
    """Monthly empirical rate duration per fund (see the module docstring for the method).

    Parameters
    ----------
    adj_close : DataFrame
        date x ticker total-return prices (DatetimeIndex, ascending).
    yields : DataFrame
        date x FRED nominal series (``DGS*``), percent.
    specs : mapping
        ticker -> FundSpec, for every ticker to estimate (tickers missing from
        ``adj_close`` are an error).
    real_yields : DataFrame, optional
        date x FRED TIPS series (``DFII*``), percent; needed when a spec has ``curve="real"``.
    market : Series, optional
        Equity market total-return price (e.g. SPY adj_close); needed when a spec is spread-aware.
    window : int
        Trading days (return observations) in each regression, default 126 (~6 months).
    min_periods : int, optional
        Fewest valid observations for an estimate; default ``int(0.9 * window)``.
    months : iterable of Period['M'], optional
        Months to report. Default: from the first month with an estimate through
        the month of the last price date.

    Returns
    -------
    DataFrame
        Long frame ``month`` (str ``YYYY-MM``), ``ticker``, ``duration`` (years, float),
        ``method`` (``"empirical_estimate"``), sorted by month then ticker. The value
        for month M is fitted on data dated before the first day of M.
    """
    if window < 10:
        raise InputError(f"--window must be at least 10 trading days, got {window}")
    min_periods = int(0.9 * window) if min_periods is None else int(min_periods)
    tickers = list(specs)
    missing = [t for t in tickers if t not in adj_close.columns]
    if missing:
        raise DataGapError(f"no adj_close prices for {', '.join(missing)}", file="prices.csv")
    if not tickers:
        return pd.DataFrame({"month": [], "ticker": [], "duration": [], "method": []})
    need_real = any(specs[t].curve == "real" for t in tickers)
    need_market = any(specs[t].spread_aware for t in tickers)
    if need_real and real_yields is None:
        raise DataGapError("TIPS real yields (DFII*) are needed for inflation-linked funds")
    if need_market and market is None:
        raise DataGapError(f"{MARKET_TICKER} prices are needed for the spread-aware fit")

    curves = yields.copy()
    if need_real:
        curves = curves.join(real_yields, how="outer")
    # Common dates: price and the yield curve both observed.
    dates = adj_close.index.intersection(curves.dropna(how="all").index).sort_values()
    px = adj_close.loc[dates, tickers].astype(float)
    cv = curves.loc[dates]

    ref = {}
    for t in tickers:
        s = specs[t]
        tenors = REAL_TENORS if s.curve == "real" else NOMINAL_TENORS
        ref[t] = interpolate_curve(cv, tenors, s.tenor)
    ref_yield = pd.DataFrame(ref, index=dates)

    ret = px / px.shift(1) - 1.0
    dy = ref_yield.diff()
    mret = None
    if need_market:
        mk = market.reindex(dates).astype(float)
        mret = mk / mk.shift(1) - 1.0

    plain = [t for t in tickers if not specs[t].spread_aware]
    aware = [t for t in tickers if specs[t].spread_aware]
    parts = []
    if plain:
        parts.append(_rolling_beta(ret[plain], dy[plain], None, window, min_periods))
    if aware:
        parts.append(_rolling_beta(ret[aware], dy[aware], mret, window, min_periods))
    beta = pd.concat(parts, axis=1)[tickers]
    dur = -100.0 * beta

    # The estimate at the last common date of month M-1 holds for month M.
    period = dates.to_period("M")
    month_end = dur.groupby(period).tail(1)
    month_end.index = month_end.index.to_period("M") + 1
    if months is None:
        last = adj_close.index.max().to_period("M")
        month_end = month_end.loc[month_end.index <= last]
    else:
        month_end = month_end.reindex(pd.PeriodIndex(list(months), freq="M"))
    for t in tickers:
        if specs[t].floor is not None:
            month_end[t] = month_end[t].clip(lower=specs[t].floor)

    long = (
        month_end.rename_axis("month")
        .reset_index()
        .melt(id_vars="month", var_name="ticker", value_name="duration")
    )
    long = long.dropna(subset=["duration"])
    long["month"] = long["month"].astype(str)
    long["method"] = METHOD_LABEL
    long = long.sort_values(["month", "ticker"], kind="stable").reset_index(drop=True)
    logger.info("estimated %d monthly durations for %d funds", len(long), len(tickers))
    return long[["month", "ticker", "duration", "method"]]


NOT_FIXED_INCOME = {"equity"}
DECIMALS = 4  # years; estimates are not meaningful beyond 1e-4 y


def estimate_from_folder(data_dir: str | Path, *, window: int = DEFAULT_WINDOW) -> pd.DataFrame:
    """Estimate ``duration_monthly`` rows for the fixed-income funds of a data folder.

    Funds: every non-equity ticker of ``security_master.csv`` that has prices (or, without
    a security master, every ticker with a built-in setting). Spread-aware funds fall back to
    the rates-only fit (with a warning) when SPY has no prices; TIPS funds fall back to the
    nominal curve when ``fred_rates_extra.csv`` is absent.

    Returns
    -------
    DataFrame
        ``month`` (YYYY-MM), ``ticker``, ``duration`` (years, rounded to 4 decimals), ``method``.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"data folder {data_dir} does not exist")
    prices = read_prices(data_dir / "prices.csv")
    adj = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    nominal = read_curve(data_dir / YIELDS_FILE, ("DGS",), required=True)
    nominal = nominal[[c for c in nominal.columns if c in NOMINAL_TENORS]]
    real = read_curve(data_dir / REAL_FILE, ("DFII",), required=False)
    if real is not None:
        real = real[[c for c in real.columns if c in REAL_TENORS]]

    master = data_dir / "security_master.csv"
    if master.is_file():
        sec = read_security_master(master)
        candidates = [
            (t, g) for t, g in sec["group"].items() if t != "CASH" and g not in NOT_FIXED_INCOME
        ]
    else:
        candidates = [(t, None) for t in adj.columns]

    specs: dict[str, FundSpec] = {}
    for t, g in candidates:
        spec = spec_for(t, g)
        if spec is None or t not in adj.columns or adj[t].notna().sum() == 0:
            continue
        specs[t] = spec
    if not specs:
        raise DataGapError("no fixed-income fund with prices to estimate", file=master)

    market = adj[MARKET_TICKER] if MARKET_TICKER in adj.columns else None
    if market is None and any(s.spread_aware for s in specs.values()):
        logger.warning("%s has no prices: credit funds get the rates-only fit", MARKET_TICKER)
        specs = {t: replace(s, spread_aware=False) for t, s in specs.items()}
    if real is None and any(s.curve == "real" for s in specs.values()):
        logger.warning("%s not found: inflation-linked funds use the nominal curve", REAL_FILE)
        specs = {t: replace(s, curve="nominal") for t, s in specs.items()}

    out = estimate_durations(adj, nominal, specs, real_yields=real, market=market, window=window)
    out["duration"] = out["duration"].round(DECIMALS)
    return out
