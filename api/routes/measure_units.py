from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import collections
from api.deps import DB, Limit, ListRep, Offset, presenter
from api.paging import as_json, page_response
from api.problems import not_found
from api.routes.common import list_route
from api.routes.measures import DocumentQuery, LeadQuery, UnitQuery
from models.schemas import MeasureUnitLinkPage

router = APIRouter(prefix="/v1/measure-units", tags=["measures"])


@list_route(router, "", MeasureUnitLinkPage)
def list_measure_units(
    request: Request,
    db: DB,
    representation: ListRep,
    document: DocumentQuery = None,
    unit: UnitQuery = None,
    lead: LeadQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Every entry of every responsible-unit list, in document order: which unit, in which
    position, written how, acting as what."""
    if document is not None and document not in db.document_ids:
        raise not_found(f"no document with id {document!r}")
    target = None if unit is None else db.resolve_unit(unit)
    if unit is not None and target is None:
        raise not_found(f"no unit with the id, name, alias or designation {unit!r}; see /v1/units")
    items, total = collections.measure_units(db, presenter(request, representation), document, target, lead, limit, offset)
    return page_response(request, representation, "measure_units", as_json(items), total, limit, offset)
