"""Shared fixtures: the database is built once per session, through the build command."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest

from api.cli import main as cli

SOURCE = Path(__file__).resolve().parent.parent / "seed" / "documents" / "000_5373e258ee6222e7.txt"


@pytest.fixture(scope="session")
def raw_source() -> str:
    return SOURCE.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "policy.sqlite3"
    assert cli(["build", "--database-url", f"sqlite:///{path}"]) == 0
    return path


@pytest.fixture(scope="session")
def db(built_db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{built_db}?mode=ro", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


@pytest.fixture(scope="session")
def live_server(built_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """One real `policy-api serve` process over the session's SQLite build, shared by the tests that
    meet the API from outside (curl, generated clients, schemathesis's CLI, a browser)."""
    from tests.live import Server

    server = Server({"DATABASE_URL": f"sqlite:///{built_db}"}, tmp_path_factory.mktemp("live") / "server.log")
    server.wait_ready()
    yield server
    server.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups in its own hook
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The suite runs on every core (pytest-xdist, `--dist loadgroup`); the tests that use the one
    PostgreSQL database all build into it, so they share one worker."""
    for item in items:
        names = item.fixturenames
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("app_settings") if callspec else None
        if "postgres" in names or ("backend_settings" in names and backend != "sqlite"):
            item.add_marker(pytest.mark.xdist_group("postgresql"))


@pytest.fixture(scope="session")
def postgres():
    """(owner URL, reader URL) of a PostgreSQL database with the roles of docs/postgres-roles.sql:
    the one .ci/run started, or a private server when PostgreSQL is installed."""
    from tests.pg import PostgresServer, binaries

    owner, reader = os.environ.get("POLICY_TEST_POSTGRES_OWNER_URL"), os.environ.get("POLICY_TEST_POSTGRES_READER_URL")
    if owner and reader:
        yield owner, reader
        return
    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: .ci/run installs it")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql); .ci/run installs it")
    server = PostgresServer()
    yield server.url("policy_owner"), server.url("policy_reader")
    server.remove()


@pytest.fixture(scope="session")
def private_postgres():
    """A PostgreSQL server of this test process's own, set up by docs/postgres-roles.sql, for the
    tests that build many times: the session's database stays as its apps opened it."""
    from tests.pg import PostgresServer, binaries

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: .ci/run installs it")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql); .ci/run installs it")
    server = PostgresServer()
    server.copy_database("pristine")  # before anyone connects to `policy`
    yield server
    server.remove()


@pytest.fixture
def fresh_postgres(private_postgres) -> tuple[str, str]:
    """(owner URL, reader URL) of a new database, set up as the roles file sets up `policy`, with no
    dataset yet."""
    name = f"policy_{uuid.uuid4().hex[:12]}"
    private_postgres.copy_database(name, template="pristine")
    return private_postgres.url("policy_owner", name), private_postgres.url("policy_reader", name)


@pytest.fixture(scope="session")
def backend_settings(built_db: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """The API's settings on each backend, built once: SQLite beside its dumps, or PostgreSQL
    built by its owner role and read (and exported) by its read-only role."""
    from api.config import Settings

    made: dict[str, Settings] = {}

    def settings_for(backend: str) -> Settings:
        if backend not in made:
            if backend == "sqlite":
                made[backend] = Settings(database_url=f"sqlite:///{built_db}")
            else:
                owner, reader = request.getfixturevalue("postgres")
                exports = tmp_path_factory.mktemp("pg-exports")
                assert cli(["build", "--no-export", "--database-url", owner]) == 0
                assert cli(["export", "--out", str(exports), "--database-url", reader]) == 0
                made[backend] = Settings(database_url=reader, exports_dir=str(exports))
        return made[backend]

    return settings_for


@pytest.fixture(scope="session", params=BACKENDS)
def app_settings(request: pytest.FixtureRequest, backend_settings):
    """The API and export tests run once per backend."""
    return backend_settings(request.param)


@pytest.fixture(scope="session")
def app(app_settings):
    from api.main import create_app

    return create_app(app_settings)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
