"""The FastAPI application: `api.main:app`, or `create_app(settings)` for tests."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import Response

from api import docs, openapi, problems
from api.config import Settings, get_settings
from api.cors import ProblemCORSMiddleware
from api.db import error_reason
from api.deps import check_query
from api.front import FrontedAPI
from api.middleware import HeadAsGet
from api.routes import catalog, chapters, discovery, documents, exports, measure_units, measures, pages, releases, root, units
from api.slashes import SlashRedirect
from api.snapshot import Served

EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "X-Total-Count",
    "X-Request-ID",
    "Content-Language",
    "Content-Disposition",
    "Content-Range",
    "Accept-Ranges",
    "Content-Location",
]


def _operation_id(route: APIRoute) -> str:
    return route.name  # list_measures, get_measure: stable names for generated clients


def create_app(settings: Settings | None = None) -> FrontedAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FrontedAPI) -> AsyncIterator[None]:
        # Several servers may run one app at once (the tests' clients do, schemathesis one per
        # call): they share what it serves, set up by the first to start, closed by the last to stop.
        if app.running == 0:
            app.served = Served(settings)
            # What start-up built (modules, routes, models) lives as long as the process, so the
            # collector need not walk it again: its first full collection would stall every
            # request in flight soon after start, and every later one would walk it all again.
            gc.collect()
            gc.freeze()
        app.running += 1
        watcher = asyncio.create_task(app.served.watch())
        try:
            yield
        finally:
            watcher.cancel()
            app.running -= 1
            if app.running == 0:
                gc.unfreeze()  # a test process starts and stops many apps: let the collector have them back
                app.served.snapshot.db.close()

    app = FrontedAPI(
        title="Policy documents open-data API",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(check_query)],
        redirect_slashes=False,  # its Location names the request's Host: api/slashes.py redirects instead
        openapi_tags=[
            {"name": "meta", "description": "Entry point and health."},
            {"name": "documents", "description": "Documents, their correction logs and their source text."},
            {"name": "chapters", "description": "Chapters of a document."},
            {"name": "measures", "description": "Measures, with their ordered responsible units."},
            {"name": "units", "description": "The responsible units (責任單位)."},
            {"name": "exports", "description": "The open-data dumps (JSON, CSV, data package, SQLite, checksums) and their releases."},
        ],
    )
    app.state.settings = settings
    for router in (
        root.router,
        discovery.router,
        catalog.router,
        documents.router,
        chapters.router,
        measures.router,
        measure_units.router,
        units.router,
        exports.router,
        pages.router,
        releases.router,
    ):
        app.include_router(router)
    problems.install(app)
    app.router.default = SlashRedirect(app.router, settings.public_base_url)

    @app.exception_handler(DBAPIError)
    async def _database_down(request: Request, error: DBAPIError) -> Response:
        cause = "database error: " + error_reason(error)
        problem = problems.Problem(503, "the database is unavailable; retry shortly", headers={"Retry-After": "5"}, cause=cause)
        return problems.problem_response(request, problem)

    docs.install(app)
    openapi.install(app)
    cors = {
        "allow_origins": [o.strip() for o in settings.cors_origins.split(",") if o.strip()],
        "allow_methods": ["GET", "HEAD", "OPTIONS"],
        "allow_headers": ["*"],
        "expose_headers": EXPOSED_HEADERS,
    }
    app.add_middleware(ProblemCORSMiddleware, **cors)
    app.cors = ProblemCORSMiddleware(app, **cors)  # the same policy, asked by the front door
    app.add_middleware(HeadAsGet)
    app.max_in_flight = settings.max_in_flight
    return app


app = create_app()
