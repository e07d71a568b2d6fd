"""The real server: ``fimonitor serve`` under uvicorn on loopback, and the dashboard in Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.api_helpers import AS_OFS, PORTFOLIO, REPO, TOKEN
from fimonitor.cli import main

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(packs_dir: Path, env_tokens: str | None, tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    env.pop("FIMONITOR_API_TOKENS", None)
    if env_tokens is not None:
        env["FIMONITOR_API_TOKENS"] = env_tokens
    log = open(tmp_path / f"serve_{port}.log", "w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fimonitor",
            "serve",
            "--packs",
            str(packs_dir),
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"server exited: {log.read()}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base, log
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not answer /health within 30 s")


def _stop(proc, log) -> str:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.seek(0)
    text = log.read()
    log.close()
    return text


@pytest.mark.slow
def test_real_server_on_loopback(packs_dir, tmp_path):
    proc, base, log = _start(packs_dir, f"{TOKEN},other", tmp_path)
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        r = httpx.get(f"{base}/portfolios", headers=auth, timeout=5)
        assert r.json()["items"] == [{"name": PORTFOLIO, "last_as_of": AS_OFS[-1]}]
        assert httpx.get(f"{base}/portfolios", timeout=5).status_code == 401
        snaps = httpx.get(f"{base}/portfolios/{PORTFOLIO}/snapshots", headers=auth, timeout=5)
        assert [s["as_of"] for s in snaps.json()["items"]] == list(AS_OFS)
        assert httpx.delete(f"{base}/portfolios", headers=auth, timeout=5).status_code == 405
        assert "server" not in httpx.get(f"{base}/health", timeout=5).headers
    finally:
        out = _stop(proc, log)
    assert "2 token(s)" in out


def test_serve_refuses_a_public_host_without_tokens(packs_dir, capsys, monkeypatch):
    monkeypatch.delenv("FIMONITOR_API_TOKENS", raising=False)
    code = main(["serve", "--packs", str(packs_dir), "--host", "0.0.0.0"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "not loopback" in err and "FIMONITOR_API_TOKENS" in err


def test_serve_missing_database_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FIMONITOR_API_TOKENS", raising=False)
    assert main(["serve", "--packs", str(tmp_path)]) == 2
    assert "no history database" in capsys.readouterr().err


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=1400,1000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_dashboard_in_headless_chromium(packs_dir, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("FIMONITOR_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required (FIMONITOR_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    proc, base, log = _start(packs_dir, None, tmp_path)  # loopback without authentication
    try:
        dom = _chromium(["--dump-dom", f"{base}/"], tmp_path).stdout
        shot = tmp_path / "dashboard.png"
        _chromium([f"--screenshot={shot}", f"{base}/"], tmp_path)
    finally:
        out = _stop(proc, log)
    assert "without authentication" in out
    assert PORTFOLIO in dom and "Open alerts" in dom and "Alerts per snapshot" in dom
    assert "Duration gap" in dom and AS_OFS[-1] in dom and "BREACH" in dom
    assert dom.count("<svg") == 2  # the trend, drawn on the server
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a real rendering, not a blank page
    target = os.environ.get("FIMONITOR_SCREENSHOT")
    if target:  # refresh docs/img/dashboard.png on demand
        shutil.copy(shot, target)
