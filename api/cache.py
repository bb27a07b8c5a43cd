"""A bounded cache of finished responses, in front of FastAPI.

The data is immutable for a dataset version, so a response is a pure function of (path, query,
negotiated representation, gzip or not). The first request for a combination goes through FastAPI
(routing, validation, SQL) and its 200 is stored as it was sent; the next ones are answered from
here, including the 304 for a matching If-None-Match, without touching FastAPI. FastAPI stays the
one place where routes, parameters and the spec are defined: this layer only replays its answers.

Only 200s of the API's own JSON, CSV and text bodies are stored (never errors, never downloads,
which are streamed from disk with Range support). The cache holds at most `max_entries` responses
and `max_bytes` of bodies, least recently used out first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.negotiation import negotiate
from api.responses import accepts_gzip, matches

CACHEABLE_PREFIX = "/v1"
UNCACHEABLE_PREFIX = "/v1/exports/"
# Headers a 304 leaves out: it has no body (RFC 9110 §15.4.5).
BODY_HEADERS = {b"content-type", b"content-length", b"content-encoding"}


class LRU:
    """A mapping that keeps at most `max_entries` items and `max_bytes` of `size(item)`, dropping
    the least recently used first."""

    def __init__(self, max_entries: int, max_bytes: int | None = None, size: Callable[[Any], int] = lambda _: 0) -> None:
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.max_entries, self.max_bytes, self.size_of, self.size = max_entries, max_bytes, size, 0

    def get(self, key: Hashable) -> Any:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: Hashable, item: Any) -> None:
        if key in self.items:
            self.size -= self.size_of(self.items.pop(key))
        self.items[key] = item
        self.size += self.size_of(item)
        while len(self.items) > self.max_entries or (self.max_bytes is not None and self.size > self.max_bytes):
            _, evicted = self.items.popitem(last=False)
            self.size -= self.size_of(evicted)

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        self.items.clear()
        self.size = 0


class Entry:
    __slots__ = ("body", "etag", "headers", "not_modified_headers")

    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.headers, self.body = headers, body
        self.etag = next(v for k, v in headers if k == b"etag").decode("latin-1")
        self.not_modified_headers = [(k, v) for k, v in headers if k not in BODY_HEADERS]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class ResponseCache:
    def __init__(self, app: ASGIApp, max_entries: int = 1024, max_bytes: int = 16 * 2**20) -> None:
        self.app = app
        self.entries = LRU(max_entries, max_bytes, size=lambda entry: len(entry.body))

    def key(self, scope: Scope) -> tuple | None:
        """What the response depends on, or None when it must not come from the cache."""
        path = scope["path"]
        if scope["method"] != "GET" or not path.startswith(CACHEABLE_PREFIX) or path.startswith(UNCACHEABLE_PREFIX):
            return None
        raw = scope["query_string"]
        try:
            query = tuple(sorted(parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="strict"))) if raw else ()
        except UnicodeDecodeError:
            return None  # an error response: let the app say so
        accept_language, accept = _header(scope, b"accept-language"), _header(scope, b"accept")
        representation = negotiate(dict(query), {"accept-language": accept_language or "", "accept": accept or ""})
        return path, query, representation, accepts_gzip(_header(scope, b"accept-encoding"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is not None:
            if matches(_header(scope, b"if-none-match"), entry.etag):
                # Copies: middleware outside (CORS) edits the headers of the messages it passes on.
                await send({"type": "http.response.start", "status": 304, "headers": list(entry.not_modified_headers)})
                await send({"type": "http.response.body", "body": b""})
            else:
                await send({"type": "http.response.start", "status": 200, "headers": list(entry.headers)})
                await send({"type": "http.response.body", "body": entry.body})
            return
        await self.app(scope, receive, self._recorder(key, send))

    def _recorder(self, key: tuple, send: Send) -> Send:
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", []))  # before middleware outside edits them
            elif message["type"] == "http.response.body" and headers is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(key, headers, b"".join(chunks))
            await send(message)

        return record

    def _store(self, key: tuple, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if not any(k == b"etag" for k, _ in headers) or len(body) > self.entries.max_bytes // 16:
            return  # only the API's finished responses, and none that would crowd out the rest
        self.entries.put(key, Entry(headers, body))
