"""One Database reads one dataset version for its whole life, whatever builds happen meanwhile, and
`current_source` tells whoever watches that a fresh Database would read another (api/db.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from api import collections
from api.cli import main as cli
from api.collections import MeasureFilter
from api.config import Settings
from api.db import SQLITE_CONNECTIONS, Database, DatabaseUnavailable, current_source
from api.main import create_app
from api.present import Presenter
from models.scripts import Script
from models.tables import Measure
from tests.conftest import SOURCE

PUBLISHED_TITLE, EDITED_TITLE = "加大科技創新投入", "加強科技創新投入"  # measure 1's, before and after the edit
M1 = "/v1/measures/lianzhengzong-2021-127-m1"


@pytest.fixture
def edited_source(tmp_path, raw_source):
    """The published source with measure 1's title edited, under the source's own name."""
    folder = tmp_path / "edited"
    folder.mkdir()
    text = raw_source.replace("1.加大", "1.加強")
    assert text != raw_source
    (folder / SOURCE.name).write_text(text, encoding="utf-8")
    return folder / SOURCE.name


@pytest.fixture(params=["sqlite", "postgresql"])
def built(request, tmp_path):
    """(URL to build with, URL to read with) of a database of the test's own, built once from the
    published source."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'policy.sqlite3'}"
        owner, reader = url, url
    else:
        owner, reader = request.getfixturevalue("fresh_postgres")
    assert cli(["build", "--no-export", "--database-url", owner]) == 0
    return owner, reader


def rebuild(owner: str, *sources) -> None:
    assert cli(["build", *map(str, sources), "--no-export", "--database-url", owner]) == 0


def title(db: Database) -> str:
    return db.scalar(select(Measure.title).where(Measure.number == 1))


def test_a_running_api_answers_the_version_it_opened_after_a_rebuild(built, edited_source, tmp_path):
    """What a request pinned before a rebuild reads is the version it started with, whatever the
    watcher swaps in meanwhile (tests/api/test_freshness.py follows the swap from outside)."""
    owner, reader = built
    settings = Settings(database_url=reader, exports_dir=str(tmp_path / "exports"), response_cache_entries=0)
    with TestClient(create_app(settings)) as client:
        published = client.get("/v1").json()["dataset_version"]
        pinned = client.app.served.snapshot  # as a request in flight holds it
        opened = pinned.db.source
        assert current_source(reader) == opened
        rebuild(owner, edited_source)
        assert current_source(reader) != opened  # what a watcher sees: a new build is there
        assert pinned.db.version == published
        assert title(pinned.db) == PUBLISHED_TITLE  # read now, from the database, not from a memo
        searched = collections.measures(pinned.db, Presenter("", Script.hant), MeasureFilter(q="加大科技創新"), 20, 0)
        assert [m["title"] for m in searched[0]] == [PUBLISHED_TITLE]
    with TestClient(create_app(settings)) as client:  # a fresh start reads the new build
        edited = client.get("/v1").json()["dataset_version"]
        assert edited != published and client.get("/readyz").json()["dataset_version"] == edited
        assert client.app.served.snapshot.db.source == current_source(reader)
        assert client.get(M1).json()["title"] == EDITED_TITLE
        assert [m["title"] for m in client.get("/v1/measures", params={"q": "加強科技創新"}).json()["data"]] == [EDITED_TITLE]


def test_every_connection_of_an_open_database_reads_the_version_it_opened(built, edited_source):
    owner, reader = built
    db = Database(reader)
    try:
        rebuild(owner, edited_source)
        with ExitStack() as held:  # as many at once as a SQLite Database has
            connections = [held.enter_context(db.engine.connect()) for _ in range(SQLITE_CONNECTIONS)]
            titles = {c.execute(select(Measure.title).where(Measure.number == 1)).scalar() for c in connections}
        assert titles == {PUBLISHED_TITLE}
        fresh = Database(reader)
        assert (fresh.version, title(fresh)) != (db.version, PUBLISHED_TITLE)
        assert title(fresh) == EDITED_TITLE and fresh.source != db.source
        fresh.close()
    finally:
        db.close()


def test_a_sqlite_connection_asked_for_once_the_file_is_replaced_is_refused_not_opened_on_the_new_file(tmp_path, edited_source):
    url = f"sqlite:///{tmp_path / 'policy.sqlite3'}"
    rebuild(url)
    db = Database(url)
    rebuild(url, edited_source)
    db.engine.dispose()  # as if its connections had broken: new ones are needed
    with pytest.raises(DBAPIError, match="has been replaced since this database was opened"):
        title(db)
    db.close()
    with pytest.raises(DBAPIError, match="closed"):
        title(db)


def test_a_sqlite_database_keeps_reading_its_file_after_the_file_is_deleted(tmp_path):
    path = tmp_path / "policy.sqlite3"
    rebuild(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    try:
        path.unlink()
        with pytest.raises(DatabaseUnavailable, match="no database at"):
            current_source(f"sqlite:///{path}")
        assert title(db) == PUBLISHED_TITLE
    finally:
        db.close()


def test_closing_a_database_closes_its_sqlite_file(tmp_path):
    path = tmp_path / "policy.sqlite3"
    rebuild(f"sqlite:///{path}")

    def open_descriptors() -> int:  # of this file, by this process
        return sum(os.path.realpath(f"/proc/self/fd/{fd}") == str(path) for fd in os.listdir("/proc/self/fd"))

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc here to count open files")
    before = open_descriptors()
    db = Database(f"sqlite:///{path}")
    assert open_descriptors() > before
    db.close()
    assert open_descriptors() == before


def test_postgresql_without_a_dataset_is_unavailable_with_a_clear_message(fresh_postgres):
    _, reader = fresh_postgres
    for attempt in (lambda: current_source(reader), lambda: Database(reader)):
        with pytest.raises(
            DatabaseUnavailable, match=r"^no dataset in postgresql\+psycopg://policy_reader@.*: run `policy-api build` first$"
        ):
            attempt()
    served = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve"],
        env={**os.environ, "DATABASE_URL": reader, "PORT": "1"},  # never reached: the check comes first
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 1
    assert served.stderr.strip() == f"cannot serve: no dataset in {reader}: run `policy-api build` first"


def test_an_unreachable_postgresql_is_unavailable():
    with pytest.raises(DatabaseUnavailable, match="cannot reach"):
        current_source("postgresql+psycopg://nobody@127.0.0.1:1/none")  # nothing listens there
