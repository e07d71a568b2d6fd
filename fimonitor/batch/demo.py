"""``fimonitor demo-books``: N books derived from the demo book, on its real prices.

Every book shares one ``prices.csv`` (written once to ``OUT/_shared/`` and linked into each
book folder, or copied where links are not allowed), the demo security master and duration
file. What differs, drawn from a seeded generator so that the same ``n`` and ``seed`` give
the same files:

- the ledger: each ticker's trades, dividends and fees are scaled by an integer multiplier
  in {1, 2, 3} (so share counts stay whole), deposits and withdrawals by their mean weighted
  by net bought notional;
- the benchmark: one of three variants of the demo benchmark (``core``; ``short``, TLT and
  IEF moved to SHY and SGOV; ``credit``, GOVT moved to LQD and VCIT);
- the limits: each warn/breach pair of the demo rules scaled by a factor in
  {0.8, 1, 1.25, 1.5}; ``portfolio_name`` is the book's name.

With ``broken=True`` the last book's ledger gets a BUY of an unknown ticker (``ZZZZ``), an
input error that ``fimonitor batch`` reports while the other books complete.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from fimonitor.data.loaders import FILES
from fimonitor.errors import InputError
from fimonitor.fileio import atomic_write_text, read_yaml
from fimonitor.paths import default_data_dir

__all__ = ["BENCHMARK_VARIANTS", "BROKEN_TICKER", "write_demo_books"]

BROKEN_TICKER = "ZZZZ"
SHARED = "_shared"
LIMIT_FACTORS = (0.8, 1.0, 1.25, 1.5)
MULTIPLIERS = (1, 2, 3)
BENCHMARK_VARIANTS: dict[str, dict[str, dict[str, float]]] = {
    "core": {},
    "short": {"TLT": {"SHY": 1.0}, "IEF": {"SGOV": 0.5, "SHY": 0.5}},
    "credit": {"GOVT": {"LQD": 0.5, "VCIT": 0.5}},
}


def _benchmark(bench: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Move each source ticker's weight to its targets (weights still sum to 1 per date)."""
    out = bench.copy()
    for src, targets in BENCHMARK_VARIANTS[variant].items():
        moved = out["ticker"] == src
        for dst, share in targets.items():
            add = out.loc[moved, ["weight"]].mul(share)
            dst_rows = out["ticker"] == dst
            if dst_rows.any():
                out.loc[dst_rows, "weight"] = out.loc[dst_rows, "weight"].to_numpy() + float(
                    add["weight"].sum()
                )
        out = out[~moved]
    return out.assign(weight=out["weight"].round(10)).reset_index(drop=True)


def _ledger(tx: pd.DataFrame, mult: dict[str, int]) -> pd.DataFrame:
    """Scale trades, dividends and fees per ticker; cash flows by the mean multiplier.

    The mean is weighted by each ticker's net bought notional (BUY minus SELL, at least 0),
    so the scaled deposits pay for the scaled purchases and the cash weight stays near the
    demo book's.
    """
    out = tx.copy()
    trades = out["action"].isin(["BUY", "SELL"])
    sign = out["action"].map({"BUY": 1.0, "SELL": -1.0}).fillna(0.0)
    net = (sign * out["shares"].fillna(0) * out["price"]).groupby(out["ticker"]).sum().clip(0)
    net = net[net.index.isin(list(mult))]
    m_t = pd.Series(mult).reindex(net.index)
    mean = float((m_t * net).sum() / net.sum()) if net.sum() > 0 else 1.0
    m = out["ticker"].map(mult).astype(float).fillna(mean)
    out.loc[trades, "shares"] = (out.loc[trades, "shares"] * m[trades]).round()
    out.loc[trades, "fees"] = out.loc[trades, "fees"] * m[trades]
    other = ~trades
    out.loc[other, "price"] = out.loc[other, "price"] * m[other]
    return out


