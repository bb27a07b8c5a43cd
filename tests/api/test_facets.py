"""`facets=` on /v1/measures and /v1/units: counts that agree with the lists, under every filter but
the faceted field's own, labelled in the script asked for; refused with CSV."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import assert_problem
from tests.spec import validator

DOC = "lianzhengzong-2021-127"
MEASURE_FILTERS = [
    {},
    {"unit": "development-reform"},
    {"unit": "科技局"},  # a designation: the unit facet still counts by unit id
    {"unit": "development-reform", "lead": "true"},
    {"lead": "false"},
    {"q": "产业"},
    {"chapter": "2", "q": "產業"},
    {"chapter": f"{DOC}-ch3", "document": DOC},
    {"q": "不在文中"},  # nothing matches: every facet is empty
]


def total(client: TestClient, path: str, params: dict[str, str]) -> int:
    response = client.get(path, params={**params, "limit": "1"})
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"])


def faceted(client: TestClient, path: str, params: dict[str, str], facets: str, schema: str, **headers: str) -> dict:
    response = client.get(path, params={**params, "facets": facets}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    errors = list(validator(schema).iter_errors(body))  # the closed copy of the spec: nothing unlisted
    assert not errors, errors[0]
    assert list(body["meta"]["facets"]) == facets.split(",")
    return body


def assert_ordered(values: list[dict]) -> None:
    assert values == sorted(values, key=lambda v: (-v["count"], v["value"]))
    assert all(v["count"] > 0 for v in values)


@pytest.fixture(scope="module")
def unit_ids(client) -> list[str]:
    return [u["id"] for u in client.get("/v1/units", params={"limit": "100"}).json()["data"]]


@pytest.fixture(scope="module")
def chapter_ids(client) -> list[str]:
    return [c["id"] for c in client.get("/v1/chapters").json()["data"]]


@pytest.mark.parametrize("filters", MEASURE_FILTERS, ids=str)
@pytest.mark.parametrize(("facet", "values_fixture"), [("unit", "unit_ids"), ("chapter", "chapter_ids"), ("document", None)])
def test_a_facet_counts_what_its_own_filter_set_to_each_value_would_list(client, request, filters, facet, values_fixture):
    """Each value's count is the X-Total-Count of the same request with the facet's own filter set to
    that value, whatever that filter was; a value is listed exactly when that total is not 0."""
    body = faceted(client, "/v1/measures", filters, facet, "MeasurePage")
    values = body["meta"]["facets"][facet]
    assert_ordered(values)
    assert body["meta"]["total"] == total(client, "/v1/measures", filters)  # the list itself keeps its filter
    candidates = request.getfixturevalue(values_fixture) if values_fixture else [DOC]
    others = {k: v for k, v in filters.items() if k != facet}
    expected = {value: n for value in candidates if (n := total(client, "/v1/measures", {**others, facet: value}))}
    assert {v["value"]: v["count"] for v in values} == expected


@pytest.mark.parametrize("filters", [{}, {"chapter": "2"}, {"q": "养老"}], ids=str)
def test_lead_unit_counts_the_measures_each_unit_leads_under_every_filter(client, unit_ids, filters):
    values = faceted(client, "/v1/measures", filters, "lead_unit", "MeasurePage")["meta"]["facets"]["lead_unit"]
    assert_ordered(values)
    expected = {u: n for u in unit_ids if (n := total(client, "/v1/measures", {**filters, "unit": u, "lead": "true"}))}
    assert {v["value"]: v["count"] for v in values} == expected
    assert sum(expected.values()) == total(client, "/v1/measures", filters)  # one lead unit per measure


def test_the_unit_facet_agrees_with_each_units_measure_count(client):
    values = faceted(client, "/v1/measures", {}, "unit", "MeasurePage")["meta"]["facets"]["unit"]
    units = {u["id"]: u for u in client.get("/v1/units", params={"limit": "100"}).json()["data"]}
    assert {v["value"]: v["count"] for v in values} == {i: u["measure_count"] for i, u in units.items() if u["measure_count"]}


def test_several_facets_at_once_keep_the_order_asked_and_match_each_alone(client):
    params = {"unit": "development-reform", "q": "产业"}
    together = faceted(client, "/v1/measures", params, "document,chapter,unit,lead_unit", "MeasurePage")["meta"]["facets"]
    for name, values in together.items():
        assert faceted(client, "/v1/measures", params, name, "MeasurePage")["meta"]["facets"][name] == values


@pytest.mark.parametrize(
    ("script", "headers"), [("hant", {}), ("hans", {}), (None, {"Accept-Language": "zh-CN"}), (None, {"Accept-Language": "zh-TW"})]
)
def test_labels_are_the_names_and_titles_in_the_script_asked_for(client, script, headers):
    params = {"script": script} if script else {}
    body = faceted(client, "/v1/measures", params, "unit,lead_unit,chapter,document", "MeasurePage", **headers)
    facets = body["meta"]["facets"]
    for name, path, field in [("unit", "/v1/units", "name"), ("lead_unit", "/v1/units", "name"), ("chapter", "/v1/chapters", "title")]:
        for value in facets[name]:
            assert value["label"] == client.get(f"{path}/{value['value']}", params=params, headers=headers).json()[field]
    (document,) = facets["document"]
    assert document["label"] == client.get(f"/v1/documents/{DOC}", params=params, headers=headers).json()["title"]
    hans = script == "hans" or headers.get("Accept-Language") == "zh-CN"
    assert ("县发改局" if hans else "縣發改局") in {v["label"] for v in facets["unit"]}


def test_without_facets_meta_has_no_facets(client):
    assert "facets" not in client.get("/v1/measures").json()["meta"]
    assert "facets" not in client.get("/v1/units").json()["meta"]


@pytest.mark.parametrize("filters", [{}, {"kind": "county_department"}, {"q": "局"}, {"kind": "party_organ", "q": "政法"}], ids=str)
def test_the_kind_facet_of_units_counts_under_the_search_alone(client, filters):
    body = faceted(client, "/v1/units", filters, "kind", "UnitPage")
    values = body["meta"]["facets"]["kind"]
    assert_ordered(values)
    search = {k: v for k, v in filters.items() if k != "kind"}
    kinds = {u["kind"] for u in client.get("/v1/units", params={"limit": "100"}).json()["data"]}
    expected = {kind: n for kind in kinds if (n := total(client, "/v1/units", {**search, "kind": kind}))}
    assert {v["value"]: v["count"] for v in values} == expected


def test_kind_labels_follow_the_script(client):
    hant = {v["value"]: v["label"] for v in faceted(client, "/v1/units", {}, "kind", "UnitPage")["meta"]["facets"]["kind"]}
    hans = {v["value"]: v["label"] for v in faceted(client, "/v1/units", {"script": "hans"}, "kind", "UnitPage")["meta"]["facets"]["kind"]}
    assert hant["county_department"] == "縣直部門" and hans["county_department"] == "县直部门"
    assert hant.keys() == hans.keys()


@pytest.mark.parametrize(
    ("path", "query", "headers"),
    [
        ("/v1/measures", "facets=units", {}),
        ("/v1/measures", "facets=kind", {}),  # a facet of another list
        ("/v1/measures", "facets=unit,chapter,unit", {}),
        ("/v1/measures", "facets=", {}),
        ("/v1/measures", "facets=unit,", {}),
        ("/v1/measures", "facets=unit&format=csv", {}),
        ("/v1/measures", "facets=unit", {"Accept": "text/csv"}),
        ("/v1/measures.csv", "facets=unit", {}),
        ("/v1/units", "facets=kind,kind", {}),
        ("/v1/units", "facets=unit", {}),
        ("/v1/units", "facets=kind&format=csv", {}),
        ("/v1/units.csv", "facets=kind", {}),
        ("/v1/units/development-reform/measures", "facets=unit", {}),  # a unit's measures take no facets
    ],
)
def test_unknown_repeated_or_csv_facets_are_400_problems(client, path, query, headers):
    body = assert_problem(client.get(f"{path}?{query}", headers=headers), 400, parameter="facets")
    assert "facets" in body["detail"]


def test_an_unknown_facet_problem_names_the_known_ones(client):
    expected = assert_problem(client.get("/v1/measures?facets=colour"), 400, parameter="facets")["errors"][0]["expected"]
    assert all(name in expected for name in ("unit", "lead_unit", "chapter", "document"))


@pytest.fixture(scope="module")
def uncached(app_settings):
    with TestClient(create_app(app_settings.model_copy(update={"response_cache_entries": 0}))) as client:
        yield client


@pytest.mark.parametrize(
    "url",
    [
        "/v1/measures?facets=unit,chapter&unit=development-reform",
        "/v1/measures?facets=chapter&unit=development-reform",
        "/v1/measures?facets=unit,chapter&unit=development-reform&script=hans",
        "/v1/units?facets=kind&q=局",
    ],
)
def test_facets_are_replayed_from_the_cache_as_answered(client, uncached, app, url):
    cache = app.served.snapshot.cache
    cache.clear()
    expected = uncached.get(url)
    answers = [client.get(url) for _ in range(3)]  # passed by, stored (on the second), replayed
    assert len(cache.entries) == 1
    for response in answers:
        assert response.status_code == expected.status_code == 200
        assert response.content == expected.content and response.headers["ETag"] == expected.headers["ETag"]


def test_each_facets_value_is_an_answer_of_its_own(client):
    one = client.get("/v1/measures?facets=unit&unit=development-reform").json()["meta"]
    other = client.get("/v1/measures?facets=chapter&unit=development-reform").json()["meta"]
    assert list(one["facets"]) == ["unit"] and list(other["facets"]) == ["chapter"]
