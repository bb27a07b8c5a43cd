"""Correct and bounded under hostile input, at the ASGI interface (below any server's header cap):
the caches stay within their settings, keys included, whatever the headers carry; load beyond
MAX_IN_FLIGHT is shed, never /healthz; a request's Host must be there once."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import uuid
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app

MIB = 2**20
REQUESTS = 600


def asgi_request(path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None, http_version: str = "1.1") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": http_version,
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")] if headers is None else headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def call(app, scope: dict, hold: asyncio.Event | None = None) -> tuple[int, dict[bytes, bytes], bytes]:
    """The app's answer to `scope`; with `hold`, its response waits at its first message until set."""
    messages: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if hold is not None:
            await hold.wait()
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in messages[1:])


def hostile_requests(count: int):
    """Unique 1 MiB Accept-Language and Origin headers on unique queries: valid ones, and every
    tenth a unique 1 MiB query string (refused with a 400: every parameter's length is bounded).
    Each comes twice, since the response cache stores a key the second time it is asked for."""
    for n in range(count):
        unique = uuid.uuid4().hex
        headers = [
            (b"host", b"testserver"),
            (b"accept-language", f"zh-hans-{unique}, ".encode() + b"x" * MIB),
            (b"origin", f"https://{unique}.example/".encode() + b"o" * MIB),
        ]
        word = quote(f"{unique}養老{'服務' * 33}")  # q's 100 characters at most
        path, query = ("/v1/measures", f"q={word}") if n % 3 else ("/v1/units", f"q={unique}")
        if n % 10 == 0:
            query = f"q={unique}" + "x" * MIB
        yield asgi_request(path, query.encode(), headers)
        yield asgi_request(path, query.encode(), headers)


def test_the_caches_stay_within_their_settings_keys_included(built_db):
    """Enough hostile requests to fill both the response cache and the database memo several
    times over: their byte counts never pass their settings, and what they really hold (traced by
    the allocator) is no more than they count. (Both backends share this code: SQLite is enough.)"""
    bound = MIB // 8
    settings = Settings(database_url=f"sqlite:///{built_db}").model_copy(
        update={"response_cache_mib": 0.125, "response_cache_entries": 100_000, "memo_mib": 0.125}
    )
    app = create_app(settings)
    with TestClient(app) as client:

        async def hammer() -> tuple[int, int]:
            snapshot = app.served.snapshot
            stored = kept = 0
            for scope in hostile_requests(REQUESTS):
                status, _, _ = await call(app, scope)
                assert status == (400 if len(scope["query_string"]) > MIB else 200)
                assert snapshot.cache.size <= bound
                assert snapshot.db.memo.size <= bound
                stored = max(stored, len(snapshot.cache.entries))
                kept = max(kept, len(snapshot.db.memo))
            return stored, kept

        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            stored, kept = client.portal.call(hammer)
            snapshot = app.served.snapshot
            counted = snapshot.cache.size + snapshot.db.memo.size
            gc.collect()  # what the requests left for the collector is not the caches'
            full = tracemalloc.get_traced_memory()[0]
            snapshot.cache.clear()
            snapshot.db.memo.clear()
            gc.collect()
            held = full - tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert stored < REQUESTS * 0.6 and kept < REQUESTS * 0.6  # both filled up and evicted (each valid request is a new entry)...
        assert counted > 1.5 * bound
        assert held <= counted, f"the caches held {held} bytes but counted {counted}"  # ...and count all they hold
        assert full - before < 8 * MIB  # nothing else kept the 1 MiB headers either


def test_load_beyond_max_in_flight_is_shed_but_never_healthz(app_settings, caplog):
    """With MAX_IN_FLIGHT requests in the app's hands (their responses held), the next one gets
    503 with Retry-After, and its cause is logged; /healthz still answers 200; once they finish,
    requests are served again."""
    app = create_app(app_settings.model_copy(update={"max_in_flight": 2, "response_cache_entries": 0}))
    with TestClient(app) as client:

        async def overload() -> None:
            hold = asyncio.Event()
            held = [asyncio.create_task(call(app, asgi_request("/v1/units"), hold)) for _ in range(2)]
            while app.in_flight < 2:
                await asyncio.sleep(0.01)
            status, headers, body = await call(app, asgi_request("/v1/chapters"))
            assert status == 503 and headers[b"retry-after"] == b"1"
            assert headers[b"content-type"] == b"application/problem+json"
            assert orjson.loads(body)["status"] == 503
            assert (await call(app, asgi_request("/healthz")))[0] == 200
            hold.set()
            assert [(await task)[0] for task in held] == [200, 200]
            assert (await call(app, asgi_request("/v1/chapters")))[0] == 200

        client.portal.call(overload)
    assert any("MAX_IN_FLIGHT" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("headers", "http_version", "status"),
    [
        ([], "1.1", 400),
        ([(b"host", b"a.example"), (b"host", b"b.example")], "1.1", 400),
        ([(b"host", b"a.example"), (b"host", b"b.example")], "1.0", 400),
        ([], "1.0", 200),  # HTTP/1.0 may leave Host out
        ([(b"host", b"a.example")], "1.1", 200),
    ],
)
def test_host_must_be_there_once(client, headers, http_version, status):
    app = client.app
    for _ in range(2):  # the second round could come from the cache
        answer, response_headers, body = client.portal.call(
            call, app, asgi_request("/v1/units/finance", headers=headers, http_version=http_version)
        )
        assert answer == status
        if status == 400:
            assert response_headers[b"content-type"] == b"application/problem+json"
            assert orjson.loads(body)["errors"][0]["parameter"] == "Host"
