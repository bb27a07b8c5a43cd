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

# The data only changes with a new dataset version, which a client can see in `meta`; an hour of
# freshness then revalidation by ETag keeps browsers and CDNs cheap without serving stale data long.
CACHE_CONTROL = "public, max-age=3600"
VARY = "Accept, Accept-Language, Accept-Encoding"
GZIP_MINIMUM = 1024
COMPRESSIBLE = ("application/json", "text/", "application/problem+json", "application/ld+json")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def finish(
    request: Request,
    body: bytes,
    media_type: str,
    representation: Representation | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 (or 304) for `body`, gzipped when the client accepts it and it is worth it."""
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": VARY, **(headers or {})}
    if representation is not None:
        headers["Content-Language"] = representation.script.language_tag
    etag = etag_of(body)
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
