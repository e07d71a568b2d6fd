"""Page 3 chart: active weights of the rebalance scenarios (frames in, Axes out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.figures import (
    SCENARIOS,
    Thresholds,
    exact_digits,
    new_axes,
    pct_axis,
    rule_limits,
    shown_text,
)

# ---------------------------------------------------------------------------------------------
# Page 3 charts
# ---------------------------------------------------------------------------------------------


def scenario_active_chart(
    comparison: pd.DataFrame,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
    top_n: int = 15,
    as_of: object = None,
) -> Axes:
    """Draw grouped bars of active weight per ticker for PRE, POST_MIN, POST_BM and POST_CONS.

    Tickers are the ``top_n`` largest |PRE active weight|; warn/breach limits drawn as lines.
    POST_BM is drawn as diamond markers on its value (≈ 0: "at benchmark"), so it stays
    visible where a bar would have zero height.
    """
    ax = new_axes(ax)
    wide = comparison.pivot_table(
        index="ticker", columns="scenario", values="active_weight", aggfunc="first"
    )
    if "PRE" in wide:
        order = wide["PRE"].abs().sort_values(ascending=False).index
    else:
        order = wide.abs().max(axis=1).sort_values(ascending=False).index
    total = len(order)
    tickers = list(order[:top_n])
    x = np.arange(len(tickers))
    present = [s for s in SCENARIOS if s in wide.columns]
    bars = [s for s in SCENARIOS if s != "POST_BM"]
    w = 0.8 / len(bars)
    for k, s in enumerate(bars):
        off = (k - (len(bars) - 1) / 2) * w
        if s in present:
            ax.bar(
                x + off,
                wide.loc[tickers, s].to_numpy(dtype=float),
                width=w,
                color=style.SCENARIO_COLOURS[s],
                label=s,
                gid=f"bars:{s}",
            )
        else:
            ax.bar([0], [0], width=0, color=style.SCENARIO_COLOURS[s], label=f"{s} (not computed)")
    if "POST_BM" in present:
        ax.plot(
            x,
            wide.loc[tickers, "POST_BM"].to_numpy(dtype=float),
            ls="none",
            marker="D",
            ms=3.5,
            mfc="white",
            mec=style.SCENARIO_COLOURS["POST_BM"],
            mew=1.1,
            label="POST_BM (at benchmark ≈ 0)",
            gid="markers:POST_BM",
            zorder=3,
        )
    warn, breach = rule_limits(thresholds, "active_weight")
    for lim, colour in ((warn, style.WARN), (breach, style.BREACH)):
        if lim is not None:
            for sgn in (-1, 1):
                ax.axhline(sgn * lim, color=colour, lw=0.8, ls="--")
    ax.axhline(0, color=style.TEXT, lw=0.6)
    ax.set_xticks(x, tickers, rotation=0 if len(tickers) <= 16 else 45)
    pct_axis(ax.yaxis, 0, signed=True)
    ax.set_ylabel("Active weight (% of market value)")
    lims = ", ".join(
        f"±{fmt.pct(v, exact_digits([v * 100]))} {n}"
        for v, n in ((warn, "warn"), (breach, "breach"))
        if v is not None
    )
    ax.set_xlabel(
        "Ticker (largest |active weight| before rebalancing first)"
        + (f" · dashed: {lims}" if lims else "")
    )
    ax.set_title(
        "Active weights before and after rebalancing — "
        + shown_text(len(tickers), total, "tickers")
    )
    ax.grid(axis="x", visible=False)
    ax.legend(
        loc="upper right",
        ncol=2,
        fontsize=6.3,
        frameon=True,
        facecolor="white",
        edgecolor="#CCCCCC",
        framealpha=0.95,
    )
    return ax
