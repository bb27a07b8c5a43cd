"""Interactive docs that work with no internet and request nothing from another host: Swagger UI 5
and ReDoc served from the `fastapi-offline` package's bundled assets instead of a CDN.

The bundles still name a few outside addresses: ReDoc shows Redocly's logo from cdn.redoc.ly in
its sidebar, and Swagger UI sends the spec to validator.swagger.io for its badge whenever the page
is not on localhost. The validator is switched off, and both pages carry a Content-Security-Policy
that lets them load only from this server (plus inline code and data: URIs, which the bundles use),
so the browser never requests the logo or anything a later bundle adds; the logo's image then
hides itself (its onError). tests/browser checks in Chromium that no request leaves the host.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"
CONTENT_SECURITY_POLICY = "default-src 'self' 'unsafe-inline' data: blob:; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"


class DocsAssets(StaticFiles):
    """The docs' scripts and styles, always whole. A Range header is ignored (RFC 9110 allows
    it; nothing needs part of a script), so that a malformed or unsatisfiable one never gets
    Starlette's plain-text 400 or 416: every error the app shapes is problem+json."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
        await super().__call__(scope, receive, send)

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        del response.headers["accept-ranges"]  # not offered here
        return response


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install(app: FastAPI) -> None:
    app.mount(PREFIX, DocsAssets(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _confined(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=f"{app.title} — Swagger UI",
                swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                swagger_css_url=f"{PREFIX}/swagger-ui.css",
                swagger_favicon_url=f"{PREFIX}/favicon.png",
                swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _confined(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{app.title} — ReDoc",
                redoc_js_url=f"{PREFIX}/redoc.standalone.js",
                redoc_favicon_url=f"{PREFIX}/favicon.png",
                with_google_fonts=False,
            )
        )
