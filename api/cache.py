"""A bounded cache of finished responses, in front of FastAPI.

The data is immutable for a dataset version, so a response is a pure function of the request: its
path, its query string and the headers that negotiate the representation (script, format, gzip)
and CORS. The first request for a combination goes through FastAPI (its middleware, routing,
validation, SQL) and its 200 is stored as it was sent; the next ones are answered from here,
including the 304 for a matching If-None-Match, without touching FastAPI at all. FastAPI stays the
one place where routes, parameters and the spec are defined: this layer only replays its answers.

Only 200s of the API's own JSON, CSV and text bodies are stored (never errors, never downloads,
which are streamed from disk with Range support). The cache holds at most `max_entries` responses
and `max_bytes` of bodies, least recently used out first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import matches

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
        if self.max_bytes is not None and self.size_of(item) > self.max_bytes:
            return  # it would push out everything else and still not fit
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
    """A stored 200 as the messages that replay it, and those of its 304 (built once: every replay
    sends these very objects, so layers outside must not edit them in place; none does)."""

    __slots__ = ("etag", "not_modified", "ok", "size")

    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.etag = next(v for k, v in headers if k == b"etag").decode("latin-1")
        self.size = len(body)
        self.ok = (
            {"type": "http.response.start", "status": 200, "headers": tuple(headers)},
            {"type": "http.response.body", "body": body},
        )
        self.not_modified = (
            {"type": "http.response.start", "status": 304, "headers": tuple((k, v) for k, v in headers if k not in BODY_HEADERS)},
            {"type": "http.response.body", "body": b""},
        )


# The request headers a cached response depends on, besides the path and the query string:
# negotiation (script, format, gzip) and CORS (which answers per Origin).
KEY_HEADERS = (b"accept", b"accept-language", b"accept-encoding", b"origin")


class ResponseCache:
    def __init__(self, app: ASGIApp, max_entries: int = 1024, max_bytes: int = 16 * 2**20) -> None:
        self.app = app
        self.entries = LRU(max_entries, max_bytes, size=lambda entry: entry.size)

    def key(self, scope: Scope) -> tuple[tuple, str | None] | None:
        """(What the response depends on, the If-None-Match value), or None when the response
        must not come from the cache. The key is the request as sent (path, raw query string and
        the headers that negotiate): no parsing, so a hit costs a few dictionary operations, and
        two spellings of one request are simply two entries."""
        path = scope["path"]
        if scope["method"] != "GET" or not path.startswith(CACHEABLE_PREFIX) or path.startswith(UNCACHEABLE_PREFIX):
            return None
        values: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in KEY_HEADERS or name == b"if-none-match":
                if name in values:
                    return None  # a repeated header: rare, and FastAPI's reading of it decides
                values[name] = value
        if_none_match = values.pop(b"if-none-match", None)
        key = (path, scope["query_string"], *(values.get(name) for name in KEY_HEADERS))
        return key, None if if_none_match is None else if_none_match.decode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.key(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        key, if_none_match = found
        entry = self.entries.get(key)
        if entry is None:
            await self.app(scope, receive, self._recorder(key, send))
        else:
            start, body = entry.not_modified if if_none_match is not None and matches(if_none_match, entry.etag) else entry.ok
            await send(start)
            await send(body)

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
