"""Releases: two builds of different data into one exports folder, each served for good at its own
URLs, the newer one current. Through HTTP (a test client of an app watching the folder) and the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from api.cli import main as cli
from tests.api.helpers import assert_problem
from tests.conftest import SOURCE
from tests.live import wait_for
from tests.seed.helpers import current_release, tree
from tests.spec import validator

IMMUTABLE = "public, max-age=31536000, immutable"
FILE = "hant/measures.csv"


@pytest.fixture(scope="module")
def served(tmp_path_factory, raw_source):
    """(client, exports folder, first release's id, its folder's files as written, second release's
    id): the source built and exported, an app serving it, then an edited source built and exported
    into the same folder while the app runs."""
    from fastapi.testclient import TestClient

    from api.config import Settings
    from api.main import create_app

    folder = tmp_path_factory.mktemp("releases")
    (folder / "edited").mkdir()
    original, edited = SOURCE, folder / "edited" / SOURCE.name  # its name is part of the data
    edited.write_text(raw_source.replace("1.加大", "1.加強", 1), encoding="utf-8")
    url, exports = f"sqlite:///{folder / 'policy.sqlite3'}", folder / "exports"
    assert cli(["build", str(original), "--database-url", url]) == 0  # the exports go beside the database
    first = current_release(exports)
    written = tree(first)
    settings = Settings(database_url=url, exports_dir=str(exports), reload_interval=0.1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/exports").json()["release"] == first.name
        assert cli(["build", str(edited), "--database-url", url]) == 0
        second = current_release(exports).name
        assert second != first.name
        assert wait_for(lambda: client.get("/v1/exports").json().get("release") == second, 10)  # the watcher noticed
        yield client, exports, first.name, written, second


def test_both_releases_are_listed_newest_first_with_their_dates(served):
    client, _, first, _, second = served
    response = client.get("/v1/releases")
    assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=60"
    body = response.json()
    assert not list(validator("ReleaseList").iter_errors(body))
    assert body["current"] == second
    assert [r["id"] for r in body["releases"]] == [second, first]
    newer, older = body["releases"]
    assert (newer["current"], newer["unreleased"], newer["released"]) == (True, True, None)  # the edited data has no record
    assert (older["current"], older["unreleased"], older["released"]) == (False, False, "2026-11-29")
    assert newer["dataset_version"] != older["dataset_version"]
    for release in body["releases"]:
        assert release["url"] == f"/v1/releases/{release['id']}"
        assert client.get(release["url"]).json() == release
        for entry in release["files"]:
            assert entry["url"] == entry["immutable_url"] == f"/v1/releases/{release['id']}/exports/{entry['name']}"
    assert client.get("/v1").json()["links"]["releases"] == "/v1/releases"


def test_the_first_release_stays_as_written_and_is_served_for_good(served):
    client, exports, first, written, _ = served
    assert tree(exports / "releases" / first) == written
    files = client.get(f"/v1/releases/{first}").json()["files"]
    assert {entry["name"] for entry in files} == {name for name, data in written.items() if data is not None and name[0] != "."}
    for entry in files:
        response = client.get(entry["immutable_url"], headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, entry["name"]
        assert response.content == written[entry["name"]]
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["etag"] == f'"{entry["sha256"]}"' == f'"{hashlib.sha256(response.content).hexdigest()}"'
        assert "content-location" not in response.headers


def test_a_release_id_is_the_sha256_of_its_sha256sums(served):
    client, _, first, _, second = served
    for release in (first, second):
        sums = client.get(f"/v1/releases/{release}/exports/SHA256SUMS").content
        assert hashlib.sha256(sums).hexdigest()[:16] == release


def test_the_current_downloads_are_the_newer_release_and_name_their_twin(served):
    client, _, first, _, second = served
    listing = client.get("/v1/exports")
    assert listing.headers["cache-control"] == "public, max-age=60"
    body = listing.json()
    assert body["release"] == second and not list(validator("ExportList").iter_errors(body))
    for entry in body["files"]:
        assert entry["url"] == f"/v1/exports/{entry['name']}"
        assert entry["immutable_url"] == f"/v1/releases/{second}/exports/{entry['name']}"
    current = client.get(f"/v1/exports/{FILE}")
    assert current.headers["cache-control"] == "public, max-age=60"
    assert current.headers["content-location"] == f"/v1/releases/{second}/exports/{FILE}"
    twin = client.get(current.headers["content-location"])
    assert twin.content == current.content and twin.headers["etag"] == current.headers["etag"]
    assert "加強" in current.text and client.get(f"/v1/releases/{first}/exports/{FILE}").content != current.content
    not_modified = client.get(f"/v1/exports/{FILE}", headers={"If-None-Match": current.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["content-location"] == current.headers["content-location"]


def test_an_unknown_release_is_a_404_naming_the_current_one(served):
    client, _, first, _, second = served
    for path in ("/v1/releases/ffffffffffffffff", "/v1/releases/nope/exports/SHA256SUMS", f"/v1/releases/{first[:8]}/exports/{FILE}"):
        body = assert_problem(client.get(path), 404)
        assert f"the current release is {second}" in body["detail"], path
    for name in ("nope.csv", ".manifest.json", "hant"):
        assert_problem(client.get(f"/v1/releases/{first}/exports/{name}"), 404)


def test_a_release_file_revalidates_and_answers_head_and_ranges(served):
    client, _, first, _, _ = served
    url = f"/v1/releases/{first}/exports/{FILE}"
    full = client.get(url)
    not_modified = client.get(url, headers={"If-None-Match": full.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == full.headers["etag"] and not_modified.headers["cache-control"] == IMMUTABLE
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(full.content)) and head.headers["cache-control"] == IMMUTABLE
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == full.content[:10]


def test_release_files_stay_out_of_the_response_cache(served):
    client, _, first, _, _ = served
    cache = client.app.served.snapshot.cache  # answered from before FastAPI's stack runs
    cache.clear()
    for _ in range(2):  # the cache stores a key the second time it is asked for
        client.get(f"/v1/releases/{first}/exports/{FILE}")
        client.get(f"/v1/exports/{FILE}")
    assert not cache.entries
    for _ in range(2):
        client.get("/v1/releases")
    assert cache.entries  # the listing is an answer of the API's own


def test_exporting_a_release_again_leaves_its_folder_alone(served, tmp_path):
    client, exports, first, _, second = served
    folder = exports / "releases" / second
    before = {name: os.stat(folder / name).st_ino for name in tree(folder)}
    url = client.app.state.settings.database_url
    assert cli(["export", "--out", str(exports), "--database-url", url]) == 0
    assert {name: os.stat(folder / name).st_ino for name in tree(folder)} == before  # not rewritten
    assert sorted(p.name for p in (exports / "releases").iterdir()) == sorted([first, second])  # and no staging folder left
    # Into another folder, the same database gives the same release, byte for byte.
    assert cli(["export", "--out", str(tmp_path / "elsewhere"), "--database-url", url]) == 0
    assert current_release(tmp_path / "elsewhere").name == second
    assert tree(current_release(tmp_path / "elsewhere")) == tree(folder)


def test_a_folder_whose_files_do_not_hash_to_its_name_is_not_a_release(served, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    client, exports, first, _, second = served
    copy = tmp_path / "exports"
    shutil.copytree(exports, copy)
    shutil.copytree(copy / "releases" / first, copy / "releases" / "0123456789abcdef")  # the right files under another name
    with TestClient(create_app(client.app.state.settings.model_copy(update={"exports_dir": str(copy)}))) as other:
        assert [r["id"] for r in other.get("/v1/releases").json()["releases"]] == [second, first]
        assert_problem(other.get(f"/v1/releases/0123456789abcdef/exports/{FILE}"), 404)


def test_an_exports_folder_in_the_flat_layout_is_ignored(served, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    client, exports, first, _, _ = served
    flat = tmp_path / "flat"
    shutil.copytree(exports / "releases" / first, flat)  # the layout before releases: the files at the top
    with TestClient(create_app(client.app.state.settings.model_copy(update={"exports_dir": str(flat)}))) as other:
        assert other.get("/v1/releases").json() == {"current": None, "releases": []}
        assert "run `policy-api export`" in assert_problem(other.get("/v1/exports"), 503)["detail"]
        assert "no release is present" in assert_problem(other.get(f"/v1/releases/{first}"), 404)["detail"]
