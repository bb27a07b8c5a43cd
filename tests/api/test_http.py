"""What a public API owes its users over HTTP: representations, caching, CORS, compression,
read-only methods, docs and the spec."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from api.openapi import dumps
from tests.api.helpers import assert_page, assert_problem
from tests.spec import SPEC_PATH, committed_spec

LISTS = [
    "/v1/documents",
    "/v1/chapters",
    "/v1/measures",
    "/v1/units",
    "/v1/units/finance/measures",
    "/v1/documents/lianzhengzong-2021-127/corrections",
]
ITEMS = [
    "/v1",
    "/v1/documents/lianzhengzong-2021-127",
    "/v1/chapters/lianzhengzong-2021-127-ch1",
    "/v1/measures/lianzhengzong-2021-127-m3",
    "/v1/units/finance",
    "/v1/documents/lianzhengzong-2021-127/matrix",
]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_has_the_envelope(client, path):
    assert_page(client.get(path))


def test_simplified_by_parameter_or_accept_language(client):
    by_param = client.get("/v1/measures/lianzhengzong-2021-127-m3", params={"script": "hans"})
    assert by_param.json()["title"] == "打造区域特色数字品牌"
    assert by_param.headers["content-language"] == "zh-Hans"
    for language in ("zh-CN", "zh-Hans", "zh-SG,en;q=0.5", "en;q=0.9, zh-Hans-CN;q=0.8"):
        response = client.get("/v1/measures/lianzhengzong-2021-127-m3", headers={"Accept-Language": language})
        assert response.content == by_param.content, language
    for language in ("zh-TW", "en", "zh-CN;q=0.5, zh-HK"):
        response = client.get("/v1/measures/lianzhengzong-2021-127-m3", headers={"Accept-Language": language})
        assert response.json()["title"] == "打造區域特色數字品牌" and response.headers["content-language"] == "zh-Hant"
    explicit = client.get("/v1/measures/lianzhengzong-2021-127-m3?script=hant", headers={"Accept-Language": "zh-CN"})
    assert explicit.headers["content-language"] == "zh-Hant"


def test_links_keep_the_reader_in_simplified(client):
    measure = client.get("/v1/measures/lianzhengzong-2021-127-m3?script=hans").json()
    assert measure["links"]["chapter"] == "/v1/chapters/lianzhengzong-2021-127-ch2?script=hans"
    page = client.get("/v1/measures?script=hans&limit=5").json()
    assert page["links"]["next"] == "/v1/measures?limit=5&offset=5&script=hans"


def test_json_is_compact_utf8(client):
    body = client.get("/v1/units/finance").content
    assert "縣財政局".encode() in body and b"\\u" not in body and b": " not in body


@pytest.mark.parametrize("path", LISTS)
def test_csv_by_parameter_accept_or_csv_url_has_the_same_rows(client, path):
    page = client.get(path).json()
    by_parameter = client.get(path, params={"format": "csv"})  # today's URLs, left out of the spec
    by_accept = client.get(path, headers={"Accept": "text/csv"})
    by_url = client.get(f"{path}.csv", headers={"Accept": "application/json"})  # the .csv operation answers CSV only
    for response in (by_parameter, by_accept, by_url):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8; header=present"
        assert response.content.count(b"\r\n") == len(page["data"]) + 1  # RFC 4180 line ends, one header row
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["id"] if "id" in r else r["measure_id"] for r in rows] == [item["id"] for item in page["data"]]
        assert response.headers["X-Total-Count"] == str(page["meta"]["total"])
        assert response.content == by_parameter.content and response.headers["etag"] == by_parameter.headers["etag"]


def test_csv_links_point_to_the_form_of_url_asked_for(client):
    """A CSV page's Link header pages through the URL as requested: the .csv URL, or today's URL
    with its `format=csv`."""
    query = {"unit": "development-reform", "limit": "2", "offset": "2"}
    by_url = client.get("/v1/measures.csv", params=query)
    assert by_url.headers["link"] == (
        '</v1/measures.csv?limit=2&offset=2&unit=development-reform>; rel="self", '
        '</v1/measures.csv?limit=2&offset=4&unit=development-reform>; rel="next", '
        '</v1/measures.csv?limit=2&offset=0&unit=development-reform>; rel="prev", '
        '</v1/measures.csv?limit=2&offset=0&unit=development-reform>; rel="first", '
        '</v1/measures.csv?limit=2&offset=10&unit=development-reform>; rel="last"'
    )
    by_parameter = client.get("/v1/measures", params={**query, "format": "csv"})
    assert by_parameter.headers["link"] == by_url.headers["link"].replace(".csv?", "?format=csv&")
    for header in ("cache-control", "vary", "content-language", "x-total-count", "etag"):
        assert by_url.headers[header] == by_parameter.headers[header], header


def test_the_csv_url_takes_the_list_parameters_but_not_format(client):
    hans = client.get("/v1/units/finance/measures.csv", params={"script": "hans", "sort": "-number", "limit": 1})
    assert hans.headers["content-language"] == "zh-Hans" and hans.text.count("\r\n") == 2
    assert_problem(client.get("/v1/measures.csv", params={"format": "csv"}), 400, parameter="format")
    assert_problem(client.get("/v1/measures.csv", params={"limit": 0}), 400, parameter="limit")
    assert_problem(client.get("/v1/units/nope/measures.csv"), 404)


def test_csv_joins_multi_valued_fields(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/measures?format=csv&limit=1").text)))
    assert (
        rows[0]["unit_ids"]
        == "development-reform; finance; financial-work-office; industry-information-technology; townships; development-zones"
    )
    assert rows[0]["lead_unit_id"] == "development-reform"


@pytest.mark.parametrize("path", LISTS + ITEMS)
def test_strong_etag_and_revalidation(client, path):
    response = client.get(path)
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert {"Accept", "Accept-Language", "Accept-Encoding"} <= {v.strip() for v in response.headers["vary"].split(",")}
    revalidated = client.get(path, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert revalidated.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_representations_have_distinct_etags(client):
    path = "/v1/measures/lianzhengzong-2021-127-m1"
    identity = {"Accept-Encoding": "identity"}
    etags = {client.get(path, params=p, headers=identity).headers["etag"] for p in ({}, {"script": "hans"})}
    etags.add(client.get(path, headers={"Accept-Encoding": "gzip"}).headers["etag"])
    assert len(etags) == 3


def test_gzip_for_clients_that_ask(client):
    plain = client.get("/v1/measures", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = client.get("/v1/measures", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2


def test_cors_on_reads_and_preflight(client):
    response = client.get("/v1/measures", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "link", "x-total-count"} <= exposed
    preflight = client.options(
        "/v1/measures",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/v1/measures", "/v1/measures/lianzhengzong-2021-127-m1", "/v1"])
def test_writes_are_405_with_allow(client, method, path):
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD"


def test_head_answers_like_get_without_a_body(client):
    get = client.get("/v1/measures")
    head = client.head("/v1/measures")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]


def test_unknown_paths_are_problem_404(client):
    for path in ("/v2", "/v1/nope", "/v1/measures/a/b", "/%ff"):
        assert_problem(client.get(path), 404)


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_docs_load_only_local_assets(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 100_000


def test_the_committed_spec_is_what_the_app_serves(client, app):
    committed = SPEC_PATH.read_text(encoding="utf-8")
    assert committed == dumps(app.openapi()), "run `policy-api openapi` and commit the result"
    assert client.get("/openapi.json").json() == json.loads(committed)


def test_every_parameter_and_schema_is_documented(app):
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] and operation.get("summary"), (path, method)
            assert "422" not in operation["responses"]
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (path, parameter["name"])
                assert "examples" in parameter or "example" in parameter or "examples" in parameter["schema"], (path, parameter["name"])
    for name, schema in spec["components"]["schemas"].items():
        assert schema.get("description"), name


DOCUMENTED = [  # a request for every operation of the spec
    *LISTS,
    *ITEMS,
    "/v1/measures?unit=finance&format=csv",
    "/v1/measure-units?unit=finance",
    *(f"{path}.csv" for path in LISTS),
    "/v1/measure-units.csv?unit=finance",
    "/v1/documents/lianzhengzong-2021-127/matrix.csv",
    "/v1/documents/lianzhengzong-2021-127/full",
    "/v1/documents/lianzhengzong-2021-127/source",
    "/v1/exports",
    "/v1/exports/hant/measures.csv",
    "/v1/releases",
    "/v1/releases/{release}",
    "/v1/releases/{release}/exports/SHA256SUMS",
    "/healthz",
    "/readyz",
    "/.well-known/api-catalog",
    "/v1/catalog",
]


def _operation(spec, url):
    path = url.split("?")[0]
    for parameter in ("[^/]+", ".+"):  # a parameter is one segment, unless only more fits (exports' {name})
        for template, operations in spec["paths"].items():
            if re.fullmatch(re.sub(r"\{[^}]+\}", parameter, template), path):
                return operations["get"]
    raise AssertionError(f"no operation in the spec for {url}")


def _assert_documented_headers(spec, url, response):
    documented = _operation(spec, url)["responses"][str(response.status_code)].get("headers", {})
    named = spec["components"]["headers"]  # where each $ref points; a header may also be declared in place
    resolved = {name: named[header["$ref"].rsplit("/", 1)[1]] if "$ref" in header else header for name, header in documented.items()}
    required = {name for name, header in resolved.items() if header.get("required")}
    missing = [name for name in required if name.lower() not in response.headers]
    assert not missing, (url, response.status_code, missing)
    if "X-Total-Count" in required:
        assert int(response.headers["x-total-count"]) >= 0


def test_the_response_headers_the_spec_documents_are_sent(client):
    """Client generators expose documented response headers: each 200 and each 304 carries every
    one the committed spec calls required (schemathesis never sends If-None-Match)."""
    spec = committed_spec()
    operations = {_operation(spec, url)["operationId"] for url in DOCUMENTED}
    assert operations == {op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
    revalidated = 0
    release = client.get("/v1/exports").json()["release"]
    for url in (url.replace("{release}", release) for url in DOCUMENTED):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_documented_headers(spec, url, response)
        if "304" in _operation(spec, url)["responses"]:
            not_modified = client.get(url, headers={"If-None-Match": response.headers["etag"]})
            assert not_modified.status_code == 304, url
            _assert_documented_headers(spec, url, not_modified)
            revalidated += 1
    assert revalidated >= 15
