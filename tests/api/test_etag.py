"""The ETag of a response the API makes (api/responses.py) is not hashed from its body: it names the
snapshot served (dataset version, representation revision, settings, releases) and what varies at
one URL (media type, language, gzip). So two servers of one build agree on it, and a new version
of the data or of the code that writes the bytes changes it."""

from __future__ import annotations

import gzip
import os
import shutil
from collections import defaultdict
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from api.config import SERVER_ONLY, Settings
from api.main import create_app
from api.revision import PACKAGES, digest_of
from tests.live import get, wait_for

DOCUMENT = "lianzhengzong-2021-127"
MEASURE = f"/v1/measures/{DOCUMENT}-m1"
# A URL of every route that finishes its body through api/responses.py.
FINISHED = [
    "/v1",
    "/v1/documents",
    f"/v1/documents/{DOCUMENT}/full",
    f"/v1/documents/{DOCUMENT}/corrections?kind=typo",
    f"/v1/documents/{DOCUMENT}/source?form=restored",
    f"/v1/documents/{DOCUMENT}/matrix",
    f"/v1/documents/{DOCUMENT}/matrix.csv",
    f"/v1/chapters/{DOCUMENT}-ch2",
    f"/v1/measures?unit={quote('科技局')}&limit=3",
    f"/v1/measures?q={quote('养老')}&fields=title",
    MEASURE,
    "/v1/measure-units?lead=true",
    "/v1/units/finance/measures.csv",
    "/v1/exports",
    "/v1/releases",
    "/v1/catalog",
    "/.well-known/api-catalog",
    "/robots.txt",
    "/sitemap.xml",
    "/",
    f"/?q={quote('養老')}",
    f"/documents/{DOCUMENT}",
    "/problems/not-found",
    "/assets/site.css",
]
JSON_ONLY = [f"/v1/measures?unit={quote('科技局')}&facets=unit&limit=3"]  # facets: no CSV
LANGUAGES = ["zh-Hant", "zh-Hans"]
ACCEPTS = ["application/json", "text/csv", "text/turtle"]
IDENTITY = {"Accept-Encoding": "identity"}


def test_two_servers_of_one_build_send_the_same_bytes_under_the_same_etags(live_server, built_db):
    """A `policy-api serve` process and an app in this process, with the same settings over the same
    build: what one sends, the other sends under the same ETag, and revalidates with a 304."""
    settings = Settings(database_url=f"sqlite:///{built_db}", port=live_server.port)  # as the server reads its own
    with TestClient(create_app(settings)) as here:
        for url in FINISHED + JSON_ONLY:
            ours = here.get(url, headers=IDENTITY)
            status, headers, body = get(live_server.port, url, headers=IDENTITY)
            assert (status, body, headers["etag"]) == (200, ours.content, ours.headers["etag"]), url
            zipped = here.get(url, headers={"Accept-Encoding": "gzip"})
            status, headers, body = get(live_server.port, url, headers={"Accept-Encoding": "gzip"})
            decoded = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
            assert (decoded, headers["etag"]) == (zipped.content, zipped.headers["etag"]), url
            status, _, body = get(live_server.port, url, headers={**IDENTITY, "If-None-Match": ours.headers["etag"]})
            assert (status, body) == (304, b""), url


@pytest.mark.parametrize("url", FINISHED)
def test_responses_that_share_an_etag_at_a_url_share_their_bytes(client, url):
    """Every negotiation of a URL's representation (script, media type, gzip): the same ETag never
    names two different bodies, language or media type."""
    seen: dict[str, set[tuple]] = defaultdict(set)
    for language in LANGUAGES:
        for accept in ACCEPTS:
            for coding in ("identity", "gzip"):
                headers = {"Accept-Language": language, "Accept": accept, "Accept-Encoding": coding}
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, headers)
                sent = (response.content, response.headers["content-type"], response.headers.get("content-language"))
                seen[response.headers["etag"]].add((*sent, response.headers.get("content-encoding")))
    assert all(len(bodies) == 1 for bodies in seen.values()), url


def test_script_media_type_and_gzip_each_give_their_own_etag(client):
    etags = set()
    for language in LANGUAGES:
        for accept in ("application/json", "text/csv"):
            for coding in ("identity", "gzip"):
                response = client.get("/v1/measures", headers={"Accept-Language": language, "Accept": accept, "Accept-Encoding": coding})
                assert response.headers["content-type"].startswith(accept), accept  # each sent as asked
                assert response.headers["content-language"] == language
                assert response.headers.get("content-encoding", "identity") == coding
                etags.add(response.headers["etag"])
    assert len(etags) == 8


