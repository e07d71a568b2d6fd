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
