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


def test_png_bytes_round_trips_through_pillow():
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(18)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    rgb[:5] = 255  # a white band, as on the pages
    data = render.png_bytes(rgb, 150)
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # Pillow checks every chunk's CRC
        assert im.mode == "RGB" and im.size == (53, 37)
        assert np.array_equal(np.asarray(im), rgb)
        # pHYs as Pillow writes it: round(150 / 0.0254) = 5906 pixels per metre
        assert im.info["dpi"] == pytest.approx((5906 * 0.0254, 5906 * 0.0254))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", dpi=(150, 150))
    with Image.open(buf) as peer:
        assert peer.info["dpi"] == im.info["dpi"]


def test_png_bytes_rows_are_unfiltered_zlib():
    import struct
    import zlib

    import numpy as np

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = render.png_bytes(rgb, 72, level=1)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    (n,) = struct.unpack(">I", data[8:12])
    assert data[12:16] == b"IHDR" and struct.unpack(">IIBBBBB", data[16 : 16 + n]) == (
        3,
        2,
        8,
        2,
        0,
        0,
        0,
    )
    start = data.index(b"IDAT")
    (m,) = struct.unpack(">I", data[start - 4 : start])
    raw = zlib.decompress(data[start + 4 : start + 4 + m])
    assert raw == b"\x00" + bytes(range(9)) + b"\x00" + bytes(range(9, 18))
    assert data.endswith(b"IEND\xaeB`\x82")


def test_png_bytes_rejects_other_images():
    import numpy as np

    with pytest.raises(ValueError, match="uint8"):
        render.png_bytes(np.zeros((2, 2, 4), dtype=np.uint8), 150)


def _pack():
    from helpers.report import make_pack

    return make_pack()


def test_meanwhile_runs_on_this_thread_while_the_pngs_are_rasterised(tmp_path, monkeypatch):
    import threading

    real = render.rasterise
    seen: dict[str, object] = {}
    started = threading.Event()
    release = threading.Event()

    def rasterise(*args):
        seen["thread"] = threading.current_thread().name
        started.set()
        assert release.wait(10)  # still running while meanwhile runs
        return real(*args)

    def meanwhile():
        assert started.wait(10)
        seen["meanwhile"] = threading.current_thread() is threading.main_thread()
        release.set()

    monkeypatch.setattr(render, "rasterise", rasterise)
    files = render.write_report(_pack(), tmp_path, meanwhile=meanwhile)
    assert seen == {"thread": seen["thread"], "meanwhile": True}
    assert str(seen["thread"]).startswith("fimonitor-png")
    assert [f.exists() for f in files] == [True] * 4


def test_an_error_meanwhile_is_raised_once_the_pngs_are_done(tmp_path, monkeypatch):
    import threading

    done = threading.Event()
    real = render.rasterise

    def rasterise(*args):
        real(*args)
        done.set()

    def meanwhile():
        raise OSError("disk full")

    monkeypatch.setattr(render, "rasterise", rasterise)
    with pytest.raises(OSError, match="disk full"):
        render.write_report(_pack(), tmp_path, meanwhile=meanwhile)
    assert done.is_set()  # no thread left writing into the folder


def test_a_rasterising_error_is_raised_after_meanwhile(tmp_path, monkeypatch):
    calls = []

    def rasterise(*args):
        raise RuntimeError("pdfium")

    monkeypatch.setattr(render, "rasterise", rasterise)
    with pytest.raises(RuntimeError, match="pdfium"):
        render.write_report(_pack(), tmp_path, meanwhile=lambda: calls.append(1))
    assert calls == [1]


def test_meanwhile_runs_without_pngs_too(tmp_path):
    calls = []
    files = render.write_report(_pack(), tmp_path, png=False, meanwhile=lambda: calls.append(1))
    assert calls == [1] and len(files) == 1
