"""Faults a public server meets: a missing or broken database at start, PostgreSQL going away and
coming back, clients that vanish mid-download or read slowly, hostile input. Real processes, real
sockets, 127.0.0.1 only; every wait is bounded."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from models.tables import SCHEMA_VERSION
from tests.live import Server, get
from tests.pg import PostgresServer, binaries


def serve_exit(tmp_path, database_url: str) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": database_url, "PORT": "1"}  # never reached: the check comes first
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "serve"], env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_missing_database_stops_the_server_with_a_clear_error(tmp_path):
    result = serve_exit(tmp_path, f"sqlite:///{tmp_path / 'nowhere.sqlite3'}")
    assert result.returncode == 1
    assert result.stderr.strip() == f"cannot serve: no database at {tmp_path / 'nowhere.sqlite3'}: run `policy-api build` first"


def test_an_unreadable_database_stops_the_server_with_a_clear_error(tmp_path):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    result = serve_exit(tmp_path, f"sqlite:///{broken}")
    assert result.returncode == 1
    assert result.stderr.strip() == f"cannot serve: cannot read the dataset from sqlite:///{broken}: file is not a database"


def test_a_database_of_another_schema_version_stops_the_server_with_a_clear_error(built_db, tmp_path):
    """An older build would be misread (its search index holds shorter grams): refused, not served."""
    old = tmp_path / "old.sqlite3"
    shutil.copyfile(built_db, old)
    with sqlite3.connect(old) as connection:
        connection.execute("update dataset_info set value = '1' where key = 'schema_version'")
    result = serve_exit(tmp_path, f"sqlite:///{old}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"cannot serve: the database has schema version 1, this API reads version {SCHEMA_VERSION}: rebuild it with `policy-api build`"
    )


def test_uvicorn_without_the_cli_also_refuses_to_start(tmp_path):
    port = str(__import__("tests.live", fromlist=["free_port"]).free_port())
    env = {**__import__("os").environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'nowhere.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", port], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "no database at" in result.stderr


@pytest.fixture(scope="module")
def sqlite_server(built_db, tmp_path_factory):
    """One server for the module: every test below leaves it healthy, and says so."""
    server = Server({"DATABASE_URL": f"sqlite:///{built_db}"}, tmp_path_factory.mktemp("faults") / "server.log")
    server.wait_ready()
    yield server
    server.stop()


def test_access_log_is_json_lines_with_a_request_id(sqlite_server):
    status, headers, _ = get(sqlite_server.port, "/v1/units/finance", headers={"X-Request-ID": "abc-123"})
    assert status == 200 and headers["x-request-id"] == "abc-123"
    status, headers, _ = get(sqlite_server.port, "/v1/units/finance", headers={"X-Request-ID": "bad id\twith tab"})
    generated = headers["x-request-id"]
    assert len(generated) == 32
    logged = sqlite_server.wait_for_log(lambda line: line.get("request_id") == generated)
    assert {"time", "level", "method", "query", "bytes", "duration_ms", "client"} <= logged.keys()
    kept = sqlite_server.wait_for_log(lambda line: line.get("request_id") == "abc-123")
    assert {"logger": "api.access", "path": "/v1/units/finance", "status": 200}.items() <= kept.items()


def test_a_client_that_disconnects_mid_download_leaves_the_server_healthy(sqlite_server):
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", sqlite_server.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /v1/exports/policy.sqlite3 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        sock.close()
    status, _, body = get(sqlite_server.port, "/v1/exports/hant/measures.csv")
    assert status == 200 and body.startswith(b"id,")
    assert "Traceback" not in sqlite_server.log.read_text()


def test_a_slow_client_does_not_hold_up_the_others(sqlite_server):
    slow = socket.create_connection(("127.0.0.1", sqlite_server.port), timeout=10)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(b"GET /v1/exports/hant/corrections.json HTTP/1.1\r\nHost: x\r\n\r\n")
    received = slow.recv(2048)
    for _ in range(20):  # others are served while the slow reader still holds its response
        assert get(sqlite_server.port, "/v1/measures/lianzhengzong-2021-127-m1", timeout=5)[0] == 200
    while chunk := slow.recv(8192):
        received += chunk
        if received.rstrip().endswith(b"}"):
            break
        time.sleep(0.001)
    slow.close()
    assert b'"count": 431' in received


HOSTILE = [
    "/v1/measures?q=" + "x" * 20_000,
    "/v1/measures?unit=%25%27%20OR%201%3D1--",
    "/v1/measures?unit=%25",
    "/v1/measures?q=%ff%fe%fd",
    "/v1/measures?q=%E4%B8",
    "/v1/measures?q=a%00b",
    "/v1/measures?q=%zz",
    "/v1/measures?limit=-1",
    "/v1/measures?limit=99999999999999999999999",
    "/v1/measures?offset=-5",
    "/v1/measures?offset=1e9",
    "/v1/measures?limit=1&limit=2",
    "/v1/measures?unit=finance&unit=audit",
    "/v1/units?kind=county_department&kind=party_organ",
    "/v1/measures/%00",
    "/v1/measures/..%2F..%2Fetc%2Fpasswd",
    "/v1/exports/..%2F..%2Fetc%2Fpasswd",
    "/v1/documents/%ff/source",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_input_gets_a_problem_never_a_500(sqlite_server, path):
    status, headers, body = get(sqlite_server.port, path)
    assert 400 <= status < 500, (path, status, body[:200])
    assert headers["content-type"] == "application/problem+json", (path, headers)
    assert json.loads(body)["status"] == status


def test_sql_and_like_wildcards_are_matched_literally(sqlite_server):
    for query in ("q=%25", "q=_", "q=%25%25", "q=%5C"):
        status, _, body = get(sqlite_server.port, f"/v1/measures?{query}")
        assert status == 200 and json.loads(body)["meta"]["total"] == 0, query


def test_a_request_line_beyond_the_limit_is_refused_before_the_app_with_a_414_problem(sqlite_server):
    # api/protocol.py refuses it while it arrives (MAX_REQUEST_LINE_BYTES); tests/api/test_limits.py has the rest.
    status, headers, body = get(sqlite_server.port, "/v1/measures?q=" + "x" * 200_000)
    assert status == 414 and headers["content-type"] == "application/problem+json" and json.loads(body)["status"] == 414
    assert get(sqlite_server.port, "/healthz")[0] == 200


@pytest.mark.skipif(binaries() is None, reason="PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
def test_postgresql_going_away_gives_prompt_503s_and_the_api_recovers(tmp_path):
    from api.cli import main as cli

    postgres = PostgresServer()
    try:
        assert cli(["build", "--no-export", "--database-url", postgres.url("policy_owner")]) == 0
        server = Server({"DATABASE_URL": postgres.url("policy_reader"), "EXPORTS_DIR": str(tmp_path / "none")}, tmp_path / "server.log")
        try:
            server.wait_ready()
            assert get(server.port, "/readyz")[0] == 200
            assert get(server.port, "/v1/measures?q=%E5%85%BB%E8%80%81")[0] == 200

            postgres.stop()
            for path in ("/v1/measures?q=%E6%95%B0%E5%AD%97", "/v1/measures/lianzhengzong-2021-127-m2", "/readyz"):
                status, headers, body = get(server.port, path, timeout=20)  # a hang would time out here
                assert status == 503, (path, body)
                assert headers["content-type"] == "application/problem+json" and headers["retry-after"]
            assert get(server.port, "/v1/measures?q=%E5%85%BB%E8%80%81")[0] == 200  # already answered: from the cache
            assert get(server.port, "/healthz")[0] == 200  # alive, not ready

            postgres.start()
            deadline = time.monotonic() + 30
            while get(server.port, "/readyz")[0] != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.2)
            assert get(server.port, "/v1/measures?q=%E6%95%B0%E5%AD%97")[0] == 200
        finally:
            server.stop()
        assert "Traceback" not in server.log.read_text()
    finally:
        postgres.remove()
