from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api import collections, facets, represent
from api.deps import DB, Limit, ListRep, Offset, Rep, presenter
from api.paging import item_response, page_response
from api.problems import not_found
from api.routes.common import id_path, item_responses, list_route
from api.routes.measures import MeasureList, measures_page
from models.schemas import MeasurePage, UnitKind, UnitPage, UnitPublic
from models.scripts import to_hans
from models.search import occurrences

router = APIRouter(prefix="/v1/units", tags=["units"])

UnitId = id_path("development-reform", "unit")
UnitSortKey = Literal["name", "-name", "measure_count", "-measure_count", "lead_count", "-lead_count"]
UnitSort = Annotated[UnitSortKey, Query(description="Sort key; `-` for descending. Ties go by id.", examples=["-measure_count"])]
KindQuery = Annotated[UnitKind | None, Query(description="Only units of this kind.", examples=["county_department"])]
UnitSearch = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Substring of a name, alias, full name or English name, in either script.",
        examples=["教育"],
    ),
]


def unit_matches(unit: dict[str, Any], needle: str) -> list[dict[str, Any]]:
    """Where the search `needle` occurs in a presented unit, as api.collections finds units: in its
    names, aliases, full name and designations (compared in Simplified), and in its English name
    (case-insensitively). `field` is the path of the text in the unit, keys and list indexes joined by `.`."""
    hans, curated = to_hans(needle), unit["curated"]
    texts = [
        ("name", unit["name"]),
        *((f"aliases.{i}", alias) for i, alias in enumerate(unit["aliases"])),
        ("curated.full_name", curated["full_name"] or ""),
        *((f"designations.{i}.name", d["name"]) for i, d in enumerate(unit["designations"])),
    ]
    found = [(field, span) for field, text in texts for span in occurrences(text, hans)]
    found += [("curated.name_en", span) for span in occurrences(curated["name_en"] or "", needle.casefold(), str.casefold)]
    return [{"field": field, "start": start, "end": end} for field, (start, end) in found]


def with_unit_matches(items: list[dict[str, Any]], needle: str) -> list[dict[str, Any]]:
    for item in items:
        item["matches"] = unit_matches(item, needle)
    return items


UnitFacets = facets.facets_query(facets.UNIT_FACETS, "`kind`: units per kind (labelled in Chinese)")


async def unit_facets_parameter(facets: UnitFacets = None) -> None:
    """Accepts `facets` on the JSON list of units (see list_route): a CSV has no envelope."""


@list_route(router, "", UnitPage, json_only=unit_facets_parameter)
async def list_units(
    request: Request,
    db: DB,
    representation: ListRep,
    kind: KindQuery = None,
    q: UnitSearch = None,
    sort: UnitSort = "name",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """The responsible units, with how many measures each is responsible for and leads."""
    names = facets.requested(request.query_params, representation)
    present = presenter(request, representation)
    found = collections.sorted_units(db, present, kind, q, sort)
    items = await represent.units(db, present, [u["id"] for u in found[offset : offset + limit]])
    counts = facets.presented(facets.unit_facets(db, q, names), representation.script) if names else None
    annotate = partial(with_unit_matches, needle=q) if q is not None else None
    return page_response(request, representation, "units", items, len(found), limit, offset, counts, annotate)


@router.get("/{unit_id}", response_model=UnitPublic, responses=item_responses())
async def get_unit(request: Request, db: DB, representation: Rep, unit_id: UnitId) -> Response:
    """One unit: kind, aliases, designations and curated names."""
    if unit_id not in db.unit_by_id:
        raise not_found(f"no unit with id {unit_id!r}")
    (item,) = await represent.units(db, presenter(request, representation), [unit_id])
    return item_response(request, representation, item)


@list_route(router, "/{unit_id}/measures", MeasurePage)
async def list_unit_measures(request: Request, db: DB, unit_id: UnitId, params: MeasureList, representation: ListRep) -> Response:
    """The measures a unit is responsible for (as `/v1/measures?unit=`)."""
    if unit_id not in db.unit_by_id:
        raise not_found(f"no unit with id {unit_id!r}")
    return await measures_page(request, db, representation, params, chapter=None, unit=unit_id)
