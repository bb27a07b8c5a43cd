from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import represent
from api.deps import DB, Limit, ListRep, Offset, Rep, presenter
from api.paging import item_response, page_response
from api.problems import not_found
from api.routes.common import id_path, item_responses, list_route
from api.routes.measures import DocumentQuery
from models.schemas import ChapterPage, ChapterPublic

router = APIRouter(prefix="/v1/chapters", tags=["chapters"])

ChapterId = id_path("lianzhengzong-2021-127-ch1", "chapter")


@list_route(router, "", ChapterPage)
async def list_chapters(
    request: Request, db: DB, representation: ListRep, document: DocumentQuery = None, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """Chapters in document order."""
    if document is not None and document not in db.document_ids:
        raise not_found(f"no document with id {document!r}")
    items, total = await represent.chapter_page(db, presenter(request, representation), document, limit, offset)
    return page_response(request, representation, "chapters", items, total, limit, offset)


@router.get("/{chapter_id}", response_model=ChapterPublic, responses=item_responses())
async def get_chapter(request: Request, db: DB, representation: Rep, chapter_id: ChapterId) -> Response:
    """One chapter."""
    if chapter_id not in db.chapter_ids:
        raise not_found(f"no chapter with id {chapter_id!r}")
    (item,) = await represent.chapters(db, presenter(request, representation), [chapter_id])
    return item_response(request, representation, item)
