"""The open-data dumps: contract-tested against the committed spec (its closed copy: an undeclared
field fails), their Table Schemas and the API."""

from __future__ import annotations

import csv
import email.parser
import email.policy
import email.utils
import hashlib
import io
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest
from frictionless import Package, validate

from api.cli import main as cli
from api.metadata import LICENCE, TITLE
from api.tabular import excel_safe
from seed.datasette import OWN_COLUMNS
from tests.api.helpers import assert_problem
from tests.seed.helpers import current_release, tree
from tests.spec import validator

# A record of a dump is an item of its list, whole: the closed copy requires every field of it.
SCHEMAS = {
    "documents": "DocumentListItem",
    "chapters": "ChapterListItem",
    "measures": "MeasureListItem",
    "units": "UnitListItem",
    "measure_units": "MeasureUnitLinkListItem",
    "corrections": "CorrectionListItem",
}
API_LISTS = {
    "documents": ["/v1/documents"],
    "chapters": ["/v1/chapters"],
    "measures": ["/v1/measures"],
    "units": ["/v1/units"],
    "measure_units": ["/v1/measure-units"],
    "corrections": ["/v1/documents/lianzhengzong-2021-127/corrections"],
}
SCRIPTS = ["hant", "hans"]


@pytest.fixture(scope="session")
def exports_dir(app_settings) -> Path:
    """The folder of the current release."""
    from api.config import exports_path

    return current_release(exports_path(app_settings))


@pytest.fixture(scope="session")
def listing(client) -> dict:
    response = client.get("/v1/exports")
    assert response.status_code == 200
    return response.json()


