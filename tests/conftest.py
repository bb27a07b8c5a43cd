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
