"""``fimonitor serve``: the read-only HTTP API and live dashboard (uvicorn).

``fimonitor serve [--db URL] [--packs DIR] [--host 127.0.0.1] [--port 8000]
[--token-file FILE] [--cors-origin ORIGIN ...]``

Tokens come from ``FIMONITOR_API_TOKENS`` (comma-separated) and ``--token-file`` (one a line).
Without any token the server refuses a non-loopback host (exit 2) and, on loopback, says that it
runs without authentication. See ``docs/api.md``.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from fimonitor.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``serve`` and its options."""
    p = sub.add_parser(
        "serve",
        help="serve the read-only analytics API and the live dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db", metavar="URL", help="history database (default sqlite:///PACKS/fimonitor.sqlite)"
    )
    p.add_argument(
        "--packs",
        type=Path,
        default=Path("outputs"),
        metavar="DIR",
        help="packs folder served under /packs (default outputs)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="bearer tokens, one a line (see docs/api.md)",
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow cross-origin GETs from ORIGIN (repeatable; default: CORS off)",
    )
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    """Whether ``host`` binds only the local machine (``localhost`` or a loopback address)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Check the access settings, build the app and run uvicorn until interrupted."""
    from fimonitor.api import create_app
    from fimonitor.api.security import ENV_TOKENS, read_tokens
    from fimonitor.store.db import default_url

    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: expected 1..65535")
    tokens = read_tokens(os.environ.get(ENV_TOKENS), args.token_file)
    if not tokens and not is_loopback(args.host):
        raise InputError(
            f"--host {args.host} is not loopback and no API token is configured "
            f"(set {ENV_TOKENS} or pass --token-file)"
        )
    app = create_app(args.db or default_url(args.packs), args.packs, tokens, args.cors_origin)
    import uvicorn

    url = f"http://{args.host}:{args.port}/"
    if not tokens:
        sys.stderr.write(f"fimonitor: serving {url} without authentication (loopback only)\n")
    else:
        sys.stderr.write(f"fimonitor: serving {url} ({len(tokens)} token(s))\n")
    sys.stderr.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", server_header=False)
    return 0