def test_every_file_is_listed_and_served_with_its_facts(client, listing, exports_dir):
    names = {f["name"] for f in listing["files"]}
    on_disk = {str(p.relative_to(exports_dir)) for p in exports_dir.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert names == on_disk
    for collection in SCHEMAS:
        for script in SCRIPTS:
            assert {f"{script}/{collection}.json", f"{script}/{collection}.csv", f"{script}/{collection}.excel.csv"} <= names
    for script in SCRIPTS:  # the responsibility matrix of every document (tests/api/test_matrix.py)
        assert {f"{script}/matrix.json", f"{script}/matrix.csv", f"{script}/matrix.excel.csv"} <= names
    assert {
        "hant/document.json",
        "hans/document.json",
        "hant/datapackage.json",
        "hans/datapackage.json",
        "policy.sqlite3",
        "metadata.json",
        "releases.json",
        "SHA256SUMS",
    } <= names
    assert listing["release"] == exports_dir.name
    for entry in listing["files"]:
        assert entry["immutable_url"] == f"/v1/releases/{listing['release']}/exports/{entry['name']}"
        response = client.get(entry["url"], headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, entry["name"]
        assert len(response.content) == entry["bytes"]
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
        assert response.headers["content-type"] == entry["media_type"]
        assert response.headers["etag"] == f'"{entry["sha256"]}"'
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert validator("ExportFile").is_valid(entry)


def test_the_export_command_writes_the_served_bytes_and_is_deterministic(client, listing, app_settings, tmp_path):
    """Two exports of one database into two folders: the same release id, the same bytes."""
    for out in ("one", "two"):
        assert cli(["export", "--out", str(tmp_path / out), "--database-url", app_settings.database_url]) == 0
    one, two = current_release(tmp_path / "one"), current_release(tmp_path / "two")
    assert one.name == two.name == listing["release"]
    assert tree(one) == tree(two)
    for entry in listing["files"]:
        assert (one / entry["name"]).read_bytes() == client.get(entry["url"]).content, entry["name"]


def test_sha256sums_covers_every_file_and_names_the_release(exports_dir, listing):
    assert hashlib.sha256((exports_dir / "SHA256SUMS").read_bytes()).hexdigest()[:16] == exports_dir.name == listing["release"]
    lines = (exports_dir / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((exports_dir / name).read_bytes()).hexdigest() == digest
    assert set(listed) == {f["name"] for f in listing["files"]} - {"SHA256SUMS"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_json_record_validates_against_the_committed_spec(exports_dir, script):
    for collection, schema in SCHEMAS.items():
        dump = orjson.loads((exports_dir / script / f"{collection}.json").read_bytes())
        assert dump["dataset_version"] and dump["script"] == script and dump["count"] == len(dump["data"]) > 0
        check = validator(schema)
        for record in dump["data"]:
            errors = [e.message for e in check.iter_errors(record)]
            assert not errors, (collection, record.get("id"), errors[:3])
    nested = orjson.loads((exports_dir / script / "document.json").read_bytes())
    for document in nested["documents"]:
        assert not list(validator("DocumentFull").iter_errors(document))
        assert sum(len(c["measures"]) for c in document["chapters"]) == document["counts"]["measures"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_data_package_and_every_csv_validate_with_frictionless(exports_dir, script):
    report = validate(str(exports_dir / script / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    package = Package(str(exports_dir / script / "datapackage.json"))
    assert package.version and package.licenses[0]["name"] == "CC0-1.0"
    assert {r.name for r in package.resources} == set(SCHEMAS) | {"matrix"}
    for resource in package.resources:
        data = (exports_dir / script / resource.path).read_bytes()
        assert resource.bytes == len(data)
        assert resource.hash == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource.schema.primary_key


def pages(client, path: str, script: str) -> list[dict]:
    records, url = [], f"{path}?limit=100&script={script}"
    while url:
        body = client.get(url).json()
        records += body["data"]
        url = body["links"]["next"]
    return records


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("collection", list(SCHEMAS))
def test_the_dumps_agree_with_paging_through_the_api(client, exports_dir, collection, script):
    dump = orjson.loads((exports_dir / script / f"{collection}.json").read_bytes())["data"]
    from_api = [record for path in API_LISTS[collection] for record in pages(client, path, script)]
    assert dump == from_api
    rows = list(csv.DictReader(io.StringIO((exports_dir / script / f"{collection}.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(dump)


def test_the_excel_csv_is_the_standard_csv_with_a_byte_order_mark(exports_dir):
    for script in SCRIPTS:
        for collection in SCHEMAS:
            standard = (exports_dir / script / f"{collection}.csv").read_bytes()
            excel = (exports_dir / script / f"{collection}.excel.csv").read_bytes()
            assert not standard.startswith(b"\xef\xbb\xbf") and excel.startswith(b"\xef\xbb\xbf")
            # No cell of this dataset starts like a formula, so the guard changes nothing today.
            assert excel[3:] == standard


@pytest.mark.parametrize(("value", "guarded"), [("=1+1", "'=1+1"), ("+86", "'+86"), ("-x", "'-x"), ("@a", "'@a"), ("縣", "縣"), (5, 5)])
def test_the_excel_variant_guards_formula_like_cells(value, guarded):
    assert excel_safe(value) == guarded


def test_downloads_support_head_range_and_revalidation(client):
    url = "/v1/exports/hant/measures.csv"
    full = client.get(url)
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == full.headers["content-length"]
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == full.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(full.content)}"
    assert client.get(url, headers={"Range": "bytes=-5"}).content == full.content[-5:]
    assert client.get(url, headers={"Range": "lines=1-2"}).content == full.content  # malformed: ignored
    assert client.get(url, headers={"If-None-Match": full.headers["etag"]}).status_code == 304
    unsatisfiable = client.get(url, headers={"Range": f"bytes={len(full.content)}-"})
    assert_problem(unsatisfiable, 416)
    assert unsatisfiable.headers["content-range"] == f"bytes */{len(full.content)}"


def test_if_modified_since_gives_304_unless_the_file_is_newer(client):
    url = "/v1/exports/hant/measures.csv"
    full = client.get(url)
    written = email.utils.parsedate_to_datetime(full.headers["last-modified"]).timestamp()
    earlier = email.utils.formatdate(written - 1, usegmt=True)
    not_modified = client.get(url, headers={"If-Modified-Since": full.headers["last-modified"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == full.headers["etag"]
    assert client.get(url, headers={"If-Modified-Since": earlier}).content == full.content
    assert client.get(url, headers={"If-Modified-Since": "yesterday"}).status_code == 200  # not a date: ignored
    # If-None-Match, when sent, decides alone (RFC 9110 §13.2.2)
    assert client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": full.headers["last-modified"]}).status_code == 200
    assert client.get(url, headers={"If-None-Match": full.headers["etag"], "If-Modified-Since": earlier}).status_code == 304


def _parts(response) -> list[tuple[str, str, bytes]]:
    """The parts of a multipart/byteranges response, read by the standard library's MIME parser."""
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + response.content)
    assert message.get_content_type() == "multipart/byteranges" and not message.defects
    return [(part["Content-Type"], part["Content-Range"], part.get_payload(decode=True)) for part in message.iter_parts()]


@pytest.mark.parametrize("name", ["hant/measures.csv", "policy.sqlite3"])
def test_several_ranges_are_one_multipart_206_of_the_files_bytes(client, listing, name):
    url = f"/v1/exports/{name}"
    full = client.get(url).content
    size, media_type = len(full), next(f["media_type"] for f in listing["files"] if f["name"] == name)
    response = client.get(url, headers={"Range": f"bytes=1000-1099, -50,0-1,{size}-"})  # the last one starts past the end
    assert response.status_code == 206 and "content-range" not in response.headers
    assert response.headers["etag"] == client.get(url).headers["etag"]
    assert int(response.headers["content-length"]) == len(response.content)
    parts = _parts(response)
    assert [cr for _, cr, _ in parts] == [f"bytes 0-1/{size}", f"bytes 1000-1099/{size}", f"bytes {size - 50}-{size - 1}/{size}"]
    assert [data for _, _, data in parts] == [full[0:2], full[1000:1100], full[-50:]]
    assert {content_type.replace('"', "") for content_type, _, _ in parts} == {media_type}


def test_overlapping_ranges_are_merged_and_too_many_get_the_whole_file(client):
    url = "/v1/exports/hant/measures.csv"
    full = client.get(url).content
    merged = client.get(url, headers={"Range": "bytes=10-19,0-9,5-14"})
    assert merged.status_code == 206 and merged.headers["content-range"] == f"bytes 0-19/{len(full)}"
    assert merged.content == full[:20]
    many = ",".join(f"{n * 10}-{n * 10 + 1}" for n in range(17))
    assert client.get(url, headers={"Range": f"bytes={many}"}).content == full


def test_if_range_with_another_validator_gets_the_whole_file(client):
    url = "/v1/exports/hant/measures.csv"
    full = client.get(url)
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'}).content == full.content
    for condition in (full.headers["etag"], full.headers["last-modified"]):
        assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": condition}).status_code == 206


def test_no_satisfiable_range_is_a_416_problem(client):
    url = "/v1/exports/SHA256SUMS"
    size = len(client.get(url).content)
    for ranges in (f"bytes={size}-", f"bytes={size}-{size + 5},{size + 10}-", "bytes=-0", f"bytes={'9' * 5000}-"):
        response = client.get(url, headers={"Range": ranges})
        assert_problem(response, 416)
        assert response.headers["content-range"] == f"bytes */{size}"


def test_unknown_exports_are_404(client):
    for name in ("nope.csv", "hant/../../README.md", "hant/.manifest.json", ".manifest.json"):
        assert_problem(client.get(f"/v1/exports/{name}"), 404)


def test_the_listing_can_be_narrowed_to_a_script(client):
    files = client.get("/v1/exports", params={"script": "hans"}).json()["files"]
    assert {f["script"] for f in files} == {"hans", None}


def _tables(path: Path) -> dict[str, list[tuple]]:
    """{table: every row, sorted} of a SQLite file."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [name for (name,) in db.execute("select name from sqlite_master where type = 'table' order by name")]
        return {name: sorted(db.execute(f'select * from "{name}"'), key=repr) for name in names}
    finally:
        db.close()


def test_the_dumped_sqlite_holds_the_data_of_the_api_database_and_no_search_index(exports_dir, built_db):
    dumped, served = _tables(exports_dir / "policy.sqlite3"), _tables(built_db)
    assert served.keys() - dumped.keys() == {"search_grams", "search_texts", "gram_counts"}  # the API searches with them
    assert dumped.keys() == {"documents", "chapters", "measures", "units", "measure_units", "corrections", "dataset_info"}
    for name, rows in dumped.items():
        assert rows == served[name], name
    assert len(dumped["measures"]) == 20
    assert {key for key, _ in dumped["dataset_info"]} >= {"dataset_version", "schema_version"}


def test_the_datasette_metadata_describes_every_table_and_column_of_the_dumped_sqlite(exports_dir, listing):
    metadata = orjson.loads((exports_dir / "metadata.json").read_bytes())
    assert (metadata["title"], metadata["license"], metadata["license_url"]) == (
        f"{TITLE['en']} ({TITLE['zh-Hant']})",
        LICENCE["name"],
        LICENCE["url"],
    )
    tables = metadata["databases"]["policy"]["tables"]  # Datasette names a database after its file
    db = sqlite3.connect(f"file:{exports_dir / 'policy.sqlite3'}?mode=ro", uri=True)
    try:
        names = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        assert sorted(tables) == sorted(names)
        for name in names:
            columns = [column for (_, column, *_) in db.execute(f'pragma table_info("{name}")')]
            assert tables[name]["description"]
            assert list(tables[name]["columns"]) == columns and all(tables[name]["columns"].values()), name
    finally:
        db.close()
    # What only seed/datasette.py says is said there, not also by a CSV column: each of its words is used.
    said = {text for table in tables.values() for text in table["columns"].values()}
    assert {text for columns in OWN_COLUMNS.values() for text in columns.values()} <= said
    entry = next(f for f in listing["files"] if f["name"] == "metadata.json")
    assert entry["media_type"] == "application/json" and entry["script"] is None


def test_dumps_of_another_dataset_version_are_refused_with_503(app_settings, tmp_path, exports_dir):
    import shutil

    from fastapi.testclient import TestClient

    from api.main import create_app

    stale = tmp_path / "stale"
    shutil.copytree(exports_dir.parent.parent, stale)
    manifest = current_release(stale) / ".manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"dataset_version": "', b'"dataset_version": "old-'))
    for folder in (stale, tmp_path / "missing"):
        with TestClient(create_app(app_settings.model_copy(update={"exports_dir": str(folder)}))) as client:
            for path in ("/v1/exports", "/v1/exports/hant/measures.csv"):
                body = assert_problem(client.get(path), 503)
                assert "run `policy-api export`" in body["detail"]
            assert client.get("/v1/measures").status_code == 200


@pytest.fixture
def own_exports(backend_settings, tmp_path):
    """A copy of the session's dumps that a test may damage, and a client of an app serving it."""
    from fastapi.testclient import TestClient

    from api.config import exports_path
    from api.main import create_app

    settings = backend_settings("sqlite")
    folder = tmp_path / "exports"
    shutil.copytree(exports_path(settings), folder)
    with TestClient(create_app(settings.model_copy(update={"exports_dir": str(folder)}))) as client:
        yield current_release(folder), client


def _withheld(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "api.downloads"]


def test_a_truncated_file_is_withheld_with_its_cause_logged_until_it_is_restored(own_exports, caplog):
    folder, client = own_exports
    url, path = "/v1/exports/hant/measures.json", folder / "hant" / "measures.json"
    written = path.read_bytes()
    first = client.get(url)
    assert first.content == written
    path.write_bytes(written[:100])
    with caplog.at_level(logging.WARNING, logger="api.downloads"):
        body = assert_problem(client.get(url), 503)
        head = client.head(url)
    assert head.status_code == 503 and head.headers["content-type"] == "application/problem+json"
    assert "hant/measures.json" in body["detail"]
    assert _withheld(caplog) and f"100 bytes on disk, {len(written)} in the manifest" in _withheld(caplog)[0]
    path.write_bytes(written)
    restored = client.get(url)
    assert restored.status_code == 200 and restored.content == written and restored.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("how", ["in place", "renamed over it", "in place, times put back"])
def test_a_file_changed_after_its_first_check_is_caught(own_exports, caplog, how):
    folder, client = own_exports
    url, path = "/v1/exports/hant/measures.csv", folder / "hant" / "measures.csv"
    written, before = path.read_bytes(), path.stat()
    assert client.get(url).content == written  # checked once, and served
    changed = written.replace(b"id,", b"ID,", 1)  # same size, other bytes
    assert len(changed) == len(written) and changed != written
    if how == "renamed over it":
        (folder / "new.csv").write_bytes(changed)
        os.replace(folder / "new.csv", path)
    else:
        path.write_bytes(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + (0 if how.endswith("put back") else 10**9)))
    with caplog.at_level(logging.WARNING, logger="api.downloads"):
        for headers in ({}, {"Range": "bytes=0-9"}, {"If-None-Match": f'"{hashlib.sha256(written).hexdigest()}"'}):
            assert_problem(client.get(url, headers=headers), 503)
    assert all("sha256 differs" in message for message in _withheld(caplog))


def test_symlinks_in_the_exports_folder_are_never_followed(own_exports, caplog):
    folder, client = own_exports
    elsewhere = folder.parent / "elsewhere"
    elsewhere.mkdir()
    # A listed file, and a listed folder, replaced by links to identical copies: the bytes are right,
    # but the path goes through a link, so the file is withheld.
    os.replace(folder / "hant" / "measures.csv", elsewhere / "measures.csv")
    (folder / "hant" / "measures.csv").symlink_to(elsewhere / "measures.csv")
    os.replace(folder / "hans", elsewhere / "hans")
    (folder / "hans").symlink_to(elsewhere / "hans", target_is_directory=True)
    # A link under a name the manifest does not list is not even looked at.
    (folder / "passwd").symlink_to("/etc/passwd")
    with caplog.at_level(logging.WARNING, logger="api.downloads"):
        assert_problem(client.get("/v1/exports/hant/measures.csv"), 503)
        assert_problem(client.get("/v1/exports/hans/measures.csv"), 503)
    assert_problem(client.get("/v1/exports/passwd"), 404)
    assert [message.endswith("a symbolic link, which is never followed") for message in _withheld(caplog)] == [True, True]
    assert client.get("/v1/exports/hant/units.csv").status_code == 200  # the rest is served


def test_a_deleted_file_is_a_503_problem_with_cors_headers_from_a_real_server(built_db, tmp_path, backend_settings):
    """Through a real process and socket: a 500 raised while the response is sent escapes the CORS
    middleware, which a test client does not show."""
    from api.config import exports_path
    from tests.live import Server, get

    folder = tmp_path / "exports"
    shutil.copytree(exports_path(backend_settings("sqlite")), folder)
    server = Server({"DATABASE_URL": f"sqlite:///{built_db}", "EXPORTS_DIR": str(folder)}, tmp_path / "server.log")
    try:
        server.wait_ready()
        origin = {"Origin": "https://portal.example.org"}
        assert get(server.port, "/v1/exports/hant/units.csv", headers=origin)[0] == 200
        (current_release(folder) / "hant" / "units.csv").unlink()
        status, headers, body = get(server.port, "/v1/exports/hant/units.csv", headers=origin)
    finally:
        server.stop()
    assert status == 503 and headers["content-type"] == "application/problem+json"
    assert headers["access-control-allow-origin"] == "*"
    assert orjson.loads(body)["status"] == 503
    logged = [orjson.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"] == "api.downloads" and line.get("cause") == "hant/units.csv: No such file or directory" for line in logged)
