"""The pages of ``fimonitor serve`` that are not data.

``/docs`` (offline Swagger UI) and ``/login`` (the browser sign-in form and the one POST the
server accepts).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fimonitor.api.security import COOKIE, COOKIE_MAX_AGE, TokenCheck


def openapi_30(spec: dict) -> dict:
    """The OpenAPI 3.1 document rewritten as 3.0 for Swagger UI 4 (``swagger-ui-bundle``).

    Only what FastAPI emits needs changing: the version field, and ``anyOf: [X, {type: null}]``
    becomes ``X`` with ``nullable: true``.
    """

    def fix(node: Any) -> Any:
        if isinstance(node, list):
            return [fix(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: fix(v) for k, v in node.items()}
        options = out.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out["anyOf"]
            if len(rest) == 1:
                out.update(rest[0])
            else:
                out["anyOf"] = rest
            out["nullable"] = True
        return out

    doc = fix(spec)
    doc["openapi"] = "3.0.3"
    return doc


def install_docs(app: FastAPI, spec_url: str) -> None:
    """Install ``/docs``: Swagger UI served from the ``swagger-ui-bundle`` package.

    Offline, fed a 3.0 copy of the OpenAPI document; without the package, a plain list of the
    endpoints rendered on the server.
    """
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - the package is a dependency
        swagger_ui_path = None
    if swagger_ui_path is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount("/docs/static", StaticFiles(directory=swagger_ui_path), name="docs-static")

    @app.get(spec_url, include_in_schema=False)
    def docs_spec() -> dict:
        return openapi_30(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger_ui_path is not None:
            return get_swagger_ui_html(
                openapi_url=spec_url,
                title="fimonitor API",
                swagger_js_url="/docs/static/swagger-ui-bundle.js",
                swagger_css_url="/docs/static/swagger-ui.css",
                swagger_favicon_url="/docs/static/favicon-32x32.png",
            )
        spec = app.openapi()
        items = "".join(
            f"<li><code>{html.escape(m.upper())} {html.escape(p)}</code> "
            f"{html.escape(op.get('summary', ''))}</li>"
            for p, ops in spec.get("paths", {}).items()
            for m, op in ops.items()
        )
        return HTMLResponse(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>fimonitor API</title>"
            f"</head><body><h1>fimonitor API</h1><p><a href='/openapi.json'>OpenAPI JSON</a></p>"
            f"<ul>{items}</ul></body></html>"
        )


_LOGIN_FORM = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fimonitor: sign in</title>
<style>body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 3em; }}
input {{ font-size: 1em; padding: 0.3em; }} .err {{ color: #C0392B; }}</style></head>
<body><h1>fimonitor: sign in</h1>{message}
<form method="post" action="/login">
<label>API token <input type="password" name="token" autocomplete="current-password"
 autofocus></label> <button type="submit">Sign in</button></form></body></html>
"""


def install_login(app: FastAPI, check: TokenCheck) -> None:
    """``GET /login`` shows the form; ``POST /login`` (the API's one POST) sets the cookie."""

    @app.get("/login", include_in_schema=False)
    def login_form() -> HTMLResponse:
        msg = "" if check.enabled else "<p>This server runs without authentication.</p>"
        return HTMLResponse(_LOGIN_FORM.format(message=msg), headers={"Cache-Control": "no-store"})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        body = (await request.body())[:4096].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        if not check.enabled:
            return RedirectResponse("/", status_code=303)
        if not token or not check.token_ok(token):
            msg = '<p class="err">That token is not valid.</p>'
            return HTMLResponse(
                _LOGIN_FORM.format(message=msg),
                status_code=401,
                headers={"Cache-Control": "no-store"},
            )
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(
            COOKIE,
            check.cookie_for(token).decode(),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return resp
