"""A PostgreSQL build is a schema of its own (seed/build.py): it appears whole at its commit, the
reader role can read it and nothing more, and the schemas older than the newest two are dropped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from api.cli import main as cli
from api.db import Database, current_source
from models.tables import DatasetInfo

SCHEMAS = text("select nspname from pg_namespace where nspname like 'dataset%' order by nspname")


def build(owner: str) -> None:
    assert cli(["build", "--no-export", "--database-url", owner]) == 0


def schemas(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(SCHEMAS).scalars())
    finally:
        engine.dispose()


def test_each_build_is_a_new_schema_and_the_two_newest_are_kept(fresh_postgres):
    owner, reader = fresh_postgres
    build(owner)
    first = Database(reader)
    try:
        build(owner)
        assert first.scalar(select(DatasetInfo.value).where(DatasetInfo.key == "dataset_version")) == first.version
        build(owner)
        kept = schemas(reader)
        assert len(kept) == 2 and all(re.fullmatch(r"dataset_\d{8}t\d{12}", name) for name in kept)
        assert current_source(reader) == kept[-1] and first.source not in kept
        first.engine.dispose()
        with pytest.raises(DBAPIError, match="does not exist"):  # two builds later: a 503, never another version
            first.scalar(select(DatasetInfo.value))
    finally:
        first.close()
    newest = Database(reader)
    assert newest.source == kept[-1]
    newest.close()


def test_the_build_leaves_public_alone_and_the_api_never_reads_it(fresh_postgres):
    owner, reader = fresh_postgres
    build(owner)
    engine = create_engine(owner)
    with engine.begin() as connection:  # a table of the old layout, with another version in it
        connection.execute(text("create table public.dataset_info (key text primary key, value text)"))
        connection.execute(text("insert into public.dataset_info values ('dataset_version', 'stale'), ('schema_version', '2')"))
    engine.dispose()
    db = Database(reader)
    assert db.version != "stale"
    db.close()


def test_the_reader_reads_a_fresh_build_and_cannot_write_or_add_a_schema(fresh_postgres):
    owner, reader = fresh_postgres
    build(owner)
    db = Database(reader)
    try:
        assert db.scalar(select(DatasetInfo.value).where(DatasetInfo.key == "schema_version")) == db.schema_version
        refused = {
            "insert into dataset_info values ('x', 'y')": "read-only",
            "set transaction read write; insert into dataset_info values ('x', 'y')": "permission denied",
            "set transaction read write; create table x (y int)": "permission denied",
            # A newer-looking schema would be what every server opens next: the reader cannot make one.
            "set transaction read write; create schema dataset_29991231t000000000000": "permission denied",
        }
        for statements, message in refused.items():
            with db.engine.connect() as connection, pytest.raises(DBAPIError) as error:
                for statement in statements.split("; "):
                    connection.execute(text(statement))
            assert message in str(error.value.orig), statements
    finally:
        db.close()


def test_a_build_sorts_after_the_newest_schema_even_when_the_clock_went_back(fresh_postgres):
    owner, reader = fresh_postgres
    engine = create_engine(owner)
    with engine.begin() as connection:  # a build from a clock far ahead of this one
        connection.execute(text("create schema dataset_29991231t235959999999"))
    engine.dispose()
    build(owner)
    assert current_source(reader) == "dataset_30000101t000000000000"
    opened = Database(reader)  # the build, which sorts last, is the one opened
    assert opened.source == "dataset_30000101t000000000000"
    opened.close()
