"""The committed OpenAPI spec, and the closed copy of it that the tests validate responses against.

The committed spec is open, for the clients generated from it: response objects allow properties
they do not list (`additionalProperties: true`) and the fixed values of response fields are listed
in `x-extensible-enum`, not `enum`, since fields and values may be added within /v1. The project's
own tests are stricter than its clients: everything that checks a response against the spec uses
`closed_spec()`, where every object schema forbids unlisted properties and every extensible enum is
a closed `enum`, so a field or a value that the spec forgot still fails a test.

A list's items (`MeasureListItem`, …) require only their key in the committed spec, since `fields=`
may leave out any other field. The closed copy requires every field of them, as for a request
without `fields=`; `selected_spec(fields)` is the closed copy for a request with it, where each list
item lists and requires exactly its key and the named fields.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from models.schemas import SEARCH_MATCHES

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
LIST_ITEM = "ListItem"  # the suffix of a list item's schema (models/schemas.list_item)


@cache
def _committed() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def committed_spec() -> dict[str, Any]:
    """The committed spec, as clients see it (a copy: callers may change it)."""
    return copy.deepcopy(_committed())


def close(schema: dict[str, Any]) -> None:
    """Close a JSON schema in place: objects forbid unlisted properties, extensible enums are enums."""
    if schema.get("type") == "object" or "properties" in schema:
        if not isinstance(schema.get("additionalProperties"), dict):  # a map keeps its value schema
            schema["additionalProperties"] = False
    if "x-extensible-enum" in schema:
        nullable = {"type": "null"} in schema.get("anyOf", [])
        schema["enum"] = [*schema["x-extensible-enum"], *([None] if nullable else [])]
    subschemas = [*schema.get("properties", {}).values(), *(s for key in SUBSCHEMA_LISTS for s in schema.get(key, []))]
    subschemas += [schema[key] for key in ("items", "additionalProperties", "not") if isinstance(schema.get(key), dict)]
    for subschema in subschemas:
        close(subschema)


def list_items(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schemas of list items, by name."""
    return {name: schema for name, schema in spec["components"]["schemas"].items() if name.endswith(LIST_ITEM)}


@cache
def _closed() -> dict[str, Any]:
    spec = committed_spec()
    for schema in spec["components"]["schemas"].values():
        close(schema)
    for schema in list_items(spec).values():  # a request without `fields=` gets every field (a search's matches come with `q=` only)
        schema["required"] = [name for name in schema["properties"] if name != SEARCH_MATCHES]
    for operations in spec["paths"].values():  # schemas written inline in a response
        for operation in operations.values():
            for response in operation["responses"].values():
                for media in response.get("content", {}).values():
                    close(media.get("schema", {}))
    return spec


def closed_spec() -> dict[str, Any]:
    """The committed spec with every response schema closed: what the tests validate against."""
    return copy.deepcopy(_closed())


def selected_spec(fields: str) -> dict[str, Any]:
    """The closed copy for a request with `fields=` (a comma-separated list of names): every list item
    lists and requires its key (what the committed spec requires of it) and those of the names it has."""
    spec, committed = closed_spec(), list_items(_committed())
    names = fields.split(",")
    for name, schema in list_items(spec).items():
        kept = [*committed[name]["required"], *(n for n in names if n in schema["properties"])]
        searched = [SEARCH_MATCHES] if SEARCH_MATCHES in schema["properties"] else []
        schema["properties"] = {n: schema["properties"][n] for n in [*kept, *searched]}
        schema["required"] = list(dict.fromkeys(kept))
    return spec


def validator(schema: str, spec: dict[str, Any] | None = None) -> Draft202012Validator:
    """A validator for `components/schemas/<schema>` of `spec` (by default the closed copy)."""
    registry = Registry().with_resource("urn:openapi", Resource(contents=spec or _closed(), specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{schema}"}, registry=registry)
