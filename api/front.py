"""The front door: every HTTP request passes here before FastAPI's own stack.

`FrontedAPI` is FastAPI with a `__call__` in front of it. It gives each request its id (returned in
X-Request-ID), answers it from the response cache when the cache holds it (api/cache.py), and
writes its access line. A cached answer therefore costs one pass through that method and nothing of
FastAPI's stack (middleware, routing, validation), which serves everything else, lifespan included.

The cached path is kept to a few calls on purpose: with the server busy, each one shows in the
benchmark (bench/RESULTS.md), where the cached item is compared with a framework-free app.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.cache import IF_NONE_MATCH, KEY_HEADERS, ResponseCache
from api.logs import REQUEST_ID, log_access, request_id_of

# The request headers the front door reads: the caller's request id and what the cache keys on.
READ_HEADERS = frozenset((REQUEST_ID, IF_NONE_MATCH, *KEY_HEADERS))


def read_headers(scope: Scope) -> tuple[dict[bytes, bytes], bool]:
    """The READ_HEADERS a request carries (the first of each), in one pass over its headers, and
    whether one of them came twice."""
    found: dict[bytes, bytes] = {}
    repeated = False
    for name, value in scope["headers"]:
        if name in READ_HEADERS:
            if name in found:
                repeated = True
            else:
                found[name] = value
    return found, repeated


class FrontedAPI(FastAPI):
    """FastAPI behind a front door that answers cached responses before FastAPI's stack runs."""

    response_cache: ResponseCache | None = None  # None: every request goes through FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        headers, repeated = read_headers(scope)
        request_id = request_id_of(headers.get(REQUEST_ID))
        id_header = (REQUEST_ID, request_id)
        cache = self.response_cache
        # A repeated header is rare, and FastAPI's reading of it decides: no cache for it.
        key = cache.key(scope, headers) if cache is not None and not repeated else None
        entry = cache.entries.get(key) if key is not None else None
        if entry is not None:
            start, body = entry.answer(headers.get(IF_NONE_MATCH))
            await send({"type": "http.response.start", "status": start["status"], "headers": [*start["headers"], id_header]})
            await send(body)
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

        try:
            await super().__call__(scope, receive, send_with_id if key is None else cache.recorder(key, send_with_id))
        finally:
            log_access(scope, request_id, response["status"], response["bytes"], started)
