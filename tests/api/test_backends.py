"""SQLite and PostgreSQL serve the same API: the same bytes for the same request, the same dumps,
and a database connection that refuses to write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.config import exports_path
from api.main import create_app
from tests.seed.helpers import current_release

URLS = [
    "/v1",
    "/v1/documents/lianzhengzong-2021-127",
    "/v1/documents/lianzhengzong-2021-127/full?script=hans",
    "/v1/documents/lianzhengzong-2021-127/corrections?limit=100&offset=100",
    "/v1/documents/lianzhengzong-2021-127/source",
    "/v1/chapters?format=csv",
    "/v1/measures?unit=科技局",
    "/v1/measures?q=养老&script=hans",
    "/v1/measures?sort=-number&limit=7&offset=3",
    "/v1/measure-units?lead=false&limit=100",
    "/v1/units?sort=-lead_count",
    "/v1/units/development-reform/measures?format=csv",
    "/v1/documents/lianzhengzong-2021-127/matrix?script=hans",
    "/v1/documents/lianzhengzong-2021-127/matrix.csv",
]


@pytest.fixture(scope="module")
def both(backend_settings):
    clients = []
    for backend in ("sqlite", "postgresql"):
        client = TestClient(create_app(backend_settings(backend)))
        client.__enter__()
        clients.append(client)
    yield clients
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("url", URLS)
def test_both_backends_answer_byte_for_byte_alike(both, url):
    sqlite, postgresql = (client.get(url, headers={"Accept-Encoding": "identity"}) for client in both)
    assert sqlite.status_code == postgresql.status_code == 200
    assert sqlite.content == postgresql.content
    assert sqlite.headers["etag"] == postgresql.headers["etag"]


def test_both_backends_export_the_same_files(backend_settings):
    sums = [(current_release(exports_path(backend_settings(b))) / "SHA256SUMS").read_bytes() for b in ("sqlite", "postgresql")]
    assert sums[0] == sums[1]


def test_the_database_refuses_a_write_through_the_apis_connection(app, client, app_settings):
    engine = app.served.snapshot.db.engine
    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text("insert into dataset_info (key, value) values ('x', 'y')"))
    message = str(refused.value.orig).lower()
    assert "readonly" in message or "read-only" in message
    if engine.dialect.name == "postgresql":
        # Not only the session default: the role itself has no right to write.
        with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
            connection.execute(text("set transaction read write"))
            connection.execute(text("insert into dataset_info (key, value) values ('x', 'y')"))
        assert "permission denied" in str(refused.value.orig)
    assert client.get("/v1").status_code == 200
