from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

from api.deps import Rep, ScriptQuery
from api.export import MANIFEST
from api.openapi import header_refs
from api.paging import item_response
from api.problems import Problem, not_found
from api.responses import CACHE_CONTROL, matches
from api.routes.common import PROBLEM_400, PROBLEM_404, finished_responses
from models.schemas import ExportList
from models.schemas import Problem as ProblemSchema

router = APIRouter(prefix="/v1/exports", tags=["exports"])
UNAVAILABLE = {503: {"model": ProblemSchema, "description": "The dumps of this dataset version have not been written."}}
DOWNLOAD_MEDIA_TYPES = ("application/json", "text/csv", "text/plain", "application/vnd.sqlite3")
RANGE_PART = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class Exports:
    """The dumps written for the dataset version being served, read from their manifest once."""

    def __init__(self, folder: Path, dataset_version: str) -> None:
        self.folder, self.files, self.problem = folder, {}, None
        try:
            manifest = orjson.loads((folder / MANIFEST).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            self.problem = f"no dumps in {folder.name}/: run `policy-api export`"
            return
        if manifest["dataset_version"] != dataset_version:
            self.problem = f"the dumps are of dataset {manifest['dataset_version']}, not {dataset_version}: run `policy-api export`"
            return
        self.files = {entry["name"]: entry for entry in manifest["files"]}

    def require(self) -> None:
        if self.problem:
            raise Problem(503, self.problem, headers={"Retry-After": "60"})


def _range_status(header: str | None, size: int) -> str | None:
    """`None` to honour the Range header, "ignore" for one that is malformed (RFC 9110 lets a
    server ignore it and send the whole file), "unsatisfiable" when no range starts in the file."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    parts = [RANGE_PART.match(p) for p in spec.split(",")]
    if unit.strip().lower() != "bytes" or not all(parts):
        return "ignore"
    starts = []
    for part in parts:
        first, last = part.group(1), part.group(2)  # type: ignore[union-attr]
        if not first and not last or (first and last and int(first) > int(last)):
            return "ignore"
        starts.append(int(first) if first else (size - int(last) if int(last) else size))
    return None if any(start < size for start in starts) else "unsatisfiable"


class Download(FileResponse):
    """A file download that can be told to ignore a malformed Range header."""

    def __init__(self, *args: Any, ignore_range: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ignore_range = ignore_range

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ignore_range:
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
        await super().__call__(scope, receive, send)


@router.get("", response_model=ExportList, responses={**finished_responses(), **PROBLEM_400, **UNAVAILABLE})
def list_exports(request: Request, representation: Rep, script: ScriptQuery = None) -> Response:
    """Every downloadable file: name, media type, script, size, sha256, record count, URL. With
    `script`, only the files in that script (and those holding both)."""
    exports: Exports = request.app.state.exports
    exports.require()
    base = request.app.state.settings.public_base_url
    files = [
        entry | {"url": f"{base}/v1/exports/{name}"}
        for name, entry in exports.files.items()
        if script is None or entry["script"] in (None, script.value)
    ]
    return item_response(request, representation, {"dataset_version": request.app.state.db.version, "files": files})


FileName = Annotated[str, PathParam(min_length=1, max_length=200, description="A name from /v1/exports.", examples=["hant/measures.csv"])]


@router.get(
    "/{name:path}",
    response_class=Response,
    responses={
        **finished_responses(
            {
                "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in DOWNLOAD_MEDIA_TYPES},
                "description": "The file, with the media type /v1/exports gives for it.",
            },
            header_refs("ETag", "Cache-Control"),  # a file has no script or page
        ),
        206: {"description": "Partial content (Range)."},
        **PROBLEM_400,
        **PROBLEM_404,
        416: {"model": ProblemSchema, "description": "No requested range starts within the file."},
        **UNAVAILABLE,
    },
)
def get_export(request: Request, name: FileName) -> Response:
    """One file, with its media type, Content-Disposition, a strong ETag (its sha256), HEAD and Range."""
    exports: Exports = request.app.state.exports
    exports.require()
    entry = exports.files.get(name)
    if entry is None:
        raise not_found(f"no export named {name!r}; see /v1/exports")
    etag = f'"{entry["sha256"]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    status = _range_status(request.headers.get("range"), entry["bytes"])
    if status == "unsatisfiable":
        raise Problem(
            416,
            f"no requested range starts within the {entry['bytes']} bytes of {name}",
            headers={"Content-Range": f"bytes */{entry['bytes']}"},
        )
    download_name = "lianjiang-policy-" + name.replace("/", "-")
    return Download(
        exports.folder / name,
        media_type=entry["media_type"],
        filename=download_name,
        headers=headers,
        ignore_range=status == "ignore",
    )
