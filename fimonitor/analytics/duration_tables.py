"""Tables around the duration model: input rows, output files, the cross-check.

The ``duration_model.csv`` rows, the two output files, and the model-versus-empirical
cross-check (a data-quality flag for the pack).

See :mod:`fimonitor.analytics.duration_model` for the method.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fimonitor.analytics.duration_model import (
    CURVES,
    KEY_LABELS,
    METHOD_LABEL,
    WEIGHTINGS,
    ModelSpec,
)
from fimonitor.errors import InputError

MODEL_COLUMNS = ("ticker", "curve", "min_maturity", "max_maturity", "weighting", "spread_source")


def specs_from_frame(table: pd.DataFrame, file: str = "duration_model.csv") -> dict[str, ModelSpec]:
    """Parse the rows of ``duration_model.csv`` (read as strings) into ModelSpecs.

    Required columns: ``ticker, curve, min_maturity, max_maturity, weighting, spread_source``;
    optional ``issue_tenors, issue_amounts`` (``;``-separated), ``call_horizon``, ``cpr``,
    ``components`` (``NAME:weight;...``). Other columns (e.g. ``index``, ``source``) are
    documentation. Raises InputError naming the file, row and ticker of a bad value.
    """
    missing = [c for c in MODEL_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file)
    specs: dict[str, ModelSpec] = {}
    for i, r in enumerate(table.fillna("").astype(str).to_dict("records")):  # a few dozen rows
        where = {"file": file, "row": i + 2, "ticker": r["ticker"].strip()}
        try:
            specs[where["ticker"]] = _spec_from_row({k: v.strip() for k, v in r.items()})
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc), **where) from exc
    return specs


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(";") if x.strip())


def _spec_from_row(r: dict[str, str]) -> ModelSpec:
    if r["curve"] not in CURVES:
        raise ValueError(f"curve {r['curve']!r} is not one of {', '.join(CURVES)}")
    if r["weighting"] not in WEIGHTINGS:
        raise ValueError(f"weighting {r['weighting']!r} is not one of {', '.join(WEIGHTINGS)}")
    if r["spread_source"] not in ("none", "trailing_yield"):
        raise ValueError(f"spread_source {r['spread_source']!r} is not none or trailing_yield")
    comps: tuple[tuple[str, float], ...] = ()
    lo = hi = float("nan")
    if r["weighting"] == "blend":
        parts = [p.split(":") for p in r.get("components", "").split(";") if p.strip()]
        comps = tuple((n.strip(), float(w)) for n, w in parts)
        if not comps or abs(sum(w for _, w in comps) - 1) > 1e-9:
            raise ValueError("blend components must be NAME:weight;... with weights summing to 1")
    else:
        lo, hi = float(r["min_maturity"]), float(r["max_maturity"])
        if not 0 <= lo < hi <= 100:
            raise ValueError(f"maturity range {lo}..{hi} is not 0 <= min < max <= 100 years")
    tenors, amounts = _floats(r.get("issue_tenors", "")), _floats(r.get("issue_amounts", ""))
    if r["weighting"] == "issuance" and (not tenors or len(tenors) != len(amounts)):
        raise ValueError("issuance weighting needs issue_tenors and issue_amounts of equal length")
    cpr = float(r["cpr"]) if r.get("cpr") else None
    if r["weighting"] == "mbs" and (cpr is None or not 0 <= cpr < 1):
        raise ValueError("mbs weighting needs a cpr in [0, 1)")
    call = float(r["call_horizon"]) if r.get("call_horizon") else None
    if call is not None and call <= 0:
        raise ValueError(f"call_horizon {call} must be positive")
    return ModelSpec(
        ticker=r["ticker"],
        curve=r["curve"],
        min_maturity=lo,
        max_maturity=hi,
        weighting=r["weighting"],
        spread_source=r["spread_source"],
        issue_tenors=tenors,
        issue_amounts=amounts,
        call_horizon=call,
        cpr=cpr,
        components=comps,
    )


def duration_cross_check(
    model: pd.Series,
    empirical: pd.Series,
    group: pd.Series,
    bands: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag funds whose model and empirical durations disagree by more than their band.

    Parameters
    ----------
    model, empirical : Series
        ticker -> duration (years) on one month.
    group : Series
        ticker -> security-master group.
    bands : mapping, optional
        group -> tolerance as a fraction of the model duration; default :data:`CROSS_CHECK_BANDS`.

    Returns
    -------
    DataFrame
        ``ticker, group, model_duration, empirical_duration, difference, band, flagged`` for
        every ticker with both values; ``difference = empirical - model`` (years);
        ``band = max(BAND_FLOOR_YEARS, fraction × |model|)``; flagged when
        ``|difference| > band``.

    Notes
    -----
    Empirical rate betas of spread products sit below effective duration (spreads move against
    rates; muni and non-US yields move less than Treasuries), hence wider bands for them.
    """
    bands = dict(CROSS_CHECK_BANDS if bands is None else bands)
    both = pd.concat({"model_duration": model, "empirical_duration": empirical}, axis=1).dropna()
    g = group.reindex(both.index).fillna("")
    frac = g.map(lambda x: bands.get(x, bands["default"])).astype(float)
    out = both.assign(group=g)
    out["difference"] = out["empirical_duration"] - out["model_duration"]
    out["band"] = np.maximum(BAND_FLOOR_YEARS, frac * out["model_duration"].abs())
    out["flagged"] = out["difference"].abs() > out["band"]
    out = out.rename_axis("ticker").reset_index()
    cols = ["ticker", "group", "model_duration", "empirical_duration", "difference", "band"]
    return out[[*cols, "flagged"]].sort_values("ticker").reset_index(drop=True)


