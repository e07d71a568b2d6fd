"""Hostile but honest inputs over every command: exit 2, one line, nothing changed.

Each case edits a few input files of its own workspace (copy-on-write), runs one command
in-process and checks: the exit code; exactly one stderr line that names the file or flag and
the problem; no traceback; the earlier pack, ``index.html`` and the database unchanged and
nothing new written (``out/`` and the working folder hashed before and after); every input
byte-identical. Families (ids start with the family name): alias, nan, utf8, future, ticker,
config, path, empty, db, asof, cli.
"""

from __future__ import annotations

import re

import pytest
from helpers.hostile import run_cli, tree_digest

PACK = ["pack", "--data", "{tiny}", "--out", "{out}"]
VALIDATE = ["validate", "--data", "{tiny}"]
PACK_DEMO = ["pack", "--data", "{demo}", "--out", "{out}"]
BACKTEST = ["backtest", "--data", "{demo}", "--out", "{out}/bt"]
DCA = [
    "dca", "run", "--portfolio", "{pf}/dca.yaml", "--amount", "1000", "--frequency", "weekly",
    "--start", "2026-01-01", "--end", "2026-04-30", "--data", "{demo}", "--out", "{out}/dca",
    "--no-record",
]  # fmt: skip
REBAL = ["rebalance", "--portfolio", "{pf}/etf_tiered.yaml", "--no-record"]
PERF = ["performance", "--data", "{demo}"]
ASSETS = ["assets", "--data", "{demo}"]
DURATIONS = ["durations", "estimate", "--data", "{demo}", "--out", "{out}/dur.csv"]
HISTORY = ["history", "--db", "sqlite:///{out}/fimonitor.sqlite"]
METRICS = ["metrics", "--returns", "{tmp}/r.csv"]
UPDATE = ["prices", "update", "--data", "{tiny}", "--tickers", "TSY"]


