"""The committed spec read as a client generator reads it: every operation, what its 200 carries, how to
call it with valid arguments, and a response as a later version of /v1 may send it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi" / "openapi.json"

# A response from a later /v1: every object gains this key and every enum value is one the spec does not list yet.
FUTURE_FIELD = "future_field"
FUTURE_ENUM_VALUE = "future_value"


def load_spec(path: Path = SPEC_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    path_params: dict[str, str]  # name -> a valid value, from the spec's examples
    kind: str  # "model" (JSON), "text" (CSV, plain text) or "file" (a download: bytes)
    schema_name: str | None  # the component the JSON 200 refers to, for "model"

    def url(self, params: dict[str, str] | None = None) -> str:
        values = {**self.path_params, **(params or {})}
        return re.sub(r"\{(\w+)\}", lambda m: quote(values[m.group(1)], safe="/"), self.path)

    def matches(self, url: str) -> dict[str, str] | None:
        """The path parameters that make this operation's path `url`, or None when it cannot."""
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(self.path))
        found = re.fullmatch(pattern, url.split("?")[0])
        return found.groupdict() if found else None


def _example(parameter: dict) -> str:
    schema = parameter.get("schema", {})
    for source in (parameter, schema):
        if "example" in source:
            return str(source["example"])
        if source.get("examples"):
            examples = source["examples"]
            return str(examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"])
    raise ValueError(f"path parameter {parameter['name']} has no example in the spec")


def _is_binary(schema: dict) -> bool:
    return schema.get("format") == "binary" or "contentMediaType" in schema or "contentEncoding" in schema or not schema


def is_json(media_type: str) -> bool:
    """JSON as generators read it: application/json, or a structured `+json` type (application/linkset+json)."""
    media_type = media_type.split(";")[0].strip()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _kind(spec: dict, content: dict) -> tuple[str, str | None]:
    media = {name.split(";")[0].strip(): resolve(spec, body.get("schema", {})) for name, body in content.items()}
    if any(_is_binary(schema) for schema in media.values()) or not all(m.startswith("text/") or is_json(m) for m in media):
        return "file", None
    json_body = next((body for name, body in content.items() if is_json(name)), None)
    if json_body is not None:
        return "model", json_body["schema"].get("$ref", "").rsplit("/", 1)[-1] or None
    return "text", None


def operations(spec: dict) -> list[Operation]:
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "head", "post", "put", "patch", "delete"}:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            kind, schema_name = _kind(spec, operation["responses"]["200"].get("content", {}))
            found.append(
                Operation(
                    operation_id=operation["operationId"],
                    method=method,
                    path=path,
                    path_params={p["name"]: _example(p) for p in parameters if p["in"] == "path"},
                    kind=kind,
                    schema_name=schema_name,
                )
            )
    return found


def _branches(spec: dict, schema: dict) -> list[dict]:
    schema = resolve(spec, schema)
    nested = [b for key in ("anyOf", "oneOf", "allOf") for b in schema.get(key, [])]
    return [schema, *(branch for b in nested for branch in _branches(spec, b))]


def from_a_later_version(spec: dict, schema: dict, value):
    """`value` (a response body valid against `schema`) as a later /v1 may send it: every object with an
    extra key, every enum value replaced by one the spec does not list (additions the README promises)."""
    branches = _branches(spec, schema)
    if isinstance(value, dict):
        properties = {k: v for b in branches for k, v in b.get("properties", {}).items()}
        extra = [b["additionalProperties"] for b in branches if isinstance(b.get("additionalProperties"), dict)]
        evolved = {k: from_a_later_version(spec, properties.get(k, extra[0] if extra else {}), v) for k, v in value.items()}
        return {**evolved, FUTURE_FIELD: "added by a later version"}
    if isinstance(value, list):
        items = next((b["items"] for b in branches if isinstance(b.get("items"), dict)), {})
        return [from_a_later_version(spec, items, v) for v in value]
    if isinstance(value, str) and any(value in b.get("enum", []) + b.get("x-extensible-enum", []) for b in branches):
        return FUTURE_ENUM_VALUE
    return value


def class_key(name: str) -> str:
    """A schema's name as generators turn it into a class name, compared loosely (Page_MeasurePublic_ ~ PageMeasurePublic)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())
