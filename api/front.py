"""The front door: every HTTP request passes here before FastAPI.

It gives the request its id (returned in X-Request-ID), answers it from the response cache when
the cache holds it (api/cache.py), and writes its access line. A cached answer therefore costs
one pass through this class and nothing of FastAPI's stack (middleware, routing, validation),
which serves everything else, lifespan included.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class FrontDoor:
    def __init__(self, app: ASGIApp, cache: ResponseCache | None) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers, repeated = read_headers(scope)
        request_id = request_id_of(headers.get(REQUEST_ID))
        id_header = (REQUEST_ID, request_id)
        # A repeated header is rare, and FastAPI's reading of it decides: no cache for it.
        key = self.cache.key(scope, headers) if self.cache is not None and not repeated else None
        entry = self.cache.entries.get(key) if key is not None else None
        if entry is not None:
            start, body = self.cache.replay(entry, headers.get(IF_NONE_MATCH))
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
            await self.app(scope, receive, send_with_id if key is None else self.cache.recorder(key, send_with_id))
        finally:
            log_access(scope, request_id, response["status"], response["bytes"], started)
