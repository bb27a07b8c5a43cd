"""Reference servers for bench/run.py and bench/paired.py: what a Python server costs before it
does any work.

Each is an ASGI app factory, served as `uvicorn --app-dir bench --factory reference_apps:<name>`:

- `bare`: a framework-free ASGI callable sending fixed bytes (the limit for a Python server);
- `bare_our_headers`: `bare` with the response headers our API sends (bench/paired.py);
- `fastapi_bytes`: a FastAPI route sending the same fixed bytes;
- `fastapi_models`: a FastAPI route building 20 pydantic response models per request;
- `sqlmodel_sync`: the tutorial way, a sync `def` route running a SQLModel query per request;
- `framework_ceiling`: our own app, from its factory, with each list endpoint's body replaced by a
  fixed small response: what FastAPI, our dependencies and our middleware cost before any of our
  work (bench/varied.py).

Configuration comes from the environment, set by `harness.spawn_reference`:
BENCH_BODIES (a JSON file mapping "path?query" to a file of response bytes),
BENCH_HEADERS (for `bare_our_headers`: a JSON file mapping "path?query" to [name, value] pairs) and
BENCH_DATABASE (the SQLite file the API serves); `framework_ceiling` reads our settings
(DATABASE_URL, ...) as our app does.
"""

# No `from __future__ import annotations`: FastAPI must resolve the annotations of routes
# declared inside the factories, whose imports are local.
import json
import os
import sqlite3
from pathlib import Path


def _bodies() -> dict[str, bytes]:
    index = Path(os.environ["BENCH_BODIES"])
    mapping = json.loads(index.read_text())
    return {key: (index.parent / name).read_bytes() for key, name in mapping.items()}


def _key(scope: dict) -> str:
    query = scope["query_string"].decode("latin-1")
    return scope["path"] + ("?" + query if query else "")


async def _lifespan(receive, send) -> None:
    """Answer start-up and shut-down, so that uvicorn does not warn."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


NOT_FOUND = {"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]}, {"type": "http.response.body"}


def bare():
    """Plain ASGI: one dict lookup, two sends. Headers are built once, at start-up."""
    responses = {
        key: (
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            },
            {"type": "http.response.body", "body": body},
        )
        for key, body in _bodies().items()
    }

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        start, body = responses.get(_key(scope), NOT_FOUND)
        await send(start)
        await send(body)

    return app


def bare_our_headers():
    """`bare` sending, with each body, the response headers our API sent with it and a new
    X-Request-ID made as ours makes one: what the API's header contract costs a server that does
    nothing else. Ours over this is the cost of our own work (the front door)."""
    from api.logs import REQUEST_ID, new_request_id

    headers = json.loads(Path(os.environ["BENCH_HEADERS"]).read_text())
    responses = {
        key: ([(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers[key]], {"type": "http.response.body", "body": body})
        for key, body in _bodies().items()
    }

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        found = responses.get(_key(scope))
        if found is None:
            start, body = NOT_FOUND
        else:  # a new start message for each request, like ours, for its request id
            start = {"type": "http.response.start", "status": 200, "headers": [*found[0], (REQUEST_ID, new_request_id())]}
            body = found[1]
        await send(start)
        await send(body)

    return app


def fastapi_bytes():
    """FastAPI's routing, dependency resolution and Response class around the same bytes."""
    from fastapi import FastAPI, Request, Response

    bodies = _bodies()
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/{path:path}")
    async def fixed(request: Request) -> Response:
        body = bodies.get(_key(request.scope))
        if body is None:
            return Response(status_code=404)
        return Response(content=body, media_type="application/json")

    return app


def _measure_rows(database: str, limit: int = 20) -> list[dict]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    rows = connection.execute("select * from measures order by document_id, number limit ?", (limit,)).fetchall()
    connection.close()
    return [dict(row) for row in rows]


def _measure_columns():
    """A flat pydantic model of the measures table's 18 columns, derived from the project's own
    SQLModel table: what both model-building reference apps return."""
    from pydantic import create_model

    from models.tables import Measure

    return create_model("MeasureColumns", **{name: (field.annotation, ...) for name, field in Measure.model_fields.items()})


def fastapi_models():
    """20 flat pydantic models validated from dicts and serialised through the response model."""
    from fastapi import FastAPI

    MeasureOut = _measure_columns()  # noqa: N806 - a class
    rows = _measure_rows(os.environ["BENCH_DATABASE"])
    app = FastAPI()

    @app.get("/models", response_model=list[MeasureOut])
    async def models() -> list[MeasureOut]:
        return [MeasureOut.model_validate(row) for row in rows]

    return app


def sqlmodel_sync():
    """The tutorial way: a session per request from a dependency, a sync `def`, a join, a response model."""
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from sqlmodel import Session, create_engine, select

    from models.tables import Measure, MeasureUnit

    MeasurePublic = _measure_columns()  # noqa: N806 - a class
    engine = create_engine(f"sqlite:///{os.environ['BENCH_DATABASE']}", connect_args={"check_same_thread": False})

    def get_session():
        with Session(engine) as session:
            yield session

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/measures", response_model=list[MeasurePublic])
    def list_measures(unit: str, session: Annotated[Session, Depends(get_session)]):
        query = (
            select(Measure)
            .join(MeasureUnit, MeasureUnit.measure_id == Measure.id)
            .where(MeasureUnit.unit_id == unit)
            .order_by(Measure.document_id, Measure.number)
        )
        return session.exec(query).all()

    return app


CEILING_BODY = b'{"data":[]}'


def framework_ceiling():
    """Our app as `api.main.create_app` makes it (routes, parameters, dependencies, middleware,
    settings, lifespan), with the body of every list endpoint (JSON and CSV operations alike)
    replaced by `CEILING_BODY`: the parameters are still declared, parsed and validated by FastAPI
    exactly as ours, and the middleware still wraps the response. Ours over this is the cost of what
    our list endpoints do themselves."""
    import inspect

    from fastapi.routing import APIRoute
    from starlette.responses import Response

    from api import main

    def fixed_body(endpoint):
        # The same signature, annotations resolved (the route modules' are strings), and the same
        # kind of callable: a sync `def` runs in the thread pool as ours does.
        def fixed(**_values):
            return Response(CEILING_BODY, media_type="application/json")

        async def fixed_async(**_values):
            return Response(CEILING_BODY, media_type="application/json")

        stub = fixed_async if inspect.iscoroutinefunction(endpoint) else fixed
        stub.__signature__ = inspect.signature(endpoint, eval_str=True)
        stub.__name__ = endpoint.__name__
        return stub

    routes = [route for router in api_routers() for route in router.routes if isinstance(route, APIRoute)]
    lists = {route.name for route in routes if "data" in getattr(route.response_model, "model_fields", {})}
    replaced = 0
    for route in routes:
        if route.name in lists or route.name.removesuffix("_csv") in lists:
            route.endpoint = fixed_body(route.endpoint)
            replaced += 1
    if not replaced:
        raise RuntimeError("no list endpoint found to replace: has api/routes changed?")
    # A new app: FastAPI builds an included route's handler from its endpoint when it first routes
    # a request, so this app's handlers are built from the replaced endpoints.
    return main.create_app()


def api_routers():
    """The APIRouters of api/routes, which api.main includes."""
    import importlib
    import pkgutil

    import api.routes

    for module in pkgutil.iter_modules(api.routes.__path__):
        router = getattr(importlib.import_module(f"api.routes.{module.name}"), "router", None)
        if router is not None:
            yield router
