"""The console entry point: BLAS threads, garbage-collector passes, what reaches stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fimonitor.cli import BLAS_THREAD_VARS

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import os, sys
from fimonitor.cli import one_blas_thread
{before}
changed = one_blas_thread()
import numpy as np
np.ones((300, 300)) @ np.ones((300, 300))  # BLAS starts its thread pool on first use
threads = len(os.listdir("/proc/self/task"))
print(changed, os.environ.get("OPENBLAS_NUM_THREADS"), threads)
"""


def probe(before: str = "", **env: str) -> tuple[str, str, int]:
    """(changed, OPENBLAS_NUM_THREADS, threads of the process) from a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARS}
    clean.update(env, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], out[1], int(out[2])


pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="thread count read from /proc; needs 2+ CPUs for BLAS to start threads",
)


def test_one_thread_by_default() -> None:
    changed, value, threads = probe()
    assert (changed, value, threads) == ("True", "1", 1)


def test_user_setting_wins() -> None:
    changed, value, threads = probe(OPENBLAS_NUM_THREADS="2")
    assert (changed, value) == ("False", "2")
    assert threads == 2  # the check itself can see a BLAS thread: this test can fail


def test_too_late_after_numpy() -> None:
    changed, value, _ = probe(before="import numpy")
    assert (changed, value) == ("False", "None")


def test_full_collections_are_rarer() -> None:
    """The console entry point keeps the young thresholds and makes full passes 10x rarer."""
    code = (
        "import gc; from fimonitor.cli import fewer_full_collections as f; "
        "before = gc.get_threshold(); after = f(); print(before[:2] == after[:2], after[2])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "100"]


def test_malloc_keeps_freed_memory() -> None:
    """On glibc the entry point raises malloc's thresholds; a MALLOC_* variable wins."""
    code = "from fimonitor.cli import reuse_freed_memory as f; print(f())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    glibc = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))
    for extra, expected in (({}, str(glibc)), ({"MALLOC_TRIM_THRESHOLD_": "1"}, "False")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=dict(env, PYTHONPATH=str(ROOT), **extra),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out == [expected]


LOGS = """
import logging
from fimonitor.cli import configure_logging
configure_logging({verbose})
chatty = logging.getLogger("chatty.library")
chatty.setLevel(logging.INFO)  # what Dask's loggers do
chatty.info("info from a library")
chatty.warning("warning from a library")
logging.getLogger("fimonitor.x").info("our progress")
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_library_info_logs_only_with_verbose(verbose: bool) -> None:
    """Without -v a library that sets its loggers to INFO prints only its warnings."""
    err = subprocess.run(
        [sys.executable, "-c", LOGS.format(verbose=verbose)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    ).stderr.splitlines()
    expected = ["WARNING chatty.library: warning from a library"]
    if verbose:
        expected = [
            "INFO chatty.library: info from a library",
            *expected,
            "INFO fimonitor.x: our progress",
        ]
    assert err == expected
