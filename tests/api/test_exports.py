"""The open-data dumps: contract-tested against the committed spec (its closed copy: an undeclared
field fails), their Table Schemas and the API."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import orjson
import pytest
from frictionless import Package, validate

from api.cli import main as cli
from api.tabular import excel_safe
from tests.api.helpers import assert_problem
from tests.spec import validator

SCHEMAS = {
    "documents": "DocumentPublic",
    "chapters": "ChapterPublic",
    "measures": "MeasurePublic",
    "units": "UnitPublic",
    "measure_units": "MeasureUnitLinkPublic",
    "corrections": "CorrectionPublic",
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
    from api.config import exports_path

    return exports_path(app_settings)


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
    assert {
        "hant/document.json",
        "hans/document.json",
        "hant/datapackage.json",
        "hans/datapackage.json",
        "policy.sqlite3",
        "SHA256SUMS",
    } <= names
    for entry in listing["files"]:
        response = client.get(entry["url"], headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, entry["name"]
        assert len(response.content) == entry["bytes"]
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
        assert response.headers["content-type"] == entry["media_type"]
        assert response.headers["etag"] == f'"{entry["sha256"]}"'
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert validator("ExportFile").is_valid(entry)


def test_the_export_command_writes_the_served_bytes_and_is_deterministic(client, listing, app_settings, tmp_path):
    for out in ("one", "two"):
        assert cli(["export", "--out", str(tmp_path / out), "--database-url", app_settings.database_url]) == 0
    for entry in listing["files"]:
        written = (tmp_path / "one" / entry["name"]).read_bytes()
        assert written == (tmp_path / "two" / entry["name"]).read_bytes(), entry["name"]
        assert written == client.get(entry["url"]).content, entry["name"]


def test_sha256sums_covers_every_file(exports_dir, listing):
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
    assert {r.name for r in package.resources} == set(SCHEMAS)
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


def test_unknown_exports_are_404(client):
    for name in ("nope.csv", "hant/../../README.md", "hant/.manifest.json", ".manifest.json"):
        assert_problem(client.get(f"/v1/exports/{name}"), 404)


def test_the_listing_can_be_narrowed_to_a_script(client):
    files = client.get("/v1/exports", params={"script": "hans"}).json()["files"]
    assert {f["script"] for f in files} == {"hans", None}


def test_the_dumped_sqlite_holds_the_dataset(exports_dir):
    import sqlite3

    db = sqlite3.connect(f"file:{exports_dir / 'policy.sqlite3'}?mode=ro", uri=True)
    assert db.execute("select count(*) from measures").fetchone()[0] == 20
    assert db.execute("select value from dataset_info where key = 'dataset_version'").fetchone()[0]


def test_dumps_of_another_dataset_version_are_refused_with_503(app_settings, tmp_path, exports_dir):
    import shutil

    from fastapi.testclient import TestClient

    from api.main import create_app

    stale = tmp_path / "stale"
    shutil.copytree(exports_dir, stale)
    manifest = stale / ".manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"dataset_version": "', b'"dataset_version": "old-'))
    for folder in (stale, tmp_path / "missing"):
        with TestClient(create_app(app_settings.model_copy(update={"exports_dir": str(folder)}))) as client:
            for path in ("/v1/exports", "/v1/exports/hant/measures.csv"):
                body = assert_problem(client.get(path), 503)
                assert "run `policy-api export`" in body["detail"]
            assert client.get("/v1/measures").status_code == 200
