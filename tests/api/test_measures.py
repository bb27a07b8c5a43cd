"""/v1/measures: filters, search in both scripts, sorting, paging."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_page, assert_problem, numbers


def test_lists_all_twenty_measures_in_order(client):
    body = assert_page(client.get("/v1/measures"))
    assert [m["number"] for m in body["data"]] == list(range(1, 21))
    assert body["meta"]["total"] == 20


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("科技局", [1, 2]),
        ("大數據局", [3, 12]),
        ("大数据局", [3, 12]),
        ("development-reform", [1, 2, 3, 4, 7, 10, 12, 13, 14, 15, 20]),
        ("縣發改局", [1, 2, 3, 4, 7, 10, 12, 13, 14, 15, 20]),
        ("发改局", [1, 2, 3, 4, 7, 10, 12, 13, 14, 15, 20]),
        ("連江縣醫療保障局", [19]),
        ("各乡(镇)政府", [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 17, 20]),
        ("可門管委會", [15]),
    ],
)
def test_unit_filter_accepts_ids_names_aliases_and_designations_in_either_script(client, unit, expected):
    assert numbers(client.get("/v1/measures", params={"unit": unit})) == expected


def test_lead_without_a_unit_applies_to_any_unit(client):
    assert numbers(client.get("/v1/measures", params={"lead": "true"})) == list(range(1, 21))


def test_lead_keeps_only_measures_that_list_the_unit_first(client):
    assert numbers(client.get("/v1/measures", params={"unit": "development-reform", "lead": "true"})) == [1, 3, 13, 14, 15]
    assert numbers(client.get("/v1/measures", params={"unit": "科技局", "lead": "true"})) == [1]
    assert numbers(client.get("/v1/measures", params={"unit": "科技局", "lead": "false"})) == [2]


@pytest.mark.parametrize(
    ("q", "expected"),
    [("数字经济", [3]), ("數字經濟", [3]), ("养老", [18, 19]), ("養老", [18, 19]), ("5G", [3]), ("防指", [20]), ("規模化", [5])],
)
def test_search_matches_title_and_body_in_either_script(client, q, expected):
    assert numbers(client.get("/v1/measures", params={"q": q})) == expected


@pytest.mark.parametrize("q", ["%", "_", "5g", "' OR 1=1 --", "規%化", "\\"])
def test_search_is_literal_and_case_sensitive(client, q):
    assert numbers(client.get("/v1/measures", params={"q": q})) == []


def test_chapter_filter_takes_a_number_or_an_id(client):
    assert numbers(client.get("/v1/measures", params={"chapter": "4"})) == [14, 15]
    assert numbers(client.get("/v1/measures", params={"chapter": "lianzhengzong-2021-127-ch4"})) == [14, 15]


def test_filters_combine(client):
    params = {"chapter": "2", "unit": "海漁局", "q": "产业", "document": "lianzhengzong-2021-127"}
    assert numbers(client.get("/v1/measures", params=params)) == [3, 4, 8]


def test_sort_descending(client):
    assert numbers(client.get("/v1/measures", params={"sort": "-number", "limit": 3})) == [20, 19, 18]


def test_paging_links_walk_every_measure_once(client):
    seen, url = [], "/v1/measures?limit=7"
    while url:
        response = client.get(url)
        body = assert_page(response)
        seen += [m["number"] for m in body["data"]]
        url = body["links"]["next"]
        if url:
            assert f'<{url}>; rel="next"' in response.headers["Link"]
    assert seen == list(range(1, 21))
    last = client.get("/v1/measures?limit=7&offset=14").json()
    assert last["links"]["prev"] == "/v1/measures?limit=7&offset=7"


@pytest.mark.parametrize("sort", ["number", "-number"])
@pytest.mark.parametrize("unit", [None, "development-zones"])
def test_every_page_in_either_order_is_a_slice_of_the_whole_list(client, sort, unit):
    """Pages come from one memoised list per filter: every limit and offset, in and past the end."""
    params = {"sort": sort, **({"unit": unit} if unit else {})}
    whole = numbers(client.get("/v1/measures", params={**params, "limit": 100}))
    assert whole == sorted(whole, reverse=sort == "-number") and len(whole) == len(set(whole)) > 1
    for limit in (1, 3, 7, 20):
        for offset in range(len(whole) + 3):
            page = client.get("/v1/measures", params={**params, "limit": limit, "offset": offset}).json()
            assert [m["number"] for m in page["data"]] == whole[offset : offset + limit], (limit, offset)
            assert page["meta"]["total"] == len(whole)


def test_an_offset_past_the_end_is_an_empty_page_with_the_total(client):
    body = assert_page(client.get("/v1/measures?offset=40"))
    assert body["data"] == [] and body["meta"]["total"] == 20 and body["links"]["next"] is None


def test_a_measure_has_its_units_in_order_with_designations_and_lead(client):
    measure = client.get("/v1/measures/lianzhengzong-2021-127-m1").json()
    assert measure["title"] == "加大科技創新投入"
    assert measure["text"] == measure["title"] + "。" + measure["body"]
    units = measure["units"]
    assert [(u["unit_id"], u["position"], u["lead"]) for u in units][:2] == [("development-reform", 1, True), ("finance", 2, False)]
    assert units[0] | {"source": None, "links": None} == {
        "unit_id": "development-reform",
        "name": "縣發改局",
        "text": "縣發改局(科技局)",
        "designation": "科技局",
        "position": 1,
        "lead": True,
        "source": None,
        "links": None,
    }
    assert measure["source"]["line"] == 9


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"unit": "不存在的局"}, 404, None),
        ({"document": "nope"}, 404, None),
        ({"chapter": "9"}, 404, None),
        ({"chapter": "nope"}, 404, None),
        ({"lead": "maybe", "unit": "finance"}, 400, "lead"),
        ({"limit": "0"}, 400, "limit"),
        ({"limit": "101"}, 400, "limit"),
        ({"offset": "-1"}, 400, "offset"),
        ({"offset": "99999999999999999999"}, 400, "offset"),
        ({"sort": "title"}, 400, "sort"),
        ({"q": ""}, 400, "q"),
        ({"q": "x" * 101}, 400, "q"),
        ({"script": "latin"}, 400, "script"),
        ({"format": "xml"}, 400, "format"),
        ({"unit": "a\x00b"}, 400, "unit"),
        ({"chapter_id": "1"}, 400, "chapter_id"),
    ],
)
def test_bad_filters_get_a_problem(client, params, status, parameter):
    assert_problem(client.get("/v1/measures", params=params), status, parameter=parameter)


def test_unknown_measure_is_404(client):
    assert_problem(client.get("/v1/measures/lianzhengzong-2021-127-m21"), 404)


def test_a_filter_seen_before_is_answered_from_memory_and_a_new_one_from_the_database(app_settings):
    """Another page of a filter already seen needs no database; a new filter does. With the
    database gone, the first still answers and the second is a 503, not a wrong answer."""
    from fastapi.testclient import TestClient

    from api.db import postgresql_engine
    from api.main import create_app

    app = create_app(app_settings.model_copy(update={"response_cache_entries": 0}))
    with TestClient(app) as client:
        assert numbers(client.get("/v1/measures?unit=townships&limit=100")) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 17, 20]
        engine = app.served.snapshot.db.engine
        try:
            app.served.snapshot.db.engine = postgresql_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # nothing listens there
            assert numbers(client.get("/v1/measures?unit=townships&limit=3&offset=1&sort=-number")) == [17, 14, 13]
            assert client.get("/v1/measures/lianzhengzong-2021-127-m20").status_code == 200
            gone = client.get("/v1/measures?unit=finance&limit=2")
            assert gone.status_code == 503 and gone.headers["content-type"] == "application/problem+json"
        finally:
            app.served.snapshot.db.engine = engine


FILTERS = [
    {},
    {"unit": "townships"},
    {"unit": "科技局"},
    {"unit": "finance", "lead": "false"},
    {"lead": "true"},
    {"chapter": "2"},
    {"document": "lianzhengzong-2021-127"},
    {"q": "产"},
    {"q": "产业"},
    {"q": "數字經"},  # three characters: one gram, exact
    {"q": "数字经济"},  # four: candidates from its grams, checked literally
    {"q": "产业", "unit": "finance"},
    {"q": "产业", "chapter": "2"},
    {"q": "沒有這樣的話"},
]


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all")
def test_a_large_result_paged_by_queries_equals_one_listed_in_memory(app_settings, monkeypatch, params):
    """Results of up to LISTED_MATCHES measures are listed in memory; larger ones are counted
    (or their count read from the index) and paged by queries. Both ways give the same pages."""
    from fastapi.testclient import TestClient

    from api import collections
    from api.main import create_app

    def pages(client):
        return [
            client.get("/v1/measures", params={**params, "sort": sort, "limit": limit, "offset": offset}).json()
            for sort in ("number", "-number")
            for limit, offset in ((100, 0), (3, 0), (3, 2), (7, 5), (5, 30))
        ]

    settings = app_settings.model_copy(update={"response_cache_entries": 0})
    with TestClient(create_app(settings)) as client:
        listed = pages(client)
    monkeypatch.setattr(collections, "LISTED_MATCHES", 0)
    with TestClient(create_app(settings)) as client:
        queried = pages(client)
    assert queried == listed
    assert any(page["data"] for page in listed) or params == {"q": "沒有這樣的話"}
