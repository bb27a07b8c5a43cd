"""The limits on a request's head, met as hostile clients meet them: raw sockets against a real
`policy-api serve` (api/protocol.py enforces them below the app). A server with small caps and
one-second timeouts keeps these tests fast; the session's `live_server` shows the defaults."""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path

import pytest

from tests.live import Server, get

pytestmark = pytest.mark.xdist_group("limits")  # one small-capped server, on one worker

LINE, HEAD, TIMEOUT, KEEP_ALIVE = 1024, 4096, 1, 1
BOUND = 5  # seconds beyond a setting within which the server must have closed: a bound, not a timing
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def server(built_db: Path, tmp_path_factory: pytest.TempPathFactory):
    env = {
        "DATABASE_URL": f"sqlite:///{built_db}",
        "MAX_REQUEST_LINE_BYTES": str(LINE),
        "MAX_HEADER_BYTES": str(HEAD),
        "REQUEST_TIMEOUT": str(TIMEOUT),
        "KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE),
    }
    running = Server(env, tmp_path_factory.mktemp("limits") / "server.log")
    running.wait_ready()
    yield running
    running.stop()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def until_closed(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it stays open."""
    sock.settimeout(within)
    received = bytearray()
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s; received {bytes(received[:200])!r}")
    return bytes(received)


def one_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read exactly one response (with Content-Length) from a connection that stays open."""
    data = bytearray()
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    status, headers, body = parse(bytes(data))
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return status, headers, body


def parse(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    line, *fields = head.decode("latin-1").split("\r\n")
    return int(line.split()[1]), {k.lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}, body


def assert_refusal(response: bytes, status: int) -> dict:
    got, headers, body = parse(response)
    assert got == status, response[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"].startswith("/problems/") and problem["title"] and problem["detail"]
    return problem


def test_a_header_over_the_cap_gets_431_and_the_connection_is_closed(server):
    with connect(server.port) as sock:
        sock.sendall(HEALTHZ + b"X-Pad: " + b"a" * 2 * HEAD + b"\r\n\r\n")
        assert_refusal(until_closed(sock, BOUND), 431)


def test_a_request_target_over_the_cap_gets_414(server):
    with connect(server.port) as sock:
        sock.sendall(b"GET /v1/measures?q=" + b"a" * LINE + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        problem = assert_refusal(until_closed(sock, BOUND), 414)
    assert "instance" not in problem  # the path is what was refused: it is not echoed


def test_a_request_just_within_the_caps_reaches_the_app(server):
    status, _, _ = get(server.port, "/healthz", headers={"X-Pad": "a" * (HEAD - LINE)})
    assert status == 200
    status, headers, _ = get(server.port, "/v1/units/" + "a" * (LINE - 100))
    assert status != 414 and "x-request-id" in headers  # answered by the app (an id this long is a 400 there)


def test_a_connection_that_sends_nothing_is_closed(server):
    with connect(server.port) as sock:
        assert_refusal(until_closed(sock, TIMEOUT + BOUND), 408)


def test_a_request_that_stops_mid_headers_is_closed(server):
    with connect(server.port) as sock:
        sock.sendall(HEALTHZ + b"Accept: appl")
        assert_refusal(until_closed(sock, TIMEOUT + BOUND), 408)


def test_a_second_request_that_stops_mid_headers_is_closed(server):
    with connect(server.port) as sock:
        sock.sendall(HEALTHZ + b"\r\n")
        assert one_response(sock)[0] == 200
        sock.sendall(HEALTHZ)
        assert_refusal(until_closed(sock, TIMEOUT + BOUND), 408)


def test_a_request_trickling_in_byte_by_byte_is_closed(server):
    """Every byte resets uvicorn's keep-alive timer; the request's own deadline counts from its first."""
    request = HEALTHZ + b"X-Pad: " + b"a" * (HEAD // 2)
    give_up = time.monotonic() + TIMEOUT + BOUND
    with connect(server.port) as sock:
        for byte in request:  # a byte every 0.25 s, until the server answers or closes (or we give up)
            sock.sendall(bytes([byte]))
            if select.select([sock], [], [], 0.25)[0] or time.monotonic() > give_up:
                break
        assert_refusal(until_closed(sock, 1), 408)


def test_an_idle_keep_alive_connection_is_closed_without_an_answer(server):
    with connect(server.port) as sock:
        sock.sendall(HEALTHZ + b"\r\n")
        assert one_response(sock)[0] == 200
        assert until_closed(sock, KEEP_ALIVE + BOUND) == b""


def test_healthz_answers_while_another_client_is_sending_an_oversized_header(live_server):
    """With the defaults of `policy-api serve` (64 KiB heads): the sender is refused, no one else waits on it."""
    with connect(live_server.port) as sock:
        sock.sendall(HEALTHZ + b"X-Pad: " + b"a" * 60_000)  # mid-way through the header, under the cap
        assert get(live_server.port, "/healthz", timeout=5)[0] == 200
        sock.sendall(b"a" * 60_000)
        assert_refusal(until_closed(sock, BOUND), 431)
        assert get(live_server.port, "/healthz", timeout=5)[0] == 200
