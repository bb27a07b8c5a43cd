"""RFC 9457 problem details: one error class, one body builder, one set of handlers.

Every error the API returns, from a route, from parameter validation, from Starlette's routing
(unknown path, wrong method) or from a refused CORS preflight (api/cors.py), goes through
`problem_response`, so no path escapes the shape. The refusals written before a request reaches the
app (an oversized or late request head: api/protocol.py) use the same body builder, `problem_json`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from http import HTTPStatus

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPES = {
    400: "/problems/invalid-parameter",
    404: "/problems/not-found",
    405: "/problems/method-not-allowed",
    406: "/problems/not-acceptable",
    408: "/problems/request-timeout",
    414: "/problems/uri-too-long",
    416: "/problems/range-not-satisfiable",
    431: "/problems/request-header-fields-too-large",
    500: "/problems/internal-error",
    503: "/problems/service-unavailable",
}
log = logging.getLogger("api.problems")


@dataclass
class ParameterError:
    parameter: str
    location: str
    expected: str
    received: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"parameter": self.parameter, "location": self.location, "expected": self.expected, "received": self.received}


@dataclass
class Problem(Exception):
    status: int
    detail: str
    errors: list[ParameterError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cause: str | None = None  # for the log, when it says more than `detail` (never sent)


def invalid_parameters(errors: list[ParameterError], headers: dict[str, str] | None = None) -> Problem:
    """The 400 problem for bad parameters (query, path or header), its detail naming each."""
    detail = "; ".join(
        f"{e.parameter}: expected {e.expected}" + ("" if e.received is None else f", received {e.received!r}") for e in errors
    )
    return Problem(400, detail, errors, headers or {})


def invalid(parameter: str, expected: str, received: str | None = None, location: str = "query") -> Problem:
    """The problem for one bad parameter."""
    return invalid_parameters([ParameterError(parameter, location, expected, received)])


def not_found(what: str) -> Problem:
    return Problem(404, what)


def _instance(request: Request) -> str:
    """The request path as sent (percent-encoded): `instance` is a URI reference."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1").split("?", 1)[0] if raw else request.url.path


def problem_json(problem: Problem, instance: str | None) -> bytes:
    """The problem document. `instance` is None only where no request path was read: the refusals
    that api/protocol.py writes before a request reaches the app."""
    body: dict[str, object] = {
        "type": TYPES.get(problem.status, "about:blank"),
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance is not None:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = [e.as_dict() for e in problem.errors]
    return orjson.dumps(body)


def problem_response(request: Request, problem: Problem) -> Response:
    """The problem as a response; a 5xx is logged with its cause."""
    if problem.status > 500:  # a 500 is logged with its traceback (below)
        cause = problem.cause or problem.detail
        fields = {"status": problem.status, "path": request.url.path, "cause": cause}
        log.warning("%d on %s: %s", problem.status, request.url.path, cause, extra={"fields": fields})
    headers = {"Cache-Control": "no-store", **problem.headers}
    return Response(problem_json(problem, _instance(request)), problem.status, headers, media_type=PROBLEM_MEDIA_TYPE)


def _received(value: object) -> str | None:
    if isinstance(value, str | int | float | bool):
        text = str(value)
        return text if len(text) <= 200 else text[:200] + "…"
    return None


def from_validation(error: RequestValidationError) -> Problem:
    """The 400 problem for FastAPI's validation errors (also the pages' error page, api/routes/pages.py)."""
    errors = []
    for item in error.errors():
        location, *names = item.get("loc", ("query",))
        expected = item.get("msg", "a valid value").removeprefix("Input should be ").removeprefix("Value error, ")
        if item.get("type") == "missing":
            expected = "a value (the parameter is required)"
        errors.append(ParameterError(".".join(map(str, names)) or str(location), str(location), expected, _received(item.get("input"))))
    return invalid_parameters(errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, problem: Problem) -> Response:
        return problem_response(request, problem)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        return problem_response(request, from_validation(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        detail = {404: f"no resource at {request.url.path}", 405: f"{request.method} is not allowed here: the API is read-only"}
        headers = {k.title(): v for k, v in (error.headers or {}).items()}
        if "GET" in headers.get("Allow", ""):
            headers["Allow"] = "GET, HEAD"  # HEAD is answered for every GET route (api/middleware.py)
        return problem_response(request, Problem(error.status_code, detail.get(error.status_code, str(error.detail)), headers=headers))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request, Problem(500, "an unexpected error occurred; it has been logged"))
