"""The front door: every HTTP request passes here before FastAPI's own stack.

`FrontedAPI` is FastAPI with a `__call__` in front of it. It gives each request its id (returned in
X-Request-ID), answers it from the response cache when the cache holds it (api/cache.py), and
writes its access line. A cached answer therefore costs one pass through that method and nothing of
FastAPI's stack (middleware, routing, validation), which serves everything else, lifespan included.

The cached path is written out in that one method on purpose. With the server busy, each function
it calls shows in the benchmark, about half a per cent of the cached item's cost apiece (measured
against a framework-free app on the same core, as bench/paired.py does).
"""

from __future__ import annotations

import time
from logging import INFO

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.cache import ACCEPT, ACCEPT_ENCODING, ACCEPT_LANGUAGE, IF_NONE_MATCH, KEY_HEADERS, ORIGIN, ResponseCache
from api.logs import CLIENT_REQUEST_ID, REQUEST_ID, access_log, log_access, new_request_id

# The request headers the front door reads: the caller's request id and what the cache keys on.
READ_HEADERS = frozenset((REQUEST_ID, IF_NONE_MATCH, *KEY_HEADERS))


class FrontedAPI(FastAPI):
    """FastAPI behind a front door that answers cached responses before FastAPI's stack runs."""

    response_cache: ResponseCache | None = None  # None: every request goes through FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        logged = access_log.isEnabledFor(INFO)  # when not, the request is not even timed
        started = time.perf_counter() if logged else 0.0
        # One pass over the headers: the first of each that the front door reads, and whether one
        # came twice (rare; then FastAPI's reading of them decides, and the cache stays out).
        headers: dict[bytes, bytes] = {}
        repeated = False
        for name, value in scope["headers"]:
            if name in READ_HEADERS:
                if name in headers:
                    repeated = True
                else:
                    headers[name] = value
        given = headers.get(REQUEST_ID)
        request_id = given if given is not None and CLIENT_REQUEST_ID.fullmatch(given) else new_request_id()
        id_header = (REQUEST_ID, request_id)
        # What a response depends on: the request as sent (method, path, raw query string and the
        # headers that negotiate script, format, gzip and CORS). No parsing, so a hit costs a few
        # dictionary operations, and two spellings of one request are simply two entries.
        value = headers.get
        key = (
            scope["method"],
            scope["path"],
            scope["query_string"],
            value(ACCEPT),
            value(ACCEPT_LANGUAGE),
            value(ACCEPT_ENCODING),
            value(ORIGIN),
        )
        cache = None if repeated else self.response_cache
        entry = cache.entries.get(key) if cache is not None else None
        if_none_match = value(IF_NONE_MATCH)
        if entry is not None:
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

        try:
            if cache is None or not cache.stores(scope):
                await super().__call__(scope, receive, send_with_id)
            else:
                if if_none_match is not None:
                    # FastAPI is asked for the 200, which fills the cache, and the recorder answers the
                    # condition from it. A 304 from FastAPI would store nothing: revalidations of a
                    # response that no one fetched whole since the start would never stop missing.
                    scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != IF_NONE_MATCH]}
                await super().__call__(scope, receive, cache.recorder(key, send_with_id, if_none_match))
        finally:
            if logged:
                log_access(scope, request_id, response["status"], response["bytes"], started)