def bomb(levels: int = 9) -> str:
    """A billion-laughs YAML document (about 1 KB; 9**9 strings when expanded)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def yaml_with_alias(text: str) -> str:
    """``text`` with an anchored value reused by an alias (the smallest alias use)."""
    return "x: &x 1\n" + text.replace("portfolio_name:", "portfolio_name: *x\nold_name:", 1)


def sub(old: str, new: str) -> object:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def append(line: str) -> object:
    return lambda text: text + line


def set_key(key: str, value: str) -> object:
    """monitor.yaml: replace the line that starts with ``key:``."""
    return lambda text: re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", text)


RETURNS = "date,return\n2024-01-02,0.01\n2024-01-03,-0.02\n2024-01-04,0.005\n"
R = ("tmp/r.csv", RETURNS)

# (id, edits [(file, change)], argv, exit code, pattern in the one stderr line)
CASES: list[tuple[str, list, list[str], int, str]] = [
    # ---- alias: YAML alias bombs and plain aliases in every YAML file read
    (
        "alias-monitor-pack",
        [("tiny/monitor.yaml", append(bomb()))],
        PACK,
        2,
        r"monitor\.yaml: row \d+: uses a YAML alias",
    ),
    (
        "alias-monitor-validate",
        [("tiny/monitor.yaml", append(bomb()))],
        VALIDATE,
        2,
        r"monitor\.yaml.*YAML alias",
    ),
    (
        "alias-monitor-small",
        [("tiny/monitor.yaml", yaml_with_alias)],
        PACK,
        2,
        r"monitor\.yaml: row \d+: uses a YAML alias",
    ),
    (
        "alias-monitor-perf",
        [("demo/monitor.yaml", append(bomb()))],
        PERF,
        2,
        r"monitor\.yaml.*YAML alias",
    ),
    (
        "alias-monitor-assets",
        [("demo/monitor.yaml", append(bomb()))],
        ASSETS,
        2,
        r"monitor\.yaml.*YAML alias",
    ),
    (
        "alias-monitor-backtest-rules",
        [("demo/monitor.yaml", append(bomb()))],
        [*BACKTEST, "--rules"],
        2,
        r"monitor\.yaml.*YAML alias",
    ),
    ("alias-portfolio-dca", [("pf/dca.yaml", append(bomb()))], DCA, 2, r"dca\.yaml.*YAML alias"),
    (
        "alias-portfolio-rebalance",
        [("pf/etf_tiered.yaml", append(bomb()))],
        REBAL,
        2,
        r"etf_tiered\.yaml.*YAML alias",
    ),
    (
        "alias-targets-backtest",
        [("pf/targets.yaml", append(bomb()))],
        [*BACKTEST, "--targets", "{pf}/targets.yaml"],
        2,
        r"targets\.yaml.*YAML alias",
    ),
    (
        "alias-config-flag",
        [("tmp/rules.yaml", bomb())],
        [*PACK, "--config", "{tmp}/rules.yaml"],
        2,
        r"rules\.yaml.*YAML alias",
    ),
    # ---- nan: NaN / inf / out of range in YAML, CSV and flags
    (
        "nan-threshold-warn",
        [("tiny/monitor.yaml", sub("{warn: 0.35, breach: 0.45}", "{warn: .nan, breach: 0.45}"))],
        PACK,
        2,
        r"monitor\.yaml: rules\.max_single_name_weight\.warn must be a finite number, got nan",
    ),
    (
        "nan-threshold-breach-inf",
        [("tiny/monitor.yaml", sub("{warn: 0.50, breach: 1.00}", "{warn: 0.5, breach: .inf}"))],
        PACK,
        2,
        r"rules\.duration_gap\.breach must be a finite number",
    ),
    (
        "nan-threshold-validate",
        [("tiny/monitor.yaml", sub("{warn: 0.20, breach: 0.10}", "{warn: .NaN, breach: 0.10}"))],
        VALIDATE,
        2,
        r"min_cash_weight\.warn must be a finite number",
    ),
    (
        "nan-group-threshold",
        [
            (
                "tiny/monitor.yaml",
                sub(
                    "hy_credit: {warn: 0.15, breach: 0.20}", "hy_credit: {warn: .nan, breach: 0.20}"
                ),
            )
        ],
        PACK,
        2,
        r"group_max_weight\.hy_credit\.warn must be a finite number",
    ),
    (
        "nan-rebalance-cap",
        [
            (
                "tiny/monitor.yaml",
                sub("max_single_name_weight: 0.45", "max_single_name_weight: .nan"),
            )
        ],
        PACK,
        2,
        r"rebalance\.max_single_name_weight must be a finite number",
    ),
    (
        "nan-group-cap-inf",
        [
            (
                "tiny/monitor.yaml",
                sub("group_caps: {hy_credit: 0.10}", "group_caps: {hy_credit: .inf}"),
            )
        ],
        PACK,
        2,
        r"rebalance\.group_caps\.hy_credit must be a finite number",
    ),
    (
        "nan-risk-free",
        [("tiny/monitor.yaml", append("risk_free_rate: .nan\n"))],
        PACK,
        2,
        r"risk_free_rate must be a finite number",
    ),
    (
        "nan-turnover",
        [("tiny/monitor.yaml", sub("max_turnover: null", "max_turnover: -.inf"))],
        PACK,
        2,
        r"rebalance\.max_turnover must be a finite number",
    ),
    (
        "nan-lookback",
        [("tiny/monitor.yaml", set_key("lookback_weeks", ".nan"))],
        PACK,
        2,
        r"lookback_weeks must be a whole number from 1 to 5,200",
    ),
    (
        "nan-prices-inf",
        [("tiny/prices.csv", sub("2024-01-30,TSY,101.0,101.0", "2024-01-30,TSY,inf,101.0"))],
        PACK,
        2,
        r"prices\.csv: row 3, ticker TSY, column close: close 'inf' is not a number",
    ),
    (
        "nan-prices-nan-validate",
        [("tiny/prices.csv", sub("2024-01-30,TSY,101.0,101.0", "2024-01-30,TSY,101.0,NaN"))],
        VALIDATE,
        2,
        r"prices\.csv: row 3.*adj_close 'NaN' is not a number",
    ),
    (
        "nan-transactions-shares",
        [("tiny/transactions.csv", sub("TSY,BUY,400,100,10", "TSY,BUY,inf,100,10"))],
        PACK,
        2,
        r"transactions\.csv: row 3.*shares 'inf' is not a number",
    ),
    (
        "nan-transactions-price",
        [("tiny/transactions.csv", sub("IGC,BUY,600,50,5", "IGC,BUY,600,-inf,5"))],
        PACK,
        2,
        r"transactions\.csv: row 4.*price '-inf' is not a number",
    ),
    (
        "nan-benchmark-weight",
        [("tiny/benchmark_weights.csv", sub("IGC,30", "IGC,nan"))],
        PACK,
        2,
        r"benchmark_weights\.csv: row 3.*weight 'nan' is not a number",
    ),
    (
        "nan-duration",
        [("tiny/duration_monthly.csv", sub("2024-01,TSY,6", "2024-01,TSY,inf"))],
        VALIDATE,
        2,
        r"duration_monthly\.csv: row 2.*duration 'inf' is not a number",
    ),
    (
        "nan-dca-amount-inf",
        [],
        [*DCA[:5], "inf", *DCA[6:]],
        2,
        r"argument --amount: 'inf' is not a finite number",
    ),
    (
        "nan-dca-amount-nan",
        [],
        [*DCA[:5], "nan", *DCA[6:]],
        2,
        r"argument --amount: 'nan' is not a finite number",
    ),
    (
        "nan-dca-amount-negative",
        [],
        [*DCA[:5], "-5", *DCA[6:]],
        2,
        r"argument --amount: '-5' must be positive",
    ),
    (
        "nan-metrics-rf-nan",
        [R],
        [*METRICS, "--rf", "nan"],
        2,
        r"argument --rf: 'nan' is not a finite number",
    ),
    (
        "nan-metrics-rf-inf",
        [R],
        [*METRICS, "--rf", "inf"],
        2,
        r"argument --rf: 'inf' is not a finite number",
    ),
    (
        "nan-metrics-returns-inf",
        [("tmp/r.csv", RETURNS.replace("0.005", "inf"))],
        METRICS,
        2,
        r"r\.csv: row 4.*'inf' is not a number",
    ),
    (
        "nan-backtest-capital",
        [],
        [*BACKTEST, "--capital", "inf"],
        2,
        r"argument --capital: 'inf' is not a finite number",
    ),
    (
        "nan-backtest-rf",
        [],
        [*BACKTEST, "--rf", "nan"],
        2,
        r"argument --rf: 'nan' is not a finite number",
    ),
    (
        "nan-backtest-cost",
        [],
        [*BACKTEST, "--cost-bps", "-1"],
        2,
        r"argument --cost-bps: '-1' must not be negative",
    ),
    (
        "nan-backtest-contribution",
        [],
        [*BACKTEST, "--contribution", "nan"],
        2,
        r"argument --contribution: 'nan' is not a finite number",
    ),
    (
        "nan-portfolio-cash",
        [("pf/dca.yaml", sub("cash: 60000", "cash: .inf"))],
        DCA,
        2,
        r"dca\.yaml: cash must be a finite number, got inf",
    ),
    (
        "nan-portfolio-target",
        [("pf/dca.yaml", sub("SPY: 40", "SPY: .nan"))],
        DCA,
        2,
        r"dca\.yaml: targets\.SPY must be a finite number, got nan",
    ),
    (
        "nan-rebalance-target",
        [("pf/etf_tiered.yaml", sub("{SPY: 40", "{SPY: .nan"))],
        REBAL,
        2,
        r"etf_tiered\.yaml: targets\.SPY must be a finite number, got nan",
    ),
    # ---- utf8: a byte that is not UTF-8 in any YAML or CSV file
    (
        "utf8-monitor-pack",
        [("tiny/monitor.yaml", lambda t: t.encode() + b"# caf\xe9\n")],
        PACK,
        2,
        r"monitor\.yaml: row \d+: not UTF-8 text \(byte 0xe9\)",
    ),
    (
        "utf8-monitor-validate",
        [("tiny/monitor.yaml", b"portfolio_name: caf\xe9\n")],
        VALIDATE,
        2,
        r"monitor\.yaml: row 1: not UTF-8 text",
    ),
    (
        "utf8-portfolio-dca",
        [("pf/dca.yaml", lambda t: t.encode() + b"# \xff\n")],
        DCA,
        2,
        r"dca\.yaml: row \d+: not UTF-8 text \(byte 0xff\)",
    ),
    (
        "utf8-portfolio-rebalance",
        [("pf/etf_tiered.yaml", lambda t: b"# \xc3\x28\n" + t.encode())],
        REBAL,
        2,
        r"etf_tiered\.yaml: row 1: not UTF-8 text",
    ),
    (
        "utf8-targets-backtest",
        [("pf/targets.yaml", b"targets: {AGG: 60, TLT: 40} # \x80\n")],
        [*BACKTEST, "--targets", "{pf}/targets.yaml"],
        2,
        r"targets\.yaml: row 1: not UTF-8 text",
    ),
    (
        "utf8-prices-csv",
        [("tiny/prices.csv", lambda t: t.encode() + b"2024-02-09,T\xffY,1,1\n")],
        PACK,
        2,
        r"prices\.csv: cannot be parsed as CSV",
    ),
    # ---- future: rows dated after today (the machine's date)
    (
        "future-prices-stray-row",
        [("tiny/prices.csv", append("2099-01-05,TSY,85.0,85.0\n"))],
        PACK,
        2,
        r"prices\.csv: row 52, ticker TSY, column date: date 2099-01-05 is in the future",
    ),
    (
        "future-prices-validate",
        [("tiny/prices.csv", append("2099-01-05,TSY,85.0,85.0\n"))],
        VALIDATE,
        2,
        r"prices\.csv: row 52.*in the future",
    ),
    (
        "future-prices-demo",
        [("demo/prices.csv", append("2099-01-05,TLT,85.0,85.0,85,85,85,100\n"))],
        PACK_DEMO,
        2,
        r"prices\.csv: row \d+, ticker TLT, column date: date 2099-01-05 is in the future",
    ),
    (
        "future-transactions",
        [("tiny/transactions.csv", append("2099-02-07,HYB,SELL,5,90,3\n"))],
        PACK,
        2,
        r"transactions\.csv: row 11, ticker HYB, column date: date 2099-02-07 is in the future",
    ),
    (
        "future-prices-backtest",
        [("demo/prices.csv", append("2099-01-05,TLT,85.0,85.0,85,85,85,100\n"))],
        BACKTEST,
        2,
        r"prices\.csv.*in the future",
    ),
    (
        "future-prices-update",
        [("tiny/prices.csv", append("2099-01-05,TSY,85.0,85.0\n"))],
        UPDATE,
        2,
        r"prices\.csv.*in the future",
    ),
    # ---- ticker: formulas, look-alikes and junk are never tickers
    (
        "ticker-formula-dca-target",
        [("pf/dca.yaml", sub("AAPL: 10", "\"=cmd|' /C calc'!A0\": 10"))],
        DCA,
        2,
        r"dca\.yaml: targets: ticker .* is not a valid ticker",
    ),
    (
        "ticker-formula-rebalance-holding",
        [
            (
                "pf/etf_tiered.yaml",
                lambda t: t.replace(
                    "holdings:", 'holdings:\n  "=HYPERLINK(1)": {shares: 1, price: 1}', 1
                ),
            )
        ],
        REBAL,
        2,
        r"etf_tiered\.yaml: holdings: ticker .* is not a valid ticker",
    ),
    (
        "ticker-plus-dca",
        [("pf/dca.yaml", sub("QQQ: 20", '"+QQQ": 20'))],
        DCA,
        2,
        r"ticker '\+QQQ' is not a valid ticker",
    ),
    (
        "ticker-at-prices",
        [("tiny/prices.csv", append("2024-02-09,@SUM,1,1\n"))],
        PACK,
        2,
        r"prices\.csv: row 52, column ticker: ticker '@SUM' is not a valid ticker",
    ),
    (
        "ticker-cyrillic-prices",
        [("tiny/prices.csv", append("2024-02-09,\u0422SY,1,1\n"))],
        VALIDATE,
        2,
        r"prices\.csv: row 52.*non-ASCII character 'Т' \(U\+0422",
    ),
    (
        "ticker-cyrillic-transactions",
        [("tiny/transactions.csv", sub("2024-02-07,HYB,SELL", "2024-02-07,HY\u0412,SELL"))],
        PACK,
        2,
        r"transactions\.csv: row 10.*non-ASCII character",
    ),
    (
        "ticker-cyrillic-dca",
        [("pf/dca.yaml", sub("SPY: 40", "SР\u0423: 40"))],
        DCA,
        2,
        r"dca\.yaml: targets: ticker .*non-ASCII",
    ),
    (
        "ticker-master-formula",
        [("tiny/security_master.csv", append("=1+2,Evil,treasury,x,AAA,false\n"))],
        VALIDATE,
        2,
        r"security_master\.csv: row 7.*not a valid ticker",
    ),
    (
        "ticker-benchmark-space",
        [("tiny/benchmark_weights.csv", sub("BMK,20", "B MK,20"))],
        PACK,
        2,
        r"benchmark_weights\.csv: row 4.*'B MK' is not a valid ticker",
    ),
    (
        "ticker-too-long",
        [("tiny/prices.csv", append("2024-02-09,ABCDEFGHIJKLMNOP,1,1\n"))],
        PACK,
        2,
        r"prices\.csv: row 52.*not a valid ticker",
    ),
    (
        "ticker-category-member",
        [
            (
                "pf/dca.yaml",
                lambda t: t.replace(
                    "targets: {SPY: 40",
                    "categories: {tech: ['-1+1']}\ntargets: {tech: 0, SPY: 40",
                    1,
                ),
            )
        ],
        DCA,
        2,
        r"dca\.yaml: categories\.tech: ticker '-1\+1' is not a valid ticker",
    ),
    # ---- config: ranges and bounded values
    (
        "config-lookback-huge",
        [("tiny/monitor.yaml", set_key("lookback_weeks", "10000000000"))],
        PACK,
        2,
        r"lookback_weeks must be a whole number from 1 to 5,200, got 10000000000",
    ),
    (
        "config-lookback-zero",
        [("tiny/monitor.yaml", set_key("lookback_weeks", "0"))],
        VALIDATE,
        2,
        r"lookback_weeks must be a whole number",
    ),
    (
        "config-risk-days-huge",
        [("tiny/monitor.yaml", append("risk_lookback_days: 99999999\n"))],
        PACK,
        2,
        r"risk_lookback_days must be a whole number from 1 to 25,200",
    ),
    (
        "config-stale-negative",
        [("tiny/monitor.yaml", append("max_stale_days: -1\n"))],
        PACK,
        2,
        r"max_stale_days must be a whole number",
    ),
    (
        "config-corr-csv-zero",
        [("tiny/monitor.yaml", append("correlations_csv_max_holdings: 0\n"))],
        PACK,
        2,
        r"correlations_csv_max_holdings must be a whole number from 1 to 1,000,000, got 0",
    ),
    (
        "config-name-huge",
        [("tiny/monitor.yaml", set_key("portfolio_name", "x" * 5000))],
        PACK,
        2,
        r"portfolio_name must be one line of 1 to 200 characters",
    ),
    (
        "config-name-mapping",
        [("tiny/monitor.yaml", set_key("portfolio_name", "{a: 1}"))],
        PACK,
        2,
        r"portfolio_name must be a text",
    ),
    (
        "config-threshold-string",
        [("tiny/monitor.yaml", sub("{warn: 0.35, breach: 0.45}", "{warn: lots, breach: 0.45}"))],
        PACK,
        2,
        r"warn must be a finite number, got 'lots'",
    ),
    (
        "config-long-value-cut",
        [
            (
                "tiny/monitor.yaml",
                sub("{warn: 0.35, breach: 0.45}", "{warn: " + "y" * 5000 + ", breach: 0.45}"),
            )
        ],
        PACK,
        2,
        r"warn must be a finite number, got 'y+…",
    ),
    (
        "config-bad-yaml",
        [("tiny/monitor.yaml", append("rules: [\n"))],
        PACK,
        2,
        r"monitor\.yaml: row \d+: not valid YAML",
    ),
    # ---- path: missing folders, files where folders are expected
    (
        "path-missing-data-pack",
        [],
        ["pack", "--data", "{tmp}/nope", "--out", "{out}"],
        2,
        r"--data folder .*nope does not exist",
    ),
    (
        "path-missing-data-validate",
        [],
        ["validate", "--data", "{tmp}/nope"],
        2,
        r"--data folder .*nope does not exist",
    ),
    (
        "path-missing-data-perf",
        [],
        ["performance", "--data", "{tmp}/nope"],
        2,
        r"--data folder .*nope does not exist",
    ),
    (
        "path-missing-data-assets",
        [],
        ["assets", "--data", "{tmp}/nope"],
        2,
        r"--data folder .*nope does not exist",
    ),
    (
        "path-missing-data-backtest",
        [],
        ["backtest", "--data", "{tmp}/nope", "--out", "{out}/bt"],
        2,
        r"data folder .*nope does not exist",
    ),
    (
        "path-missing-data-durations",
        [],
        ["durations", "estimate", "--data", "{tmp}/nope", "--out", "{out}/d.csv"],
        2,
        r"nope",
    ),
    (
        "path-missing-data-update",
        [],
        ["prices", "update", "--data", "{tmp}/nope", "--tickers", "TSY"],
        2,
        r"--data folder .*nope does not exist",
    ),
    (
        "path-data-is-file",
        [],
        ["pack", "--data", "{out}/index.html", "--out", "{out}"],
        2,
        r"--data folder .*index\.html is not a folder",
    ),
    (
        "path-out-is-file-pack",
        [],
        ["pack", "--data", "{tiny}", "--out", "{out}/index.html"],
        2,
        r"output folder .*index\.html.* is a file",
    ),
    (
        "path-out-is-file-backtest",
        [],
        ["backtest", "--data", "{demo}", "--out", "{out}/index.html"],
        2,
        r"index\.html.* is a file",
    ),
    (
        "path-out-is-file-dca",
        [],
        [*DCA[:-2], "{out}/index.html", "--no-record"],
        2,
        r"index\.html.* is a file",
    ),
    (
        "path-out-is-dir-durations",
        [],
        ["durations", "estimate", "--data", "{demo}", "--out", "{out}/20240209"],
        2,
        r"20240209 is a folder, expected a file name",
    ),
    (
        "path-missing-portfolio",
        [],
        ["rebalance", "--portfolio", "{tmp}/none.yaml", "--no-record"],
        2,
        r"none\.yaml: file not found",
    ),
    (
        "path-missing-config",
        [],
        [*PACK, "--config", "{tmp}/none.yaml"],
        2,
        r"none\.yaml: file not found",
    ),
    ("path-missing-returns", [], METRICS, 2, r"r\.csv: file not found"),
    # ---- empty: header-only and empty files
    (
        "empty-transactions-pack",
        [("tiny/transactions.csv", "date,ticker,action,shares,price,fees\n")],
        PACK,
        2,
        r"transactions\.csv: has no data rows",
    ),
    (
        "empty-transactions-demo",
        [("demo/transactions.csv", "date,ticker,action,shares,price,fees\n")],
        PACK_DEMO,
        2,
        r"transactions\.csv: has no data rows",
    ),
    (
        "empty-prices",
        [("tiny/prices.csv", "date,ticker,close,adj_close\n")],
        PACK,
        2,
        r"prices\.csv",
    ),
    (
        "empty-master",
        [("tiny/security_master.csv", "")],
        VALIDATE,
        2,
        r"security_master\.csv: file is empty",
    ),
    ("empty-returns", [("tmp/r.csv", "date,return\n")], METRICS, 2, r"r\.csv: has no data rows"),
    (
        "empty-weights",
        [R, ("tmp/w.csv", "ticker,weight\n")],
        [*METRICS, "--weights", "{tmp}/w.csv"],
        2,
        r"w\.csv: has no data rows",
    ),
    # ---- db: a database that cannot be written leaves pack, index and database as they were
    ("db-bad-url", [], [*PACK, "--db", "nosuchdialect://x/y"], 2, r"."),
    ("db-directory", [], [*PACK, "--db", "sqlite:///{out}/20240209"], 2, r"."),
    (
        "db-corrupt-file",
        [("tmp/bad.sqlite", b"this is not a database" * 100)],
        [*PACK, "--db", "sqlite:///{tmp}/bad.sqlite"],
        2,
        r".",
    ),
    (
        "db-postgres-no-server",
        [],
        [*PACK, "--db", "postgresql+psycopg://u:p@127.0.0.1:9/none"],
        2,
        r".",
    ),
    (
        "db-history-corrupt",
        [("tmp/bad.sqlite", b"garbage" * 300)],
        ["history", "--db", "sqlite:///{tmp}/bad.sqlite"],
        2,
        r".",
    ),
    # ---- asof
    (
        "asof-future",
        [],
        [*PACK, "--as-of", "2099-01-01"],
        2,
        r"as-of 2099-01-01 is after the last price date 2024-02-09",
    ),
    (
        "asof-garbage",
        [],
        [*PACK, "--as-of", "yesterday-ish"],
        2,
        r"--as-of 'yesterday-ish' is not a date",
    ),
    ("asof-huge-text", [], [*PACK, "--as-of", "9" * 20000], 2, r"--as-of .*…"),
    (
        "asof-before-position",
        [],
        [*PACK, "--as-of", "2023-06-01"],
        2,
        r"before the first position 2024-01-29",
    ),
    (
        "asof-missed-session",
        [],
        [*PACK, "--as-of", "2024-02-12"],
        2,
        r"as-of 2024-02-12 is after the last price date 2024-02-09",
    ),
    ("asof-assets", [], [*ASSETS, "--as-of", "2099-01-01"], 2, r"after the last price date"),
    # ---- cli: usage errors are one line too
    ("cli-unknown-option", [], [*PACK, "--frobnicate"], 2, r"unrecognized arguments: --frobnicate"),
    ("cli-bad-engine", [], [*PACK, "--engine", "rocket"], 2, r"argument --engine: invalid choice"),
    (
        "cli-dca-frequency",
        [],
        [*DCA[:7], "hourly", *DCA[8:]],
        2,
        r"argument --frequency: invalid choice",
    ),
]

FAMILIES = sorted({c[0].split("-")[0] for c in CASES})


@pytest.mark.parametrize(
    ("name", "edits", "argv", "code", "pattern"), CASES, ids=[c[0] for c in CASES]
)
def test_hostile_input(ws, capsys, name, edits, argv, code, pattern):
    for rel, change in edits:
        ws.edit(rel, change)
    inputs = ws.inputs_digest()
    out_before = tree_digest(ws.out)
    tmp_before = tree_digest(ws.root / "tmp")
    got, _, err = run_cli([ws.fmt(a) for a in argv], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert "error" in lines[0]
    assert len(lines[0]) < 600, lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert "[SQL:" not in lines[0] and "sqlalche.me" not in lines[0]
    assert tree_digest(ws.out) == out_before, "the earlier pack, index or database changed"
    assert tree_digest(ws.root / "tmp") == tmp_before, "something was written"
    assert ws.inputs_digest() == inputs, "an input changed"


def test_case_count_per_family():
    """At least 80 hostile cases, in every family, over every command."""
    counts = {f: sum(c[0].startswith(f + "-") for c in CASES) for f in FAMILIES}
    assert sum(counts.values()) == len(CASES) >= 80, counts
    commands = {c[2][0] for c in CASES} | {" ".join(c[2][:2]) for c in CASES}
    for cmd in ("pack", "validate", "rebalance", "dca run", "backtest", "metrics", "history",
                "prices update", "durations estimate", "performance", "assets"):  # fmt: skip
        assert cmd in commands, cmd
