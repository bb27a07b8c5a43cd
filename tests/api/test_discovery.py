"""What crawlers and API tooling find: robots.txt, the sitemap, the API catalog (RFC 9727) and the
service links of /v1 (RFC 8631), whose URLs never come from the request's Host."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import link_header

CATALOG = "/.well-known/api-catalog"
CATALOG_TYPE = 'application/linkset+json; profile="https://www.rfc-editor.org/info/rfc9727"'
HOSTILE_HOST = {"Host": "evil.example"}
BASE = "https://api.example.org"
LOCAL = "http://127.0.0.1:8000"  # absolute_base without PUBLIC_BASE_URL, on the default port
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DOCUMENT_PAGE = "/documents/lianzhengzong-2021-127"


def catalog_of(base: str) -> dict:
    return {
        "linkset": [
            {
                "anchor": f"{base}/v1",
                "service-desc": [{"href": f"{base}/openapi.json", "type": "application/vnd.oai.openapi+json"}],
                "service-doc": [{"href": f"{base}/docs", "type": "text/html"}],
                "service-meta": [{"href": f"{base}/v1/catalog", "type": "application/ld+json"}],
            }
        ]
    }


@pytest.fixture(scope="module")
def public_client(backend_settings):
    """An app whose PUBLIC_BASE_URL is set."""
    settings = backend_settings("sqlite").model_copy(update={"public_base_url": BASE})
    with TestClient(create_app(settings)) as client:
        yield client


def test_root_links_its_openapi_description_docs_and_catalog(client):
    response = client.get("/v1")
    assert link_header(response) == {"service-desc": "/openapi.json", "service-doc": "/docs", "service-meta": "/v1/catalog"}
    assert response.json()["dataset_version"]  # the body is unchanged by the header


def test_the_root_links_lead_to_the_spec_and_the_docs(client):
    links = link_header(client.get("/v1"))
    spec = client.get(links["service-desc"])
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
    docs = client.get(links["service-doc"])
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")


def test_head_of_the_root_carries_the_same_links(client):
    response = client.head("/v1")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["link"] == client.get("/v1").headers["link"]


def test_api_catalog_is_an_rfc9727_linkset(client):
    response = client.get(CATALOG)
    assert response.status_code == 200
    assert response.headers["content-type"] == CATALOG_TYPE
    assert response.json() == catalog_of("")
    assert response.headers["cache-control"] == "public, max-age=3600"


def test_the_catalog_points_to_what_is_served(client):
    (entry,) = client.get(CATALOG).json()["linkset"]
    assert client.get(entry["anchor"]).json()["api_version"] == "v1"
    assert client.get(entry["service-desc"][0]["href"]).json()["paths"][CATALOG]
    assert client.get(entry["service-doc"][0]["href"]).status_code == 200
    assert client.get(entry["service-meta"][0]["href"]).headers["content-type"] == "application/ld+json"


def test_robots_txt_allows_everything_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == f"User-agent: *\nAllow: /\nSitemap: {LOCAL}/sitemap.xml\n"
    assert response.headers["cache-control"] == "public, max-age=3600"


def sitemap_of(response) -> dict[str, str | None]:
    """The sitemap's pages: {loc: lastmod}."""
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    urlset = ElementTree.fromstring(response.content)
    assert urlset.tag == f"{SITEMAP}urlset"
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urlset.findall(f"{SITEMAP}url")}


def test_sitemap_lists_the_landing_and_document_pages_with_the_release_date(client, db):
    (released,) = db.execute("select value from dataset_info where key = 'released'").fetchone()
    assert sitemap_of(client.get("/sitemap.xml")) == {f"{LOCAL}/": released, f"{LOCAL}{DOCUMENT_PAGE}": released}


def test_the_sitemaps_pages_are_served(client):
    for loc in sitemap_of(client.get("/sitemap.xml")):
        response = client.get(loc.removeprefix(LOCAL))
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_robots_txt_and_sitemap_take_their_urls_from_the_public_base_url(public_client):
    assert public_client.get("/robots.txt", headers=HOSTILE_HOST).text.endswith(f"Sitemap: {BASE}/sitemap.xml\n")
    assert set(sitemap_of(public_client.get("/sitemap.xml", headers=HOSTILE_HOST))) == {f"{BASE}/", f"{BASE}{DOCUMENT_PAGE}"}


def test_robots_txt_is_not_in_the_spec(client):
    assert "/robots.txt" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path", [CATALOG, "/robots.txt", "/sitemap.xml"])
def test_head_answers_the_get_headers_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "etag", "cache-control", "content-length"):
        assert head.headers[name] == get.headers[name], name


@pytest.mark.parametrize("path", [CATALOG, "/robots.txt", "/sitemap.xml", "/v1"])
def test_a_matching_etag_gets_a_304(client, path):
    etag = client.get(path).headers["etag"]
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize("path", [CATALOG, "/robots.txt", "/sitemap.xml", "/", DOCUMENT_PAGE, "/v1"])
def test_the_host_header_never_changes_a_url(client, path):
    plain = client.get(path)
    hostile = client.get(path, headers=HOSTILE_HOST)
    assert hostile.content == plain.content
    assert hostile.headers.get("link") == plain.headers.get("link")
    assert b"evil.example" not in hostile.content and "evil.example" not in str(hostile.headers)


def test_the_public_base_url_makes_the_catalog_absolute(public_client):
    response = public_client.get(CATALOG, headers=HOSTILE_HOST)
    assert response.json() == catalog_of(BASE)


def test_the_public_base_url_prefixes_the_root_links(public_client):
    response = public_client.get("/v1", headers=HOSTILE_HOST)
    assert link_header(response) == {
        "service-desc": f"{BASE}/openapi.json",
        "service-doc": f"{BASE}/docs",
        "service-meta": f"{BASE}/v1/catalog",
    }
