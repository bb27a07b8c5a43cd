"""A real `policy-api serve` process on 127.0.0.1: the API as clients meet it, for the tests that need real sockets."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, within: float) -> bool:
    """Whether `predicate()` holds at some point within `within` seconds (a bound, not a timing)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def get(port: int, path: str, timeout: float = 15, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class Server:
    """`policy-api serve` by default; `command(port)` for another server, ready once `ready_path` answers 200."""

    def __init__(
        self, env: dict[str, str], log: Path, command: Callable[[int], list[str]] | None = None, ready_path: str = "/healthz"
    ) -> None:
        self.port = free_port()
        self.log, self.ready_path = log, ready_path
        argv = command(self.port) if command else [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if get(self.port, self.ready_path, timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log.read_text()}")

    def wait_for_log(self, wanted: Callable[[dict], bool], timeout: float = 10) -> dict:
        """The first JSON line of the server's log for which `wanted` holds, waiting for it to be written."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{") and wanted(record := json.loads(line)):
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(f"no such line in the server's log within {timeout} s:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
