from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from api import collections
from api.collections import DOCUMENT_SUMMARY
from api.db import Database
from api.deps import DB, Limit, ListRep, Offset, Rep, presenter
from api.negotiation import CSV
from api.paging import CSV_MEDIA_TYPE, as_json, item_response, page_response
from api.problems import not_found
from api.responses import finish
from api.routes.common import PROBLEM_400, PROBLEM_404, finished_responses, id_path, item_responses, list_route, table_route
from api.tabular import matrix_csv
from models.schemas import CorrectionCategory, CorrectionKind, CorrectionPage, DocumentFull, DocumentMatrix, DocumentPage, DocumentPublic
from models.scripts import Script
from models.tables import Document

router = APIRouter(prefix="/v1/documents", tags=["documents"])

DocumentId = id_path("lianzhengzong-2021-127", "document")


def _document(db: Database, document_id: str, *columns) -> dict:
    row = db.first(select(*(columns or DOCUMENT_SUMMARY)).where(Document.id == document_id))
    if row is None:
        raise not_found(f"no document with id {document_id!r}")
    return row


@list_route(router, "", DocumentPage)
def list_documents(request: Request, db: DB, representation: ListRep, limit: Limit = 50, offset: Offset = 0) -> Response:
    """The documents, oldest first."""
    items, total = collections.documents(db, presenter(request, representation), limit, offset)
    return page_response(request, representation, "documents", as_json(items), total, limit, offset)


@router.get("/{document_id}", response_model=DocumentPublic, responses=item_responses())
def get_document(request: Request, db: DB, representation: Rep, document_id: DocumentId) -> Response:
    """One document: number, title, issuer, date, recipients, notice, preamble, counts, links."""
    return item_response(request, representation, presenter(request, representation).document(_document(db, document_id)))


@router.get("/{document_id}/full", response_model=DocumentFull, responses=item_responses())
def get_full_document(request: Request, db: DB, representation: Rep, document_id: DocumentId) -> Response:
    """The whole document in one object: its chapters, their measures, the measures' units."""
    return item_response(
        request, representation, collections.full_document(db, presenter(request, representation), _document(db, document_id))
    )


@list_route(router, "/{document_id}/corrections", CorrectionPage)
def list_corrections(
    request: Request,
    db: DB,
    representation: ListRep,
    document_id: DocumentId,
    kind: Annotated[CorrectionKind | None, Query(description="Only records of this kind.", examples=["typo"])] = None,
    category: Annotated[
        CorrectionCategory | None,
        Query(description="`correction`: changes from the damaged copy; `erratum`: errors of the original.", examples=["erratum"]),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """The correction log (every change from the copy as received, with its position) and the
    errata (errors of the original, kept as published, with a suggested reading)."""
    _document(db, document_id, Document.id)
    items, total = collections.corrections(db, presenter(request, representation), document_id, kind, category, limit, offset)
    return page_response(request, representation, "corrections", as_json(items), total, limit, offset)


SourceForm = Annotated[
    Literal["raw", "restored"],
    Query(
        description="`raw`: the source exactly as received, damage included (default). "
        "`restored`: the published text, as the API serves it.",
        examples=["restored"],
    ),
]


@router.get(
    "/{document_id}/source",
    response_class=Response,
    responses={
        **finished_responses({"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The text, UTF-8."}),
        **PROBLEM_400,
        **PROBLEM_404,
    },
)
def get_source(request: Request, db: DB, representation: Rep, document_id: DocumentId, form: SourceForm = "raw") -> Response:
    """The source text as received (`text/plain; charset=utf-8`), or the restored text. In
    Simplified script the raw form is the copy as received converted by OpenCC, damage included."""
    field = {"raw": "source_text", "restored": "restored_text"}[form]
    if representation.script is Script.hans:
        field += "_hans"
    text = _document(db, document_id, Document.__table__.c[field])[field]
    return finish(request, text.encode("utf-8"), "text/plain; charset=utf-8", representation)


MATRIX_CSV = {
    "content": {
        "text/csv": {"schema": {"type": "string"}, "example": "document_id,unit_id,unit_name,1,2,lead_count,part_count,measure_count\r\n"}
    },
    "description": "The matrix as CSV (UTF-8, RFC 4180, one header row): a row per unit, in the JSON's order; `document_id`, "
    "`unit_id`, `unit_name`; a column per measure number, by number, holding `lead`, `part` or nothing; then the unit's "
    "`lead_count`, `part_count` and `measure_count`. The download `{script}/matrix.csv` holds every document's rows.",
}


@table_route(router, "/{document_id}/matrix", DocumentMatrix, MATRIX_CSV)
def get_document_matrix(request: Request, db: DB, representation: ListRep, document_id: DocumentId) -> Response:
    """The responsibility matrix: which unit leads (is listed first in), takes part in (is listed
    later in) or is absent from each measure, with the capacity it acts in when the list names one
    (縣發改局(科技局)), and each unit's totals in this document. Columns are the measures by number;
    rows are the units in the order the document first names them (by the first measure that lists
    the unit, then its position in that list), a stable order for a dataset version."""
    matrix = collections.document_matrix(db, presenter(request, representation), _document(db, document_id))
    if representation.format == CSV:
        return finish(request, matrix_csv([matrix]), CSV_MEDIA_TYPE, representation)
    return item_response(request, representation, matrix)
