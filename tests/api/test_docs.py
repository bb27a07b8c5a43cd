"""The interactive docs' pages and assets: confined to this host, and problem+json on every error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import assert_problem

ASSET = "/docs-assets/redoc.standalone.js"


@pytest.fixture(scope="module")
def docs_client(backend_settings):
    with TestClient(create_app(backend_settings("sqlite"))) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_let_the_browser_load_only_from_this_host(docs_client, page):
    policy = docs_client.get(page).headers["content-security-policy"]
    default_src = next(d for d in policy.split(";") if d.split()[0] == "default-src").split()[1:]
    assert "'self'" in default_src
    assert not [s for s in default_src if "." in s or s.startswith(("http", "*"))], policy  # no other host


def test_swagger_ui_sends_the_spec_to_no_validator(docs_client):
    assert '"validatorUrl": null' in docs_client.get("/docs").text


@pytest.mark.parametrize("range_header", ["bytes=0-9", "bytes=99999999-", "bytes=abc", "lines=1-2"])
def test_docs_assets_answer_whole_whatever_the_range(docs_client, range_header):
    whole = docs_client.get(ASSET)
    response = docs_client.get(ASSET, headers={"Range": range_header})
    assert response.status_code == 200
    assert response.content == whole.content
    assert "accept-ranges" not in response.headers


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_missing_docs_asset_is_a_problem(docs_client, method):
    response = docs_client.request(method, "/docs-assets/nope.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    if method == "GET":
        assert_problem(response, 404)
    else:
        assert response.content == b""
