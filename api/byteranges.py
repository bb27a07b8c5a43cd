"""Range requests (RFC 9110 §14): the bytes a Range header asks for, and the response that sends
them, or the whole file, from the descriptor that api/downloads.py checked.

Several ranges are answered with one 206 `multipart/byteranges` (RFC 9110 §14.6), after sorting
them and merging those that overlap or touch, as §15.3.7.2 allows; a header asking for more than
MAX_PARTS separate ranges is ignored and the whole file sent, which §14.2 allows too.
"""

from __future__ import annotations

import logging
import os
import re
import secrets

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.downloads import OpenFile

log = logging.getLogger("api.downloads")
MAX_PARTS = 16
RANGE_SPEC = re.compile(r"([0-9]*)[ \t]*-[ \t]*([0-9]*)")
# Past 18 digits a position is beyond any file (and int() refuses more than 4,300 digits).
HUGE = 10**18

ByteRange = tuple[int, int]  # first byte, end (exclusive)
Piece = bytes | ByteRange  # literal bytes of the body, or a span of the file


class Unsatisfiable(Exception):
    """No requested range starts within the file (RFC 9110 §15.5.17)."""


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else HUGE


def requested_ranges(header: str | None, size: int) -> list[ByteRange] | None:
    """The ranges a Range header asks of a file of `size` bytes, sorted and merged; None to send the
    whole file (no header, a malformed one or another unit: ignored, as RFC 9110 §14.2 lets a server
    do; or more than MAX_PARTS ranges). Raises Unsatisfiable when none starts within the file."""
    if header is None:
        return None
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    elements = [element.strip() for element in specs.split(",") if element.strip()]  # empty elements are allowed
    if not elements:
        return None
    ranges = []
    for element in elements:
        match = RANGE_SPEC.fullmatch(element)
        if match is None or match.group(1) == match.group(2) == "":
            return None
        first, last = match.groups()
        if first:
            start = _position(first)
            if last and _position(last) < start:
                return None  # an invalid range-spec makes the whole header invalid
            if start < size:
                ranges.append((start, min(_position(last) + 1, size) if last else size))
        elif _position(last) > 0:  # the last N bytes
            ranges.append((max(size - _position(last), 0), size))
    if not ranges:
        raise Unsatisfiable
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for start, end in ordered[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged if len(merged) <= MAX_PARTS else None


def _multipart(ranges: list[ByteRange], size: int, media_type: str, boundary: str) -> list[Piece]:
    pieces: list[Piece] = []
    for start, end in ranges:
        head = f"--{boundary}\r\nContent-Type: {media_type}\r\nContent-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        pieces += [head.encode("latin-1"), (start, end), b"\r\n"]
    return [*pieces, f"--{boundary}--\r\n".encode("latin-1")]


class Download(Response):
    """A download read from an open, checked file, which it closes when done: the whole file (200),
    one range (206 with Content-Range) or several (206 multipart/byteranges)."""

    chunk_size = 64 * 1024

    def __init__(self, file: OpenFile, name: str, media_type: str, headers: dict[str, str], ranges: list[ByteRange] | None) -> None:
        self.file, self.name, self.background = file, name, None
        headers = dict(headers)
        if ranges is None:
            self.status_code, self.pieces, self.media_type = 200, [(0, file.size)], media_type
        elif len(ranges) == 1:
            start, end = ranges[0]
            self.status_code, self.pieces, self.media_type = 206, [ranges[0]], media_type
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{file.size}"
        else:
            boundary = secrets.token_hex(16)  # 128 random bits: never found inside the file
            self.status_code, self.media_type = 206, f"multipart/byteranges; boundary={boundary}"
            self.pieces = _multipart(ranges, file.size, media_type, boundary)
        headers["Content-Length"] = str(sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in self.pieces))
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            spec_version = tuple(map(int, scope.get("asgi", {}).get("spec_version", "2.0").split(".")))
            if spec_version >= (2, 4):  # the server raises OSError on a send after the client left
                await self._send_body(send)
                return
            # Before ASGI 2.4 a send after the client left is silently dropped: stop reading the
            # file when the server says the client is gone, as Starlette's FileResponse does.
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    await self._send_body(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()
        finally:
            self.file.close()

    async def _send_body(self, send: Send) -> None:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                continue
            position, end = piece
            while position < end:
                chunk = await anyio.to_thread.run_sync(os.pread, self.file.fd, min(self.chunk_size, end - position), position)
                if not chunk:
                    # Shortened in place during the transfer: the response cannot be completed, and
                    # the server closes the connection, so the client sees it cut short.
                    log.warning("export cut short: %s shrank during a transfer", self.name, extra={"fields": {"export": self.name}})
                    return
                position += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
