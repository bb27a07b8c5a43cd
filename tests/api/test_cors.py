"""CORS as Starlette decides it, with every refused preflight answered as problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import assert_problem

ALLOWED = "https://allowed.example"


@pytest.fixture(scope="module", params=["*", ALLOWED], ids=["any-origin", "one-origin"])
def cors_client(request, backend_settings):
    """The API with CORS_ORIGINS at its default (every origin) or one named origin."""
    app = create_app(backend_settings("sqlite").model_copy(update={"cors_origins": request.param}))
    with TestClient(app) as client:
        yield client


def preflight(client: TestClient, origin: str, method: str, **extra: str):
    headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    return client.options("/v1/measures", headers=headers)


def refusals(response) -> dict[str, dict]:
    body = assert_problem(response, 400)
    assert body["instance"] == "/v1/measures"
    assert {e["location"] for e in body["errors"]} == {"header"}
    for error in body["errors"]:
        assert error["parameter"] in body["detail"] and error["expected"] in body["detail"]
    return {e["parameter"]: e for e in body["errors"]}


def test_an_allowed_preflight_is_answered(cors_client):
    response = preflight(cors_client, ALLOWED, "GET", **{"Access-Control-Request-Headers": "If-None-Match"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", ALLOWED)
    assert "GET" in response.headers["access-control-allow-methods"]


def test_a_preflight_for_a_write_is_a_problem_naming_the_method(cors_client):
    response = preflight(cors_client, ALLOWED, "DELETE")
    error = refusals(response)["Access-Control-Request-Method"]
    assert error["received"] == "DELETE"
    assert error["expected"] == "one of GET, HEAD, OPTIONS"
    # the preflight's own headers stay: caches and browsers still learn what is allowed
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert "Origin" in response.headers["vary"]


def test_a_preflight_for_a_private_network_is_a_problem(cors_client):
    response = preflight(cors_client, ALLOWED, "GET", **{"Access-Control-Request-Private-Network": "true"})
    assert refusals(response)["Access-Control-Request-Private-Network"]["received"] == "true"


def test_a_preflight_from_another_origin_is_a_problem_naming_the_origin(backend_settings):
    app = create_app(backend_settings("sqlite").model_copy(update={"cors_origins": ALLOWED}))
    with TestClient(app) as client:
        response = preflight(client, "https://other.example", "PUT")
    errors = refusals(response)
    assert errors["Origin"] == {
        "parameter": "Origin",
        "location": "header",
        "expected": f"an allowed origin: {ALLOWED}",
        "received": "https://other.example",
    }
    assert errors["Access-Control-Request-Method"]["received"] == "PUT"
    assert "access-control-allow-origin" not in response.headers
