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
`{data, meta, links}` and a `Link` header (self, next, prev, first, last), and has a `.csv` twin
(`/v1/measures.csv`) that gives the same rows as CSV. `fields=id,title` keeps only the named
top-level fields of each item (the id always, first), in JSON and in CSV.

Errors are RFC 9457 `application/problem+json`; invalid parameters (including unknown or repeated
ones) are 400, unknown ids 404. Responses carry a strong `ETag`; send it back in `If-None-Match`
for a 304.

Stability: within `/v1` fields are only added, never renamed or removed, and ids never change.
Clients must ignore fields they do not know: every response object allows more properties than it
lists, and a field with a fixed set of values lists the known ones in `x-extensible-enum` (and its
description), since new values may be added.
"""


# Relative: the API answers where its spec is served (a deployment's PUBLIC_BASE_URL, or
# `policy-api serve` on 127.0.0.1:8000), so /docs tries requests against its own host.
SERVERS = [{"url": "/", "description": "The host that serves this spec."}]


def response_header(description: str, schema: dict[str, Any] | None = None, *, required: bool = True) -> dict[str, Any]:
    """A response header's declaration, for RESPONSE_HEADERS or a route's own."""
    return {"description": description, "required": required, "schema": schema or {"type": "string"}}


# The response headers, documented once (components/headers) so that generated clients expose them.
RESPONSE_HEADERS = {
    # The front door (api/front.py) puts it on every response, errors included.
    "X-Request-ID": response_header(
        "The request's id, also in the server's access log: the caller's own X-Request-ID when it is"
        " 1 to 64 of `A-Z a-z 0-9 . _ : -`, else a new one. Quote it when reporting a problem."
    ),
    # api/responses.finish puts these on every 200 and 304 of the API's own bodies.
    "ETag": response_header("Strong validator of this representation: send it back in If-None-Match for a 304."),
    "Cache-Control": response_header("How long the response may be reused before it is revalidated."),
    "Vary": response_header("The request headers this representation depends on."),
    "Content-Language": response_header("The script of the text: zh-Hant (as published) or zh-Hans (`script=hans`)."),
    # api/paging.page_response adds these for a list.
    "Link": response_header(
        'RFC 8288 links to this page (rel="self"), its neighbours ("next", "prev", when they exist), and the first and last pages'
        ' ("first", "last"), as in the body\'s `links`.'
    ),
    "X-Total-Count": response_header("How many items match, over all pages.", {"type": "integer", "minimum": 0}),
}


def header_refs(*names: str) -> dict[str, dict[str, str]]:
    """Response headers for a route's `responses`, by reference to RESPONSE_HEADERS."""
    unknown = set(names) - RESPONSE_HEADERS.keys()
    if unknown:
        raise ValueError(f"undocumented response headers: {sorted(unknown)}")
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


NO_NUL = "^[^\u0000]*$"


def _forbid_nul(schema: dict[str, Any]) -> None:
    """Say in the spec what api.deps.check_query refuses in every query value: a NUL character.
    A parameter that declares its own pattern (api/routes/measures.CHAPTER) excludes NUL in it."""
    for variant in schema.get("anyOf", [schema]):
        if variant.get("type") == "string" and "enum" not in variant:
            variant.setdefault("pattern", NO_NUL)


def build_spec(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=app.openapi_tags,
        license_info={"name": "CC0-1.0 (data), MIT (code)", "identifier": "CC0-1.0"},
        servers=SERVERS,
    )
    spec["security"] = []  # public: no operation needs credentials
    for path in spec["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    _forbid_nul(parameter["schema"])
            responses = operation["responses"]
            responses.pop("422", None)  # invalid parameters are 400 problems here
            for status, response in responses.items():
                if status.startswith(("4", "5")) and response.get("content"):
                    # Every error is problem+json, whatever media type the route's 200 has.
                    (body,) = response["content"].values()
                    response["content"] = {PROBLEM_MEDIA_TYPE: body}
                response["headers"] = {**response.get("headers", {}), **header_refs("X-Request-ID")}
    spec.setdefault("components", {})["headers"] = RESPONSE_HEADERS
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def dumps(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_spec(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
