"""The backtest chart: equity curves and drawdowns of each policy (a Figure, never saved here)."""

from __future__ import annotations

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from fimonitor.backtest.engine import BacktestResult

COLOURS = {
    "buy_and_hold": "#7F7F7F",
    "calendar_monthly": "#4A90C2",
    "calendar_quarterly": "#1F4E79",
    "calendar_annual": "#2E7D32",
    "threshold_5": "#E69F00",
    "tiered": "#C0392B",
}


def equity_figure(result: BacktestResult, *, title: str | None = None) -> Figure:
    """Two panels: portfolio value per policy (currency) and drawdown (% of the peak).

    The drawdown is that of the time-weighted wealth index, so contributions do not hide it.
    """
    eq = result.equity
    dd = result.drawdowns
    start, end = eq.index[0], eq.index[-1]
    fig = Figure(figsize=(11.0, 7.0), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1.0))
    for name in eq.columns:
        colour = COLOURS.get(name)
        ax1.plot(eq.index, eq[name], lw=1.1, color=colour, label=name)
        ax2.plot(dd.index, dd[name], lw=0.9, color=colour, label=name)
    contrib = ""
    if len(result.contributions):
        contrib = (
            f"; contributions {result.contributions.iloc[0]:,.0f} × {len(result.contributions)}"
        )
    fig.suptitle(
        title or f"Rebalancing policies backtest, {start:%Y-%m-%d} to {end:%Y-%m-%d}",
        fontsize=13,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    ax1.set_title(
        f"Portfolio value (currency) — capital {result.capital:,.0f}, "
        f"costs {result.cost_bps:g} bp of traded notional, {len(result.targets)} tickers{contrib}",
        fontsize=9,
        loc="left",
    )
    ax1.set_ylabel("value (currency)")
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax1.legend(loc="best", ncols=3, fontsize=8, frameon=False)
    ax1.grid(True, lw=0.4, color="#DDDDDD")
    ax2.set_title(
        "Drawdown from the running peak (% of peak, time-weighted)", fontsize=9, loc="left"
    )
    ax2.set_ylabel("drawdown (%)")
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax2.set_xlabel("date")
    ax2.grid(True, lw=0.4, color="#DDDDDD")
    loc = mdates.AutoDateLocator()
    ax2.xaxis.set_major_locator(loc)
    ax2.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    return fig
