"""The front door: every HTTP request passes here before FastAPI.

It gives the request its id (returned in X-Request-ID), answers it from the response cache when
the cache holds it (api/cache.py), and writes its access line. A cached answer therefore costs
one pass through this class and nothing of FastAPI's stack (middleware, routing, validation),
which serves everything else, lifespan included.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cache import ResponseCache
from api.logs import log_access, request_id_of


class FrontDoor:
    def __init__(self, app: ASGIApp, cache: ResponseCache | None) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        id_header = (b"x-request-id", request_id.encode())
        found = self.cache.key(scope) if self.cache is not None else None
        entry = self.cache.entries.get(found[0]) if found is not None else None
        if entry is not None:
            start, body = self.cache.replay(entry, found[1])
            await send({**start, "headers": [*start["headers"], id_header]})
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
            await self.app(scope, receive, send_with_id if found is None else self.cache.recorder(found[0], send_with_id))
        finally:
            log_access(scope, request_id, response["status"], response["bytes"], started)
