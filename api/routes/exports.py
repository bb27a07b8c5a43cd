from __future__ import annotations

import email.utils
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from api.byteranges import Download, Unsatisfiable, requested_ranges
from api.conditional import not_modified
from api.deps import Rep, ScriptQuery
from api.downloads import FileUnavailable, OpenFile, Release
from api.metadata import release_download_url
from api.openapi import header_refs, response_header
from api.problems import Problem, not_found
from api.responses import finish
from api.routes.common import NOT_MODIFIED_DESCRIPTION, PROBLEM_400, PROBLEM_404, finished_responses
from api.snapshot import snapshot_of
from models.schemas import ExportList
from models.schemas import Problem as ProblemSchema

router = APIRouter(prefix="/v1/exports", tags=["exports"])
# What /v1/exports serves changes with each release: minutes of freshness, then revalidation. A
# release's own URLs never serve other bytes (api/downloads.py): a year, never revalidated.
CURRENT_CACHE_CONTROL = "public, max-age=60"
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
UNAVAILABLE = {
    503: {
        "model": ProblemSchema,
        "description": "The dumps of this dataset version have not been written, or this file is not as written "
        "(missing, changed, truncated, or reached through a symbolic link); the cause is in the server's log.",
    }
}


def listed_files(request: Request, release: Release, url_of: Callable[[str], str], script: str | None = None) -> list[dict]:
    """A release's files as /v1/exports and /v1/releases list them: the manifest's facts, `url`
    (given by `url_of(name)`) and `immutable_url`."""
    base = request.app.state.settings.public_base_url
    return [
        entry | {"url": url_of(name), "immutable_url": release_download_url(base, release.id, name)}
        for name, entry in release.files.items()
        if script is None or entry["script"] in (None, script)
    ]


VALIDATORS = header_refs("ETag", "Cache-Control")  # a file has no script or page
FILE_HEADERS = {
    "Last-Modified": response_header("When the file was written: send it back in If-Modified-Since for a 304."),
    "Accept-Ranges": response_header("`bytes`: Range requests are answered."),
    "Content-Disposition": response_header("`attachment`, with a file name."),
}
CONTENT_RANGE = response_header("The range sent, or for a 416 `bytes */SIZE`. A multipart answer has one per part instead.", required=False)
# How a download is described to clients. Generators type a response by the first media type they
# support (openapi-generator: the first of all; openapi-python-client: the first of text/*, JSON
# and octet-stream), and decode every 200 that way whatever its Content-Type. So the first is
# `application/octet-stream`, bytes: any file is also that, and both generators then hand back the
# file's bytes untouched (with the SQLite file first, openapi-python-client decoded it as text and
# damaged it). The media types sent follow, the JSON files as objects, which schemathesis checks.
DOWNLOAD_CONTENT = {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}},
}
PARTIAL_CONTENT = {**DOWNLOAD_CONTENT, "multipart/byteranges": {"schema": {"type": "string"}}}


@router.get("", response_model=ExportList, responses={**finished_responses(), **PROBLEM_400, **UNAVAILABLE})
def list_exports(request: Request, representation: Rep, script: ScriptQuery = None) -> Response:
    """Every downloadable file of the current release: name, media type, script, size, sha256,
    record count, URL, and the immutable URL of the same bytes in its release (see /v1/releases).
    With `script`, only the files in that script (and those holding both)."""
    release = snapshot_of(request).exports.require()
    base = request.app.state.settings.public_base_url
    files = listed_files(request, release, lambda name: f"{base}/v1/exports/{name}", script and script.value)
    body = {"dataset_version": release.dataset_version, "release": release.id, "files": files}
    return finish(request, orjson.dumps(body), "application/json", representation, {"Cache-Control": CURRENT_CACHE_CONTROL})


FileName = Annotated[str, PathParam(min_length=1, max_length=200, description="A name from /v1/exports.", examples=["hant/measures.csv"])]
CONTENT_LOCATION = response_header("The file's immutable twin: the same bytes at its release's URL, cacheable for a year.")


def _ranges(request: Request, headers: dict[str, str], name: str, file: OpenFile) -> list[tuple[int, int]] | None:
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range not in (headers["ETag"], headers["Last-Modified"]):
        return None  # the client's copy is another one: it gets the whole file (RFC 9110 §13.1.5)
    try:
        return requested_ranges(request.headers.get("range"), file.size)
    except Unsatisfiable:
        raise Problem(
            416, f"no requested range starts within the {file.size} bytes of {name}", headers={"Content-Range": f"bytes */{file.size}"}
        ) from None


