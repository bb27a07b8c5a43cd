from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from api import facets, represent
from api.collections import MeasureFilter
from api.db import Database
from api.deps import DB, DECIMAL, DECIMAL_EXPECTED, Limit, ListRep, Offset, Rep, boolean_query, presenter, spelled
from api.negotiation import Representation
from api.paging import item_response, page_response
from api.problems import not_found
from api.routes.common import id_path, item_responses, list_route
from models.schemas import MeasurePage, MeasurePublic
from models.scripts import to_hans
from models.search import occurrences

router = APIRouter(prefix="/v1/measures", tags=["measures"])

MeasureId = id_path("lianzhengzong-2021-127-m1", "measure")
DocumentQuery = Annotated[
    str | None, Query(min_length=1, max_length=200, description="A document id.", examples=["lianzhengzong-2021-127"])
]
# A number as api.deps.DECIMAL spells it, or an id (ids start with an ASCII letter): never text that
# int() would read as a number ("２", "+2", "02"), which would otherwise be taken for an unknown id.
CHAPTER = re.compile("0|[1-9][0-9]*|[A-Za-z][^\u0000]*")
ChapterQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=f"^({CHAPTER.pattern})$",  # NUL-free, as api/openapi.py says of every query value
        description="A chapter number (`2`: ASCII digits, no sign or leading zero) or a chapter id.",
        examples=["2"],
    ),
    spelled(CHAPTER, f"a chapter id, or a chapter number as {DECIMAL_EXPECTED}"),
]
UnitQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="A unit id, or any of its names, aliases or designations, in either script: "
        "`科技局` finds the measures where the Development and Reform Bureau acts as 科技局.",
        examples=["大数据局"],
    ),
]
LeadQuery = boolean_query(
    description="`true`: only measures that list the `unit` first (its lead measures); `false`: only those that list it "
    "later. Without `unit` it applies to any unit, so it keeps every measure with a first (or a later) unit.",
    examples=[True],
)
SearchQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Literal substring of the title or body, in either script (`数字经济` and `數字經濟` are the same search).",
        examples=["养老"],
    ),
]
MeasureFacets = facets.facets_query(
    list(facets.MEASURE_FACETS), "; ".join(f"`{f.name}`: {f.description}" for f in facets.MEASURE_FACETS.values())
)
MeasureSort = Annotated[Literal["number", "-number"], Query(description="Order by measure number.", examples=["-number"])]


def measure_filter(
    db: Database,
    *,
    document: str | None = None,
    chapter: str | None = None,
    unit: str | None = None,
    lead: bool | None = None,
    q: str | None = None,
    sort: str = "number",
) -> MeasureFilter:
    """Validate the filters against the data (held in memory: no I/O): an unknown document,
    chapter or unit is a 404, never an empty list that looks like an answer."""
    if document is not None and document not in db.document_ids:
        raise not_found(f"no document with id {document!r}")
    chapter_id = chapter_number = None
    if chapter is not None:
        if DECIMAL.fullmatch(chapter):  # else an id (ChapterQuery admits nothing else)
            chapter_number = int(chapter)
            known = (document, chapter_number) in db.chapter_numbers
        else:
            chapter_id = chapter
            known = chapter in db.chapter_ids
        if not known:
            raise not_found(f"no chapter {chapter!r}" + (f" in document {document!r}" if document else ""))
    target = None
    if unit is not None:
        target = db.resolve_unit(unit)
        if target is None:
            raise not_found(f"no unit with the id, name, alias or designation {unit!r}; see /v1/units")
    return MeasureFilter(document, chapter_id, chapter_number, target, lead, q, descending=sort == "-number")


class MeasureListParams(BaseModel):
    """The query parameters of both measure lists (MeasureQuery adds `chapter` and `unit`). A
    query model (`Annotated[..., Query()]`): FastAPI validates it in one call, where a dependency
    declaring them would cost a dependency solve and a validation per parameter on every request."""

    document: DocumentQuery = None
    lead: LeadQuery = None
    q: SearchQuery = None
    sort: MeasureSort = "number"
    limit: Limit = 50
    offset: Offset = 0


class MeasureQuery(MeasureListParams):
    """The query parameters of the list of all measures."""

    chapter: ChapterQuery = None
    unit: UnitQuery = None


MeasureList = Annotated[MeasureListParams, Query()]


async def measure_facets_parameter(facets: MeasureFacets = None) -> None:
    """Accepts `facets` on the JSON list of measures (see list_route): a CSV has no envelope."""


def with_matches(items: list[dict], needle: str) -> list[dict]:
    """Each searched measure with where the search matched: `matches`, code-point offsets into its
    title and body as returned (either script), whichever script `needle` is written in."""
    hans = to_hans(needle)
    for item in items:
        item["matches"] = [{"field": f, "start": s, "end": e} for f in ("title", "body") for s, e in occurrences(item[f], hans)]
    return items


async def measures_page(
    request: Request,
    db: Database,
    representation: Representation,
    params: MeasureListParams,
    chapter: str | None,
    unit: str | None,
    facet_names: tuple[str, ...] = (),
) -> Response:
    """A page of the measures matching the filters (api/represent.py: from memory when it can be)."""
    where = measure_filter(db, document=params.document, chapter=chapter, unit=unit, lead=params.lead, q=params.q, sort=params.sort)
    items, total = await represent.measure_page(db, presenter(request, representation), where, params.limit, params.offset)
    counts = await facets.measure_facets(db, where, facet_names) if facet_names else None
    found = facets.presented(counts, representation.script) if counts is not None else None
    annotate = partial(with_matches, needle=params.q) if params.q is not None else None  # a JSON item's `matches`
    return page_response(request, representation, "measures", items, total, params.limit, params.offset, found, annotate)


@list_route(router, "", MeasurePage, json_only=measure_facets_parameter)
async def list_measures(request: Request, db: DB, params: Annotated[MeasureQuery, Query()], representation: ListRep) -> Response:
    """Measures, filtered by document, chapter, responsible unit or text, in either script."""
    names = facets.requested(request.query_params, representation)
    return await measures_page(request, db, representation, params, params.chapter, params.unit, names)


@router.get("/{measure_id}", response_model=MeasurePublic, responses=item_responses())
async def get_measure(request: Request, db: DB, representation: Rep, measure_id: MeasureId) -> Response:
    """One measure with its ordered responsible units."""
    found = await represent.measures(db, presenter(request, representation), [measure_id])
    if not found:
        raise not_found(f"no measure with id {measure_id!r}")
    return item_response(request, representation, found[0])
