"""The response cache replays exactly what FastAPI answers: same status, headers and bytes, on
every endpoint and representation, and it stays within its bounds."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from api.cache import SEEN_WEIGHT
from api.main import create_app

MATRIX = "/v1/documents/lianzhengzong-2021-127/matrix"  # not a list, but CSV by format=csv or Accept as well
PATHS = [
    "/v1",
    "/v1/documents",
    "/v1/documents/lianzhengzong-2021-127",
    "/v1/documents/lianzhengzong-2021-127/full",
    "/v1/documents/lianzhengzong-2021-127/corrections?kind=typo",
    "/v1/documents/lianzhengzong-2021-127/source",
    "/v1/documents/lianzhengzong-2021-127/source?form=restored",
    "/v1/chapters",
    "/v1/chapters/lianzhengzong-2021-127-ch2",
    "/v1/measures?unit=科技局",
    "/v1/measures?limit=5&offset=5",
    "/v1/measures?offset=5&limit=5",
    "/v1/measures?q=养老",
    "/v1/measures/lianzhengzong-2021-127-m7",
    "/v1/measure-units?unit=finance",
    "/v1/units?sort=-measure_count",
    "/v1/units/development-reform",
    "/v1/units/development-reform/measures",
    "/v1/units/development-reform/measures.csv",  # a list's CSV operation: CSV whatever the Accept header
    "/v1/measures?fields=title,number",  # two selections of one list: two entries, each its own bytes
    "/v1/measures?fields=units,id",
    "/v1/units?fields=name,links",
    "/v1/exports",
    MATRIX,
]
LISTS = {p for p in PATHS if "?" in p and "source" not in p and "corrections" not in p} | {"/v1/chapters", "/v1/documents", MATRIX}
HEADER_SETS = [
    {},
    {"Accept-Language": "zh-CN"},
    {"Accept": "text/csv"},
    {"Accept-Encoding": "gzip"},
    {"Accept-Language": "zh-CN;q=0.9, en", "Accept-Encoding": "gzip, deflate"},  # each set negotiates differently
    {"Origin": "https://example.org"},  # CORS answers per origin, and the cache sits outside it
]
QUERIES = ["", "script=hans", "format=csv", "script=hans&format=csv"]


@pytest.fixture(scope="module")
def uncached(app_settings):
    with TestClient(create_app(app_settings.model_copy(update={"response_cache_entries": 0}))) as client:
        yield client


def requests():
    for path, headers, extra in itertools.product(PATHS, HEADER_SETS, QUERIES):
        if "format=csv" in extra and path not in LISTS:
            continue
        yield path + ("&" if "?" in path else "?") + extra if extra else path, headers


def exchange(client, url, headers):
    given = list(headers.items()) if isinstance(headers, dict) else headers
    identity = [] if any(name == "Accept-Encoding" for name, _ in given) else [("Accept-Encoding", "identity")]
    response = client.get(url, headers=identity + given)
    headers = sorted((k, v) for k, v in response.headers.multi_items() if k != "x-request-id")  # unique per request
    return response.status_code, headers, response.content


@pytest.mark.parametrize("revalidation_first", [False, True], ids=["plain-first", "revalidation-first"])
def test_cached_responses_are_byte_and_header_identical_to_uncached(client, uncached, app, revalidation_first):
    """Every answer of the cached app, whether it passed the cache by, filled it or came from it, is
    the uncached app's. A key is stored the second time it is asked for. With `revalidation_first`,
    the first two requests for each combination carry a matching If-None-Match: the second fills
    the cache, and what follows is answered from it."""
    cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
    cache.clear()
    compared = 0
    for url, headers in requests():
        expected = exchange(uncached, url, headers)
        assert expected[0] == 200, (url, headers, expected)
        conditional = {**headers, "If-None-Match": dict(expected[1])["etag"]}
        not_modified = exchange(uncached, url, conditional)
        assert not_modified[0] == 304, (url, headers)
        stored = len(cache.entries)
        if revalidation_first:
            assert exchange(client, url, conditional) == not_modified, (url, headers)
            assert len(cache.entries) == stored, (url, headers)  # asked for once: not stored
            assert exchange(client, url, conditional) == not_modified, (url, headers)
            assert len(cache.entries) == stored + 1, (url, headers)  # the second left the 200 behind
        first, second, third = (exchange(client, url, headers) for _ in range(3))
        assert first == expected == second == third, (url, headers)
        assert exchange(client, url, conditional) == not_modified, (url, headers)
        assert len(cache.entries) == stored + 1, (url, headers)
        compared += 1
    assert compared > 200


def test_errors_and_downloads_are_never_cached(client, app):
    cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
    cache.clear()
    client.get("/v1/measures/nope")
    client.get("/v1/measures?limit=0")
    client.get("/v1/exports/hant/measures.csv")
    assert not cache.entries


def test_a_revalidation_that_does_not_match_or_fails_is_answered_as_fastapi_answers_it(client, uncached, app):
    """A first request with If-None-Match reaches FastAPI without it: what comes back must still be
    FastAPI's answer to the request as sent (a 200 for a stale ETag, the error for an error)."""
    cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
    for url, status in [("/v1/measures/lianzhengzong-2021-127-m7", 200), ("/v1/measures/nope", 404), ("/v1/measures?limit=0", 400)]:
        cache.clear()
        stale = {"If-None-Match": '"0123456789abcdef01234567", W/"stale"'}
        for _ in range(2):  # the second time, it is asked for without the condition and stored
            answer = exchange(client, url, stale)
            assert answer == exchange(uncached, url, stale) and answer[0] == status, url
        assert len(cache.entries) == (1 if status == 200 else 0), url


