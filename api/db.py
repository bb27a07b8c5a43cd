"""The read-only database the API serves, opened once per process.

SQLite is opened with `mode=ro`: there is no write path to get wrong. Facts that never change for a
dataset version (the version itself, the unit registry, the names a unit filter accepts) are read
once at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Integer, select
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from starlette.concurrency import run_in_threadpool

from api.lru import SharedLRU
from models.db import make_engine
from models.scripts import to_hans
from models.tables import SCHEMA_VERSION, Chapter, DatasetInfo, Document, Unit

T = TypeVar("T")
# The memo's bounds, per worker (MEMO_MIB sets its bytes): presented measures (as JSON, about
# 2.5 KB each) and what matches a filter, keys included.
MEMO_ENTRIES = 4096


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or does not hold a built dataset."""


class strpos(FunctionElement):  # noqa: N801 - named after the SQL function
    """1-based position of a literal substring, 0 if absent: no LIKE wildcards, case-sensitive."""

    type = Integer()
    inherit_cache = True


@compiles(strpos, "sqlite")
def _strpos_sqlite(element: strpos, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(strpos)
def _strpos_default(element: strpos, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def contains(column: ColumnElement, needle: str) -> ColumnElement[bool]:
    return strpos(column, needle) > 0


def open_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise DatabaseUnavailable(f"no database at {path}: run `policy-api build` first")
        return make_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"check_same_thread": False})
    # A stopped server must cost a request seconds, not minutes: fail the connection fast and
    # give up waiting for a pooled connection after a few seconds (the API answers 503).
    return make_engine(url, pool_pre_ping=True, pool_timeout=5, connect_args={"connect_timeout": 3})


def current_source(url: str):  # PROVISIONAL until the pinning branch lands
    import os

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        try:
            status = os.stat(parsed.database or "")
        except OSError:
            raise DatabaseUnavailable(f"no database at {parsed.database}") from None
        return status.st_dev, status.st_ino
    return None


@dataclass(frozen=True)
class UnitTarget:
    """What a `unit` filter resolved to: a unit, or a unit acting in one designation."""

    unit_id: str
    designation: str | None = None


class Database:
    def __init__(self, url: str, memo_bytes: int = 16 * 2**20) -> None:
        self.source = current_source(url)  # PROVISIONAL
        self.engine = open_engine(url)
        try:
            with self.engine.connect() as connection:
                info = dict(connection.execute(select(DatasetInfo.key, DatasetInfo.value)).all())
                self.units: list[RowMapping] = list(connection.execute(select(Unit).order_by(Unit.id)).mappings())
                self.document_ids = set(connection.execute(select(Document.id)).scalars())
                chapters = connection.execute(select(Chapter.id, Chapter.document_id, Chapter.number)).all()
        except DBAPIError as error:  # sqlite3 and psycopg alike: no server, not a database, no tables
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise DatabaseUnavailable(f"cannot read the dataset from {make_url(url).render_as_string()}: {reason}") from error
        if "dataset_version" not in info:
            raise DatabaseUnavailable("the database holds no dataset version: rebuild it with `policy-api build`")
        self.schema_version: str = info.get("schema_version", "")
        if self.schema_version != SCHEMA_VERSION:
            raise DatabaseUnavailable(
                f"the database has schema version {self.schema_version or '(none)'}, this API reads version {SCHEMA_VERSION}: "
                "rebuild it with `policy-api build`"
            )
        self.version: str = info["dataset_version"]
        self.unit_by_id = {unit["id"]: unit for unit in self.units}
        self.unit_names = self._unit_names()
        # What a chapter filter may name: an id, or a number alone or within a document.
        self.chapter_ids = {chapter_id for chapter_id, _, _ in chapters}
        self.chapter_numbers = {(document, number) for _, document, number in chapters} | {(None, n) for _, _, n in chapters}
        # See api.collections: presented measures, and the ordered ids matching each filter.
        self.memo = SharedLRU(MEMO_ENTRIES, memo_bytes)

    def _unit_names(self) -> dict[str, UnitTarget]:
        """Every id, name, alias and designation, keyed by its Simplified form."""
        names: dict[str, UnitTarget] = {}
        for unit in self.units:
            target = UnitTarget(unit["id"])
            for name in (unit["id"], unit["name"], *unit["aliases"]):
                names[to_hans(name)] = target
            for designation in unit["designations"]:
                names[to_hans(designation["name"])] = UnitTarget(unit["id"], designation["name"])
        return names

    def resolve_unit(self, value: str) -> UnitTarget | None:
        return self.unit_names.get(to_hans(value.strip()))

    def all(self, statement: Any) -> list[RowMapping]:
        with self.engine.connect() as connection:
            return list(connection.execute(statement).mappings())

    def column(self, statement: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(statement).scalars())

    def first(self, statement: Any) -> RowMapping | None:
        rows = self.all(statement)
        return rows[0] if rows else None

    def scalar(self, statement: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(statement).scalar()


async def memory_first(function: Callable[..., T | None], *args: Any, **kwargs: Any) -> T:
    """`function(..., memory_only=True)` answers from memory or returns None; only then does it
    run again, free to query the database, in the threadpool. Blocking I/O never runs on the event
    loop, and an answer from memory costs no hop to a thread (about 200 us of CPU per request)."""
    found = function(*args, **kwargs, memory_only=True)
    if found is None:
        found = await run_in_threadpool(partial(function, *args, **kwargs))
    return found
