"""`fields=` on every list: the key first, then the named fields in the order given, in JSON and CSV;
a 400 listing the names for anything else; caching, ETags and gzip per selection."""

from __future__ import annotations

import csv
import io

import pytest

from models.schemas import SEARCH_MATCHES
from tests.api.helpers import assert_page, assert_problem
from tests.spec import committed_spec, list_items, selected_spec, validator

# Every list, with a filter that keeps a few items, and its page and item schemas in the spec.
LISTS = {
    "/v1/documents": ("DocumentPage", "DocumentListItem"),
    "/v1/documents/lianzhengzong-2021-127/corrections?category=erratum": ("CorrectionPage", "CorrectionListItem"),
    "/v1/chapters?document=lianzhengzong-2021-127": ("ChapterPage", "ChapterListItem"),
    "/v1/measures?chapter=2": ("MeasurePage", "MeasureListItem"),
    "/v1/measure-units?unit=finance": ("MeasureUnitLinkPage", "MeasureUnitLinkListItem"),
    "/v1/units?kind=county_department": ("UnitPage", "UnitListItem"),
    "/v1/units/finance/measures": ("MeasurePage", "MeasureListItem"),
}


def names_of(item: str) -> tuple[list[str], list[str]]:
    """(key, every other field) of a list item, as the committed spec says (a search's matches are no field)."""
    schema = committed_spec()["components"]["schemas"][item]
    return schema["required"], [name for name in schema["properties"] if name not in (*schema["required"], SEARCH_MATCHES)]


def url(path: str, **params: str) -> str:
    extra = "&".join(f"{name}={value}" for name, value in params.items())
    return path + ("&" if "?" in path else "?") + extra


def csv_of(path: str) -> str:
    base, _, query = path.partition("?")
    return base + ".csv" + ("?" + query if query else "")


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_the_spec_lists_every_list_here():
    lists = {
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, methods in committed_spec()["paths"].items()
        for op in methods.values()
        if op["operationId"].startswith("list_") and "fields" in {p["name"] for p in op["parameters"]} and not path.endswith(".csv")
    }
    assert lists == {page for page, _ in LISTS.values()}


@pytest.mark.parametrize("path", LISTS)
def test_a_selection_has_the_key_first_then_the_named_fields_in_the_order_given(client, path):
    page, item = LISTS[path]
    key, others = names_of(item)
    named = [others[-1], others[0]]  # not in the items' own order
    whole = assert_page(client.get(path))["data"]
    body = assert_page(client.get(url(path, fields=",".join(named))))
    assert body["data"] and [list(i) for i in body["data"]] == [key + named] * len(whole)
    assert body["data"] == [{name: i[name] for name in key + named} for i in whole]
    assert not list(validator(page, selected_spec(",".join(named))).iter_errors(body))


def test_the_id_comes_first_when_named_anywhere(client):
    body = assert_page(client.get("/v1/units?fields=name,id&limit=3"))
    assert [list(u) for u in body["data"]] == [["id", "name"]] * 3
    assert [list(u) for u in client.get("/v1/units?fields=id&limit=3").json()["data"]] == [["id"]] * 3


def test_measure_unit_links_keep_their_measure_and_position_first(client):
    body = assert_page(client.get("/v1/measure-units?fields=unit_id,position&limit=2"))
    assert body["data"] == [
        {"measure_id": "lianzhengzong-2021-127-m1", "position": 1, "unit_id": "development-reform"},
        {"measure_id": "lianzhengzong-2021-127-m1", "position": 2, "unit_id": "finance"},
    ]


def test_a_selection_follows_the_script_and_the_filters(client):
    whole = client.get("/v1/measures?q=养老&script=hans").json()["data"]
    body = assert_page(client.get("/v1/measures?q=养老&script=hans&fields=title,units"))
    # A search hit keeps where it matched, in the fields returned.
    expected = [{"id": m["id"], "title": m["title"], "units": m["units"], "matches": [x for x in m["matches"] if x["field"] == "title"]} for m in whole]
    assert body["data"] == expected
    assert body["meta"]["total"] == 2 and client.get("/v1/measures?fields=title&script=hans").headers["Content-Language"] == "zh-Hans"


