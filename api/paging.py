"""The list envelope, its links and headers, and its CSV twin: one place for every list route."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.negotiation import CSV, Representation
from api.responses import finish
from api.snapshot import snapshot_of
from api.tabular import COLUMNS, to_csv
from models.scripts import Script

CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"


def page_url(request: Request, base_url: str, script: Script, limit: int, offset: int) -> str:
    """The canonical URL of one page: parameters sorted, limit and offset explicit."""
    params = dict(request.query_params)
    params.update(limit=str(limit), offset=str(offset))
    if script is Script.hans:
        params["script"] = "hans"
    return f"{base_url}{request.url.path}?{urlencode(sorted(params.items()))}"


def page_response(
    request: Request,
    representation: Representation,
    collection: str,
    items: list[dict[str, Any]],
    total: int,
    limit: int,
    offset: int,
    facets: dict[str, Any] | None = None,
) -> Response:
    settings, version = request.app.state.settings, snapshot_of(request).db.version

    def url(at: int) -> str:
        return page_url(request, settings.public_base_url, representation.script, limit, at)

    links = {
        "self": url(offset),
        "next": url(offset + limit) if offset + limit < total else None,
        "prev": url(max(0, offset - limit)) if offset > 0 else None,
    }
    headers = {
        "Link": ", ".join(f'<{href}>; rel="{rel}"' for rel, href in links.items() if href),
        "X-Total-Count": str(total),
    }
    if representation.format == CSV:
        return finish(request, to_csv(items, COLUMNS[collection]), CSV_MEDIA_TYPE, representation, headers)
    meta = {"total": total, "limit": limit, "offset": offset, "dataset_version": version}
    if facets is not None:  # only when asked for (api/facets.py)
        meta["facets"] = facets
    body = orjson.dumps({"data": items, "meta": meta, "links": links})
    return finish(request, body, "application/json", representation, headers)


def item_response(request: Request, representation: Representation, item: dict[str, Any]) -> Response:
    return finish(request, orjson.dumps(item), "application/json", representation)
