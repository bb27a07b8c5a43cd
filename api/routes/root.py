from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import DB, Rep, presenter
from api.metadata import LICENCE, SOURCE
from api.openapi import response_header
from api.problems import Problem as ProblemError
from api.responses import finish
from api.routes.common import FINISHED_HEADERS, PROBLEM_400, finished_responses
from api.routes.discovery import service_link_header
from api.snapshot import snapshot_of
from models.schemas import Health, Problem, Ready, Root

router = APIRouter(tags=["meta"])


ROOT_HEADERS = {
    **FINISHED_HEADERS,
    "Link": response_header(
        'RFC 8631 links to the API\'s OpenAPI description (rel="service-desc"), its documentation for people'
        ' (rel="service-doc") and its DCAT catalog (rel="service-meta"), as in the body\'s `links`.'
    ),
}


@router.get("/v1", response_model=Root, responses={**finished_responses(headers=ROOT_HEADERS), **PROBLEM_400})
def get_root(request: Request, db: DB, representation: Rep) -> Response:
    """Dataset version, licence, source, and links to every collection, to the exports and to the releases."""
    present = presenter(request, representation)
    base = request.app.state.settings.public_base_url
    root = {
        "name": request.app.title,
        "api_version": "v1",
        "dataset_version": db.version,
        "schema_version": db.schema_version,
        "licence": LICENCE,
        "source": SOURCE,
        "documents": len(db.document_ids),
        "links": {
            "self": present.link("/v1"),
            "documents": present.link("/v1/documents"),
            "chapters": present.link("/v1/chapters"),
            "measures": present.link("/v1/measures"),
            "units": present.link("/v1/units"),
            "exports": f"{base}/v1/exports",
            "releases": f"{base}/v1/releases",
            "catalog": f"{base}/v1/catalog",
            "openapi": f"{base}/openapi.json",
            "docs": f"{base}/docs",
        },
    }
    return finish(request, orjson.dumps(root), "application/json", representation, {"Link": service_link_header(base)})


@router.get("/healthz", response_model=Health, responses=PROBLEM_400)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers (the database is not asked: see /readyz)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Ready,
    responses={**PROBLEM_400, 503: {"model": Problem, "description": "The database is gone or does not answer."}},
)
def readyz(request: Request) -> Response:
    """Readiness: the database being served is still there and answers a query, now. The version
    is the one this process serves (a rebuild is picked up within RELOAD_INTERVAL seconds)."""
    snapshot = snapshot_of(request)
    problem = request.app.served.readiness(snapshot)
    if problem is not None:
        raise ProblemError(503, f"not ready: {problem}", headers={"Retry-After": "5"})
    body = {"status": "ready", "dataset_version": snapshot.db.version}
    return Response(orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})