def test_the_cache_is_bounded(app_settings):
    app = create_app(app_settings.model_copy(update={"response_cache_entries": 8}))
    with TestClient(app) as client:
        for offset in range(50):
            for _ in range(2):  # stored the second time
                assert client.get(f"/v1/measures?limit=1&offset={offset}").status_code == 200
        cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
        assert len(cache.entries) == 8
        assert cache.size == sum(e.size for e in cache.entries.values())
        assert all(e.size > len(e.ok[1]["body"]) + len(key[2]) for key, e in cache.entries.items())  # headers and key counted


def test_a_key_asked_for_once_is_remembered_by_its_hash_within_the_bounds(app_settings):
    """One-off requests store nothing but their key's hash, as many as the entries, and those
    hashes count in the cache's size; a key asked for again among them is stored."""
    app = create_app(app_settings.model_copy(update={"response_cache_entries": 8}))
    with TestClient(app) as client:
        cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
        for offset in range(30):
            assert client.get(f"/v1/measures?limit=2&offset={offset}").status_code == 200
        assert not cache.entries and len(cache.seen) == 8
        assert cache.size == 8 * SEEN_WEIGHT
        client.get("/v1/measures?limit=2&offset=25")  # among the last 8 (22 to 29): stored now
        client.get("/v1/measures?limit=2&offset=0")  # forgotten: remembered again, not stored
        assert [key[2] for key in cache.entries] == [b"limit=2&offset=25"]
        assert cache.size == len(cache.seen) * SEEN_WEIGHT + sum(e.size for e in cache.entries.values())


def test_eviction_drops_the_least_recently_used_entry(app_settings):
    """An entry answered from moves behind those that were not: first in, first out would have
    dropped it for the fourth response."""
    app = create_app(app_settings.model_copy(update={"response_cache_entries": 3}))
    hot, *cold = [f"/v1/measures?limit=1&offset={offset}" for offset in range(5)]
    with TestClient(app) as client:

        def store(url: str) -> None:  # a key is stored the second time it is asked for
            client.get(url)
            client.get(url)

        store(hot)
        store(cold[0])
        store(cold[1])
        client.get(hot)  # answered from the cache: now the most recently used
        store(cold[2])
        store(cold[3])
        stored = [key[2].decode() for key in app.served.snapshot.cache.entries]
    assert stored == ["limit=1&offset=0", "limit=1&offset=3", "limit=1&offset=4"]


