"""api/protocol.py relies on uvicorn's httptools protocol from the inside: these tests fail when the
hooks it overrides or the attributes it reads move, before a silent change of uvicorn's internals
can switch the limits off. They drive the protocol in process, as uvicorn's own tests do, with a
transport that records what is written; tests/api/test_limits.py meets it through real sockets."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from api import protocol as protocol_module
from api.config import Settings
from api.protocol import LimitedHttpToolsProtocol

# What api/protocol.py overrides or calls, with the parameters it expects.
HOOKS = {
    "__init__": ["self", "config", "server_state", "app_state", "_loop"],
    "connection_made": ["self", "transport"],
    "connection_lost": ["self", "exc"],
    "data_received": ["self", "data"],
    "on_message_begin": ["self"],
    "on_url": ["self", "url"],
    "on_headers_complete": ["self"],
    "on_message_complete": ["self"],
    "send_400_response": ["self", "msg"],
}
CAPS = Settings(max_request_line_bytes=256, max_header_bytes=1024, request_timeout=7)
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: example.org\r\n\r\n"


@pytest.mark.parametrize("name", HOOKS)
def test_uvicorn_has_the_hook_with_the_parameters_the_protocol_expects(name):
    assert list(inspect.signature(getattr(HttpToolsProtocol, name)).parameters) == HOOKS[name]


def test_uvicorn_has_a_status_line_for_each_refusal():
    for status in (408, 414, 431):
        assert STATUS_LINE[status].startswith(b"HTTP/1.1 %d " % status) and STATUS_LINE[status].endswith(b"\r\n")


class Transport(asyncio.Transport):
    """What uvicorn's protocol asks of a transport, recording what is written."""

    def __init__(self) -> None:
        super().__init__()
        self.written, self.closed, self.eof, self.protocol = bytearray(), False, False, None

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(name, default)

    def write(self, data) -> None:
        self.written += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_protocol(self):
        return self.protocol

    def set_protocol(self, protocol) -> None:
        self.protocol = protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def connection(monkeypatch):
    """A protocol with small caps over a recording transport, on a loop of its own; `run()` lets
    the app's tasks finish."""
    monkeypatch.setattr(protocol_module, "get_settings", lambda: CAPS)
    loop = asyncio.new_event_loop()
    state = ServerState()
    config = Config(app=ok, log_config=None, proxy_headers=False)
    protocol = LimitedHttpToolsProtocol(config=config, server_state=state, app_state={}, _loop=loop)
    transport = Transport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)

    def run() -> None:
        if state.tasks:
            loop.run_until_complete(asyncio.gather(*state.tasks))

    yield protocol, transport, run
    protocol.connection_lost(None)
    loop.close()


def test_a_request_is_answered_and_its_head_is_read_through_the_base_class(connection):
    protocol, transport, run = connection
    protocol.data_received(REQUEST)
    assert protocol.url == b"/healthz"  # set by on_message_begin and on_url
    assert (b"host", b"example.org") in protocol.headers
    run()
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert protocol.cycle.response_complete and protocol.cycle.keep_alive
    assert not transport.closed


def test_requests_pipelined_past_the_cap_in_one_read_are_all_answered(connection):
    protocol, transport, run = connection
    requests = REQUEST * (2 * CAPS.max_header_bytes // len(REQUEST) + 1)
    protocol.data_received(requests)
    for _ in range(requests.count(b"GET")):
        run()
    assert transport.written.count(b"HTTP/1.1 200 OK\r\n") == requests.count(b"GET")


@pytest.mark.parametrize("piece", [100, 1_000_000], ids=["in-pieces", "in-one-read"])
def test_a_head_over_the_cap_gets_431_and_the_parser_never_sees_the_rest(connection, piece):
    protocol, transport, run = connection
    protocol.data_received(REQUEST)  # the cap holds for every request of a connection, not only the first
    run()
    del transport.written[:]
    head = b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * 100_000 + b"\r\n\r\n"
    for start in range(0, len(head), piece):
        protocol.data_received(head[start : start + piece])
    assert transport.written.startswith(STATUS_LINE[431])
    assert b"connection: close\r\n" in transport.written and b'"instance":"/healthz"' in transport.written
    assert transport.eof and protocol.lingering  # the rest is read and dropped, not parsed
    assert not protocol.headers  # the oversized header never reached on_header


def test_a_request_target_over_the_cap_gets_414(connection):
    protocol, transport, _ = connection
    protocol.data_received(b"GET /" + b"a" * CAPS.max_request_line_bytes + b" HTTP/1.1\r\n\r\n")
    assert transport.written.startswith(STATUS_LINE[414])
    assert b"application/problem+json" in transport.written and b"instance" not in transport.written


def test_the_deadline_spans_each_head_and_never_an_answer_or_idle_time(connection):
    protocol, transport, run = connection
    assert protocol.deadline is not None  # armed when the connection was made
    assert protocol.deadline.when() - protocol.loop.time() == pytest.approx(CAPS.request_timeout, abs=1)
    protocol.data_received(REQUEST[:10])
    first = protocol.deadline
    protocol.data_received(REQUEST[10:])
    assert protocol.deadline is None  # the head is in: the app's time is not limited here
    run()
    assert protocol.deadline is None and protocol.timeout_keep_alive_task is not None  # idle: uvicorn's keep-alive
    protocol.data_received(REQUEST[:10])
    assert protocol.deadline is not None and protocol.deadline is not first  # the next request's first byte
    assert protocol.timeout_keep_alive_task is None


def test_a_late_head_gets_408_when_nothing_is_being_answered(connection):
    protocol, transport, _ = connection
    protocol.data_received(REQUEST[:10])
    protocol._deadline_passed()  # what the timer calls
    assert transport.written.startswith(STATUS_LINE[408]) and transport.eof


def test_a_late_pipelined_head_lets_the_answer_in_flight_finish_then_closes(connection):
    protocol, transport, run = connection
    protocol.data_received(REQUEST + REQUEST[:10])  # the first is being answered when the second stalls
    protocol._deadline_passed()
    assert not transport.written and not transport.closed
    run()
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n") and b"connection: close" in transport.written
    assert transport.closed


def test_an_oversized_pipelined_head_lets_the_answer_in_flight_finish_then_closes(connection):
    protocol, transport, run = connection
    protocol.data_received(REQUEST + b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * 3 * CAPS.max_header_bytes)
    assert not transport.written  # no refusal written into the middle of the first answer
    run()
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n") and b"connection: close" in transport.written
    assert STATUS_LINE[431] not in transport.written and transport.closed


@pytest.mark.parametrize(
    "settings",
    [{"max_request_line_bytes": 65536, "max_header_bytes": 65536}, {"request_timeout": 21}, {"request_timeout": 0}],
    ids=["line-cap-not-below-head-cap", "deadline-over-20-s", "no-deadline"],
)
def test_limits_that_could_not_hold_are_refused_at_start_up(settings):
    with pytest.raises(ValueError):
        Settings(**settings)
