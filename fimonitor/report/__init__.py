"""The pack writer: CSVs, the 3-page PDF and PNGs, the manifest and the index page.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "report_names": "render",
    "write_index": "index",
    "write_pack": "write",
    "write_report": "render",
    "write_tables": "write",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
