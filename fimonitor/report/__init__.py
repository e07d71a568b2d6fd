"""The pack writer: CSVs, the 3-page PDF and PNGs, the manifest and the index page.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "report_names": "render",
        "write_index": "index",
        "write_pack": "write",
        "write_report": "render",
        "write_tables": "write",
    },
)
