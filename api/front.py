"""The front door: every HTTP request passes here before FastAPI's own stack.

`FrontedAPI` is FastAPI with a `__call__` in front of it. It gives each request its id (returned in
X-Request-ID), the dataset snapshot it is served from (api/snapshot.py) and what its headers
negotiate (api/negotiation.py); it answers it from the snapshot's response cache when the cache
holds it (api/cache.py), refuses a missing or doubled Host, sheds load beyond `max_in_flight`
requests (never /healthz), and writes its access line. A cached answer therefore costs one pass through that method and nothing of
FastAPI's stack (middleware, routing, validation), which serves everything else, lifespan included.

The cached path is written out in that one method on purpose. With the server busy, each function
it calls shows in the benchmark, about half a per cent of the cached item's cost apiece (measured
against a framework-free app on the same core, as bench/paired.py does).
"""

from __future__ import annotations

import time
from logging import INFO

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from api import problems
from api.cache import IF_NONE_MATCH
from api.cors import ProblemCORSMiddleware
from api.logs import CLIENT_REQUEST_ID, REQUEST_ID, access_log, log_access, new_request_id
from api.negotiation import SCOPE_KEY as NEGOTIATION
from api.negotiation import negotiation
from api.problems import ParameterError, Problem
from api.snapshot import SCOPE_KEY as SNAPSHOT
from api.snapshot import Served

HOST = b"host"
# The request headers the front door reads: the caller's request id, Host, and what negotiates.
READ_HEADERS = frozenset((REQUEST_ID, IF_NONE_MATCH, HOST, b"accept", b"accept-language", b"accept-encoding", b"origin"))
NEVER_SHED = "/healthz"  # the process answers while it is alive, however busy
BAD_HOST = Problem(
    400,
    "a request carries one Host header, which only HTTP/1.0 may leave out (RFC 9112 §3.2)",
    [ParameterError("Host", "header", "exactly one Host header")],
)


class FrontedAPI(FastAPI):
    """FastAPI behind a front door that answers cached responses before FastAPI's stack runs."""

    served: Served | None = None  # the dataset version being served (set at start-up: api/main.py)
    running = 0  # servers running this app now (its lifespan)
    cors: ProblemCORSMiddleware  # the CORS policy, which decides what an Origin negotiates
    max_in_flight = 64
    in_flight = 0  # requests in FastAPI's hands now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        logged = access_log.isEnabledFor(INFO)  # when not, the request is not even timed
        started = time.perf_counter() if logged else 0.0
        # One pass over the headers: the first of each that the front door reads (as Starlette's
        # `headers.get` does), and whether Host came twice.
        headers: dict[bytes, bytes] = {}
        two_hosts = False  # (a missing one is seen below)
        for name, value in scope["headers"]:
            if name in READ_HEADERS:
                if name not in headers:
                    headers[name] = value
                elif name == HOST:
                    two_hosts = True
        given = headers.get(REQUEST_ID)
        request_id = given if given is not None and CLIENT_REQUEST_ID.fullmatch(given) else new_request_id()
        id_header = (REQUEST_ID, request_id)
        # The snapshot this request is served from, whatever is swapped in meanwhile, and what its
        # headers negotiate: the routes read both from the scope, and the cache keys on the latter.
        snapshot = scope[SNAPSHOT] = self.served.snapshot
        negotiated = scope[NEGOTIATION] = negotiation(headers, self.cors.echoed_origin)
        key = (scope["method"], scope["path"], scope["query_string"], negotiated)
        cache = snapshot.cache
        entry = cache.entries.get(key) if cache is not None else None
        if_none_match = headers.get(IF_NONE_MATCH)
        bad_host = two_hosts or (HOST not in headers and scope.get("http_version") == "1.1")
        if entry is not None and not bad_host:
            entry.used = True  # for the cache's eviction (second chance)
            start, body = entry.ok if if_none_match is None else entry.answer(if_none_match)
            await send({"type": "http.response.start", "status": start["status"], "headers": [*start["headers"], id_header]})
            await send(body)
            if logged:
                log_access(scope, request_id, start["status"], len(body["body"]), started)
            return

        response = {"status": 500, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            elif message["type"] == "http.response.body":
                response["bytes"] += len(message.get("body", b""))
            await send(message)

        self.in_flight += 1
        try:
            if bad_host:
                await problems.problem_response(Request(scope), BAD_HOST)(scope, receive, send_with_id)
            elif self.in_flight > self.max_in_flight and scope["path"] != NEVER_SHED:
                cause = f"shed: {self.max_in_flight} requests in flight (MAX_IN_FLIGHT)"
                shed = Problem(503, "the server is busy; retry shortly", headers={"Retry-After": "1"}, cause=cause)
                await problems.problem_response(Request(scope), shed)(scope, receive, send_with_id)
            elif cache is None or not cache.stores(scope):
                await super().__call__(scope, receive, send_with_id)
            else:
                if if_none_match is not None:
                    # FastAPI is asked for the 200, which fills the cache, and the recorder answers the
                    # condition from it. A 304 from FastAPI would store nothing: revalidations of a
                    # response that no one fetched whole since the start would never stop missing.
                    scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != IF_NONE_MATCH]}
                await super().__call__(scope, receive, cache.recorder(key, send_with_id, if_none_match))
        finally:
            self.in_flight -= 1
            if logged:
                log_access(scope, request_id, response["status"], response["bytes"], started)
