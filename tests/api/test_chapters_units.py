"""/v1/chapters and /v1/units."""

from __future__ import annotations

from tests.api.helpers import assert_page, assert_problem, numbers


def test_chapters_in_order_with_measure_counts(client):
    body = assert_page(client.get("/v1/chapters", params={"document": "lianzhengzong-2021-127"}))
    assert [(c["numeral"], c["measure_count"]) for c in body["data"]] == [("一", 2), ("二", 7), ("三", 4), ("四", 2), ("五", 5)]


def test_a_chapter_links_to_its_measures(client):
    chapter = client.get("/v1/chapters/lianzhengzong-2021-127-ch3").json()
    assert chapter["title"] == "深化改革擴大開放,迸發發展動力活力"
    assert numbers(client.get(chapter["links"]["measures"])) == [10, 11, 12, 13]


def test_unknown_chapter_is_404(client):
    assert_problem(client.get("/v1/chapters/lianzhengzong-2021-127-ch6"), 404)
    assert_problem(client.get("/v1/chapters", params={"document": "nope"}), 404)


def test_units_sorted_by_measure_count(client):
    body = assert_page(client.get("/v1/units", params={"sort": "-measure_count", "limit": 4}))
    assert [(u["id"], u["measure_count"]) for u in body["data"]] == [
        ("development-zones", 14),
        ("townships", 14),
        ("development-reform", 11),
        ("industry-information-technology", 10),
    ]
    assert body["meta"]["total"] == 27


def test_units_filter_by_kind_and_search_in_either_script(client):
    kinds = assert_page(client.get("/v1/units", params={"kind": "party_organ"}))["data"]
    assert [u["id"] for u in kinds] == ["political-legal-affairs-commission"]
    for q in ("卫健", "衛健", "Health Bureau"):
        assert [u["id"] for u in client.get("/v1/units", params={"q": q}).json()["data"]] == ["health"], q
    assert [u["id"] for u in client.get("/v1/units", params={"q": "科技局"}).json()["data"]] == ["development-reform"]


def test_a_unit_has_kind_aliases_designations_and_curated_names(client):
    unit = client.get("/v1/units/development-reform").json()
    assert unit["name"] == "縣發改局" and unit["kind"] == "county_department"
    assert unit["aliases"] == ["發改局", "連江縣發展和改革局"]
    assert [d["name"] for d in unit["designations"]] == ["科技局", "大數據局"]
    assert unit["curated"] == {
        "full_name": "連江縣發展和改革局",
        "name_en": "Lianjiang County Development and Reform Bureau",
        "name_en_is_official": False,
    }
    assert (unit["measure_count"], unit["lead_count"]) == (11, 5)


def test_a_units_measures(client):
    assert numbers(client.get("/v1/units/healthcare-security/measures")) == [19]
    assert numbers(client.get("/v1/units/development-reform/measures", params={"lead": "true"})) == [1, 3, 13, 14, 15]
    assert_problem(client.get("/v1/units/nope/measures"), 404)
    assert_problem(client.get("/v1/units/nope"), 404)


def test_units_sorted_by_name_in_the_requested_script(client):
    hant = [u["name"] for u in client.get("/v1/units", params={"sort": "name", "limit": 100}).json()["data"]]
    hans = [u["name"] for u in client.get("/v1/units", params={"sort": "name", "limit": 100, "script": "hans"}).json()["data"]]
    assert hant == sorted(hant) and hans == sorted(hans)
    assert_problem(client.get("/v1/units", params={"kind": "ministry"}), 400, parameter="kind")
