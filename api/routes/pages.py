"""The pages for people (HTML, out of the spec): the landing page with its search, each document as
a readable page, a page per problem type, and their stylesheet.

The search and the unit filter are the API's own (api/routes/measures.measure_filter and
api/collections), so a page and `/v1/measures` always agree; bad input is the API's problem, shown
as a page (PageRoute).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from api import collections, jsonld
from api.db import Database
from api.deps import DB, Rep, presenter
from api.metadata import AUTHOR, DESCRIPTION, LICENCE, TITLE, publisher
from api.pages import error_page, html_response, page_context, stylesheet_response
from api.problem_help import BY_NAME
from api.problems import TYPES, Problem, from_validation, not_found
from api.routes.measures import measure_filter, with_matches
from api.snapshot import snapshot_of


class PageRoute(APIRoute):
    """A page's route: its bad input (a parameter, an unknown unit or document) is answered with an
    error page, for the person who followed a link or sent a form, rather than problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Problem as problem:
                return error_page(request, problem)
            except RequestValidationError as error:
                return error_page(request, from_validation(error))

        return page_handler


router = APIRouter(include_in_schema=False, route_class=PageRoute)

STYLESHEET_PATH = "/assets/site.css"
# As in /v1/measures, but a form sends its empty fields (`q=&unit=`), which mean "no filter" here.
PageSearch = Annotated[str | None, Query(max_length=100)]
PageUnit = Annotated[str | None, Query(max_length=100)]


def _documents(db: Database) -> list[Any]:
    rows, _ = collections.document_rows(db)
    return rows


def _marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, matched) at the search's matches, for <mark>."""
    pieces, at = [], 0
    for start, end in spans:
        pieces += [(text[at:start], False), (text[start:end], True)]
        at = end
    return [*pieces, (text[at:], False)]


def _hits(measures: list[dict], q: str | None) -> list[dict]:
    """The measures found, each with its title and body cut at the search's matches."""
    if q:
        measures = with_matches(measures, q)
    for measure in measures:
        spans = {field: [(m["start"], m["end"]) for m in measure.get("matches", ()) if m["field"] == field] for field in ("title", "body")}
        measure["marked"] = {field: _marked(measure[field], spans[field]) for field in spans}
    return measures


@router.get("/")
def landing_page(request: Request, db: DB, representation: Rep, q: PageSearch = None, unit: PageUnit = None) -> Response:
    """What the dataset is, where it comes from, its documents, and a search of their measures."""
    q = (q or "").strip() or None
    unit = (unit or "").strip() or None
    present = presenter(request, representation)
    found = None
    if q or unit:
        where = measure_filter(db, unit=unit, q=q)
        measures, _ = collections.measures(db, present, where)
        found = _hits(measures, q)
    settings = request.app.state.settings
    exports = snapshot_of(request).exports
    documents = _documents(db)
    language = representation.script.language_tag
    dataset = jsonld.dataset(settings, db, representation.script, documents, exports)
    units, _ = collections.units(db, present)
    return html_response(
        request,
        "landing.html",
        representation,
        **page_context(request, representation),
        title=TITLE[language],
        description=DESCRIPTION[language],
        description_en=DESCRIPTION["en"],
        author=AUTHOR,
        publisher=publisher(settings),
        licence=LICENCE,
        version=db.version,
        released=db.released,
        documents=[present.document(row) for row in documents],
        units=units,
        q=q,
        unit=unit,
        selected_unit=db.resolve_unit(unit).unit_id if unit else None,
        found=found,
        jsonld=jsonld.for_script_element(dataset),
    )


@router.get("/documents/{document_id}")
def document_page(request: Request, db: DB, representation: Rep, document_id: str) -> Response:
    """One document as a readable page: its header, then its chapters and measures, each measure
    with an anchor (`#m7`) and its units linked to their measures."""
    row = next((d for d in _documents(db) if d["id"] == document_id), None)
    if row is None:
        raise not_found(f"no document with id {document_id!r}")
    document = collections.full_document(db, presenter(request, representation), row)
    return html_response(request, "document.html", representation, **page_context(request, representation), document=document)


@router.get("/problems/{name}")
def problem_page(request: Request, name: str) -> Response:
    """What a problem `type` means, its usual causes and what to do."""
    if name not in BY_NAME:
        raise not_found(f"no problem type {name!r}; the types are {', '.join(sorted(TYPES.values()))}")
    status, explanation = BY_NAME[name]
    return html_response(
        request,
        "problem.html",
        None,
        base=request.app.state.settings.public_base_url,
        status=status,
        phrase=HTTPStatus(status).phrase,
        type=TYPES[status],
        explanation=explanation,
    )


@router.get(STYLESHEET_PATH)
def stylesheet(request: Request) -> Response:
    return stylesheet_response(request)
