"""The read-only database the API serves: one `Database` reads one dataset version for its life.

Facts that never change for a dataset version (the version itself, the unit registry, the names a
unit filter accepts) are read once, when the Database opens, and so are its memos' contents: they
hold only if every later query reads the same version, whatever builds happen meanwhile. So a
Database pins what it opened:

- SQLite: the file is opened once and its descriptor kept until `close()`, and the Database's
  connections (SQLITE_CONNECTIONS, read-only and `immutable`) are all opened with it. A connection
  keeps reading the file it opened, so a file replaced or deleted by a build stays readable to the
  Database that opened it; a connection opened later, once the path names another file, is
  refused (a 503) rather than read the new file (see _PinnedFile).
- PostgreSQL: every build is a schema of its own (seed/build.py, models/db.py); the Database takes
  the newest at open and every connection's `search_path` is that schema alone. `public` is never
  read. A build keeps the previous schema, so a Database has one build's time to be replaced
  before its schema is dropped (its queries then fail: 503).

`current_source(url)` says what a fresh Database would open now and `Database.source` what this one
opened; when they differ, a new build is there and the server should open a new Database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
import weakref
from collections.abc import Callable, Hashable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Integer, event, select
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from starlette.concurrency import run_in_threadpool

from api.lru import SharedLRU
from models.db import dataset_schemas, make_engine
from models.scripts import to_hans
from models.tables import SCHEMA_VERSION, Chapter, DatasetInfo, Document, Unit

T = TypeVar("T")
# The memo's bounds, per worker (MEMO_MIB sets its bytes): the JSON of measures (about 2.5 KB
# each), units and chapters, the ids matching each filter and facet counts (api/represent.py), keys included.
MEMO_ENTRIES = 4096
# Connections to a SQLite file, all opened with the Database (see _PinnedFile): a request that finds
# them all busy waits for one.
SQLITE_CONNECTIONS = 8


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


def error_reason(error: DBAPIError) -> str:
    """The first line of what the driver said (sqlite3 and psycopg alike): a log's or a message's cause."""
    return str(error.orig or error).strip().splitlines()[0]


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def postgresql_engine(url: str, **options: Any) -> Engine:
    # A stopped server must cost a request seconds, not minutes: fail the connection fast and
    # give up waiting for a pooled connection after a few seconds (the API answers 503).
    connect_args = {"connect_timeout": 3, **options.pop("connect_args", {})}
    return make_engine(url, pool_pre_ping=True, pool_timeout=5, connect_args=connect_args, **options)


def _no_database(path: Path) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"no database at {path}: run `policy-api build` first")


def _file_identity(path: Path) -> Hashable:
    try:
        found = os.stat(path)
    except OSError:
        raise _no_database(path) from None
    return (found.st_dev, found.st_ino)


class _PinnedFile:
    """One SQLite file, held open from the Database's start to its close, and the only file its
    connections read.

    SQLite opens a database by path (it resolves `/dev/fd/<n>` back to the path, so a descriptor
    cannot be handed to it), and a connection keeps reading the file it opened. So the connections
    are opened up front, and one opened later (to replace a broken one) is kept only if the path
    still names the pinned file once it is open: paths only ever move on to new files, and the
    descriptor held here keeps the pinned file's inode from being reused.
    """

    def __init__(self, path: Path) -> None:
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            raise _no_database(path) from None
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            os.close(descriptor)
            raise _no_database(path)
        self.path = path
        # Closed by `close`, or when the Database is collected: a server drops a replaced one
        # once its last request is done with it (api/snapshot.py).
        self.descriptor = weakref.finalize(self, os.close, descriptor)
        self.source: Hashable = (found.st_dev, found.st_ino)
        self._lock = threading.Lock()
        # immutable: no locks and no change checks, right since a build renames a new file over
        # the path and never writes a served one in place.
        self.engine = make_engine(
            f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true",
            connect_args={"check_same_thread": False},
            pool_size=SQLITE_CONNECTIONS,
            max_overflow=0,
        )
        event.listen(self.engine, "do_connect", self._connect)

    def open_connections(self) -> None:
        with ExitStack() as opened:
            for _ in range(SQLITE_CONNECTIONS):
                opened.enter_context(self.engine.connect())

    def _connect(self, dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        with self._lock:
            if not self.descriptor.alive:
                raise sqlite3.OperationalError("this database has been closed")
            connection = dialect.loaded_dbapi.connect(*cargs, **cparams)
            try:
                now = _file_identity(self.path)
            except DatabaseUnavailable:
                now = None
            if now != self.source:
                connection.close()
                raise sqlite3.OperationalError(f"{self.path} has been replaced since this database was opened")
            return connection

    def close(self) -> None:
        self.engine.dispose()
        with self._lock:
            self.descriptor()


# One small engine per PostgreSQL URL for current_source, which a watcher asks every few seconds;
# a handful of URLs at most in a process (tests open several servers): the oldest goes first.
_PROBES: dict[str, Engine] = {}
_PROBES_KEPT = 4
_probes_lock = threading.Lock()


def _probe(url: str) -> Engine:
    with _probes_lock:
        engine = _PROBES.get(url)
        if engine is None:
            engine = _PROBES[url] = postgresql_engine(url, pool_size=1, max_overflow=1)
            while len(_PROBES) > _PROBES_KEPT:
                _PROBES.pop(next(iter(_PROBES))).dispose()
        return engine


def current_source(url: str) -> Hashable:
    """What a fresh Database would open now (blocking, cheap): on SQLite the file at the path,
    as (device, inode); on PostgreSQL the newest dataset schema's name. Raises DatabaseUnavailable
    when there is none, or the database cannot be reached."""
    path = _sqlite_path(url)
    if path is not None:
        return _file_identity(path)
    try:
        with _probe(url).connect() as connection:
            schemas = dataset_schemas(connection)
    except DBAPIError as error:
        raise DatabaseUnavailable(f"cannot reach {make_url(url).render_as_string()}: {error_reason(error)}") from error
    if not schemas:
        raise DatabaseUnavailable(f"no dataset in {make_url(url).render_as_string()}: run `policy-api build` first")
    return schemas[0]


@dataclass(frozen=True)
class UnitTarget:
    """What a `unit` filter resolved to: a unit, or a unit acting in one designation."""

    unit_id: str
    designation: str | None = None


class Database:
    def __init__(self, url: str, memo_bytes: int = 16 * 2**20) -> None:
        path = _sqlite_path(url)
        self._file: _PinnedFile | None = None
        if path is not None:
            self._file = _PinnedFile(path)
            self.engine, self.source = self._file.engine, self._file.source
        else:
            self.source = current_source(url)
            self.engine = postgresql_engine(url, connect_args={"options": f"-c search_path={self.source}"})
        # See api.collections: presented measures, and the ordered ids matching each filter.
        self.memo = SharedLRU(MEMO_ENTRIES, memo_bytes)
        try:
            self._read_facts(url)
        except BaseException:
            self.close()
            raise

    def _read_facts(self, url: str) -> None:
        """What never changes for the dataset version, read once; a database that holds no dataset,
        or one of another schema version, is refused."""
        try:
            if self._file is not None:
                self._file.open_connections()
            with self.engine.connect() as connection:
                info = dict(connection.execute(select(DatasetInfo.key, DatasetInfo.value)).all())
                self.units: list[RowMapping] = list(connection.execute(select(Unit).order_by(Unit.id)).mappings())
                self.document_ids = set(connection.execute(select(Document.id)).scalars())
                chapters = connection.execute(select(Chapter.id, Chapter.document_id, Chapter.number)).all()
        except DBAPIError as error:  # sqlite3 and psycopg alike: no server, not a database, no tables
            raise DatabaseUnavailable(f"cannot read the dataset from {make_url(url).render_as_string()}: {error_reason(error)}") from error
        if "dataset_version" not in info:
            raise DatabaseUnavailable("the database holds no dataset version: rebuild it with `policy-api build`")
        self.schema_version: str = info.get("schema_version", "")
        if self.schema_version != SCHEMA_VERSION:
            raise DatabaseUnavailable(
                f"the database has schema version {self.schema_version or '(none)'}, this API reads version {SCHEMA_VERSION}: "
                "rebuild it with `policy-api build`"
            )
        self.version: str = info["dataset_version"]
        # The release log's dates for this version (seed/releases.py); None: an unreleased build.
        self.released: dt.date | None = _date(info.get("released"))
        self.first_released: dt.date | None = _date(info.get("first_released"))
        self.unit_by_id = {unit["id"]: unit for unit in self.units}
        self.unit_names = self._unit_names()
        # What a chapter filter may name: an id, or a number alone or within a document.
        self.chapter_ids = {chapter_id for chapter_id, _, _ in chapters}
        self.chapter_numbers = {(document, number) for _, document, number in chapters} | {(None, n) for _, _, n in chapters}

    def close(self) -> None:
        """Close the connections and, on SQLite, the file; call it once no request uses this
        Database any more (a connection asked for later is refused: DBAPIError, a 503)."""
        if self._file is not None:
            self._file.close()
        else:
            self.engine.dispose()

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

    async def remembered(self, key: Hashable, load: Callable[[], T]) -> T:
        """The memo's item for `key`, else what `load()` returns, kept. `load` runs in the
        threadpool, since it may query: blocking I/O never runs on the event loop, and an answer
        from memory costs no hop to a thread."""
        found = self.memo.get(key)
        if found is None:
            found = await run_in_threadpool(load)
            self.memo.put(key, found)
        return found
