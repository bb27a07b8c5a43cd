"""Structured logs: one JSON object per line, and one access line per request with its id."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("api.access")
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # a caller's id is kept only if it is tame
# A new id is this process's random prefix and a counter: unique across workers and restarts like a
# uuid4, without asking the OS for randomness on every request.
_PROCESS_PREFIX = uuid.uuid4().hex[:16]
_request_numbers = itertools.count(1)


def new_request_id() -> str:
    return f"{_PROCESS_PREFIX}{next(_request_numbers):016x}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def log_config(level: str) -> dict[str, Any]:
    """For uvicorn's `log_config`: every logger, uvicorn's included, writes JSON lines to stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {"uvicorn.access": {"level": "WARNING"}},  # replaced by api.access
    }


class AccessLog:
    """Gives every request an id (the caller's X-Request-ID if it is tame, else a new one), returns
    it in X-Request-ID, and logs one line when the response is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        if request_id is None or not CLIENT_REQUEST_ID.match(request_id):
            request_id = new_request_id()
        id_header = (b"x-request-id", request_id.encode())
        response = {"status": 500, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                # A new message: the one given may be sent again (a replayed cache entry).
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            elif message["type"] == "http.response.body":
                response["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope["query_string"].decode("latin-1"),
                    "status": response["status"],
                    "bytes": response["bytes"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client": scope["client"][0] if scope.get("client") else None,
                }
                access_log.info("request", extra={"fields": fields})
