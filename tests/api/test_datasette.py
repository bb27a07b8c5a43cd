"""The downloadable database opened as its users open it: policy.sqlite3 and metadata.json downloaded
from a running API, then `datasette policy.sqlite3 -m metadata.json` as a real process, asked
through Datasette's own JSON API (and its table page, the one place it shows column descriptions)."""

from __future__ import annotations

import hashlib
import html
import importlib.util
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson
import pytest

from tests.live import Server, get

DATABASE, METADATA = "policy.sqlite3", "metadata.json"
DATA_TABLES = {"documents", "chapters", "measures", "units", "measure_units", "corrections", "dataset_info"}
INSTALL = "it is in the test extra (pip install -r requirements-test.lock)"


def fetch(port: int, path: str) -> bytes:
    status, _, body = get(port, path)
    assert status == 200, (path, body[:300])
    return body


def fetch_json(port: int, path: str):
    return orjson.loads(fetch(port, path))


@pytest.fixture(scope="module")
def downloads(live_server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two files, fetched by the URLs /v1/exports lists and checked against its sha256."""
    folder = tmp_path_factory.mktemp("datasette")
    listed = {entry["name"]: entry for entry in fetch_json(live_server.port, "/v1/exports")["files"]}
    for name in (DATABASE, METADATA):
        data = fetch(live_server.port, urlsplit(listed[name]["url"]).path)
        assert hashlib.sha256(data).hexdigest() == listed[name]["sha256"], name
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def metadata(downloads: Path) -> dict:
    return orjson.loads((downloads / METADATA).read_bytes())


@pytest.fixture(scope="module")
def datasette(downloads: Path):
    if importlib.util.find_spec("datasette") is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must open the download with Datasette: {INSTALL}")
        pytest.skip(f"Datasette is not installed here: {INSTALL}")

    def command(port: int) -> list[str]:
        files = [str(downloads / DATABASE), "-m", str(downloads / METADATA)]
        return [sys.executable, "-m", "datasette", *files, "-p", str(port), "--host", "127.0.0.1"]

    server = Server({}, downloads / "datasette.log", command, ready_path="/-/versions.json")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_datasette_reports_our_title_licence_and_source(datasette, live_server, metadata):
    ours = fetch_json(live_server.port, "/v1")
    reported = fetch_json(datasette.port, "/-/metadata.json")
    assert reported["title"] == metadata["title"] and "Lianjiang County policy documents" in reported["title"]
    database = fetch_json(datasette.port, "/policy.json")  # what Datasette applies to the database, not only what it read
    for facts in (reported, database):
        assert facts["license"] == ours["licence"]["name"] and facts["license_url"] == ours["licence"]["url"]
        assert facts["source"] == ours["source"]
    assert f"<h1>{html.escape(metadata['title'], quote=False)}</h1>" in fetch(datasette.port, "/").decode()


def test_datasette_sees_exactly_the_data_tables(datasette):
    database = fetch_json(datasette.port, "/policy.json")
    assert {table["name"] for table in database["tables"]} == DATA_TABLES  # no search_grams, search_texts, gram_counts
    assert database["hidden_count"] == 0 and not database["views"]


def test_the_measures_page_shows_the_descriptions_of_metadata_json(datasette, metadata):
    described = metadata["databases"]["policy"]["tables"]["measures"]
    page = fetch(datasette.port, "/policy/measures").decode()
    shown = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page.split('<dl class="column-descriptions">', 1)[1].split("</dl>", 1)[0]))
    assert {name: html.unescape(text) for name, text in shown.items()} == described["columns"]
    assert described["columns"]["title"] == "text before the first 。"
    assert html.escape(described["description"], quote=False) in page


def query(datasette: Server, sql: str) -> list[dict]:
    """The rows of a SQL query run by Datasette, as objects."""
    return fetch_json(datasette.port, "/policy.json?" + urlencode({"sql": sql, "_shape": "array"}))


def test_a_query_returns_the_twenty_measures_the_api_serves(datasette, live_server):
    rows = query(datasette, "select id, number, title from measures order by number")
    served = fetch_json(live_server.port, "/v1/measures?limit=100&fields=number,title")["data"]
    assert [row["number"] for row in rows] == list(range(1, 21))
    assert rows == served
    version = query(datasette, "select value from dataset_info where key = 'dataset_version'")
    assert version == [{"value": fetch_json(live_server.port, "/v1")["dataset_version"]}]
