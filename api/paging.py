"""The list envelope, its links and headers, and its CSV twin: one place for every list route."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.deps import selection_of
from api.negotiation import CSV, Representation
from api.responses import finish
from api.snapshot import snapshot_of
from api.tabular import COLUMNS, selected, to_csv
from models.scripts import Script

CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"


def page_urls(request: Request, base_url: str, script: Script, limit: int) -> Callable[[int], str]:
    """The canonical URL of each page, by its offset: parameters sorted, limit and offset explicit.
    The query is encoded once, around the offset's value, since a list links to up to five pages."""
    params = dict(request.query_params)
    params.update(limit=str(limit), offset="")
    if script is Script.hans:
        params["script"] = "hans"
    pairs = sorted(params.items())
    at = pairs.index(("offset", ""))
    # A comma is kept as written (`fields=id,title`): it is a sub-delimiter, legal in a query.
    head = f"{base_url}{request.url.path}?{urlencode(pairs[: at + 1], safe=',')}"  # ends in `offset=`
    tail = "&" + urlencode(pairs[at + 1 :], safe=",") if at + 1 < len(pairs) else ""
    return lambda offset: f"{head}{offset}{tail}"


def page_response(
    request: Request,
    representation: Representation,
    collection: str,
    items: Sequence[bytes],
    total: int,
    limit: int,
    offset: int,
    facets: dict[str, Any] | None = None,
    annotate: Callable[[list[dict]], list[dict]] | None = None,
) -> Response:
    """The page of a list whose `items` are given as their JSON (api/represent.py): joined as they
    are, or decoded when a CSV, a selection of fields or `annotate` (a search's matches) needs them."""
    settings, version = request.app.state.settings, snapshot_of(request).db.version
    url = page_urls(request, settings.public_base_url, representation.script, limit)
    last = (total - 1) // limit * limit if total else 0  # where a walk from `first` ends
    links = {
        "self": url(offset),
        "next": url(offset + limit) if offset + limit < total else None,
        "prev": url(max(0, offset - limit)) if offset > 0 else None,
        "first": url(0),
        "last": url(last),
    }
    headers = {
        "Link": ", ".join(f'<{href}>; rel="{rel}"' for rel, href in links.items() if href),
        "X-Total-Count": str(total),
    }
    fields = selection_of(request)
    if representation.format == CSV:
        rows = [orjson.loads(item) for item in items]
        return finish(request, to_csv(rows, selected(COLUMNS[collection], fields)), CSV_MEDIA_TYPE, representation, headers)
    if fields is None and annotate is None:
        data: list[Any] = [orjson.Fragment(item) for item in items]
    else:
        data = [orjson.loads(item) for item in items]
        if annotate is not None:
            data = annotate(data)
        if fields is not None:
            data = [_selected(item, fields) for item in data]
    meta = {"total": total, "limit": limit, "offset": offset, "dataset_version": version}
    if facets is not None:  # only when asked for (api/facets.py)
        meta["facets"] = facets
    body = orjson.dumps({"data": data, "meta": meta, "links": links})
    return finish(request, body, "application/json", representation, headers)


def _selected(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields asked for, and a search hit's `matches` in those fields (`aliases.0` is in `aliases`)."""
    chosen = {name: item[name] for name in fields}
    if "matches" in item:
        chosen["matches"] = [m for m in item["matches"] if m["field"].split(".")[0] in fields]
    return chosen


def item_response(request: Request, representation: Representation, item: dict[str, Any] | bytes) -> Response:
    """One item, given as a dict or as its JSON (api/represent.py)."""
    return finish(request, item if isinstance(item, bytes) else orjson.dumps(item), "application/json", representation)


def as_json(items: Iterable[dict[str, Any]]) -> list[bytes]:
    """Items presented per request, as page_response takes them."""
    return [orjson.dumps(item) for item in items]
