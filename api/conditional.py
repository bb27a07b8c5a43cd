"""Conditional GET (RFC 9110 §13): whether a GET or HEAD gets a 304 instead of the representation.

Every response that can be a 304 asks here: the routes' own bodies (api/responses.py), the
response cache's stored answers (api/cache.py) and the downloads (api/routes/exports.py).
"""

from __future__ import annotations

import email.utils
from datetime import UTC


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match against a current ETag: `*`, or a listed tag equal to it by the weak
    comparison (§8.8.3.2: the W/ prefixes are ignored)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def not_modified(if_none_match: str | None, etag: str, if_modified_since: str | None = None, last_modified: float | None = None) -> bool:
    """Whether a GET or HEAD with these request headers (None: not sent) gets a 304 for the
    representation with `etag` and, when it has one, Last-Modified `last_modified` (a POSIX time).

    §13.2.2: If-None-Match decides when it is sent; If-Modified-Since counts only without it, and
    only for a representation with a Last-Modified; a date that does not parse is ignored (§13.1.3).
    """
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return int(last_modified) <= since.timestamp()  # Last-Modified has whole seconds
