"""The one way the project opens a database, for the build and for the API alike."""

from __future__ import annotations

import json

from sqlalchemy import Engine, create_engine


def _json(value: object) -> str:
    # Chinese stays readable for anyone who opens the database directly.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, **options: object) -> Engine:
    return create_engine(url, json_serializer=_json, **options)
