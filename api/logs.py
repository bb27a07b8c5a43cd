"""Structured logs: one JSON object per line; request ids and the access line (written by the
front door, api/front.py, for every request)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import Scope

access_log = logging.getLogger("api.access")
REQUEST_ID = b"x-request-id"  # the header, in requests and responses
CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")  # a caller's id is kept only if it is tame
_PROCESS_PREFIX = uuid.uuid4().hex[:16].encode()
_counter = itertools.count(1)


def new_request_id() -> bytes:
    """This process's random prefix and a counter: unique across workers and restarts like a uuid4,
    and in the order this process gave them (bench/RESULTS.md's ablation found no speed in it)."""
    return b"%s%016x" % (_PROCESS_PREFIX, next(_counter))


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


def log_access(scope: Scope, request_id: bytes, status: int, size: int, started: float) -> None:
    """The access line of a finished request, timed from `started` (time.perf_counter)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    fields = {
        "request_id": request_id.decode(),
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode("latin-1"),
        "status": status,
        "bytes": size,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "client": scope["client"][0] if scope.get("client") else None,
    }
    access_log.info("request", extra={"fields": fields})
