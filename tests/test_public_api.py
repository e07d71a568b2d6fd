"""Every sub-package names its public face in ``__all__``, and every name resolves."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "analytics",
    "backtest",
    "commands",
    "data",
    "policy",
    "rebalance",
    "report",
    "rules",
    "store",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name):
    pkg = importlib.import_module(f"fimonitor.{name}")
    assert isinstance(pkg.__all__, list)
    for item in pkg.__all__:
        assert getattr(pkg, item) is not None, item
    with pytest.raises(AttributeError):
        pkg.no_such_name  # noqa: B018
