"""Parameters parse as the spec says, and a trailing-slash redirect never names the request's host."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.helpers import assert_page, assert_problem
from tests.spec import committed_spec

# What a lax parser (pydantic's, or int()) reads as an integer but the spec's `integer` is not:
# a sign, a space, an underscore, a leading zero, digits of another script.
NOT_DECIMAL = ["+5", " 5", "5 ", "1_0", "05", "-0", "-5", "５", "٥", "5.0", "0x5", ""]


@pytest.mark.parametrize("value", NOT_DECIMAL)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_integer_parameters_take_only_ascii_digits(client, name, value):
    body = assert_problem(client.get(f"/v1/measures?{name}={quote(value)}"), 400, parameter=name)
    assert body["errors"][0]["expected"].startswith("an integer in ASCII digits")
    assert body["errors"][0]["received"] == value


def test_plain_digits_still_page(client):
    body = assert_page(client.get("/v1/measures?limit=5&offset=0"))
    assert (body["meta"]["limit"], body["meta"]["offset"], len(body["data"])) == (5, 0, 5)
    assert assert_page(client.get("/v1/measures?limit=100&offset=10"))["meta"]["offset"] == 10


def test_bounds_still_apply_to_well_spelled_integers(client):
    body = assert_problem(client.get("/v1/measures?limit=101"), 400, parameter="limit")
    assert body["errors"][0]["expected"] == "less than or equal to 100"
    assert_problem(client.get("/v1/measures?limit=0"), 400, parameter="limit")


def _example_url(path: str, operation: dict) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(parameter["schema"]["examples"][0]))
    return path


def _typed_parameters(type_name: str) -> list[tuple[str, str]]:
    """(url, parameter name) for every query parameter of the committed spec of that JSON type."""
    found = []
    for path, operations in committed_spec()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = {schema.get("type"), *(s.get("type") for s in schema.get("anyOf", []))}
                if parameter["in"] == "query" and type_name in types:
                    found.append((_example_url(path, operation), parameter["name"]))
    return found


def test_every_integer_and_boolean_parameter_of_the_spec_is_strict(client):
    """A parameter declared without api/deps.integer_query or boolean_query would take `+1`."""
    integers, booleans = _typed_parameters("integer"), _typed_parameters("boolean")
    assert {name for _, name in integers} == {"limit", "offset"} and {name for _, name in booleans} == {"lead"}
    for url, name in integers:
        assert_problem(client.get(f"{url}?{name}=%2B1"), 400, parameter=name)
        assert client.get(f"{url}?{name}=1").status_code == 200, (url, name)
    for url, name in booleans:
        assert_problem(client.get(f"{url}?{name}=yes"), 400, parameter=name)
        assert client.get(f"{url}?{name}=true").status_code == 200, (url, name)


def test_an_unknown_query_parameter_is_refused_naming_those_the_spec_lists(client):
    """The names a route accepts come from its declarations, query models included: on every
    operation, exactly the spec's query parameters (and `format`, which the JSON operation of a
    list or table takes but the spec leaves out: api/deps.FormatQuery)."""
    paths = committed_spec()["paths"]
    for path, operations in paths.items():
        if not path.startswith("/v1/"):
            continue
        operation = operations["get"]
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if path + ".csv" in paths:  # a JSON operation with a `.csv` twin
            names.add("format")
        expected = f"one of {', '.join(sorted(names))}" if names else "no query parameters"
        body = assert_problem(client.get(f"{_example_url(path, operation)}?bogus=1"), 400, parameter="bogus")
        assert body["errors"][0]["expected"] == expected, path


@pytest.mark.parametrize("value", ["1", "True", "TRUE", "on", "yes", "t", "0", "off", ""])
def test_booleans_are_true_or_false(client, value):
    body = assert_problem(client.get(f"/v1/measures?lead={quote(value)}"), 400, parameter="lead")
    assert body["errors"][0]["expected"] == "`true` or `false`"


def test_lead_false_still_filters(client):
    later = [m["number"] for m in assert_page(client.get("/v1/measures?unit=finance&lead=false"))["data"]]
    first = [m["number"] for m in assert_page(client.get("/v1/measures?unit=finance&lead=true"))["data"]]
    assert later and first and not set(later) & set(first)


@pytest.mark.parametrize("value", ["２", "٢", "+2", " 2", "2 ", "02", "-2", "2_0"])
def test_a_chapter_number_is_ascii_digits(client, value):
    body = assert_problem(client.get(f"/v1/measures?chapter={quote(value)}"), 400, parameter="chapter")
    assert "ASCII digits" in body["errors"][0]["expected"]
    assert body["errors"][0]["received"] == value


def test_a_chapter_by_number_or_id(client):
    by_number = assert_page(client.get("/v1/measures?chapter=2"))["data"]
    by_id = assert_page(client.get("/v1/measures?chapter=lianzhengzong-2021-127-ch2"))["data"]
    assert by_number == by_id and {m["chapter_number"] for m in by_number} == {2}
    assert_problem(client.get("/v1/measures?chapter=9"), 404)
    assert_problem(client.get("/v1/measures?chapter=ch2"), 404)
    assert_problem(client.get(f"/v1/measures?chapter={quote('第二章')}"), 400, parameter="chapter")  # ids start with a letter


HOSTILE_HOST = {"Host": "evil.example"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_trailing_slash_redirects_to_a_relative_location(client, method):
    response = client.request(method, "/v1/measures/?chapter=2&limit=5", headers=HOSTILE_HOST, follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/v1/measures?chapter=2&limit=5"
    assert client.get(response.headers["location"]).status_code == 200


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/v1/measures//", "/v1/measures"),
        ("/v1/", "/v1"),
        ("/v1/units/finance/measures.csv/", "/v1/units/finance/measures.csv"),
        ("/v1/units/%E7%A7%91/", "/v1/units/%E7%A7%91"),  # kept percent-encoded: a URI reference
    ],
)
def test_every_route_redirects_without_its_slash(client, path, location):
    response = client.get(path, headers=HOSTILE_HOST, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, location)


@pytest.mark.parametrize("path", ["/v1/nope/", "/nope/", "//evil.example/", "//evil.example/v1/measures/"])
def test_no_redirect_where_no_route_would_answer(client, path):
    response = client.get(f"http://testserver{path}", headers=HOSTILE_HOST, follow_redirects=False)
    assert_problem(response, 404)
    assert "location" not in response.headers


def test_the_landing_page_is_not_redirected(client):
    response = client.get("http://testserver/", headers=HOSTILE_HOST, follow_redirects=False)
    assert response.status_code == 200 and "location" not in response.headers


def test_a_write_is_redirected_with_its_method_then_refused(client):
    response = client.delete("/v1/units/finance/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, "/v1/units/finance")
    assert_problem(client.delete(response.headers["location"]), 405)


def test_the_redirect_uses_the_public_base_url_when_set(backend_settings):
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = backend_settings("sqlite").model_copy(update={"public_base_url": "https://api.example.org"})
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/measures/?limit=5", headers=HOSTILE_HOST, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, "https://api.example.org/v1/measures?limit=5")
