"""A bounded cache of finished responses, which the front door (api/front.py) answers from.

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

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.types import Message, Scope, Send

from api.responses import matches

CACHEABLE_PREFIX = "/v1"
UNCACHEABLE_PREFIX = "/v1/exports/"
# Headers a 304 leaves out: it has no body (RFC 9110 §15.4.5).
BODY_HEADERS = {b"content-type", b"content-length", b"content-encoding"}


class LRU:
    """A mapping that keeps at most `max_entries` items and `max_bytes` of `size(item)`, dropping
    the least recently used first. For one thread: the response cache, used only on the event loop
    (see SharedLRU for the others)."""

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


class SharedLRU(LRU):
    """An LRU that threads share: the database memos are read on the event loop and filled from the
    threadpool at the same time. Unguarded, interleaved calls lose size updates or raise KeyError."""

    def __init__(self, max_entries: int, max_bytes: int | None = None, size: Callable[[Any], int] = lambda _: 0) -> None:
        super().__init__(max_entries, max_bytes, size)
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            return super().get(key)

    def put(self, key: Hashable, item: Any) -> None:
        with self.lock:
            super().put(key, item)

    def clear(self) -> None:
        with self.lock:
            super().clear()


class Entry:
    """A stored 200 as the messages that replay it, and those of its 304, built once (the front
    door sends copies with the request's id added)."""

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

    def answer(self, if_none_match: bytes | None) -> tuple[Message, Message]:
        """The two messages that answer a request: the 304 when its If-None-Match matches."""
        if if_none_match is not None and matches(if_none_match.decode("latin-1"), self.etag):
            return self.not_modified
        return self.ok


# The request headers a cached response depends on, besides the path and the query string:
# negotiation (script, format, gzip) and CORS (which answers per Origin).
KEY_HEADERS = ACCEPT, ACCEPT_LANGUAGE, ACCEPT_ENCODING, ORIGIN = (b"accept", b"accept-language", b"accept-encoding", b"origin")
IF_NONE_MATCH = b"if-none-match"


class ResponseCache:
    """The store the front door (api/front.py) answers from: what a request is keyed by, the
    entries, and a recorder that stores a 200 as FastAPI sends it. Used only on the event loop:
    the front door reads it there, and FastAPI sends every response from there."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 16 * 2**20) -> None:
        self.entries = LRU(max_entries, max_bytes, size=lambda entry: entry.size)

    def key(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple | None:
        """What the response depends on, or None when it must not come from the cache. `headers`
        holds the request's KEY_HEADERS it carries. The key is the request as sent (path, raw query
        string and the headers that negotiate): no parsing, so a hit costs a few dictionary
        operations, and two spellings of one request are simply two entries."""
        path = scope["path"]
        if scope["method"] != "GET" or not path.startswith(CACHEABLE_PREFIX) or path.startswith(UNCACHEABLE_PREFIX):
            return None
        value = headers.get  # spelled out: a third of the cost of unpacking a map over KEY_HEADERS
        return path, scope["query_string"], value(ACCEPT), value(ACCEPT_LANGUAGE), value(ACCEPT_ENCODING), value(ORIGIN)

    def recorder(self, key: tuple, send: Send) -> Send:
        """`send`, storing the response under `key` if it is a finished 200 of the API's own."""
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", []))  # as FastAPI sent them
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