def test_a_cached_answer_is_never_replayed_to_another_origin(app_settings):
    """With a list of allowed origins, CORS answers each origin differently; the cache keys on it."""
    app = create_app(app_settings.model_copy(update={"cors_origins": "https://allowed.example"}))
    with TestClient(app) as client:
        for _ in range(2):  # the second round comes from the cache
            allowed = client.get("/v1/units/finance", headers={"Origin": "https://allowed.example"})
            other = client.get("/v1/units/finance", headers={"Origin": "https://other.example"})
            anonymous = client.get("/v1/units/finance")
            assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
            assert "access-control-allow-origin" not in other.headers
            assert "access-control-allow-origin" not in anonymous.headers
        cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
        assert len(cache.entries) == 3


def test_a_repeated_negotiating_header_negotiates_by_its_first_value_in_the_route_and_the_cache(client, uncached, app):
    """The front door reads each header once, the first of its name, and the route reads what the
    front door read: a repeated header cannot make the two disagree."""
    cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
    cache.clear()
    twice = [("Accept-Language", "zh-CN"), ("Accept-Language", "zh-TW")]
    first_only = exchange(uncached, "/v1/units/finance", {"Accept-Language": "zh-CN"})
    assert exchange(client, "/v1/units/finance", twice) == first_only  # stored
    assert exchange(client, "/v1/units/finance", twice) == first_only  # from the cache
    assert exchange(client, "/v1/units/finance", {"Accept-Language": "zh-CN"}) == first_only
    assert len(cache.entries) == 1


def test_headers_that_negotiate_alike_share_one_entry(client, uncached, app):
    """The key is what the headers negotiate, not their bytes: unique Accept-Language values that
    all mean Traditional, and unique origins under the default policy (every origin, `*`), are
    one entry, answered as FastAPI answers each of them."""
    cache = app.served.snapshot.cache  # answered from before FastAPI's stack runs
    cache.clear()
    for n in range(20):
        headers = {"Accept-Language": f"x-{n}, zh-TW;q=0.5", "Origin": f"https://site{n}.example"}
        assert exchange(client, "/v1/units/finance", headers) == exchange(uncached, "/v1/units/finance", headers)
    assert len(cache.entries) == 1


@pytest.mark.parametrize("url", ["/v1/units/finance", "/v1/units/nope"])  # from the cache once stored, and a 404
def test_request_ids_are_kept_only_when_tame(client, url):
    def returned(given: bytes | None) -> bytes:
        response = client.get(url, headers={} if given is None else {b"X-Request-ID": given})
        return response.headers["x-request-id"].encode()

    for _ in range(2):  # the second round of the 200 comes from the cache
        assert returned(b"abc-123.x:y_z") == b"abc-123.x:y_z"
        for wild in (b"abc\n", b"a b", b"x" * 65, b"", "é".encode()):  # "abc\n" passed a ^...$ pattern
            generated = returned(wild)
            assert generated != wild and len(generated) == 32, wild
        assert returned(None) != returned(None)  # a new one each time


def test_new_request_ids_come_once_each_and_in_order():
    """Each new id comes out once, in counting order, under the process's prefix."""
    from api.logs import new_request_id

    ids = [new_request_id() for _ in range(3000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # a fixed-width hex counter under one prefix
    assert len({i[:16] for i in ids}) == 1 and all(len(i) == 32 for i in ids)


def test_the_memo_lru_serialises_threads():
    """The database memos are read on the event loop and filled from the threadpool at once. An
    unguarded get or put, interleaved with another, loses size updates or raises KeyError (seen
    with threads switching every microsecond); each waits for the other instead."""
    import threading

    from api.lru import SharedLRU

    lru = SharedLRU(2, 100_000)
    lru.put("a", "xx")
    for call, args in ((lru.put, ("b", "yyy")), (lru.get, ("a",)), (lru.clear, ())):
        with lru.lock:  # another thread is in the middle of an operation
            thread = threading.Thread(target=call, args=args)
            thread.start()
            thread.join(0.2)
            assert thread.is_alive(), f"{call.__name__} did not wait for the operation under way"
        thread.join(5)
        assert not thread.is_alive()
    assert len(lru) == 0 and lru.size == 0
