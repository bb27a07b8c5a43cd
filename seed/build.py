"""Write a dataset into a database: all or nothing.

SQLite: the database is written to a temporary file beside the target and renamed over it, so a
failed build leaves the previous database untouched and readers never see half a database.
PostgreSQL: each build creates a schema of its own (models/db.py names it) and its tables, and fills
them, in one transaction (PostgreSQL's DDL is transactional): the new version appears whole at the
commit, a failed load leaves nothing behind, and a server keeps reading the schema it opened. Once
the build is committed, the schemas older than the newest two are dropped: the previous one stays
for the servers that have not switched to the new one yet (api/db.py).
Running the build twice gives the same content (idempotent), and for SQLite the same bytes in any
process, whatever its PYTHONHASHSEED (see create_schema; tests/seed/test_reproducible.py).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from models.db import dataset_schema_name, dataset_schema_time, dataset_schemas, make_engine
from models.search import SEARCH_INDEX, index_rows
from models.tables import Chapter, Correction, DatasetInfo, Document, Measure, MeasureUnit, Unit
from seed.dataset import Dataset, default_sources, load
from seed.releases import COLLECTIONS, RELEASES_PATH, keep_digests, row_digests

TABLE_MODELS = (Document, Chapter, Measure, Unit, MeasureUnit, Correction)  # the domain tables: Dataset's fields, in order
# The downloadable database: the data and the facts of the build.
DOWNLOAD_MODELS = (*TABLE_MODELS, DatasetInfo)


CHUNK = 10_000  # rows per INSERT batch: bounded memory however large the corpus


def _insert(connection: Connection, dataset: Dataset) -> None:
    """The domain tables, the API's search index derived from their measures, and the facts of the build."""
    tables = [*dataset.tables(), *index_rows(dataset.measures), dataset.info()]
    for model, rows in zip((*TABLE_MODELS, *SEARCH_INDEX, DatasetInfo), tables, strict=True):
        table = model.__table__  # type: ignore[attr-defined]
        for start in range(0, len(rows), CHUNK):
            connection.execute(table.insert(), [row if isinstance(row, dict) else row.model_dump() for row in rows[start : start + CHUNK]])


def create_schema(connection: Connection, tables: Collection[str] | None = None) -> None:
    """Every table (or those named in `tables`), each followed by its indexes, in a fixed order.
    Not `metadata.create_all`: it creates a table's indexes by iterating `Table.indexes`, a set of
    objects hashed by address, whose order changes from one process to the next (with
    PYTHONHASHSEED, among others); in SQLite that order is the order of sqlite_master's rows and of
    the indexes' root pages, so the same data gave different database bytes, and different
    downloads and SHA256SUMS. (create_all would also fire DDL events, e.g. a PostgreSQL ENUM's
    CREATE TYPE: no table here has any.)"""
    for table in SQLModel.metadata.sorted_tables:  # by dependency, then by name
        if tables is not None and table.name not in tables:
            continue
        connection.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            connection.execute(CreateIndex(index))


def _building_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    connection.execute("PRAGMA foreign_keys=ON")
    # No one reads the temporary file before it is renamed: no flush to disk after each of the
    # schema's and the rows' transactions (half the build's time), one for the finished file.
    connection.execute("PRAGMA synchronous=OFF")


def _flush(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_sqlite(path: Path, fill: Callable[[Connection], None], tables: Collection[str] | None = None) -> None:
    """Create the schema (every table, or those named in `tables`) in a temporary file beside `path`, let
    `fill` insert the rows, and rename the file over `path` only once it is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        engine = make_engine(f"sqlite:///{temporary}")
        event.listen(engine, "connect", _building_pragmas)
        with engine.begin() as connection:
            create_schema(connection, tables)
            fill(connection)
        engine.dispose()
        _flush(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def copy_tables(source: Engine, target: Connection, models: Sequence[type[SQLModel]]) -> None:
    """Every row of every table of `models` in `source`, in primary-key order, streamed in batches:
    the same rows give the same SQLite file, whichever backend they were read from."""
    with source.connect() as connection:
        for model in models:
            table = model.__table__  # type: ignore[attr-defined]
            result = connection.execution_options(stream_results=True).execute(select(table).order_by(*table.primary_key.columns))
            while chunk := result.mappings().fetchmany(CHUNK):
                target.execute(table.insert(), [dict(row) for row in chunk])


def write_download(path: Path, source: Engine) -> None:
    """The downloadable SQLite file: the tables of DOWNLOAD_MODELS, copied from `source`."""
    tables = {model.__tablename__ for model in DOWNLOAD_MODELS}
    write_sqlite(path, lambda connection: copy_tables(source, connection, DOWNLOAD_MODELS), tables)


def build(database_url: str, sources: list[Path] | None = None, releases_path: Path = RELEASES_PATH) -> Dataset:
    """Parse `sources` (default: every seed/documents/*.txt) and replace the database's content.
    A version the release log records gets its digest file (seed/releases.py), or has it checked."""
    sources = sources or default_sources()
    if not sources:
        raise ValueError("no source documents to build from")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend != "postgresql" and not (backend == "sqlite" and url.database and url.database != ":memory:"):
        raise ValueError(f"cannot build into {url.render_as_string(hide_password=True)}: expected sqlite:///path or postgresql://…")
    dataset = load(sources, releases_path=releases_path)  # fails here, before anything is touched
    content = dict(zip(COLLECTIONS, dataset.tables(), strict=True))
    keep_digests(dataset.version, row_digests(content), releases_path)
    if backend == "postgresql":
        write_postgresql(database_url, dataset)
    else:
        write_sqlite(Path(url.database), lambda connection: _insert(connection, dataset))
    return dataset


KEPT_SCHEMAS = 2  # the new version, and the previous one for the servers still reading it
# Any constant will do: builds into one database take turns, so that their names sort in the order
# of their commits.
_BUILD_LOCK = 0x706F6C6963795F62


def write_postgresql(database_url: str, dataset: Dataset) -> str:
    """Write `dataset` into a new schema, then drop the schemas no server should still read.
    Returns the new schema's name."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BUILD_LOCK})
            schema = _next_schema_name(connection)
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            create_schema(connection)
            _insert(connection, dataset)
        with engine.begin() as connection:
            for old in dataset_schemas(connection)[KEPT_SCHEMAS:]:
                connection.execute(text(f'DROP SCHEMA "{old}" CASCADE'))
    finally:
        engine.dispose()
    return schema


def _next_schema_name(connection: Connection) -> str:
    """Named after the database server's clock, and after the newest schema even if that clock
    went back since: the newest name is always the newest build."""
    now = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    existing = dataset_schemas(connection)
    if existing and dataset_schema_name(now) <= existing[0]:
        now = dataset_schema_time(existing[0]) + dt.timedelta(microseconds=1)
    return dataset_schema_name(now)
