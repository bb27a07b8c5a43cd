"""The front door: every HTTP request passes here before FastAPI's own stack.

`FrontedAPI` is FastAPI with a `__call__` in front of it. It gives each request its id (returned in
X-Request-ID), the dataset snapshot it is served from (api/snapshot.py) and what its headers
negotiate (api/negotiation.py), refuses a missing or doubled Host, and writes its access line.
Then the response cache (api/cache.py) answers if it can; what it cannot answer goes on to
FastAPI's stack (middleware, routing, validation, lifespan included), unless `max_in_flight`
requests are there already: then it is shed (never /healthz). A cached answer is cheap, so it is
never shed.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from api import problems
from api.cache import CachedResponses, ResponseCache
from api.cors import ProblemCORSMiddleware
from api.logs import CLIENT_REQUEST_ID, REQUEST_ID, log_access, new_request_id
from api.negotiation import SCOPE_KEY as NEGOTIATION
from api.negotiation import negotiation
from api.problems import ParameterError, Problem
from api.snapshot import SCOPE_KEY as SNAPSHOT
from api.snapshot import Served

HOST = b"host"
NEVER_SHED = "/healthz"  # the process answers while it is alive, however busy
BAD_HOST = Problem(
    400,
    "a request carries one Host header, which only HTTP/1.0 may leave out (RFC 9112 §3.2)",
    [ParameterError("Host", "header", "exactly one Host header")],
)


def snapshot_cache(scope: Scope) -> ResponseCache | None:
    return scope[SNAPSHOT].cache


class FrontedAPI(FastAPI):
    """FastAPI behind a front door (request id, snapshot, negotiation, Host, access log), the
    response cache and load shedding."""

    served: Served | None = None  # the dataset version being served (set at start-up: api/main.py)
    running = 0  # servers running this app now (its lifespan)
    cors: ProblemCORSMiddleware  # the CORS policy, which decides what an Origin negotiates
    max_in_flight = 64
    in_flight = 0  # requests in FastAPI's hands now

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cached = CachedResponses(self.admitted, snapshot_cache)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        headers: dict[bytes, bytes] = {}  # the first of each name, as Starlette's `headers.get` reads
        hosts = 0
        for name, value in scope["headers"]:
            headers.setdefault(name, value)
            if name == HOST:
                hosts += 1
        given = headers.get(REQUEST_ID)
        request_id = given if given is not None and CLIENT_REQUEST_ID.fullmatch(given) else new_request_id()
        # The snapshot this request is served from, whatever is swapped in meanwhile, and what its
        # headers negotiate: the routes read both from the scope, and the cache keys on the latter.
        scope[SNAPSHOT] = self.served.snapshot
        scope[NEGOTIATION] = negotiation(headers, self.cors.echoed_origin)
        response = {"status": 500, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (REQUEST_ID, request_id)]}
            elif message["type"] == "http.response.body":
                response["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            if hosts > 1 or (hosts == 0 and scope.get("http_version") == "1.1"):
                await problems.problem_response(Request(scope), BAD_HOST)(scope, receive, send_with_id)
            else:
                await self.cached(scope, receive, send_with_id)
        finally:
            log_access(scope, request_id, response["status"], response["bytes"], started)

    async def admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's stack, or a 503 when `max_in_flight` requests are in its hands already."""
        self.in_flight += 1
        try:
            if self.in_flight > self.max_in_flight and scope["path"] != NEVER_SHED:
                cause = f"shed: {self.max_in_flight} requests in flight (MAX_IN_FLIGHT)"
                shed = Problem(503, "the server is busy; retry shortly", headers={"Retry-After": "1"}, cause=cause)
                await problems.problem_response(Request(scope), shed)(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        finally:
            self.in_flight -= 1
