"""Declarations every route shares: the problem responses it may return, path parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from api.openapi import header_refs
from models.schemas import Problem

PROBLEM_400 = {400: {"model": Problem, "description": "Invalid parameter: the problem names it and what it expects."}}
PROBLEM_404 = {404: {"model": Problem, "description": "No such resource."}}
NOT_MODIFIED_DESCRIPTION = "Not modified: the ETag in If-None-Match still matches."
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}, "example": "id,document_id,number\r\n"}}


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


def list_responses(*, csv: bool = True) -> dict[int | str, dict[str, Any]]:
    ok = {"content": CSV_CONTENT, "description": "One page; `format=csv` gives the same rows as CSV."} if csv else None
    return {**finished_responses(ok, {**FINISHED_HEADERS, **PAGE_HEADERS}), **PROBLEM_400, **PROBLEM_404}


def id_path(example: str, what: str) -> Any:
    return Annotated[str, Path(min_length=1, max_length=200, description=f"The {what}'s stable id.", examples=[example])]