def _limits(raw: dict, factor: float, name: str) -> dict:
    cfg = dict(raw)
    cfg["portfolio_name"] = name
    rules = {}
    for key, pair in (raw.get("rules") or {}).items():
        if key == "group_max_weight":
            rules[key] = {
                g: {k: round(v * factor, 6) for k, v in p.items()} for g, p in pair.items()
            }
        elif isinstance(pair, dict) and {"warn", "breach"} <= set(pair):
            rules[key] = {k: round(float(v) * factor, 6) for k, v in pair.items()}
        else:
            rules[key] = pair
    cfg["rules"] = rules
    return cfg


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    try:
        os.symlink(os.path.relpath(src, dst.parent), dst)
    except OSError:
        shutil.copy2(src, dst)


def write_demo_books(
    out: str | Path,
    n: int = 20,
    *,
    broken: bool = False,
    seed: int = 17,
    source: str | Path | None = None,
) -> Path:
    """Write ``n`` demo books under ``out`` and ``out/books.yaml``; returns the YAML path.

    Parameters
    ----------
    out : str or Path
        The books folder (created; existing book folders of the same names are replaced).
    n : int
        Number of books (>= 1).
    broken : bool
        Give the last book a BUY of the unknown ticker ``ZZZZ``.
    seed : int
        Seed of the generator (same ``n`` and seed: same files).
    source : str, Path or None
        The demo input folder (default :func:`fimonitor.paths.default_data_dir`).

    Returns
    -------
    Path
        ``out/books.yaml``.
    """
    if n < 1:
        raise InputError(f"--n {n}: at least one book")
    src = Path(source) if source is not None else default_data_dir()
    out = Path(out)
    shared = out / SHARED
    shared.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / FILES["prices"], shared / FILES["prices"])
    tx = pd.read_csv(src / FILES["transactions"], dtype={"ticker": str}, keep_default_na=False)
    tx["shares"] = pd.to_numeric(tx["shares"], errors="coerce")
    bench = pd.read_csv(src / FILES["benchmark"])
    rules = read_yaml(src / "monitor.yaml")
    if "benchmark" in bench.columns:  # the demo's primary benchmark only: one per book
        primary = (rules.pop("benchmarks", None) or {}).get("primary") or bench["benchmark"].iloc[0]
        bench = bench[bench["benchmark"] == primary].drop(columns="benchmark")
    traded = sorted(t for t in tx["ticker"].unique() if t and t != "CASH")
    rng = np.random.default_rng(seed)
    variants = list(BENCHMARK_VARIANTS)
    entries = []
    width = len(str(n))
    for i in range(n):
        name = f"book_{i + 1:0{width}d}"
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        mult = dict(zip(traded, rng.choice(MULTIPLIERS, size=len(traded)).tolist(), strict=True))
        factor = float(rng.choice(LIMIT_FACTORS))
        variant = variants[i % len(variants)]
        for key in ("security_master", "durations"):
            shutil.copy2(src / FILES[key], folder / FILES[key])
        _link_or_copy(shared / FILES["prices"], folder / FILES["prices"])
        ledger = _ledger(tx, mult)
        if broken and i == n - 1:
            bad = ledger.iloc[[1]].assign(ticker=BROKEN_TICKER)
            ledger = pd.concat([ledger.iloc[:2], bad, ledger.iloc[2:]], ignore_index=True)
        ledger["shares"] = ledger["shares"].astype("Int64")
        ledger.to_csv(folder / FILES["transactions"], index=False, lineterminator="\n")
        _benchmark(bench, variant).to_csv(
            folder / FILES["benchmark"], index=False, lineterminator="\n"
        )
        atomic_write_text(
            folder / "monitor.yaml", yaml.safe_dump(_limits(rules, factor, name), sort_keys=False)
        )
        entries.append(
            {
                "name": name,
                "data": name,
                "config": f"{name}/monitor.yaml",
                "tags": [f"benchmark:{variant}", f"limits:x{factor:g}"],
            }
        )
    target = out / "books.yaml"
    atomic_write_text(target, yaml.safe_dump(entries, sort_keys=False))
    return target
