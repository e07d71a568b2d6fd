"""fimonitor.api: the read-only HTTP API and live dashboard behind ``fimonitor serve``."""

from __future__ import annotations

from fimonitor.api.app import create_app

__all__ = ["create_app"]
