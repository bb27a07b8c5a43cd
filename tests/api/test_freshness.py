"""A rebuild under a running `policy-api serve`, on both backends: the new version is served within
RELOAD_INTERVAL (default 2 s) plus a margin, never mixed with the old one; /readyz says not ready
while the database is gone, with the cause in the log, and ready again once it is back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.live import Server, get, wait_for
from tests.pg import PostgresServer, binaries

NEW_WORD = "鑫淼"  # in measure 1's title only after the edit, and nowhere in the document before
NOTICED_WITHIN = 2 + 3  # RELOAD_INTERVAL's default, and a margin for a loaded machine


def build(url: str, source: Path, exports: Path | None = None) -> None:
    command = [sys.executable, "-m", "api.cli", "build", str(source), "--database-url", url]
    if exports is None:
        command.append("--no-export")
    env = {**os.environ, **({"EXPORTS_DIR": str(exports)} if exports else {})}
    subprocess.run(command, check=True, capture_output=True, env=env)


def get_json(server: Server, path: str) -> tuple[int, dict]:
    status, _, body = get(server.port, path)
    return status, json.loads(body)


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request, tmp_path, raw_source):
    """(build URL, serve URL, original source, edited source, exports folder or None): a
    database of its own, so that rebuilding it disturbs no other test."""
    original = tmp_path / "original.txt"
    edited = tmp_path / "edited.txt"
    original.write_text(raw_source, encoding="utf-8")
    assert "1.加大" in raw_source and NEW_WORD not in raw_source
    edited.write_text(raw_source.replace("1.加大", f"1.{NEW_WORD}", 1), encoding="utf-8")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'policy.sqlite3'}"
        yield url, url, original, edited, tmp_path / "exports"
        return
    if binaries() is None:
        pytest.skip("PostgreSQL is not installed here; .ci/run installs it")
    server = PostgresServer()  # a private one: the shared database's other readers must not see these builds
    try:
        yield server.url("policy_owner"), server.url("policy_reader"), original, edited, None
    finally:
        server.remove()


def test_a_rebuild_is_served_soon_and_never_mixed_with_the_old_version(deployment, tmp_path):
    build_url, serve_url, original, edited, exports = deployment
    build(build_url, original, exports)
    env = {"DATABASE_URL": serve_url, **({"EXPORTS_DIR": str(exports)} if exports else {"EXPORTS_DIR": str(tmp_path / "none")})}
    server = Server(env, tmp_path / "server.log")
    try:
        server.wait_ready()
        old = get_json(server, "/v1")[1]["dataset_version"]
        search = f"/v1/measures?q={quote(NEW_WORD)}"
        assert get_json(server, search)[1]["data"] == []

        seen: list[tuple[str, list]] = []
        stop = threading.Event()

        def watch() -> None:  # what clients see while the rebuild happens
            while not stop.is_set():
                status, page = get_json(server, search)
                assert status == 200, page
                seen.append((page["meta"]["dataset_version"], [m["title"] for m in page["data"]]))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            build(build_url, edited, exports)
            built_at = time.monotonic()
            assert wait_for(lambda: get_json(server, "/v1")[1]["dataset_version"] != old, NOTICED_WITHIN)
            noticed_after = time.monotonic() - built_at
            new = get_json(server, "/v1")[1]["dataset_version"]
            time.sleep(0.2)  # a few more answers after the swap
        finally:
            stop.set()
            watcher.join()
        for version, titles in seen:  # no answer mixes the old version with the new title, or the reverse
            assert (version, bool(titles)) in ((old, False), (new, True)), (version, titles)
            assert all(NEW_WORD in title for title in titles)
        assert seen[-1][0] == new, f"noticed after {noticed_after:.1f} s but the search still answered {seen[-1]}"
        status, ready = get_json(server, "/readyz")
        assert status == 200 and ready["dataset_version"] == new
        if exports:  # the dumps written after the database are picked up too, as a new release beside the first
            assert wait_for(lambda: get_json(server, "/v1/exports")[1].get("dataset_version") == new, NOTICED_WITHIN)
            releases = get_json(server, "/v1/releases")[1]
            assert [r["dataset_version"] for r in releases["releases"]] == [new, old]
            assert releases["current"] == releases["releases"][0]["id"] == get_json(server, "/v1/exports")[1]["release"]
    finally:
        server.stop()


def test_readyz_is_not_ready_while_the_sqlite_file_is_gone_and_says_why(tmp_path, raw_source):
    source = tmp_path / "source.txt"
    source.write_text(raw_source, encoding="utf-8")
    path = tmp_path / "policy.sqlite3"
    url = f"sqlite:///{path}"
    build(url, source)
    server = Server({"DATABASE_URL": url, "EXPORTS_DIR": str(tmp_path / "none")}, tmp_path / "server.log")
    try:
        server.wait_ready()
        version = get_json(server, "/v1")[1]["dataset_version"]
        path.rename(tmp_path / "moved.sqlite3")
        status, problem = get_json(server, "/readyz")
        assert status == 503 and str(path) in problem["detail"], problem
        server.wait_for_log(lambda line: line.get("status") == 503 and str(path) in line.get("cause", ""))
        # The version being served stays whole: it is read from the file the server opened.
        status, page = get_json(server, "/v1/measures?limit=1&offset=3")
        assert status == 200 and page["meta"]["dataset_version"] == version
        (tmp_path / "moved.sqlite3").rename(path)
        assert wait_for(lambda: get_json(server, "/readyz")[0] == 200, NOTICED_WITHIN)
    finally:
        server.stop()
