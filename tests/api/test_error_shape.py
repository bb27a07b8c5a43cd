"""Every family of error answers with one shape: RFC 9457 problem+json (see helpers)."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

FAMILIES = [
    ("GET", "/v1/measures?limit=abc", 400, "limit"),
    ("GET", "/v1/measures?limt=5", 400, "limt"),
    ("GET", "/v1/measures?q=a&q=b", 400, "q"),
    ("GET", "/v1/measures?q=%ff%fe", 400, "(query string)"),
    ("GET", "/v1/measures?q=%00", 400, "q"),
    ("GET", "/v1/measures?q=%zz", 400, "(query string)"),
    ("GET", "/v1/measures?q=100%", 400, "(query string)"),
    ("GET", "/v1/units?kind=%E0%A4", 400, "(query string)"),
    ("GET", "/v1/units/finance?format=csv", 400, "format"),
    ("GET", "/v1/units.csv?format=csv", 400, "format"),  # the .csv operation has no `format`
    ("GET", "/healthz?verbose=1", 400, "verbose"),  # the spec documents this 400 on every operation
    ("GET", "/v1/measures?q=" + "x" * 5000, 400, "q"),
    ("GET", "/v1/measures/nope", 404, None),
    ("GET", "/v1/units/%E7%A7%91", 404, None),
    ("GET", "/nope", 404, None),
    ("GET", "/v1/measures/" + "x" * 201, 400, "measure_id"),
    ("DELETE", "/v1/units/finance", 405, None),
    ("POST", "/v1/documents", 405, None),
]


@pytest.mark.parametrize(("method", "url", "status", "parameter"), FAMILIES)
def test_error_families_share_the_problem_shape(client, method, url, status, parameter):
    body = assert_problem(client.request(method, url), status, parameter=parameter)
    assert body["instance"] == url.split("?")[0]


def test_problems_are_not_cached(client):
    assert client.get("/v1/measures/nope").headers["cache-control"] == "no-store"


def test_a_bad_parameter_names_what_was_expected_and_received(client):
    body = client.get("/v1/measures?limit=500").json()
    assert body["errors"] == [{"parameter": "limit", "location": "query", "expected": "less than or equal to 100", "received": "500"}]
    assert body["detail"] == "limit: expected less than or equal to 100, received '500'"
