"""Paging links of every list: self, next, prev, first and last, in the body and the Link header."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_page, link_header

LISTS = [
    "/v1/documents",
    "/v1/documents/lianzhengzong-2021-127/corrections",
    "/v1/chapters",
    "/v1/measures",
    "/v1/measure-units",
    "/v1/units",
    "/v1/units/development-reform/measures",
]


def measures_page(limit: int, offset: int) -> str:
    return f"/v1/measures?limit={limit}&offset={offset}"


@pytest.mark.parametrize(
    ("offset", "prev", "next_"),
    [(0, None, 7), (7, 0, 14), (14, 7, None)],
    ids=["first page", "middle page", "last page"],
)
def test_first_and_last_are_the_same_on_every_page(client, offset, prev, next_):
    body = assert_page(client.get(measures_page(7, offset)))  # the Link header says the same (assert_page)
    assert body["links"] == {
        "self": measures_page(7, offset),
        "next": None if next_ is None else measures_page(7, next_),
        "prev": None if prev is None else measures_page(7, prev),
        "first": measures_page(7, 0),
        "last": measures_page(7, 14),
    }


@pytest.mark.parametrize(("limit", "last"), [(1, 19), (5, 15), (7, 14), (19, 19), (20, 0), (100, 0)])
def test_last_is_the_offset_of_the_page_holding_the_last_item(client, limit, last):
    body = assert_page(client.get(f"/v1/measures?limit={limit}"))
    assert body["links"]["last"] == measures_page(limit, last)
    tail = assert_page(client.get(body["links"]["last"]))
    assert tail["data"] and tail["links"]["next"] is None and tail["data"][-1]["number"] == 20


def test_an_offset_off_the_grid_or_past_the_end_keeps_first_and_last(client):
    for offset in (5, 40):
        links = assert_page(client.get(measures_page(7, offset)))["links"]
        assert (links["first"], links["last"]) == (measures_page(7, 0), measures_page(7, 14))


def test_an_empty_list_has_first_and_last_at_offset_zero(client):
    response = client.get("/v1/measures?q=不存在的文字&limit=10")
    body = assert_page(response)
    assert body["meta"]["total"] == 0 and body["data"] == []
    first = "/v1/measures?limit=10&offset=0&q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E6%96%87%E5%AD%97"
    assert body["links"] == {"self": first, "next": None, "prev": None, "first": first, "last": first}
    assert link_header(response) == {"self": first, "first": first, "last": first}


@pytest.mark.parametrize("path", LISTS)
def test_a_walk_from_first_by_next_ends_on_last(client, path):
    url = assert_page(client.get(f"{path}?limit=3"))["links"]["first"]
    seen, last = 0, None
    while url:
        body = assert_page(client.get(url))
        seen += len(body["data"])
        last = body["links"]["last"]
        if body["links"]["next"] is None:
            assert body["links"]["self"] == last
        url = body["links"]["next"]
    assert seen == body["meta"]["total"] > 0


def test_csv_links_page_through_csv(client):
    response = client.get("/v1/measures.csv?limit=7&offset=7&fields=title")
    assert response.status_code == 200
    assert link_header(response) == {
        "self": "/v1/measures.csv?fields=title&limit=7&offset=7",
        "next": "/v1/measures.csv?fields=title&limit=7&offset=14",
        "prev": "/v1/measures.csv?fields=title&limit=7&offset=0",
        "first": "/v1/measures.csv?fields=title&limit=7&offset=0",
        "last": "/v1/measures.csv?fields=title&limit=7&offset=14",
    }
