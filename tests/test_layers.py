"""The import direction of the package, checked on the source (``ast``), imports inside
functions included.

Layers, lowest first; a module may import from its own layer (no cycle) or any lower one::

    6  fimonitor.cli, fimonitor.commands, fimonitor.__main__
    5  pipeline, batch, api, engines
    4  report, store, notify, rebalance, policy, backtest
    3  rules
    2  analytics
    1  data
    0  config, errors, fileio, results, severity, dates, paths, exports, fimonitor (__init__)

The test fails on an import against that order, on any cycle between modules, and on a
private name (``_x``) imported from another module. The synthetic cases show that each
upward import and cycle found in the 0.1 review would fail it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fimonitor"

LAYERS: dict[str, int] = {
    "fimonitor": 0,
    "fimonitor.config": 0,
    "fimonitor.errors": 0,
    "fimonitor.fileio": 0,
    "fimonitor.results": 0,
    "fimonitor.severity": 0,
    "fimonitor.dates": 0,
    "fimonitor.paths": 0,
    "fimonitor.exports": 0,
    "fimonitor.data": 1,
    "fimonitor.analytics": 2,
    "fimonitor.rules": 3,
    "fimonitor.report": 4,
    "fimonitor.store": 4,
    "fimonitor.notify": 4,
    "fimonitor.rebalance": 4,
    "fimonitor.policy": 4,
    "fimonitor.backtest": 4,
    "fimonitor.pipeline": 5,
    "fimonitor.batch": 5,
    "fimonitor.api": 5,
    "fimonitor.engines": 5,
    "fimonitor.cli": 6,
    "fimonitor.commands": 6,
    "fimonitor.__main__": 6,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The layer of the longest registered prefix of ``module`` (``fimonitor`` itself exactly)."""
    if module == "fimonitor":
        return LAYERS[module]
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(f"{module} is in no layer: add its package to LAYERS")


def imports(source: str, name: str, modules: set[str]) -> Iterable[tuple[str, str, int]]:
    """(imported module, imported name or '', line) for every fimonitor import in ``source``."""
    is_pkg = name in modules and (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "fimonitor":
                    yield a.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                here = name.split(".") if is_pkg else name.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            if base.split(".")[0] != "fimonitor":
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:  # `from package import submodule`
                    yield sub, "", node.lineno
                else:
                    yield base, a.name, node.lineno


def scan(files: dict[str, str]) -> tuple[list[str], list[str], list[list[str]]]:
    """Upward imports, private-name imports and module cycles of ``{module: source}``."""
    modules = set(files)
    upward, private = [], []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, src in files.items():
        for target, name, line in imports(src, mod, modules):
            target_mod = target if target in modules else target.rsplit(".", 1)[0]
            if target_mod not in modules:
                target_mod = target
            if target_mod != mod:
                graph[mod].add(target_mod)
            if layer_of(target_mod) > layer_of(mod):
                upward.append(
                    f"{mod}:{line} imports {target_mod} "
                    f"(layer {layer_of(target_mod)} > {layer_of(mod)})"
                )
            if name.startswith("_") and not name.startswith("__") and target_mod != mod:
                private.append(f"{mod}:{line} imports private {name} from {target_mod}")
    return upward, private, cycles(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def package_sources() -> dict[str, str]:
    return {
        module_name(p): p.read_text(encoding="utf-8")
        for p in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def test_every_module_is_in_a_layer():
    for mod in package_sources():
        layer_of(mod)


def test_imports_follow_the_layers():
    upward, _, _ = scan(package_sources())
    assert not upward, "\n".join(upward)


def test_no_import_cycle_between_modules():
    _, _, found = scan(package_sources())
    assert not found, "\n".join(" <-> ".join(c) for c in found)


def test_no_private_name_crosses_a_module():
    _, private, _ = scan(package_sources())
    assert not private, "\n".join(private)


# ------------------------------------------------------------------ the test can fail
BASE = {
    "fimonitor": "",
    "fimonitor.config": "",
    "fimonitor.data": "",
    "fimonitor.data.update": "def stale_tickers(): ...\n",
    "fimonitor.data.build_demo_book": "",
    "fimonitor.rules": "",
    "fimonitor.rules.engine": "def _levels(): ...\n",
    "fimonitor.report": "",
    "fimonitor.report.write": "",
    "fimonitor.report.render": "",
    "fimonitor.backtest": "",
    "fimonitor.backtest.rules_replay": "",
    "fimonitor.pipeline": "",
    "fimonitor.commands": "",
    "fimonitor.commands.backtest": "def _date(): ...\ndef _write_atomic(): ...\n",
    "fimonitor.commands.durations": "def estimate_from_folder(): ...\n",
    "fimonitor.commands.rebalance": "def price_panel(): ...\n",
    "fimonitor.commands.dca": "",
}

FOUND_IN_REVIEW = {
    "rules_replay takes _date, _write_atomic from commands.backtest": (
        "fimonitor.backtest.rules_replay",
        "def run():\n    from fimonitor.commands.backtest import _date, _write_atomic\n",
        ("upward", "private"),
    ),
    "the demo builder imports commands.durations": (
        "fimonitor.data.build_demo_book",
        "def build():\n    from fimonitor.commands.durations import estimate_from_folder\n",
        ("upward",),
    ),
    "config calls rules.engine._levels": (
        "fimonitor.config",
        "def severity(v):\n    from fimonitor.rules.engine import _levels\n",
        ("upward", "private"),
    ),
    "a command imports another command's helpers": (
        "fimonitor.commands.dca",
        "from fimonitor.commands.rebalance import price_panel\n",
        (),  # same layer, no cycle: allowed by the order; moved down anyway
    ),
}


@pytest.mark.parametrize("case", sorted(FOUND_IN_REVIEW))
def test_each_upward_import_of_the_review_fails(case):
    mod, src, expected = FOUND_IN_REVIEW[case]
    upward, private, _ = scan({**BASE, mod: src})
    assert bool(upward) == ("upward" in expected), upward
    assert bool(private) == ("private" in expected), private


def test_the_report_write_render_cycle_fails():
    files = {
        **BASE,
        "fimonitor.report.write": "def w():\n    from fimonitor.report.render import report\n",
        "fimonitor.report.render": "def s():\n    from fimonitor.report.write import stamp\n",
    }
    upward, _, found = scan(files)
    assert not upward
    assert found == [["fimonitor.report.render", "fimonitor.report.write"]]


def test_a_longer_cycle_and_a_relative_import_are_seen():
    files = {
        **BASE,
        "fimonitor.pipeline": "from fimonitor.report import write\n",
        "fimonitor.report.write": "from . import render\n",
        "fimonitor.report.render": "import fimonitor.pipeline\n",
    }
    upward, _, found = scan(files)
    assert upward == ["fimonitor.report.render:1 imports fimonitor.pipeline (layer 5 > 4)"]
    assert found == [["fimonitor.pipeline", "fimonitor.report.render", "fimonitor.report.write"]]


def test_library_code_importing_a_command_fails():
    files = {**BASE, "fimonitor.pipeline": "from fimonitor.commands.rebalance import price_panel\n"}
    upward, _, _ = scan(files)
    assert upward == ["fimonitor.pipeline:1 imports fimonitor.commands.rebalance (layer 6 > 5)"]


def test_an_unknown_package_must_be_placed():
    with pytest.raises(KeyError, match="in no layer"):
        layer_of("fimonitor.newthing.mod")