def file_responses(extra: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """The responses of a download route, with `extra` headers on its 200, 206 and 304."""
    extra = extra or {}
    return {
        200: {
            "description": "The file, with the media type its listing gives for it; any file may be read as bytes (`application/octet-stream`).",
            "content": DOWNLOAD_CONTENT,
            "headers": {**VALIDATORS, **FILE_HEADERS, **extra},
        },
        206: {
            "description": "Part of the file (Range): one range with Content-Range, or several as `multipart/byteranges`.",
            "content": PARTIAL_CONTENT,
            "headers": {**VALIDATORS, **FILE_HEADERS, **extra, "Content-Range": CONTENT_RANGE},
        },
        304: {
            "description": NOT_MODIFIED_DESCRIPTION + " Or the file is not newer than If-Modified-Since.",
            "headers": {**VALIDATORS, **extra},
        },
        **PROBLEM_400,
        **PROBLEM_404,
        416: {
            "model": ProblemSchema,
            "description": "No requested range starts within the file.",
            "headers": {"Content-Range": {**CONTENT_RANGE, "required": True}},
        },
        **UNAVAILABLE,
    }


@router.get("/{name:path}", response_class=Response, responses=file_responses({"Content-Location": CONTENT_LOCATION}))
def get_export(request: Request, name: FileName) -> Response:
    """One file, byte for byte as written: its media type, `Content-Disposition`, a strong `ETag`
    (its sha256), `Last-Modified`, HEAD and Range.

    Each file is checked against the manifest before it is served (size, and sha256 once per version
    of the file on disk) and sent from the descriptor that was checked. A file that is missing,
    changed, truncated, or reached through a symbolic link is withheld with a 503 problem, its cause
    logged: never a 200 with bytes the `ETag` does not describe. A name that is not in the listing
    is a 404, whatever is on disk.

    Conditional requests: `If-None-Match` gives a 304 when it matches; without it,
    `If-Modified-Since` gives a 304 when the file is not newer. Ranges: one range is a 206 with
    `Content-Range`; several are one 206 `multipart/byteranges`, sorted, with overlapping or
    adjacent ranges merged (more than 16 ranges: the whole file, 200). A range that starts past the
    end is skipped; when none is left, 416 with `Content-Range: bytes */SIZE`. A malformed Range is
    ignored (200). `If-Range` with another ETag or date also gives the whole file.

    The file of the current release (see /v1/releases), fresh for a minute; `Content-Location`
    names its immutable twin, the same bytes at its release's URL.

    The body is always the file's bytes, listed first as `application/octet-stream` so that
    generated clients return it untouched."""
    release = snapshot_of(request).exports.require()
    if name not in release.files:
        raise not_found(f"no export named {name!r}; see /v1/exports")
    twin = release_download_url(request.app.state.settings.public_base_url, release.id, name)
    return send_file(request, release, name, {"Cache-Control": CURRENT_CACHE_CONTROL, "Content-Location": twin})


def send_file(request: Request, release: Release, name: str, headers: dict[str, str]) -> Response:
    """The file `name` of `release` (a name it lists), checked, with `headers` (its Cache-Control
    among them) on the 200, 206 and 304: what every download route answers."""
    entry = release.files[name]
    try:
        file = release.open(name)
    except FileUnavailable:
        raise Problem(503, f"{name} is withheld: it is not as written (the server's log says why)", headers={"Retry-After": "60"}) from None
    validators = {"ETag": f'"{entry["sha256"]}"', **headers}
    try:
        headers = {
            **validators,
            "Last-Modified": email.utils.formatdate(file.mtime, usegmt=True),
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'attachment; filename="lianjiang-policy-{name.replace("/", "-")}"',
        }
        if not not_modified(request.headers.get("if-none-match"), headers["ETag"], request.headers.get("if-modified-since"), file.mtime):
            return Download(file, name, entry["media_type"], headers, _ranges(request, headers, name, file))  # it closes the file
    except BaseException:
        file.close()
        raise
    file.close()
    return Response(status_code=304, headers=validators)
