"""The response cache: a bounded store of finished responses, and the middleware that answers from it.

The data is immutable for a dataset version, so a response is a pure function of the request: its
method, path, query string and what its headers negotiate (script, format, RDF syntax, gzip, the
CORS outcome: a `Negotiation`, api/negotiation.py). That is the key, never the raw header bytes. A
cache belongs to one dataset version (api/snapshot.py). A request the cache cannot answer goes
through FastAPI (its middleware, routing, validation, SQL); the second time its key is asked for,
its 200 is stored as it was sent, and the next ones are answered from here, the 304 for a matching
If-None-Match included (api/conditional.py decides). That request, if it carries If-None-Match,
reaches FastAPI without it, so that it too leaves its 200 behind: after a restart, browsers
revalidating what they hold would otherwise miss for as long as no one asked for the whole
response. FastAPI stays the one place where routes, parameters and the spec are defined: this
layer only replays its answers.

Storing on the second request, not the first: most keys are asked for once (a crawler's walk,
filters varied by hand), and storing each of those cost about a fifth of a request's CPU, and
pushed out the entries that are asked for again (bench/RESULTS.md, the admission figures). The
keys seen once are remembered by their hash only, as many as `max_entries` (and a sixteenth of
`max_bytes` at most).

Only 200s of the API's own JSON, CSV and text bodies are stored (never errors, never downloads,
which are streamed from disk with Range support). The cache holds at most `max_entries` responses
and `max_bytes` of bodies, headers and keys together, the hashes of the keys seen once included,
dropping the least recently used first.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.conditional import not_modified
from api.lru import compact, footprint
from api.negotiation import negotiation_of

CACHEABLE_PREFIX = "/v1"
# The downloads, current (/v1/exports/{name}) or of a release (/v1/releases/{id}/exports/{name}).
DOWNLOAD = re.compile(r"/v1/(?:releases/[^/]*/)?exports/")
IF_NONE_MATCH = b"if-none-match"
# Headers a 304 leaves out: it has no body (RFC 9110 §15.4.5).
BODY_HEADERS = {b"content-type", b"content-length", b"content-encoding"}
ENTRY_OVERHEAD = 1024  # an Entry, its four messages and its slot in the mapping
SEEN_WEIGHT = 128  # a key's hash (an int) and its slot in the mapping of keys seen once


class Entry:
    """A stored 200 as the messages that replay it, and those of its 304, built once."""

    __slots__ = ("etag", "not_modified", "ok", "size")

    def __init__(self, key: tuple, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.etag = next(v for k, v in headers if k == b"etag").decode("latin-1")
        self.size = ENTRY_OVERHEAD + footprint(key) + footprint(headers) + len(body)
        self.ok = (
            {"type": "http.response.start", "status": 200, "headers": tuple(headers)},
            {"type": "http.response.body", "body": body},
        )
        self.not_modified = (
            {"type": "http.response.start", "status": 304, "headers": tuple(h for h in headers if h[0] not in BODY_HEADERS)},
            {"type": "http.response.body", "body": b""},
        )

    def answer(self, if_none_match: bytes | None) -> tuple[Message, Message]:
        """The two messages that answer a request with this If-None-Match (None: not sent)."""
        if if_none_match is not None and not_modified(if_none_match.decode("latin-1"), self.etag):
            return self.not_modified
        return self.ok


class ResponseCache:
    """The entries under their keys, least recently used first, and a recorder that stores a 200
    as FastAPI sends it. Used only on the event loop, where every response is sent."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 16 * 2**20) -> None:
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.seen: OrderedDict[int, None] = OrderedDict()  # hashes of keys asked for once, oldest first
        self.max_entries, self.max_bytes, self.size = max_entries, max_bytes, 0

    def clear(self) -> None:
        self.entries.clear()
        self.seen.clear()
        self.size = 0

    def admits(self, key: tuple) -> bool:
        """Whether the answer for `key` is to be stored: it was asked for before (among the last
        `max_entries` keys asked for once); otherwise it is remembered as asked for."""
        digest = hash(key)
        if digest in self.seen:
            del self.seen[digest]
            self.size -= SEEN_WEIGHT
            return True
        self.seen[digest] = None
        self.size += SEEN_WEIGHT
        self._fit()
        return False

    def get(self, key: tuple) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def recorder(self, key: tuple, send: Send, if_none_match: bytes | None = None) -> Send:
        """`send`, storing under `key` a finished 200 of the API's own. With `if_none_match`,
        FastAPI was asked for the 200 without that condition: the 200 is then held until it is
        complete, and the condition answered from it."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = compact(b"".join(chunks))
                    entry = self._keep(key, list(start.get("headers", [])), body)
                    if if_none_match is not None:  # the held 200 is whole: answer the condition from it
                        answer = entry.answer(if_none_match) if entry is not None else (start, {"type": "http.response.body", "body": body})
                        for held in answer:
                            await send(held)
                        return
            if if_none_match is None or start is None:  # a 200 is held while the condition waits on it
                await send(message)

        return record

    def _keep(self, key: tuple, headers: list[tuple[bytes, bytes]], body: bytes) -> Entry | None:
        """The entry of a finished 200 as FastAPI sent it, stored if it fits; None when it has no
        ETag (not one of the API's own responses)."""
        if not any(k == b"etag" for k, _ in headers):
            return None
        entry = Entry(key, headers, body)
        if entry.size <= self.max_bytes // 16:  # none that would crowd out the rest
            replaced = self.entries.pop(key, None)  # two first requests for it were in flight at once
            if replaced is not None:
                self.size -= replaced.size
            self.entries[key] = entry
            self.size += entry.size
            self._fit()
        return entry

    def _fit(self) -> None:
        """Within the bounds again: the oldest hashes out beyond their share (as many as the
        entries, a sixteenth of the bytes at most), then the least recently used entries."""
        while len(self.seen) > min(self.max_entries, self.max_bytes // 16 // SEEN_WEIGHT):
            self.seen.popitem(last=False)
            self.size -= SEEN_WEIGHT
        while self.entries and (len(self.entries) > self.max_entries or self.size > self.max_bytes):
            self.size -= self.entries.popitem(last=False)[1].size


def stores(scope: Scope) -> bool:
    """Whether the answer to this request may be stored: a GET under /v1 that is not a download."""
    path = scope["path"]
    return scope["method"] == "GET" and path.startswith(CACHEABLE_PREFIX) and not DOWNLOAD.match(path)


class CachedResponses:
    """ASGI middleware: answers from the request's response cache (`cache_of(scope)`, None for
    none), and stores there the 200s `app` sends. Needs the Negotiation in the scope."""

    def __init__(self, app: ASGIApp, cache_of: Callable[[Scope], ResponseCache | None]) -> None:
        self.app, self.cache_of = app, cache_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache_of(scope)
        if cache is None or not stores(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["method"], scope["path"], scope["query_string"], negotiation_of(scope))
        if_none_match = next((value for name, value in scope["headers"] if name == IF_NONE_MATCH), None)
        entry = cache.get(key)
        if entry is not None:
            for message in entry.answer(if_none_match):
                await send(message)
            return
        if not cache.admits(key):
            await self.app(scope, receive, send)
            return
        if if_none_match is not None:
            # FastAPI is asked for the 200, which fills the cache, and the recorder answers the
            # condition from it. A 304 from FastAPI would store nothing: revalidations of a
            # response that no one fetched whole since the start would never stop missing.
            scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != IF_NONE_MATCH]}
        await self.app(scope, receive, cache.recorder(key, send, if_none_match))
