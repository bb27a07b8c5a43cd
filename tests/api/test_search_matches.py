"""`matches` on the hits of a search: code-point spans of the title and body as returned, in either
script, for a query written in either script; JSON only, and only with `q`."""

from __future__ import annotations

import csv
import io

import pytest

from models.scripts import to_hans
from models.search import occurrences
from tests.api.helpers import assert_page
from tests.spec import validator

QUERIES = ["养老", "養老", "产业", "產業", "數字經濟", "5G", "、", "科技"]


def searched(client, path: str, params: dict[str, str]) -> list[dict]:
    body = assert_page(client.get(path, params={**params, "limit": "100"}))
    errors = list(validator("MeasurePage").iter_errors(body))  # the closed copy of the spec: nothing unlisted
    assert not errors, errors[0]
    return body["data"]


@pytest.mark.parametrize("script", ["hant", "hans"])
@pytest.mark.parametrize("q", QUERIES)
def test_every_occurrence_in_title_and_body_is_a_span_of_the_returned_text(client, q, script):
    needle = to_hans(q)
    hits = searched(client, "/v1/measures", {"q": q, "script": script})
    assert hits
    for measure in hits:
        spans = measure["matches"]
        assert spans, measure["id"]  # a hit matched somewhere
        for span in spans:
            assert to_hans(measure[span["field"]][span["start"] : span["end"]]) == needle
        for field in ("title", "body"):
            starts = [s["start"] for s in spans if s["field"] == field]
            assert starts == sorted(starts)
            # every occurrence, none overlapping: as many as str.count finds in the Simplified text
            assert len(starts) == to_hans(measure[field]).count(needle), (measure["id"], field)
        assert [s["field"] for s in spans] == sorted((s["field"] for s in spans), key=["title", "body"].index)


def test_a_simplified_query_highlights_the_traditional_text(client):
    hant = {m["number"]: m for m in searched(client, "/v1/measures", {"q": "养老"})}
    hans = {m["number"]: m for m in searched(client, "/v1/measures", {"q": "養老", "script": "hans"})}
    assert hant.keys() == hans.keys() == {18, 19}
    for number, measure in hant.items():
        assert {measure[s["field"]][s["start"] : s["end"]] for s in measure["matches"]} == {"養老"}
        assert {hans[number][s["field"]][s["start"] : s["end"]] for s in hans[number]["matches"]} == {"养老"}
        assert measure["matches"] == hans[number]["matches"]  # t2s keeps these texts character for character


def test_a_title_match_is_reported_in_the_title(client):
    (measure,) = [m for m in searched(client, "/v1/measures", {"q": "养老"}) if m["number"] == 18]
    assert {"field": "title", "start": measure["title"].index("養老"), "end": measure["title"].index("養老") + 2} in measure["matches"]


def test_a_units_measures_searched_carry_matches_too(client):
    hits = searched(client, "/v1/units/development-reform/measures", {"q": "科技", "script": "hans"})
    assert hits and all(m["body"][s["start"] : s["end"]] == "科技" for m in hits for s in m["matches"] if s["field"] == "body")


def test_percent_and_underscore_stay_literal(client):
    assert searched(client, "/v1/measures", {"q": "%"}) == searched(client, "/v1/measures", {"q": "_"}) == []


def test_without_q_there_is_no_matches_key(client):
    assert all("matches" not in m for m in searched(client, "/v1/measures", {}))
    assert "matches" not in client.get("/v1/measures/lianzhengzong-2021-127-m18").json()


@pytest.mark.parametrize(("path", "params"), [("/v1/measures", {"format": "csv"}), ("/v1/measures.csv", {})])
def test_csv_columns_do_not_change_with_q(client, path, params):
    plain = client.get(path, params=params)
    searched_csv = client.get(path, params={**params, "q": "养老"})
    header = next(csv.reader(io.StringIO(plain.text)))
    rows = list(csv.DictReader(io.StringIO(searched_csv.text)))
    assert next(csv.reader(io.StringIO(searched_csv.text))) == header and "matches" not in header
    assert [row["number"] for row in rows] == ["18", "19"]


def test_occurrences_are_left_to_right_and_never_overlap():
    """No text of the dataset repeats a query back to back, so the rule for overlaps is pinned here."""
    assert occurrences("哈哈哈哈哈", "哈哈") == [(0, 2), (2, 4)]
    assert occurrences("養老，養老", "养老") == [(0, 2), (3, 5)]
    assert occurrences("文字", "") == []


def text_at(unit: dict, path: str) -> str:
    for key in path.split("."):
        unit = unit[int(key)] if isinstance(unit, list) else unit[key]
    return unit


@pytest.mark.parametrize("script", ["hant", "hans"])
@pytest.mark.parametrize("q", ["局", "發改", "发改", "科技", "Bureau", "bureau", "政府"])
def test_each_unit_hit_carries_every_occurrence_in_its_names(client, q, script):
    body = assert_page(client.get("/v1/units", params={"q": q, "script": script, "limit": "100"}))
    errors = list(validator("UnitPage").iter_errors(body))
    assert not errors, errors[0]
    assert body["data"]
    for unit in body["data"]:
        assert unit["matches"], unit["id"]
        for span in unit["matches"]:
            found = text_at(unit, span["field"])[span["start"] : span["end"]]
            english = span["field"] == "curated.name_en"
            assert (found.casefold() == q.casefold()) if english else (to_hans(found) == to_hans(q)), (unit["id"], span)
        names = [("name", unit["name"]), ("curated.full_name", unit["curated"]["full_name"] or "")]
        names += [(f"aliases.{i}", a) for i, a in enumerate(unit["aliases"])]
        names += [(f"designations.{i}.name", d["name"]) for i, d in enumerate(unit["designations"])]
        for path, text in names:
            assert sum(s["field"] == path for s in unit["matches"]) == to_hans(text).count(to_hans(q)), (unit["id"], path)


def test_units_without_q_or_in_csv_have_no_matches(client):
    assert all("matches" not in u for u in assert_page(client.get("/v1/units"))["data"])
    assert "matches" not in client.get("/v1/units/development-reform").json()
    assert "matches" not in next(csv.reader(io.StringIO(client.get("/v1/units.csv", params={"q": "局"}).text)))
