"""Turn a body into the HTTP response every route owes: ETag, 304, caching, language, gzip.

All 200 responses of the API are finished here, so the headers are the same everywhere.
"""

from __future__ import annotations

import gzip
import hashlib

from starlette.requests import Request
from starlette.responses import Response

from api.conditional import not_modified
from api.negotiation import Representation, negotiation_of
from api.snapshot import snapshot_of

# The data only changes with a new dataset version, which a client can see in `meta`; an hour of
# freshness then revalidation by ETag keeps browsers and CDNs cheap without serving stale data long.
CACHE_CONTROL = "public, max-age=3600"
VARY = "Accept, Accept-Language, Accept-Encoding"
GZIP_MINIMUM = 1024
COMPRESSIBLE = ("application/json", "text/", "application/problem+json", "application/ld+json")


def etag_of(tag: str, media_type: str, language: str | None) -> str:
    """The ETag of a body served from the snapshot with `tag` (api/snapshot.py), in `media_type`
    and `language` (Content-Language), before any content coding. The body is never hashed: every
    body a route finishes is made only of its URL, what the headers negotiate (the media type and
    language it is sent in), the snapshot and the code, so at one URL these name its bytes."""
    return '"' + hashlib.sha256(f"{tag} {media_type} {language}".encode()).hexdigest()[:24] + '"'


def finish(
    request: Request,
    body: bytes,
    media_type: str,
    representation: Representation | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 (or 304) for `body`, gzipped when the client accepts it and it is worth it."""
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": VARY, **(headers or {})}
    language = representation.script.language_tag if representation is not None else None
    if language is not None:
        headers["Content-Language"] = language
    etag = etag_of(snapshot_of(request).tag, media_type, language)
    compress = len(body) >= GZIP_MINIMUM and media_type.startswith(COMPRESSIBLE) and negotiation_of(request.scope).gzip
    if compress:
        etag = etag[:-1] + '-gzip"'  # a strong validator differs per content coding
    headers["ETag"] = etag
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if compress:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, 200, headers, media_type=media_type)
