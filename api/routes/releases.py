"""The releases in the exports folder (api/downloads.py), and each release's files at URLs that
never serve other bytes."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from api.deps import Rep
from api.downloads import Release, Releases
from api.metadata import release_download_url
from api.problems import not_found
from api.responses import finish
from api.routes.common import PROBLEM_400, PROBLEM_404, finished_responses
from api.routes.exports import CURRENT_CACHE_CONTROL, IMMUTABLE_CACHE_CONTROL, FileName, file_responses, listed_files, send_file
from api.snapshot import snapshot_of
from models.schemas import Release as ReleaseSchema
from models.schemas import ReleaseList

router = APIRouter(prefix="/v1/releases", tags=["exports"])
ReleaseId = Annotated[
    str,
    PathParam(min_length=1, max_length=64, description="A release id from /v1/releases.", examples=["0b29f1fa1e5678bb"]),
]


def _entry(request: Request, releases: Releases, release: Release) -> dict[str, Any]:
    base = request.app.state.settings.public_base_url
    return {
        "id": release.id,
        "dataset_version": release.dataset_version,
        "released": release.released,
        "unreleased": release.released is None,
        "current": release is releases.current,
        "url": f"{base}/v1/releases/{release.id}",
        "files": listed_files(request, release, lambda name: release_download_url(base, release.id, name)),
    }


def _json(request: Request, representation: Rep, body: dict[str, Any]) -> Response:
    # Which releases there are, and which is current, changes with each export: minutes of freshness.
    return finish(request, orjson.dumps(body), "application/json", representation, {"Cache-Control": CURRENT_CACHE_CONTROL})


@router.get("", response_model=ReleaseList, responses={**finished_responses(), **PROBLEM_400})
def list_releases(request: Request, representation: Rep) -> Response:
    """Every release in the exports folder, newest first (by when it was written there): its id,
    dataset version, the release log's date of that version (null, and `unreleased`, for data the
    log has no record of), whether it is current, and its files with their immutable URLs. A
    release's id is the first 16 hex digits of the sha256 of its SHA256SUMS: the same data and code
    give the same id, and its URLs never serve other bytes."""
    releases = snapshot_of(request).releases
    body = {
        "current": releases.current.id if releases.current else None,
        "releases": [_entry(request, releases, release) for release in releases.by_id.values()],
    }
    return _json(request, representation, body)


@router.get("/{release}", response_model=ReleaseSchema, responses={**finished_responses(), **PROBLEM_400, **PROBLEM_404})
def get_release(request: Request, representation: Rep, release: ReleaseId) -> Response:
    """One release, as /v1/releases lists it. An unknown id is a 404 that names the current release."""
    releases = snapshot_of(request).releases
    return _json(request, representation, _entry(request, releases, releases.get(release)))


@router.get("/{release}/exports/{name:path}", response_class=Response, responses=file_responses())
def get_release_export(request: Request, release: ReleaseId, name: FileName) -> Response:
    """One file of a release, byte for byte, at a URL that never serves other bytes:
    `Cache-Control: public, max-age=31536000, immutable`. Otherwise as `/v1/exports/{name}`: its
    media type, `Content-Disposition`, a strong `ETag` (its sha256), `Last-Modified`, HEAD, Range,
    If-None-Match and If-Modified-Since, and a file not as written is withheld (503). An unknown
    release is a 404 that names the current one; a name the release does not list is a 404."""
    found = snapshot_of(request).releases.get(release)
    if name not in found.files:
        raise not_found(f"no file named {name!r} in release {found.id}; see /v1/releases/{found.id}")
    return send_file(request, found, name, {"Cache-Control": IMMUTABLE_CACHE_CONTROL})
