"""build_pack(...) -> Pack: the one entry point both engines (CLI and notebook) call.

Stages: resolve the as-of date -> check the as-of inputs -> history panels from the first
transaction to the as-of date -> alerts on every date (one pass) -> the as-of tables, weekly
trend, drivers, changes since the previous pack, data quality -> rebalance scenarios -> risk.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor import __version__
from fimonitor.analytics import pack_tables
from fimonitor.analytics.exposures import History, compute_history, exposure_table, positions_on
from fimonitor.config import MonitorConfig, load_config
from fimonitor.data.asof import AsOf, last_valid_dates, resolve_book_as_of
from fimonitor.data.book import CASH, Book
from fimonitor.data.loaders import KEY_RATES_FILE, choose_primary, load_book
from fimonitor.data.quality import stale_tickers
from fimonitor.errors import AsOfError, DataGapError, InputError, StoreError
from fimonitor.fileio import sha256_file
from fimonitor.paths import default_data_dir, default_output_dir
from fimonitor.rebalance.scenarios import run_rebalances
from fimonitor.report.write import write_pack
from fimonitor.results import ALERT_COLUMNS, POSITION_COLUMNS, Pack
from fimonitor.rules.engine import counts, evaluate
from fimonitor.rules.weekly import drivers_by_rule, drivers_by_ticker, weekly_trend
from fimonitor.store.db import Store, open_store, record_pack, snapshots
from fimonitor.store.targets import targets_from_monitor

log = logging.getLogger(__name__)

DURATION_HISTORY_DAYS = 365  # calendar days shown on page 1


def resolve_as_of(
    book: Book, as_of: str | pd.Timestamp | None = "latest", max_stale: int = 5
) -> AsOf:
    """:func:`fimonitor.data.asof.resolve_book_as_of` (``latest`` = last date fully priced)."""
    return resolve_book_as_of(book, as_of, max_stale_sessions=max_stale)


def check_as_of(
    book: Book, history: History, as_of: pd.Timestamp, max_stale_days: int
) -> list[tuple[str, str, str]]:
    """Raise when a held ticker has no usable price or duration on the as-of date.

    Returns data-quality notes (stale prices and durations) for the pack.
    """
    notes: list[tuple[str, str, str]] = []
    held = history.shares.loc[as_of]
    held = held[(held != 0) & (held.index != CASH)].index
    bench = history.benchmark.loc[as_of]
    needed = held.union(bench[bench > 0].index)
    px = history.prices.loc[as_of, needed]
    if px.isna().any():
        t = px.index[px.isna()][0]
        raw = book.close[t].loc[:as_of].dropna()
        last = f"its last close is {raw.index[-1].date()}" if len(raw) else "it has no close"
        raise DataGapError(
            f"no price on the as-of date {as_of.date()} ({last}, more than "
            f"{max_stale_days} trading days old)",
            file="prices.csv",
            ticker=t,
        )
    dur = history.durations.loc[as_of, needed]
    if dur.isna().any():
        t = dur.index[dur.isna()][0]
        raise DataGapError(
            f"no duration for {as_of:%Y-%m} or any earlier month",
            file="duration_monthly.csv",
            ticker=t,
        )
    # stale prices: last real close before the as-of date
    stale = stale_tickers(book.close, list(needed), as_of)
    for t, d, lag in zip(
        stale["ticker"], stale["last_price_date"], stale["sessions_stale"], strict=True
    ):
        notes.append(
            (
                "WARN",
                "stale price",
                f"{t}: last close {d.date()}, {lag} NYSE session(s) "
                "before the as-of date; valued at it",
            )
        )
    later = book.transactions[book.transactions["date"] > as_of]
    if len(later):
        first = later.iloc[0]
        notes.append(
            (
                "WARN",
                "transactions after as-of",
                f"{len(later)} transaction(s) dated after {as_of.date()} are not in this pack "
                f"(first: row {int(first['row'])}, {first['date'].date()})",
            )
        )
    # stale durations: the latest month on file is older than the as-of month
    dmonths = book.durations.reindex(columns=needed)
    last_month = last_valid_dates(dmonths)
    old = last_month[last_month < as_of.to_period("M").to_timestamp()]
    for t, m in old.items():
        months = (as_of.to_period("M") - m.to_period("M")).n
        sev = "BREACH" if months > 3 else "WARN"
        notes.append(
            (
                sev,
                "stale duration",
                f"{t}: latest duration is for {m:%Y-%m} ({months} month(s) old)",
            )
        )
    return notes


def _summary(
    pack_date: pd.Timestamp,
    h: History,
    positions: pd.DataFrame,
    n_b: int,
    n_w: int,
    prev: tuple[int, int] | None,
    prev_date: pd.Timestamp | None,
    stale: list[str],
    name: str,
) -> pd.DataFrame:
    d = pack_date
    rows: list[tuple[str, object]] = [
        ("as_of", d.date().isoformat()),
        ("portfolio_name", name),
        ("market_value", float(h.total_value.loc[d])),
        ("cash", float(h.market_value.loc[d, CASH])),
        ("cash_weight", float(h.cash_weight.loc[d])),
        ("benchmark_cash_weight", float(h.benchmark_cash_weight.loc[d])),
        ("portfolio_duration", float(h.portfolio_duration.loc[d])),
        ("benchmark_duration", float(h.benchmark_duration.loc[d])),
        ("duration_gap", float(h.duration_gap.loc[d])),
        ("portfolio_dv01", float(h.portfolio_dv01.loc[d])),
        ("benchmark_dv01", float(h.total_value.loc[d] * h.benchmark_duration.loc[d] * 1e-4)),
        ("n_breach", n_b),
        ("n_warn", n_w),
        ("n_holdings", int(((positions["shares"] != 0) & (positions["ticker"] != CASH)).sum())),
        ("sum_abs_active_weight", float(positions["active_weight"].abs().sum())),
        ("previous_as_of", prev_date.date().isoformat() if prev_date is not None else ""),
        ("n_breach_prev", prev[0] if prev else np.nan),
        ("n_warn_prev", prev[1] if prev else np.nan),
        ("stale_prices", "; ".join(stale) if stale else "none"),
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def _changes(alerts: pd.DataFrame, today: pd.Timestamp, prev: pd.Timestamp | None) -> pd.DataFrame:
    cols = ["status", "rule", "ticker", "severity", "previous_severity", "value", "since"]
    now = alerts[alerts["date"] == today].set_index(["rule", "ticker"])
    before = (
        alerts[alerts["date"] == prev].set_index(["rule", "ticker"])
        if prev is not None
        else now.iloc[0:0]
    )
    keys = now.index.union(before.index)
    if len(keys) == 0:
        return pd.DataFrame(columns=cols)
    now_r, before_r = now.reindex(keys), before.reindex(keys)
    status = np.where(
        now_r["severity"].isna(),
        "cured",
        np.where(before_r["severity"].isna(), "new", "persisting"),
    )
    out = pd.DataFrame(
        {
            "status": status,
            "rule": keys.get_level_values(0),
            "ticker": keys.get_level_values(1),
            "severity": now_r["severity"].fillna("").to_numpy(),
            "previous_severity": before_r["severity"].fillna("").to_numpy(),
            "value": now_r["value"].to_numpy(),
            "since": now_r["since"].to_numpy(),
        }
    )
    order = pd.Categorical(out["status"], ["new", "persisting", "cured"], ordered=True)
    return (
        out.assign(_o=order)
        .sort_values(["_o", "rule", "ticker"])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _moves(
    h: History, today: pd.Timestamp, prev: pd.Timestamp | None, top: int = 5
) -> pd.DataFrame:
    cols = ["item", "metric", "previous", "current", "change"]
    if prev is None:
        return pd.DataFrame(columns=cols)
    rows = [
        (
            "portfolio",
            "portfolio_duration",
            h.portfolio_duration.loc[prev],
            h.portfolio_duration.loc[today],
        ),
        ("portfolio", "duration_gap", h.duration_gap.loc[prev], h.duration_gap.loc[today]),
        ("portfolio", "portfolio_dv01", h.portfolio_dv01.loc[prev], h.portfolio_dv01.loc[today]),
        ("portfolio", "cash_weight", h.cash_weight.loc[prev], h.cash_weight.loc[today]),
    ]
    act = h.active
    delta = (act.loc[today] - act.loc[prev]).abs().sort_values(ascending=False, kind="stable")
    for t in delta.index[:top]:
        if delta[t] > 0:
            rows.append((t, "active_weight", act.loc[prev, t], act.loc[today, t]))
    dv = h.dv01
    ddelta = (dv.loc[today] - dv.loc[prev]).abs().sort_values(ascending=False, kind="stable")
    for t in ddelta.index[:3]:
        if ddelta[t] > 0:
            rows.append((t, "dv01", dv.loc[prev, t], dv.loc[today, t]))
    out = pd.DataFrame(rows, columns=cols[:4])
    out["change"] = out["current"] - out["previous"]
    return out


def _thresholds(config: MonitorConfig) -> dict:
    r = config.rules

    def pair(t):
        return None if t is None else (t.warn, t.breach)

    return {
        "max_single_name_weight": pair(r.max_single_name_weight),
        "min_cash_weight": pair(r.min_cash_weight),
        "duration_gap": pair(r.duration_gap),
        "active_weight": pair(r.active_weight),
        "group_max_weight": {g: pair(t) for g, t in r.group_max_weight.items()},
        "key_rate_dv01": pair(r.key_rate_dv01),
    }


def benchmark_returns(book: Book, h: History, dates: pd.DatetimeIndex) -> pd.Series:
    """Σ benchmark weight (in effect the day before) × daily adj_close return of each ticker."""
    return pack_tables.primary_benchmark_returns(book, h, dates)


def select_benchmark(book: Book, config: MonitorConfig) -> Book:
    """The book with ``benchmark`` = the configured primary (``benchmarks.primary``).

    Several benchmarks in ``benchmark_weights.csv`` and no primary, or a primary the file does
    not have, is a :class:`~fimonitor.errors.ConfigError` naming the rules file and the names.
    """
    name = choose_primary(book.benchmarks, config.benchmark_primary, config_file=config.source)
    if name == book.benchmark_name:
        return book
    return replace(book, benchmark=book.benchmarks[name], benchmark_name=name)


def previous_date(
    h: History, d: pd.Timestamp, previous_as_of: str | pd.Timestamp | None
) -> pd.Timestamp | None:
    """The date "what changed" compares with.

    ``previous_as_of`` (the latest earlier pack, see :func:`previous_pack_date`) when it is a
    history date before ``d``; otherwise the last history date at least 7 calendar days before
    ``d`` (the week-earlier date); None when there is none.
    """
    if previous_as_of is not None:
        p = pd.Timestamp(previous_as_of).normalize()
        if p < d and p in h.dates:
            return p
        log.info("previous pack %s is not a history date before %s", p.date(), d.date())
    week = h.dates[h.dates <= d - pd.Timedelta(days=7)]
    return week[-1] if len(week) else None


def build_pack(
    book: Book,
    config: MonitorConfig,
    as_of: str | pd.Timestamp = "latest",
    *,
    with_risk: bool = True,
    with_rebalance: bool = True,
    previous_as_of: str | pd.Timestamp | None = None,
) -> Pack:
    """Compute everything one monitoring pack shows for ``as_of`` (see :class:`Pack`).

    ``previous_as_of``: the as-of of the previous pack, compared with in ``changes``, ``moves``
    and ``summary`` (see :func:`previous_date`; None = the week-earlier date).
    """
    book = select_benchmark(book, config)
    resolved = resolve_as_of(book, as_of, config.max_stale_days)
    d = resolved.date
    h = compute_history(book, end=d, max_stale_days=config.max_stale_days)
    if d not in h.dates:
        raise AsOfError(f"as-of {d.date()} is before the first position", file="transactions.csv")
    dq = list(book.notes) + check_as_of(book, h, d, config.max_stale_days)
    if resolved.note:
        dq.append(("WARN", "as-of moved", resolved.note))
    if config.rules.key_rate_dv01 is not None and book.key_rates is None:
        dq.append(("WARN", "rule not evaluated", f"key_rate_dv01: no {KEY_RATES_FILE}"))

    alerts_all = evaluate(h, config.rules, book.key_rates)
    window_start = d - pd.Timedelta(weeks=config.lookback_weeks)
    in_window = h.dates[h.dates > window_start]
    hist = alerts_all[alerts_all["date"] > window_start].reset_index(drop=True)
    today = alerts_all[alerts_all["date"] == d].reset_index(drop=True)
    n_b, n_w = counts(today)

    prev = previous_date(h, d, previous_as_of)
    prev_counts = counts(alerts_all[alerts_all["date"] == prev]) if prev is not None else None

    positions = positions_on(h, d)
    stale = [item[2].split(":")[0] for item in dq if item[1] == "stale price"]
    summary = _summary(d, h, positions, n_b, n_w, prev_counts, prev, stale, config.portfolio_name)

    dh_start = d - pd.Timedelta(days=DURATION_HISTORY_DAYS)
    duration_history = pd.DataFrame(
        {
            "portfolio_duration": h.portfolio_duration,
            "benchmark_duration": h.benchmark_duration,
            "duration_gap": h.duration_gap,
        }
    ).loc[dh_start:d]

    rebalance = run_rebalances(positions, config, d) if with_rebalance else None
    if rebalance is not None and rebalance.status == "infeasible":
        dq.append(("WARN", "constrained rebalance infeasible", rebalance.diagnosis))
    extra = pack_tables.analytic_tables(book, h, positions, d, config)
    dq.extend(extra.pop("check"))
    rk = None
    if with_risk:
        rk = pack_tables.risk_tables(book, h, positions, d, config)
        corr = rk["corr"]
        if corr["note"]:
            dq.append(("WARN", "correlations.csv not written", corr["note"]))
        extra.update(
            risk_metrics=rk["risk_metrics"],
            correlations=corr["matrix"],
            rolling_correlations=corr["rolling"],
            rolling_risk=rk["rolling_risk"],
            benchmarks=rk["benchmarks"],
        )
    tables = {
        "sector_exposure": exposure_table(positions, "group"),
        "rating_exposure": exposure_table(positions, "rating_bucket"),
        "weekly": weekly_trend(hist, in_window),
        "drivers_rule": drivers_by_rule(hist),
        "drivers_ticker": drivers_by_ticker(hist),
        "changes": _changes(alerts_all, d, prev),
        "moves": _moves(h, d, prev),
    }
    # the correlation windows last (~500 MB at 5,000 holdings), once the history panels
    # (~300 MB) and the every-date alerts are no longer held
    del h, alerts_all
    if rk is not None:
        windows = pack_tables.correlation_window_tables(book, rk["held"], rk["returns"])
        extra.update(
            correlation_windows=windows["windows"],
            correlation_observations=windows["observations"],
        )

    return Pack(
        as_of=d,
        previous_as_of=prev,
        portfolio_name=config.portfolio_name,
        version=__version__,
        positions=positions,
        summary=summary,
        alerts=today,
        alerts_history=hist,
        duration_history=duration_history,
        data_quality=pd.DataFrame(dq, columns=["severity", "item", "detail"]),
        rebalance=rebalance,
        thresholds=_thresholds(config),
        display={
            "group_labels": dict(config.group_labels),
            "lookback_weeks": config.lookback_weeks,
        },
        inputs=file_hashes(book, config),
        **tables,
        **extra,
    )


def file_hashes(book: Book, config: MonitorConfig) -> dict[str, str]:
    """Input file name -> SHA-256 of its bytes (the books' files and the rules file)."""
    files = dict(book.files)
    if config.source is not None:
        files["config"] = Path(config.source)
    return {Path(p).name: sha256_file(p) for p in files.values() if Path(p).is_file()}


def load_inputs(
    data_dir: str | Path | None = None, config: str | Path | None = None
) -> tuple[Book, MonitorConfig]:
    """Load the book and the rules file (default ``<data_dir>/monitor.yaml``).

    ``data_dir`` None is :func:`fimonitor.paths.default_data_dir`.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    cfg = load_config(Path(config) if config else data_dir / "monitor.yaml")
    book = load_book(data_dir, cfg.benchmark_primary, config_file=cfg.source)
    return select_benchmark(book, cfg), cfg


def run_pack(
    as_of: str = "latest",
    data_dir: str | Path | None = None,
    config: str | Path | None = None,
    output_dir: str | Path | None = None,
    *,
    db: str | None = None,
    book: Book | None = None,
    monitor_config: MonitorConfig | None = None,
    render: bool = True,
    previous_as_of: str | pd.Timestamp | None = "auto",
    index: bool = True,
) -> Path:
    """Build and write one pack; returns the written ``OUT/YYYYMMDD`` folder.

    This is what the notebook and ``fimonitor pack --from`` batches call. ``data_dir`` None is
    :func:`fimonitor.paths.default_data_dir`; ``output_dir`` None is ``outputs/`` beside it.
    ``index`` False does not rewrite ``OUT/index.html`` (a batch writes it once at the end).

    Order: open the history database (a bad URL fails here, before anything is computed or
    written) -> find the previous pack (``previous_as_of="auto"``:
    :func:`previous_pack_date` over ``OUT`` and the database; a batch passes its own) ->
    build -> write the folder into a temporary folder -> record the database in one
    transaction -> put the folder in place. When the record fails, the temporary folder is
    removed and an earlier pack of that date stays.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(data_dir)
    if book is None or monitor_config is None:
        book, monitor_config = load_inputs(data_dir, config)
    url = db or default_db_url(Path(output_dir))
    store = open_history(url)
    try:
        if isinstance(previous_as_of, str) and previous_as_of == "auto":
            d = resolve_as_of(book, as_of, monitor_config.max_stale_days).date
            previous_as_of = previous_pack_date(output_dir, store, monitor_config.portfolio_name, d)
        pack = build_pack(book, monitor_config, as_of, previous_as_of=previous_as_of)
        note = as_of_note(pack)
        if note:
            log.warning("%s", note)
        return publish(pack, output_dir, store or url, monitor_config, render=render, index=index)
    finally:
        if store is not None:
            store.close()


def open_history(url: str) -> Store | None:
    """Open the history database before a pack is built: a bad URL fails here.

    An existing database is opened (and migrated); a SQLite file that does not exist yet
    returns None and is created when the pack is recorded, so that a run that fails on its
    inputs leaves nothing behind.
    """
    try:
        return open_store(url, create=False)
    except StoreError:
        raise
    except InputError:  # no SQLite file yet: nothing to read, created by the record
        return None


def publish(
    pack: Pack,
    output_dir: str | Path,
    store: Store | str,
    config: MonitorConfig | None = None,
    *,
    render: bool = True,
    engine: str = "direct",
    extra: dict[str, Path] | None = None,
    index: bool = True,
) -> Path:
    """Write the pack folder and record the database together (see :func:`run_pack`).

    The record runs in :func:`fimonitor.report.write.write_pack`'s ``commit`` hook:
    the complete folder is written to a temporary folder, the database records the pack in
    one transaction, then the folder replaces ``OUT/YYYYMMDD``.
    """
    return write_pack(
        pack,
        Path(output_dir),
        render=render,
        engine=engine,
        extra=extra,
        commit=lambda _tmp: record(pack, store, config),
        index=index,
    )


def existing_pack_dates(output_dir: str | Path, portfolio: str | None = None) -> list[pd.Timestamp]:
    """As-of dates of the packs in ``OUT``: ``OUT/YYYYMMDD/`` folders holding a manifest.

    A manifest naming another ``portfolio_name`` is skipped; an unreadable one counts (the
    folder is a pack). Sorted ascending.
    """
    out = []
    root = Path(output_dir)
    if not root.is_dir():
        return out
    for folder in root.iterdir():  # one entry per pack folder
        manifest = folder / "manifest.json"
        if not (len(folder.name) == 8 and folder.name.isdigit() and manifest.is_file()):
            continue
        try:
            day = pd.Timestamp(folder.name)
            name = json.loads(manifest.read_text()).get("portfolio_name")
        except (ValueError, OSError):
            continue
        if portfolio is None or name in (None, portfolio):
            out.append(day)
    return sorted(out)


def previous_pack_date(
    output_dir: str | Path, store: Store | str | None, portfolio: str, as_of: pd.Timestamp
) -> pd.Timestamp | None:
    """The latest as-of before ``as_of`` with a pack in ``OUT`` or a snapshot in the database.

    None when there is none (:func:`build_pack` then compares with the week-earlier date).
    """
    days = existing_pack_dates(output_dir, portfolio)
    if store is not None:
        days += [pd.Timestamp(x) for x in snapshots(store, portfolio)["as_of"]]
    earlier = [x for x in days if x < pd.Timestamp(as_of)]
    return max(earlier) if earlier else None


def existing_packs(output_dir: str | Path, db: str | None, portfolio: str) -> list[pd.Timestamp]:
    """As-of dates with a pack in ``OUT`` or a snapshot in the database (opened, not created)."""
    days = existing_pack_dates(output_dir, portfolio)
    store = open_history(db or default_db_url(Path(output_dir)))
    if store is not None:
        with store:
            days += [pd.Timestamp(x) for x in snapshots(store, portfolio)["as_of"]]
    return sorted(set(days))


def batch_previous(
    dates: list[pd.Timestamp], existing: list[pd.Timestamp]
) -> dict[pd.Timestamp, pd.Timestamp | None]:
    """Previous pack of each batch date, fixed before any pack of the batch is built.

    Each date's previous pack is the latest earlier date among the batch's own dates and the
    packs that ``existing`` (OUT and the database when the run starts) holds; None when none.
    """
    pool = pd.DatetimeIndex(sorted(set(dates) | set(existing)))
    out: dict[pd.Timestamp, pd.Timestamp | None] = {}
    for d in dates:  # a few dozen dates
        pos = pool.searchsorted(pd.Timestamp(d), side="left")
        out[d] = pool[pos - 1] if pos > 0 else None
    return out


def as_of_note(pack: Pack) -> str | None:
    """Return the note saying the requested as-of date was moved (weekend, holiday), or None."""
    moved = pack.data_quality[pack.data_quality["item"] == "as-of moved"]
    return str(moved["detail"].iloc[0]) if len(moved) else None


def default_db_url(out_dir: Path) -> str:
    """Return the default history database URL: ``sqlite:///OUT/fimonitor.sqlite``."""
    return f"sqlite:///{(Path(out_dir) / 'fimonitor.sqlite').as_posix()}"


def record(pack: Pack, url: str | Store, config: MonitorConfig | None = None) -> None:
    """Record the pack in the history database, one transaction (see ``docs/store.md``).

    Stored: the summary numbers, risk metrics, alerts, positions, allocation targets
    (:func:`~fimonitor.store.targets.targets_from_monitor`, when ``config`` is given),
    correlations per window with p-values and row counts, rolling correlations, rebalancing
    proposals with their orders, period returns, daily returns, attribution, asset metrics and
    the benchmark table.
    """
    perf = {
        m: v
        for m, v in zip(pack.summary["metric"], pack.summary["value"], strict=True)
        if isinstance(v, int | float | np.integer | np.floating)
    }
    rb = pack.rebalance
    daily = pack.daily_returns
    if not daily.empty:
        daily = daily[["date", "portfolio_return", "benchmark_return", "active_return"]]
    targets = targets_from_monitor(pack.positions, config) if config is not None else None

    def some(frame: pd.DataFrame) -> pd.DataFrame | None:
        return None if frame.empty else frame

    record_pack(
        url,
        portfolio_id=pack.portfolio_name,
        as_of=pack.as_of,
        performance=perf,
        risk_metrics=pack.risk_metrics,
        alerts=pack.alerts[ALERT_COLUMNS],
        positions=pack.positions[POSITION_COLUMNS],
        allocations=targets,
        allocations_source=Path(config.source).name if config and config.source else None,
        correlations=pack.correlation_windows or some(pack.correlations),
        correlation_observations=pack.correlation_observations or None,
        rolling_correlations=pack.rolling_correlations or None,
        rebalancing=rb.summary if rb is not None else None,
        rebalance_orders=rb.orders if rb is not None else None,
        period_returns=some(pack.performance),
        daily_returns=some(daily),
        attribution=some(pack.attribution),
        asset_metrics=some(pack.asset_metrics),
        benchmarks=some(pack.benchmarks),
    )


def batch_dates(
    book: Book, date_from: str, date_to: str | None = None, every: str = "week"
) -> list[pd.Timestamp]:
    """As-of dates of a batch: every price date, or the last one of each week (to Friday).

    Both ends are resolved with :func:`resolve_as_of`; the start is moved to the first
    transaction when earlier. An empty selection is an :class:`InputError`.
    """
    start = resolve_as_of(book, date_from).date
    end = resolve_as_of(book, date_to or "latest").date
    first = book.first_transaction_date
    if first is not None:
        start = max(start, pd.Timestamp(first))
    sel = book.dates[(book.dates >= start) & (book.dates <= end)]
    if len(sel) == 0:
        raise InputError(f"no trading dates between {date_from} and {date_to}")
    if every == "day":
        return list(sel)
    return list(pd.Series(sel, index=sel).groupby(sel.to_period("W-FRI")).max())
