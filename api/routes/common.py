"""Declarations every route shares: the problem responses it may return, path parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from models.schemas import Problem

PROBLEM_400 = {400: {"model": Problem, "description": "Invalid parameter: the problem names it and what it expects."}}
PROBLEM_404 = {404: {"model": Problem, "description": "No such resource."}}
NOT_MODIFIED = {304: {"description": "Not modified: the ETag in If-None-Match still matches."}}
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}, "example": "id,document_id,number\r\n"}}


def item_responses() -> dict[int | str, dict[str, Any]]:
    return {**NOT_MODIFIED, **PROBLEM_400, **PROBLEM_404}


def list_responses(*, csv: bool = True) -> dict[int | str, dict[str, Any]]:
    ok = {200: {"content": CSV_CONTENT, "description": "One page; `format=csv` gives the same rows as CSV."}} if csv else {}
    return {**ok, **NOT_MODIFIED, **PROBLEM_400, **PROBLEM_404}


def id_path(example: str, what: str) -> Any:
    return Annotated[str, Path(min_length=1, max_length=200, description=f"The {what}'s stable id.", examples=[example])]
