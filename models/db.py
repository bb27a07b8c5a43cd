"""The one way the project opens a database, for the build and for the API alike.

On PostgreSQL every build is a schema of its own, `dataset_<UTC time to the microsecond>`, so
that the names sort by build order: the newest one is the dataset, the one before it is kept for
the servers that have not switched yet (seed/build.py writes them, api/db.py reads them).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine, create_engine, text

DATASET_SCHEMA_PREFIX = "dataset_"
_SCHEMA_TIME = "%Y%m%dt%H%M%S%f"
# Only names the build writes: a schema someone else called dataset_old is never read or dropped.
_DATASET_SCHEMAS = text("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname ~ '^dataset_[0-9]{8}t[0-9]{12}$' ORDER BY nspname DESC")


def _json(value: object) -> str:
    # Chinese stays readable for anyone who opens the database directly.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, **options: object) -> Engine:
    return create_engine(url, json_serializer=_json, **options)


def dataset_schema_name(moment: dt.datetime) -> str:
    return DATASET_SCHEMA_PREFIX + moment.astimezone(dt.UTC).strftime(_SCHEMA_TIME)


def dataset_schema_time(name: str) -> dt.datetime:
    return dt.datetime.strptime(name.removeprefix(DATASET_SCHEMA_PREFIX), _SCHEMA_TIME).replace(tzinfo=dt.UTC)


def dataset_schemas(connection: Connection) -> list[str]:
    """The dataset schemas of a PostgreSQL database, newest first."""
    return list(connection.execute(_DATASET_SCHEMAS).scalars())
