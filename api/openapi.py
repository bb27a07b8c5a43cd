"""The OpenAPI document: generated from the routes, tidied, and written byte-for-byte stable.

`policy-api openapi` writes openapi/openapi.json; a test fails when the committed file and what the
app serves differ.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import PROBLEM_MEDIA_TYPE

DESCRIPTION = """\
A read-only, versioned open-data API for government policy documents, starting with the Lianjiang
County (Fujian) notice 連政綜〔2021〕127號. Text is served as published (Traditional script) or in
Simplified script (`script=hans`). Every list takes `limit`/`offset`, answers with
`{data, meta, links}` and a `Link` header, and `format=csv` gives the same rows as CSV.

Errors are RFC 9457 `application/problem+json`; invalid parameters (including unknown or repeated
ones) are 400, unknown ids 404. Responses carry a strong `ETag`; send it back in `If-None-Match`
for a 304.

Stability: within `/v1` fields are only added, never renamed or removed, and ids never change.
Clients must ignore fields they do not know.
"""


def build_spec(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=app.openapi_tags,
        license_info={"name": "CC0-1.0 (data), MIT (code)", "identifier": "CC0-1.0"},
    )
    for path in spec["paths"].values():
        for operation in path.values():
            responses = operation["responses"]
            responses.pop("422", None)  # invalid parameters are 400 problems here
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "application/json" in response.get("content", {}):
                    response["content"] = {PROBLEM_MEDIA_TYPE: response["content"]["application/json"]}
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for name, schema in schemas.items():
        if name.startswith("Page_"):  # pydantic does not carry a generic model's docstring over
            schema["description"] = f"One page of {name.removeprefix('Page_').rstrip('_')} items, with paging facts and links."
    return spec


def dumps(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_spec(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
