"""The command-line commands: one module per ``fimonitor`` sub-command.

Each module exposes ``add_parser(subparsers)``; they only parse arguments, call the library
and print. Nothing here is imported by library code, so the package exports no names.
"""

from __future__ import annotations

__all__: list[str] = []
