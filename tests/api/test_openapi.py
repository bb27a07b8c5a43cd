"""The committed spec is one that client generators and later versions can live with: valid
OpenAPI 3.1, response objects open to added fields, response enums extensible, one response type per
operation. The tests themselves validate against its closed copy (tests/spec.py)."""

from __future__ import annotations

import copy
import re
from collections import Counter
from typing import Any

from openapi_spec_validator import validate

from models import schemas
from models.schemas import SEARCH_MATCHES
from tests.spec import close, committed_spec, list_items, validator

UNIT = {
    "id": "development-reform",
    "name": "縣發改局",
    "kind": "county_department",
    "aliases": ["發改局"],
    "designations": [],
    "curated": {"full_name": None, "name_en": None, "name_en_is_official": False},
    "measure_count": 11,
    "lead_count": 5,
    "links": {"self": "/v1/units/development-reform", "measures": "/v1/units/development-reform/measures"},
}


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, operation) for path, methods in spec["paths"].items() for operation in methods.values()]


def response_schema_names(spec: dict[str, Any]) -> set[str]:
    """Every component schema a response reaches, through any number of $refs."""
    pending = [media["schema"] for _, op in operations(spec) for r in op["responses"].values() for media in r.get("content", {}).values()]
    names: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            name = node.get("$ref", "").removeprefix("#/components/schemas/")
            if name in spec["components"]["schemas"] and name not in names:
                names.add(name)
                pending.append(spec["components"]["schemas"][name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return names


UNPAGED_LISTS = ("list_exports", "list_releases")  # a release's files, and the releases: no pages, no CSV twin


def test_the_committed_spec_is_valid_openapi_3_1():
    spec = committed_spec()
    assert spec["openapi"].startswith("3.1.")
    validate(spec)  # raises with the path of the first error


def test_the_closed_copy_rejects_an_undeclared_field_or_value_that_the_committed_spec_accepts():
    added_field = {**UNIT, "budget": 12}
    new_kind = {**UNIT, "kind": "township_office"}
    nested = {**UNIT, "curated": {**UNIT["curated"], "name_pt": "Secretaria"}}
    for body in (UNIT, added_field, new_kind, nested):
        assert validator("UnitPublic", committed_spec()).is_valid(body)
    assert validator("UnitPublic").is_valid(UNIT)
    for body in (added_field, new_kind, nested):
        assert not validator("UnitPublic").is_valid(body)


def test_close_keeps_null_in_a_nullable_extensible_enum_and_leaves_maps_open():
    schema = {
        "type": "object",
        "properties": {"script": {"anyOf": [{"type": "string"}, {"type": "null"}], "x-extensible-enum": ["hant", "hans"]}},
        "additionalProperties": True,
    }
    as_map = {"type": "object", "additionalProperties": {"type": "string"}}
    close(schema)
    close(closed_map := copy.deepcopy(as_map))
    assert schema["additionalProperties"] is False
    assert schema["properties"]["script"]["enum"] == ["hant", "hans", None]
    assert closed_map == as_map


def test_response_objects_are_open_and_response_enums_extensible():
    """What generated clients need to survive an added field or value: every response object says
    `additionalProperties: true` (openapi-generator reads a missing one as false in some languages),
    and no response schema has an `enum` or a `const`."""
    spec = committed_spec()
    names = response_schema_names(spec)
    assert {"UnitPublic", "MeasurePage", "Curated", "Problem", "ExportFile"} <= names
    closed_nodes, fixed_values = [], []
    pending = [(name, spec["components"]["schemas"][name]) for name in names]
    while pending:
        where, node = pending.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" and node.get("additionalProperties") is not True:
                closed_nodes.append(where)
            if "enum" in node or "const" in node:
                fixed_values.append(where)
            pending.extend((f"{where}.{key}", value) for key, value in node.items())
        elif isinstance(node, list):
            pending.extend((where, value) for value in node)
    assert not closed_nodes and not fixed_values, (closed_nodes, fixed_values)


def test_request_parameters_keep_their_closed_enums():
    parameters = {(path, p["name"]): p["schema"] for path, op in operations(committed_spec()) for p in op.get("parameters", [])}
    assert "county_department" in parameters[("/v1/units", "kind")]["anyOf"][0]["enum"]
    assert parameters[("/v1/units.csv", "sort")]["enum"][0] == "name"


def test_every_operation_has_one_tag_and_a_unique_operation_id():
    ops = operations(committed_spec())
    assert all(len(op["tags"]) == 1 for _, op in ops), [(path, op["tags"]) for path, op in ops if len(op["tags"]) != 1]
    ids = Counter(op["operationId"] for _, op in ops)
    assert [name for name, count in ids.items() if count > 1] == []
    assert not any(name.startswith("Page_") for name in committed_spec()["components"]["schemas"])


def test_every_list_has_a_csv_operation_and_each_answers_one_media_type():
    spec = committed_spec()
    lists = {path: op for path, op in operations(spec) if op["operationId"].startswith("list_") and op["operationId"] not in UNPAGED_LISTS}
    json_lists = {path: op for path, op in lists.items() if not path.endswith(".csv")}
    assert len(json_lists) == 7
    for path, op in json_lists.items():
        twin = lists[f"{path}.csv"]
        assert twin["operationId"] == op["operationId"] + "_csv"
        assert list(op["responses"]["200"]["content"]) == ["application/json"]
        assert list(twin["responses"]["200"]["content"]) == ["text/csv"]
        assert twin["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}
        # the same parameters, but those of the JSON envelope: a CSV has no `meta.facets`
        assert [p["name"] for p in twin["parameters"]] == [p["name"] for p in op["parameters"] if p["name"] != "facets"]
        assert "format" not in {p["name"] for p in op["parameters"]}


def test_list_items_are_the_item_schemas_with_only_their_key_required():
    """What `fields=` changes in the spec: a list's items require only their key, and every other
    field says it may be left out; the item endpoints' schemas still require every field."""
    items = list_items(committed_spec())
    assert set(items) == {f"{name}ListItem" for name in ("Document", "Chapter", "Measure", "MeasureUnitLink", "Unit", "Correction")}
    for name, item in items.items():
        # Not every item schema is in the spec (corrections have no item endpoint): from the model.
        model = getattr(schemas, name.replace("ListItem", "Public"))
        whole = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        assert whole["required"] == list(whole["properties"])
        assert item["required"] == (["measure_id", "position"] if name == "MeasureUnitLinkListItem" else ["id"])
        searched = [SEARCH_MATCHES] if SEARCH_MATCHES in item["properties"] else []  # a search's matches: with `q=` only
        assert list(item["properties"]) == item["required"] + [p for p in whole["properties"] if p not in item["required"]] + searched
        for field, schema in item["properties"].items():
            if field == SEARCH_MATCHES:
                assert schema["description"].startswith("Present only in a list searched with `q`"), name
                continue
            described = {k: v for k, v in schema.items() if k != "description"}
            assert described == {k: v for k, v in whole["properties"][field].items() if k != "description"}, (name, field)
            if field not in item["required"]:
                assert schema["description"].endswith("Present unless `fields=` leaves it out."), (name, field)


def test_every_list_takes_fields_with_a_pattern_of_its_items_names():
    spec = committed_spec()
    items = list_items(spec)
    lists = [
        (path, op) for path, op in operations(spec) if op["operationId"].startswith("list_") and op["operationId"] not in UNPAGED_LISTS
    ]
    assert len(lists) == 14
    for path, op in lists:
        (fields,) = [p for p in op["parameters"] if p["name"] == "fields"]
        page = op["responses"]["200"]["content"].get("application/json", {}).get("schema", {}).get("$ref")
        twin = path.removesuffix(".csv")
        page = page or spec["paths"][twin]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        item = spec["components"]["schemas"][page.rsplit("/", 1)[1]]["properties"]["data"]["items"]["$ref"].rsplit("/", 1)[1]
        pattern = re.compile(fields["schema"]["anyOf"][0]["pattern"])  # what clients and schemathesis check
        names = [name for name in items[item]["properties"] if name != SEARCH_MATCHES]
        assert not pattern.search(SEARCH_MATCHES), path  # not a field to select
        for name, other in zip(names, names[1:] + names[:1], strict=True):
            assert pattern.search(name) and pattern.search(f"{other},{name}"), (path, name)
            assert not pattern.search(f"{name},{name}") and not pattern.search(f"{name},{other},{name}"), (path, name)
            assert not pattern.search(f"{name},") and not pattern.search(f"{name}x"), (path, name)
            assert f"`{name}`" in fields["description"], (path, name)
        assert pattern.search(",".join(names)) and not pattern.search("") and not pattern.search("script"), path
