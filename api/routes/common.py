"""Declarations every route shares: the problem responses it may return, path parameters, and the
registration of a list as its JSON and `.csv` operations."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar, get_args

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from starlette.responses import Response

from api.deps import CsvRoute, field_selection, format_parameter
from api.openapi import header_refs
from models.schemas import ListItem, Problem

PROBLEM_400 = {400: {"model": Problem, "description": "Invalid parameter: the problem names it and what it expects."}}
PROBLEM_404 = {404: {"model": Problem, "description": "No such resource."}}
NOT_MODIFIED_DESCRIPTION = "Not modified: the ETag in If-None-Match still matches."
CSV_OK = {
    "content": {"text/csv": {"schema": {"type": "string"}, "example": "id,document_id,number\r\n"}},
    "description": "One page as CSV: UTF-8, RFC 4180, one header row; multi-valued cells joined with `; `.",
}


# What api/responses.finish puts on every 200 and 304 of the API's own bodies, and what
# api/paging.page_response adds for a list.
FINISHED_HEADERS = header_refs("ETag", "Cache-Control", "Vary", "Content-Language")
PAGE_HEADERS = header_refs("Link", "X-Total-Count")


def finished_responses(ok: dict[str, Any] | None = None, headers: dict[str, Any] = FINISHED_HEADERS) -> dict[int | str, dict[str, Any]]:
    """A 200 (`ok` adds to it) and its 304, both with `headers`: by default, those of a route
    answered by api/responses.finish."""
    return {200: {**(ok or {}), "headers": headers}, 304: {"description": NOT_MODIFIED_DESCRIPTION, "headers": headers}}


def item_responses() -> dict[int | str, dict[str, Any]]:
    return {**finished_responses(), **PROBLEM_400, **PROBLEM_404}


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def list_route(
    router: APIRouter, path: str, page: type[BaseModel], json_only: Callable[..., Any] | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Register a list endpoint as its JSON and CSV operations (`json_and_csv_route`). Both take
    `fields` (api/deps.field_selection), with the names of the fields of `page`'s items.
    `json_only`: a dependency declaring parameters of the JSON envelope (`facets`), which the
    `.csv` operation then does not take; the endpoint reads their validated values from the query."""
    (item,) = get_args(page.model_fields["data"].annotation)
    assert issubclass(item, ListItem), f"{page.__name__} must list ListItems (models/schemas.list_item)"
    fields = Depends(field_selection(list(item.selectable), item.key))
    return json_and_csv_route(
        router,
        path,
        page,
        json_ok={"description": "One page. The same rows as CSV: `{name}_csv`."},
        csv_ok=CSV_OK,
        headers={**FINISHED_HEADERS, **PAGE_HEADERS},
        both=[fields],
        json_only=[Depends(json_only)] if json_only else [],
    )


def table_route(router: APIRouter, path: str, model: type[BaseModel], csv_ok: dict[str, Any]) -> Callable[[Endpoint], Endpoint]:
    """Register a resource that is also one table (the responsibility matrix) as its JSON and CSV
    operations (`json_and_csv_route`), the CSV described by `csv_ok`."""
    return json_and_csv_route(
        router, path, model, json_ok={"description": "The resource as JSON. The same as CSV: `{name}_csv`."}, csv_ok=csv_ok
    )


def json_and_csv_route(
    router: APIRouter,
    path: str,
    model: type[BaseModel],
    json_ok: dict[str, Any],
    csv_ok: dict[str, Any],
    headers: dict[str, Any] = FINISHED_HEADERS,
    both: Sequence[Any] = (),
    json_only: Sequence[Any] = (),
) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint as two operations with one set of parameters: `path` answers JSON (and,
    for today's URLs, CSV with `format=csv` or `Accept: text/csv`, which the spec leaves out), and
    `path + ".csv"` (operation `<name>_csv`) answers CSV only. Generated clients then get one
    response type per operation: JSON objects, or text. `both` and `json_only` are dependencies
    declaring parameters of both operations or of the JSON one only; `{name}` in `json_ok`'s
    description is the endpoint's name."""

    def register(endpoint: Endpoint) -> Endpoint:
        name = endpoint.__name__
        ok = {**json_ok, "description": json_ok["description"].format(name=name)}
        router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            response_model=model,
            responses={**finished_responses(ok, headers), **PROBLEM_400, **PROBLEM_404},
            dependencies=[Depends(format_parameter), *both, *json_only],
        )
        router.add_api_route(
            path + ".csv",
            endpoint,
            methods=["GET"],
            name=f"{name}_csv",
            summary=name.replace("_", " ").title() + " (CSV)",
            description=inspect.cleandoc(endpoint.__doc__ or "") + "\n\nAs CSV: the same parameters and headers as the JSON operation.",
            response_class=Response,
            responses={**finished_responses(csv_ok, headers), **PROBLEM_400, **PROBLEM_404},
            route_class_override=CsvRoute,
            dependencies=list(both),
        )
        return endpoint

    return register


def id_path(example: str, what: str) -> Any:
    return Annotated[str, Path(min_length=1, max_length=200, description=f"The {what}'s stable id.", examples=[example])]