def built(folder: Path, raw_source: str, title: str) -> Path:
    """A database built in `folder` from the source with measure 1's title begun with
    `title`: data the release log has no record of, so no release dates."""
    folder.mkdir()
    (folder / "source.txt").write_text(raw_source.replace("1.加大", f"1.{title}", 1), encoding="utf-8")
    database = folder / "policy.sqlite3"
    assert cli(["build", str(folder / "source.txt"), "--no-export", "--database-url", f"sqlite:///{database}"]) == 0
    return database


def test_a_rebuild_of_other_data_changes_the_etag_and_the_same_data_keeps_it(tmp_path, raw_source):
    """The database is replaced under a running app: by a copy of the same build (another file, the
    same dataset version), then by a build of other data. Both are unreleased data (no release
    dates) and there are no dumps: only the dataset version differs."""
    copy = built(tmp_path / "first", raw_source, "加強")
    path = tmp_path / "policy.sqlite3"
    shutil.copyfile(copy, path)
    settings = Settings(database_url=f"sqlite:///{path}", exports_dir=str(tmp_path / "no-exports"), reload_interval=0.1)
    app = create_app(settings)
    with TestClient(app) as client:
        first = client.get(MEASURE, headers=IDENTITY)

        served = app.served.snapshot
        shutil.copyfile(copy, tmp_path / "copy.sqlite3")
        os.replace(tmp_path / "copy.sqlite3", path)
        assert wait_for(lambda: app.served.snapshot is not served, 10)  # the watcher swapped in the copy
        same = client.get(MEASURE, headers=IDENTITY)
        assert same.content == first.content and same.headers["etag"] == first.headers["etag"]
        assert client.get(MEASURE, headers={**IDENTITY, "If-None-Match": first.headers["etag"]}).status_code == 304

        shutil.copyfile(built(tmp_path / "second", raw_source, "加快"), tmp_path / "copy.sqlite3")
        os.replace(tmp_path / "copy.sqlite3", path)
        assert wait_for(lambda: app.served.snapshot.db.version != served.db.version, 10)
        assert app.served.snapshot.db.released is served.db.released is None
        other = client.get(MEASURE, headers=IDENTITY)
        assert other.content != first.content and other.headers["etag"] != first.headers["etag"]
        assert client.get(MEASURE, headers={**IDENTITY, "If-None-Match": first.headers["etag"]}).status_code == 200


def test_the_revision_digests_every_file_of_the_packages(tmp_path):
    """A copy of the packages' files digests as they do; one byte changed in a presenter, or in a
    template, gives another revision."""
    copies = {name: tmp_path / name for name in PACKAGES}
    for name, copy in copies.items():
        shutil.copytree(files(name), copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = digest_of({name: files(name) for name in PACKAGES})
    assert digest_of(copies) == original
    for changed in (copies["api"] / "present.py", copies["api"] / "templates" / "landing.html"):
        data = changed.read_bytes()
        changed.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
        assert digest_of(copies) != original, changed
        changed.write_bytes(data)
    assert digest_of(copies) == original


def fetched(settings: Settings, url: str = MEASURE):
    """`url` as a new app with `settings` answers it."""
    with TestClient(create_app(settings)) as client:
        return client.get(url, headers=IDENTITY)


def test_a_setting_shown_in_bodies_changes_the_etag_and_one_that_tunes_the_server_does_not(backend_settings):
    settings = backend_settings("sqlite")
    before = fetched(settings, "/v1/catalog")
    tuned = fetched(settings.model_copy(update={"memo_mib": 64, "response_cache_entries": 0, "workers": 2}), "/v1/catalog")
    assert tuned.content == before.content and tuned.headers["etag"] == before.headers["etag"]
    renamed = fetched(settings.model_copy(update={"publisher_name": "Another publisher"}), "/v1/catalog")
    assert b"Another publisher" in renamed.content and renamed.headers["etag"] != before.headers["etag"]
    assert SERVER_ONLY <= Settings.model_fields.keys()


def test_another_revision_gives_another_etag_to_the_same_bytes(backend_settings, monkeypatch):
    settings = backend_settings("sqlite")

    before = fetched(settings)
    assert fetched(settings).headers["etag"] == before.headers["etag"]  # another app, the same revision
    monkeypatch.setattr("api.snapshot.revision", lambda: "another")
    after = fetched(settings)
    assert after.content == before.content and after.headers["etag"] != before.headers["etag"]
