"""uvicorn's httptools protocol, with bounds on what a request's head may cost: bytes and time.

They cannot live in the app: an ASGI app sees a request only once all its headers have been read,
and httptools caps nothing (it gathers a header value by repeated concatenation, so one huge header
also costs CPU for every other client of the process). `policy-api serve` runs uvicorn with this
class; uvicorn is pinned to the versions whose internals it was tested with (pyproject.toml), and
tests/api/test_protocol.py fails if the hooks it uses move. Everything else is uvicorn's own.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.config import get_settings
from api.problems import PROBLEM_MEDIA_TYPE, Problem, problem_json

log = logging.getLogger("api.protocol")
# After a refusal, how long the rest of the request is read and dropped before the connection
# closes: closing with unread bytes would reset it, and the client might lose the answer.
LINGER_SECONDS = 2.0


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; uvicorn then calls `send_400_response`."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_line, self.max_head, self.request_timeout = (
            settings.max_request_line_bytes,
            settings.max_header_bytes,
            settings.request_timeout,
        )
        self.head_bytes: int | None = 0  # of the head being received; None from its end to the end of its body
        self.refusal: Problem | None = None
        self.lingering = False  # answered and half-closed: what still arrives is dropped
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        # Feed a head to the parser at most one byte past its cap, so httptools never buffers more.
        # Bytes that follow the end of a request within the same slice (pipelining) count for no
        # head: the next request's head may pass the cap by at most one more slice.
        while self.head_bytes is not None and self.head_bytes + len(data) > self.max_head:
            room = self.max_head - self.head_bytes + 1
            self.head_bytes += room
            super().data_received(data[:room])
            data = data[room:]
            if self.lingering or self.transport.is_closing() or self.transport.get_protocol() is not self:  # refused, or upgraded
                return
            if self.head_bytes is not None and self.head_bytes > self.max_head:
                return self._refuse(Problem(431, f"the request's line and headers exceed {self.max_head} bytes"))
        if data:
            if self.head_bytes is not None:
                self.head_bytes += len(data)
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.deadline is None:  # a request's first byte; on a new connection, armed since it was made
            self._arm_deadline()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_line:
            self.refusal = Problem(414, f"the request target exceeds {self.max_line} bytes")
            raise _Refused

    def on_headers_complete(self) -> None:
        # The head is in: from here on the request is the app's, and never cut by the deadline.
        self._disarm_deadline()
        self.head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.head_bytes = 0  # what follows is the next request's head

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to a parser error, which is how a refusal raised in a callback arrives.
        if self.refusal is not None:
            return self._refuse(self.refusal)
        super().send_400_response(msg)

    def _arm_deadline(self) -> None:
        self.deadline = self.loop.call_later(self.request_timeout, self._deadline_passed)

    def _disarm_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _deadline_passed(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            self._refuse(Problem(408, f"the request's line and headers did not arrive within {self.request_timeout:g} s"))

    def _refuse(self, problem: Problem) -> None:
        """Answer `problem` and close, dropping whatever else arrives: what was read of the request
        cannot frame the next one."""
        self._disarm_deadline()
        self.lingering = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # an earlier request is being answered: close after it instead, as uvicorn's shutdown does
            return
        # The path is known once a header has been read; a 414's path is the thing refused.
        line_read = problem.status != 414 and bool(self.headers or problem.status == 431)
        instance = self.url.partition(b"?")[0].decode("latin-1") if line_read else None
        body = problem_json(problem, instance)
        head = [STATUS_LINE[problem.status]]
        head += [b"%s: %s\r\n" % header for header in self.server_state.default_headers]
        head.append(b"content-type: %s\r\ncontent-length: %d\r\n" % (PROBLEM_MEDIA_TYPE.encode(), len(body)))
        head.append(b"cache-control: no-store\r\nconnection: close\r\n\r\n")
        self.transport.write(b"".join([*head, body]))
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer, then FIN; the client's own FIN closes the transport (eof_received)
            self.deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
        level = logging.INFO if problem.status == 408 else logging.WARNING
        log.log(
            level, "request refused before the app: %s", problem.detail, extra={"fields": {"status": problem.status, "client": self.client}}
        )