def test_the_closed_copy_for_a_selection_refuses_a_field_left_in_or_missing(client):
    body = assert_page(client.get("/v1/measures?fields=title&limit=1"))
    selected = validator("MeasurePage", selected_spec("title"))
    assert selected.is_valid(body)
    assert not validator("MeasurePage").is_valid(body)  # without `fields=`, every field is required
    extra = {**body, "data": [{**body["data"][0], "number": 1}]}
    missing = {**body, "data": [{"id": body["data"][0]["id"]}]}
    assert not selected.is_valid(extra) and not selected.is_valid(missing)


@pytest.mark.parametrize("path", LISTS)
def test_csv_has_exactly_the_columns_of_the_key_and_the_named_fields(client, path):
    _, item = LISTS[path]
    key, others = names_of(item)
    scalar = [n for n in others if n not in {"links", "source", "units", "counts", "curated", "positions", "designations"}]
    named = [scalar[-1], scalar[0]]
    response = client.get(csv_of(url(path, fields=",".join(named))))
    table = rows(response)
    assert table[0] == key + named
    whole = assert_page(client.get(path))["data"]
    assert [row[len(key) :] for row in table[1:]] == [[str(i[n] if i[n] is not None else "") for n in named] for i in whole]
    assert client.get(url(path, fields=",".join(named), format="csv")).content == response.content


def test_a_field_gives_the_columns_the_full_csv_has_for_it(client):
    assert rows(client.get("/v1/measures.csv?fields=links,units&limit=1"))[0] == ["id", "url", "unit_ids", "lead_unit_id"]
    assert rows(client.get("/v1/units.csv?fields=curated&limit=1"))[0] == ["id", "full_name", "name_en"]
    assert rows(client.get("/v1/chapters.csv?fields=source&limit=1"))[0] == [
        "id",
        "source_line",
        "source_start",
        "source_end",
        "source_raw_start",
        "source_raw_end",
    ]
    assert rows(client.get("/v1/documents.csv?fields=positions"))[0] == ["id"]  # the CSV does not flatten it


@pytest.mark.parametrize("path", LISTS)
def test_every_column_of_the_full_csv_belongs_to_a_field(client, path):
    """The CSV without `fields=` is unchanged, and selecting every field gives each of its columns."""
    _, item = LISTS[path]
    key, others = names_of(item)
    full = rows(client.get(csv_of(path)))
    every = rows(client.get(csv_of(url(path, fields=",".join(others)))))
    assert sorted(every[0]) == sorted(full[0])
    by_column = [dict(zip(table[0], row, strict=True)) for table in (full, every) for row in table[1:]]
    assert by_column[: len(full) - 1] == by_column[len(full) - 1 :]


@pytest.mark.parametrize(
    "value",
    ["nope", "title,nope", "", "title,,number", "title,", ",title", "title,title", "id,title,id", "Title", "title, number"],
)
def test_anything_but_distinct_known_names_is_a_400_listing_the_allowed_ones(client, value):
    for path in ("/v1/measures", "/v1/measures.csv"):
        body = assert_problem(client.get(path, params={"fields": value}), 400, parameter="fields")
        expected = body["errors"][0]["expected"]
        assert all(name in expected for name in list_items(committed_spec())["MeasureListItem"]["properties"] if name != SEARCH_MATCHES), expected
        assert body["errors"][0]["received"] == value


def test_item_endpoints_stay_whole(client):
    assert_problem(client.get("/v1/measures/lianzhengzong-2021-127-m1?fields=title"), 400, parameter="fields")


def test_each_selection_revalidates_with_the_etag_it_was_sent(client):
    """An ETag names a representation at its URL (tests/api/test_etag.py): each selection is its own
    URL, with its own body, revalidated with the ETag it was sent."""
    identity = {"Accept-Encoding": "identity"}
    titles = client.get("/v1/measures?fields=title", headers=identity)
    numbers = client.get("/v1/measures?fields=number", headers=identity)
    assert [set(item) for item in titles.json()["data"]] == [{"id", "title"}] * len(titles.json()["data"])
    assert [set(item) for item in numbers.json()["data"]] == [{"id", "number"}] * len(numbers.json()["data"])
    again = client.get("/v1/measures?fields=title", headers={**identity, "If-None-Match": titles.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == titles.headers["ETag"]
    stale = client.get("/v1/measures?fields=number", headers={**identity, "If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json() == numbers.json()


def test_a_selection_is_gzipped_when_asked_and_large_enough(client):
    plain = client.get("/v1/measures?fields=title,body", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/v1/measures?fields=title,body", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    assert int(zipped.headers["Content-Length"]) < len(plain.content)
    assert zipped.json() == plain.json()  # decoded by httpx
