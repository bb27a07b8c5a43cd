"""GET /v1/catalog: the DCAT-AP 3 catalog for data portals and harvesters (api/catalog.py builds it).

JSON-LD by default; Turtle for `Accept: text/turtle` or `format=turtle`. The syntax the headers ask
for is part of the request's Negotiation (api/negotiation.py), so the response cache keeps one
answer per syntax; an explicit `format` wins, as `format=csv` does on the lists.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from api.catalog import JSONLD_MEDIA_TYPE, MEDIA_TYPES, catalog_graph, serialise
from api.collections import document_rows
from api.deps import DB
from api.negotiation import negotiation_of
from api.responses import finish
from api.routes.common import PROBLEM_400, finished_responses
from api.routes.discovery import UNSCRIPTED_HEADERS
from api.snapshot import snapshot_of
from models.schemas import DcatCatalog
from models.schemas import Problem as ProblemSchema

router = APIRouter(tags=["meta"])
CATALOG_PATH = "/v1/catalog"

SyntaxQuery = Annotated[
    Literal["jsonld", "turtle"] | None,
    Query(
        alias="format",
        description="`jsonld` (JSON-LD, `application/ld+json`) or `turtle` (`text/turtle`). Without it, the Accept header "
        "chooses (`text/turtle` selects Turtle); JSON-LD by default.",
        examples=["turtle"],
    ),
]


class JsonLdResponse(JSONResponse):
    """Declares the catalog's JSON-LD, with its schema, in the spec; the route sends it through `finish`."""

    media_type = JSONLD_MEDIA_TYPE


@router.get(
    CATALOG_PATH,
    response_model=DcatCatalog,
    response_class=JsonLdResponse,
    responses={
        **finished_responses(
            {
                "description": "The catalog, as compact JSON-LD with its context inline, or as Turtle.",
                "content": {"text/turtle": {"schema": {"type": "string"}}},
            },
            UNSCRIPTED_HEADERS,
        ),
        **PROBLEM_400,
        503: {
            "model": ProblemSchema,
            "description": "The downloads of this dataset version, which the catalog lists, have not been written.",
        },
    },
)
def get_catalog(request: Request, db: DB, format: SyntaxQuery = None) -> Response:  # noqa: A002 - the parameter's name
    """The DCAT-AP 3 catalog of this deployment: one `dcat:Catalog`, one `dcat:Dataset` (titles in
    Traditional and Simplified Chinese and English, publisher and contact point from the settings,
    the Lianjiang County People's Government credited as the source's originator, licence, spatial
    and temporal coverage, release dates from the release log) with a `dcat:Distribution` for every
    file /v1/exports lists (absolute download URL, media type, format, size, sha256, licence), and
    this API as a `dcat:DataService`. Its URLs are absolute, from PUBLIC_BASE_URL (never the
    request's Host). A build of data the release log does not know has no `dct:issued` nor
    `dct:modified`, and its `dct:provenance` says it is unreleased."""
    snapshot = snapshot_of(request)
    release = snapshot.exports.require()
    syntax = format or negotiation_of(request.scope).rdf
    documents, _ = document_rows(db)
    graph = catalog_graph(request.app.state.settings, db, documents, release)
    return finish(request, serialise(graph, syntax), MEDIA_TYPES[syntax])