#: Cross-check tolerance by group, fraction of the model duration (credit/EM/muni wider).
CROSS_CHECK_BANDS: dict[str, float] = {
    "default": 0.20,
    "cash": 0.20,
    "treasury": 0.20,
    "tips": 0.25,
    "aggregate": 0.25,
    "mbs": 0.35,
    "ig_credit": 0.35,
    "international": 0.50,
    "em": 0.50,
    "muni": 0.60,
    "hy_credit": 0.70,
}
#: Smallest band, years (short funds: a few weeks of duration is noise).
BAND_FLOOR_YEARS = 0.5


def output_frames(
    model: pd.DataFrame, empirical: pd.DataFrame | None, decimals: int = 4
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the two output files from :func:`model_durations` rows and the empirical estimates.

    Parameters
    ----------
    model : DataFrame
        Output of :func:`model_durations`, already restricted to the rows to publish.
    empirical : DataFrame or None
        ``month, ticker, duration`` of the empirical estimator (left-joined; blank where absent).
    decimals : int
        Rounding of every figure (years / years²).

    Returns
    -------
    (DataFrame, DataFrame)
        ``month,ticker,duration,convexity,empirical_duration,method`` (method ``model``) and
        ``month,ticker,tenor,krd`` (tenor ``2y, 5y, 10y, 30y``).
    """
    dur = model[["month", "ticker", "duration", "convexity"]].copy()
    if empirical is not None:
        emp = empirical[["month", "ticker", "duration"]].rename(
            columns={"duration": "empirical_duration"}
        )
        dur = dur.merge(emp, on=["month", "ticker"], how="left")
    else:
        dur["empirical_duration"] = np.nan
    dur[["duration", "convexity", "empirical_duration"]] = dur[
        ["duration", "convexity", "empirical_duration"]
    ].round(decimals)
    dur["method"] = METHOD_LABEL
    krd = model.melt(
        id_vars=["month", "ticker"],
        value_vars=[f"krd_{k}" for k in KEY_LABELS],
        var_name="tenor",
        value_name="krd",
    )
    krd["tenor"] = krd["tenor"].str.removeprefix("krd_")
    order = {k: i for i, k in enumerate(KEY_LABELS)}
    krd = krd.assign(_o=krd["tenor"].map(order)).sort_values(["month", "ticker", "_o"])
    krd["krd"] = krd["krd"].round(decimals)
    return dur.reset_index(drop=True), krd.drop(columns="_o").reset_index(drop=True)
