"""The page writer's CPU measures: the collector pause and the PNG encoding."""

from __future__ import annotations

import gc

import pytest

from fimonitor.report import render


def test_collector_paused_restores_an_enabled_collector():
    assert gc.isenabled()
    with render.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_paused_restores_it_after_an_error():
    with pytest.raises(RuntimeError), render.collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_collector_paused_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with render.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
