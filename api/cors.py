"""CORS: Starlette's CORSMiddleware, with a refused preflight answered as problem+json.

Starlette decides every CORS question; only the body of its refusal changes. Its plain-text
"Disallowed CORS origin, method" becomes a 400 problem whose `errors` name each refused request
header with what this API allows, keeping the preflight headers (Vary, Allow-Methods, Max-Age).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api import problems
from api.problems import ParameterError, Problem

# Starlette's names for what it refused, and the request header that asked for each.
REQUEST_HEADERS = {
    "origin": "Origin",
    "method": "Access-Control-Request-Method",
    "headers": "Access-Control-Request-Headers",
    "private-network": "Access-Control-Request-Private-Network",
}
REFUSAL_PREFIX = "Disallowed CORS "


class ProblemAnswer:
    """An ASGI answer that builds its problem response once it has the request (for `instance`)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problems.problem_response(Request(scope), self.problem)(scope, receive, send)


class ProblemCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> ASGIApp:  # Starlette only calls what this returns
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix(REFUSAL_PREFIX).split(", ")
        errors = [self._refusal(name, request_headers) for name in refused]
        kept = {k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")}
        return ProblemAnswer(problems.invalid_parameters(errors, kept))

    def _refusal(self, name: str, request_headers: Headers) -> ParameterError:
        header = REQUEST_HEADERS.get(name, name)
        expected = {
            "origin": ("an allowed origin: " + ", ".join(self.allow_origins)) if self.allow_origins else "an allowed origin (none is)",
            "method": "one of " + ", ".join(self.allow_methods),
            "headers": "only these request headers: " + ", ".join(self.allow_headers),
            "private-network": "no private-network request (this API does not allow them)",
        }.get(name, "a request the CORS policy allows")
        return ParameterError(header, "header", expected, request_headers.get(header))
