"""What crawlers and API tooling look for first: robots.txt, the API catalog at
/.well-known/api-catalog (RFC 9727) and the `service-desc`/`service-doc`/`service-meta` links
(RFC 8631) that `GET /v1` also sends in its Link header.

Every URL comes from PUBLIC_BASE_URL, never from the request's Host, so that no cached answer can
carry another host; with the setting empty, they are root-relative references, which RFC 9264
resolves against the linkset's own URL.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from api.catalog import JSONLD_MEDIA_TYPE
from api.openapi import header_refs
from api.responses import finish
from api.routes.common import PROBLEM_400, finished_responses
from models.schemas import ApiCatalog

router = APIRouter(tags=["meta"])

API_CATALOG_PATH = "/.well-known/api-catalog"
LINKSET_MEDIA_TYPE = "application/linkset+json"
API_CATALOG_MEDIA_TYPE = f'{LINKSET_MEDIA_TYPE}; profile="https://www.rfc-editor.org/info/rfc9727"'
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json"
# The catalog and robots.txt have no script to negotiate: no Content-Language.
UNSCRIPTED_HEADERS = header_refs("ETag", "Cache-Control", "Vary")
ROBOTS_TXT = b"User-agent: *\nAllow: /\n"


def service_targets(base: str) -> dict[str, tuple[str, str]]:
    """The API's description, its documentation and its metadata for machines, the DCAT catalog
    (RFC 8631): relation -> (URL, media type)."""
    return {
        "service-desc": (f"{base}/openapi.json", OPENAPI_MEDIA_TYPE),
        "service-doc": (f"{base}/docs", "text/html"),
        "service-meta": (f"{base}/v1/catalog", JSONLD_MEDIA_TYPE),
    }


def service_link_header(base: str) -> str:
    """The RFC 8288 Link header value naming the API's description and documentation."""
    return ", ".join(f'<{href}>; rel="{rel}"' for rel, (href, _) in service_targets(base).items())


class LinksetResponse(JSONResponse):
    """Declares the catalog's media type, with its JSON schema, in the spec; the route sends it
    (through `finish`) with its RFC 9727 profile."""

    media_type = LINKSET_MEDIA_TYPE


@router.get(
    API_CATALOG_PATH,
    response_model=ApiCatalog,
    response_class=LinksetResponse,
    responses={
        **finished_responses({"description": "An RFC 9264 JSON linkset, with the RFC 9727 profile."}, UNSCRIPTED_HEADERS),
        **PROBLEM_400,
    },
)
def get_api_catalog(request: Request) -> Response:
    """The APIs this host publishes (RFC 9727): `/v1`, with its OpenAPI description, its docs and its
    DCAT catalog."""
    base = request.app.state.settings.public_base_url
    entry = {"anchor": f"{base}/v1"}
    for rel, (href, media_type) in service_targets(base).items():
        entry[rel] = [{"href": href, "type": media_type}]
    return finish(request, orjson.dumps({"linkset": [entry]}), API_CATALOG_MEDIA_TYPE)


@router.get("/robots.txt", include_in_schema=False)
def robots_txt(request: Request) -> Response:
    """Everything may be crawled: the API is public and read-only."""
    return finish(request, ROBOTS_TXT, "text/plain; charset=utf-8")
