"""The FastAPI application behind ``fimonitor serve``.

Read-only JSON over the history database, the pack files, and the dashboard.
Every list endpoint returns one page ``{"items": [...], "total", "limit", "offset", "next"}``
(``limit`` 1–1,000, default 100; ``next`` is the URL of the following page or null). Numbers are
JSON numbers at full precision, dates ISO, weights fractions (as in the pack CSVs). Errors are
RFC 9457 problem details. Only :mod:`fimonitor.api.readers` knows the database's tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fimonitor import __version__
from fimonitor.api import files, readers
from fimonitor.api.cache import ResponseCache, sqlite_version, ttl_version
from fimonitor.api.pages import install_docs, install_login
from fimonitor.api.security import (
    PROBLEM_TYPE,
    AccessMiddleware,
    TokenCheck,
    problem_body,
)
from fimonitor.errors import StoreError
from fimonitor.report.dashboard import Dashboard, open_alerts, render_dashboard
from fimonitor.report.index import pack_row, portfolio_views, scan_packs

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
DOCS_SPEC = "/docs/openapi-3.0.json"
PACK_CACHE_CONTROL = "private, max-age=60, must-revalidate"
DASHBOARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size (1–1,000)")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]
DateFrom = Annotated[dt.date | None, Query(alias="from", description="first as-of (YYYY-MM-DD)")]
DateTo = Annotated[dt.date | None, Query(alias="to", description="last as-of (YYYY-MM-DD)")]
AsOf = Annotated[dt.date | None, Query(description="as-of date (YYYY-MM-DD); default latest")]
Name = Annotated[str, PathParam(max_length=100, description="portfolio name")]
Window = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{1,4}[A-Za-z]$",
        description="correlation window name, e.g. 1M, 3M, 6M, 1Y, 3Y (default 1Y)",
    ),
]


class Problem(Exception):
    """An error answered as a problem document."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _problem(status: int, detail: str, request: Request, headers=None) -> Response:
    return Response(
        problem_body(status, detail, _url(request).path),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers=headers,
    )


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if v is pd.NA or v is pd.NaT or v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: numpy scalars to Python, NaN to null, dates ISO."""
    cols = [str(c) for c in df.columns]
    return [
        {c: _py(v) for c, v in zip(cols, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


def page(
    request: Request,
    rows: pd.DataFrame | Sequence[dict],
    limit: int,
    offset: int,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """One page of ``rows`` with the total and the ``next`` page's URL (null on the last).

    ``rows`` is everything (sliced here) or, when ``rows.attrs['total']`` is set, the page
    itself. ``extra`` keys are added to the body (JSON-ready). The body is serialised directly
    (rows are already JSON-native).
    """
    if isinstance(rows, pd.DataFrame) and "total" in rows.attrs:  # paged by the reader
        total, items = rows.attrs["total"], records(rows)
    elif isinstance(rows, pd.DataFrame):
        total, items = len(rows), records(rows.iloc[offset : offset + limit])
    else:
        total, items = len(rows), list(rows[offset : offset + limit])
    nxt = None
    if offset + limit < total:
        nxt = str(_url(request).include_query_params(limit=limit, offset=offset + limit))
    body = {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}
    return JSONResponse({**body, **(extra or {})})


def _url(request: Request):
    """The request URL with its path as sent (percent-encoding kept)."""
    raw = request.scope.get("raw_path")
    return request.url.replace(path=raw.decode("latin-1")) if raw else request.url


def _validation_detail(exc: RequestValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {}
    loc = [str(x) for x in err.get("loc", ())]
    where, name = (loc[0], loc[-1]) if len(loc) >= 2 else ("query", loc[-1] if loc else "?")
    got = err.get("input")
    kind = str(err.get("type", ""))
    if "date" in kind:
        return f"{where} parameter '{name}' must be a date YYYY-MM-DD, got {got!r}."
    msg = str(err.get("msg", "is not valid")).rstrip(".")
    return f"{where} parameter '{name}' is not valid: {msg} (got {got!r})."


def create_app(
    db_url: str,
    packs_dir: str | Path,
    tokens: Sequence[str] = (),
    cors_origins: Sequence[str] | None = None,
) -> FastAPI:
    """The read-only API and dashboard over ``db_url`` and the packs under ``packs_dir``.

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL of the history database (a SQLite file must exist; an older schema
        is migrated in place when the app is created).
    packs_dir : str or Path
        The packs folder (``OUT``), served under ``/packs``.
    tokens : sequence of str
        Accepted bearer tokens; empty = no authentication (the caller decides whether that is
        allowed, see ``fimonitor serve``).
    cors_origins : sequence of str, optional
        Origins allowed by CORS (GET only); None or empty = no CORS headers.
    """
    store = readers.connect(db_url)
    packs_root = Path(packs_dir)
    check = TokenCheck(tokens)
    app = FastAPI(
        title="fimonitor analytics API",
        version=__version__,
        description="Read-only JSON over fimonitor's history database and monitoring packs.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    db_file = readers.sqlite_file(store)
    version = sqlite_version(db_file) if db_file is not None else ttl_version(2.0)
    app.add_middleware(ResponseCache, version=version)  # innermost: after the access checks
    app.add_middleware(AccessMiddleware, check=check)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        detail = {
            404: f"Nothing is served at {request.url.path}.",
            405: f"{request.method} is not allowed: this API is read-only (GET only).",
        }.get(exc.status_code, str(exc.detail))
        return _problem(exc.status_code, detail, request, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return _problem(422, _validation_detail(exc), request)

    @app.exception_handler(Problem)
    async def _problem_error(request: Request, exc: Problem):
        return _problem(exc.status, exc.detail, request)

    @app.exception_handler(readers.NotFound)
    async def _not_found(request: Request, exc: readers.NotFound):
        return _problem(404, str(exc), request)

    @app.exception_handler(StoreError)
    async def _db_error(request: Request, exc: StoreError):
        log.error("database error on %s: %s", request.url.path, exc)
        return _problem(503, "The history database could not be read.", request)

    def need(name: str) -> str:
        if not readers.portfolio_exists(store, name):
            raise Problem(404, f"No portfolio named {name!r} is stored.")
        return name

    # --- open endpoints -----------------------------------------------------------------

    @app.get("/health", tags=["meta"], summary="Liveness (no token needed)")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    install_docs(app, DOCS_SPEC)
    install_login(app, check)

    # --- history ------------------------------------------------------------------------

    @app.get("/portfolios", tags=["history"], summary="Portfolios and their last as-of")
    def list_portfolios(request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0):
        return page(request, readers.portfolios(store), limit, offset)

    @app.get("/portfolios/{name}/snapshots", tags=["history"], summary="Summary per as-of")
    def snapshots(
        request: Request,
        name: Name,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.snapshots(store, need(name), date_from, date_to)
        return page(request, df, limit, offset)

    @app.get("/portfolios/{name}/positions", tags=["history"], summary="Positions on an as-of")
    def positions(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        return page(request, readers.positions(store, need(name), as_of), limit, offset)

    @app.get("/portfolios/{name}/alerts", tags=["history"], summary="Alerts of stored as-ofs")
    def alerts(
        request: Request,
        name: Name,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        severity: Annotated[Literal["WARN", "BREACH"] | None, Query()] = None,
        rule: Annotated[str | None, Query(max_length=64)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.alerts(store, need(name), date_from, date_to, severity, rule)
        return page(request, df, limit, offset)

    @app.get("/portfolios/{name}/performance", tags=["history"], summary="Period returns")
    def performance(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        return page(request, readers.performance(store, need(name), as_of), limit, offset)

    @app.get("/portfolios/{name}/attribution", tags=["history"], summary="Attribution")
    def attribution(
        request: Request,
        name: Name,
        period: Annotated[str | None, Query(max_length=16)] = None,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.attribution(store, need(name), period, as_of)
        return page(request, df, limit, offset)

    @app.get("/portfolios/{name}/risk", tags=["history"], summary="Risk metrics on an as-of")
    def risk(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        return page(request, readers.risk(store, need(name), as_of), limit, offset)

    @app.get("/portfolios/{name}/correlations", tags=["history"], summary="Correlations")
    def correlations(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        window: Window = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        stored = readers.correlation_windows(store, need(name), as_of)
        win = readers.pick_window(stored, window)
        pairs, tickers = readers.correlations(store, name, as_of, win)
        extra = {
            "window": win,
            "tickers": tickers,
            "windows": records(stored),
            "top_pairs": records(readers.top_pairs(store, name, as_of, win)),
        }
        return page(request, pairs, limit, offset, extra)

    @app.get(
        "/portfolios/{name}/rolling-correlations",
        tags=["history"],
        summary="Rolling correlations with the portfolio",
    )
    def rolling_correlations(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        window: Window = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.rolling_correlations(store, need(name), as_of, window)
        return page(request, df, limit, offset)

    @app.get(
        "/portfolios/{name}/rebalancing-events", tags=["history"], summary="Rebalancing events"
    )
    def rebalancing_events(
        request: Request,
        name: Name,
        status: Annotated[str | None, Query(max_length=32)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.rebalancing_events(store, need(name), status)
        return page(request, df, limit, offset)

    @app.get("/portfolios/{name}/allocations", tags=["history"], summary="Target allocations")
    def allocations(request: Request, name: Name, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0):
        return page(request, readers.allocations(store, need(name)), limit, offset)

    @app.get("/portfolios/{name}/benchmarks", tags=["history"], summary="Benchmarks")
    def benchmarks(
        request: Request,
        name: Name,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        return page(request, readers.benchmarks(store, need(name), as_of), limit, offset)

    @app.get("/assets/{ticker}/metrics", tags=["history"], summary="Metrics of one asset")
    def asset_metrics(
        request: Request,
        ticker: Annotated[str, PathParam(max_length=64)],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ):
        df = readers.asset_metrics(store, ticker, date_from, date_to)
        return page(request, df, limit, offset)

    # --- packs --------------------------------------------------------------------------

    @app.get("/packs", tags=["packs"], summary="Every pack with its file URLs")
    def packs(request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0):
        base = str(request.base_url).rstrip("/")
        rows = [
            {
                "book": p.book,
                "as_of": p.date,
                "portfolio_name": p.portfolio_name,
                "path": p.rel,
                "files": {n: base + pack_url(f"{p.rel}/{n}") for n in sorted(p.files)},
            }
            for p in scan_packs(packs_root)
        ]
        return page(request, rows, limit, offset)

    def serve_file(request: Request, book: str | None, stamp: str, name: str) -> Response:
        path = files.resolve(packs_root, book, stamp, name)
        if path is None:
            raise Problem(404, "No such file in a pack's manifest.")
        tag = files.etag(path)
        headers = {
            "ETag": tag,
            "Cache-Control": PACK_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        }
        if path.suffix.lower() == ".html":
            headers["Content-Security-Policy"] = "sandbox"
        if files.etag_matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        return Response(path.read_bytes(), media_type=files.media_type(path), headers=headers)

    @app.get("/packs/{stamp}/{file}", tags=["packs"], summary="A file of a single-book pack")
    def pack_file(request: Request, stamp: str, file: str):
        return serve_file(request, None, stamp, file)

    @app.get("/packs/{book}/{stamp}/{file}", tags=["packs"], summary="A file of a batch pack")
    def pack_file_book(request: Request, book: str, stamp: str, file: str):
        return serve_file(request, book, stamp, file)

    # --- dashboard ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, tags=["dashboard"], summary="The dashboard")
    def dashboard() -> HTMLResponse:
        snaps, hist = readers.dashboard_history(store)
        d = Dashboard(
            title="Fixed-income monitoring",
            portfolios=portfolio_views(snaps),
            alerts=open_alerts(hist, snaps),
            packs=tuple(
                pack_row(p, prefix="/packs/", folder_links=False) for p in scan_packs(packs_root)
            ),
            generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        )
        return HTMLResponse(
            render_dashboard(d),
            headers={"Content-Security-Policy": DASHBOARD_CSP, "Cache-Control": "no-store"},
        )

    return app


def pack_url(rel: str) -> str:
    """The API path of a pack file, ``/packs/<rel>`` with each part percent-encoded."""
    return "/packs/" + "/".join(quote(part, safe="") for part in rel.split("/"))
