"""CORS: Starlette's CORSMiddleware, with a refused preflight answered as problem+json, and the
answer to a simple request taken from the request's Negotiation.

Starlette decides every preflight; only the body of its refusal changes. Its plain-text
"Disallowed CORS origin, method" becomes a 400 problem whose `errors` name each refused request
header with what this API allows, keeping the preflight headers (Vary, Allow-Methods, Max-Age).
Which origin a simple response names is decided once per request, by `echoed_origin`, when the
front door reads the headers (api/negotiation.py): the response cache keys on that outcome, not on
the Origin header's bytes, and `send` applies that same outcome.
"""

from __future__ import annotations

import functools

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.negotiation import negotiation_of
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
    def echoed_origin(self, origin: str) -> str:
        """The origin a simple response names in Access-Control-Allow-Origin, "" for none (then it
        carries the policy's fixed headers: `*` when every origin is allowed)."""
        explicit = self.allow_credentials if self.allow_all_origins else self.is_allowed_origin(origin)
        return origin if explicit else ""

    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        await self.app(scope, receive, functools.partial(self.send_negotiated, send=send, echoed=negotiation_of(scope).cors))

    async def send_negotiated(self, message: Message, send: Send, echoed: str | None) -> None:
        if message["type"] == "http.response.start" and echoed is not None:
            headers = MutableHeaders(scope=message)
            headers.update(self.simple_headers)
            if echoed:
                headers["Access-Control-Allow-Origin"] = echoed
            headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)

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
