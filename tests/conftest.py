"""Shared fixtures: the database is built once per session, through the build command."""

from __future__ import annotations

import sqlite3
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
def app(built_db: Path):
    from api.config import Settings
    from api.main import create_app

    return create_app(Settings(database_url=f"sqlite:///{built_db}"))


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
