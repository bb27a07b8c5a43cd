"""The schema.org Dataset on the landing page, as a crawler reads it: the page fetched from a real
server and its JSON-LD extracted with extruct. Its URLs are absolute, from PUBLIC_BASE_URL (else the
server's own address), never from the request's Host."""

from __future__ import annotations

import json

import extruct
import pytest

from api.config import Settings
from api.jsonld import for_script_element
from api.metadata import LICENCE
from tests.live import Server, get

BASE = "https://data.example.org"
HOSTILE_HOST = {"Host": "evil.example"}


def datasets(port: int, path: str = "/", headers: dict | None = None) -> list[dict]:
    status, _, body = get(port, path, headers=headers)
    assert status == 200
    found = extruct.extract(body.decode("utf-8"), base_url=f"http://127.0.0.1:{port}{path}", syntaxes=["json-ld"])["json-ld"]
    return [item for item in found if item.get("@type") == "Dataset"]


@pytest.fixture(scope="module")
def dataset(live_server) -> dict:
    (found,) = datasets(live_server.port)
    return found


@pytest.fixture(scope="module")
def public_server(built_db, tmp_path_factory):
    """A server whose PUBLIC_BASE_URL is set."""
    server = Server({"DATABASE_URL": f"sqlite:///{built_db}", "PUBLIC_BASE_URL": BASE}, tmp_path_factory.mktemp("public") / "server.log")
    server.wait_ready()
    yield server
    server.stop()


def test_the_dataset_says_what_it_is_and_under_which_licence(dataset, live_server, db):
    info = dict(db.execute("select key, value from dataset_info").fetchall())
    assert dataset["@context"] == "https://schema.org"
    assert dataset["name"] == "連江縣政策文件"
    assert len(dataset["description"]) >= 50  # Google Dataset Search's lower bound
    assert dataset["license"] == LICENCE["url"]
    assert dataset["url"] == f"{live_server.url}/"
    assert dataset["version"] == info["dataset_version"]
    assert dataset["dateModified"] == info["released"]
    assert dataset["datePublished"] == info["first_released"]
    assert dataset["inLanguage"] == ["zh-Hant", "zh-Hans"]


def test_the_publisher_is_the_deployment_and_the_notice_is_the_county_governments(dataset, db):
    assert dataset["publisher"] == {"@type": "Organization", "name": Settings().publisher_name, "url": dataset["url"]}
    (notice,) = dataset["isBasedOn"]
    number, issued_on = db.execute("select number, issued_on from documents").fetchone()
    assert notice["@type"] == "Legislation"
    assert notice["legislationIdentifier"] == number == "連政綜〔2021〕127號"
    assert notice["legislationDate"] == issued_on == "2021-08-16"
    assert notice["author"]["@type"] == "GovernmentOrganization"
    assert notice["author"]["name"] == "連江縣人民政府"


def test_where_and_when_it_applies(dataset):
    place = dataset["spatialCoverage"]
    assert place["@type"] == "Place" and place["name"] == "連江縣"
    assert place["identifier"]["value"] == "350122"
    assert dataset["temporalCoverage"] == "2021-08-16"


def test_every_download_is_a_distribution_at_its_immutable_absolute_url(dataset, live_server):
    status, _, body = get(live_server.port, "/v1/exports")
    assert status == 200
    files = json.loads(body)["files"]
    distributions = {d["contentUrl"]: d for d in dataset["distribution"]}
    assert len(distributions) == len(dataset["distribution"]) == len(files)
    for entry in files:
        download = distributions[live_server.url + entry["immutable_url"]]
        assert download["@type"] == "DataDownload"
        assert download["encodingFormat"] == entry["media_type"]
        status, headers, _ = get(live_server.port, download["contentUrl"].removeprefix(live_server.url))
        assert status == 200 and "immutable" in headers["cache-control"]


def test_the_simplified_page_describes_the_same_dataset_in_simplified(live_server, dataset):
    (hans,) = datasets(live_server.port, "/?script=hans")
    assert hans["name"] == "连江县政策文件"
    assert {k: v for k, v in hans.items() if k not in ("name", "alternateName", "description", "keywords", "spatialCoverage")} == {
        k: v for k, v in dataset.items() if k not in ("name", "alternateName", "description", "keywords", "spatialCoverage")
    }


def test_public_base_url_makes_every_url_the_deployments_whatever_the_host(public_server):
    (found,) = datasets(public_server.port, headers=HOSTILE_HOST)
    text = json.dumps(found)
    assert "evil.example" not in text and "127.0.0.1" not in text
    assert found["url"] == f"{BASE}/"
    assert found["isBasedOn"][0]["url"] == f"{BASE}/documents/lianzhengzong-2021-127"
    assert all(d["contentUrl"].startswith(f"{BASE}/v1/releases/") for d in found["distribution"])


def test_a_hostile_host_changes_nothing_without_public_base_url(live_server, dataset):
    (found,) = datasets(live_server.port, headers=HOSTILE_HOST)
    assert found == dataset


def test_json_for_a_script_element_cannot_close_it():
    text = for_script_element({"name": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><!-- & -->"}
