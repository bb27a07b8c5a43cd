"""What crawlers and API tooling look for first: robots.txt, the sitemap of the pages for people,
the API catalog at /.well-known/api-catalog (RFC 9727) and the `service-desc`/`service-doc`/`service-meta` links
(RFC 8631) that `GET /v1` also sends in its Link header.

Every URL comes from PUBLIC_BASE_URL, never from the request's Host, so that no cached answer can
carry another host; with the setting empty, the catalog's are root-relative references, which
RFC 9264 resolves against the linkset's own URL, and those of robots.txt and the sitemap, which
must be absolute, are the local server's (api/config.absolute_base).
"""

from __future__ import annotations

from xml.etree import ElementTree

import orjson
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from api.catalog import JSONLD_MEDIA_TYPE
from api.config import absolute_base
from api.deps import DB
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
SITEMAP_PATH = "/sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"  # the alternates of a page in the other script
ElementTree.register_namespace("", SITEMAP_NS)  # (a process-wide registry: the prefixes written)
ElementTree.register_namespace("xhtml", XHTML_NS)


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
    """Everything may be crawled: the API is public and read-only. The sitemap lists the pages."""
    sitemap = absolute_base(request.app.state.settings) + SITEMAP_PATH
    return finish(request, f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n".encode(), "text/plain; charset=utf-8")


def sitemap(base: str, document_ids: list[str], lastmod: str | None) -> bytes:
    """The sitemap (sitemaps.org 0.9) of the pages for people: the landing page and each document's,
    each with its two scripts as alternates (hreflang)."""
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for path in ["/", *(f"/documents/{document_id}" for document_id in document_ids)]:
        url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = base + path
        if lastmod:
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod
        for script, language in (("hant", "zh-Hant"), ("hans", "zh-Hans")):
            attributes = {"rel": "alternate", "hreflang": language, "href": f"{base}{path}?script={script}"}
            ElementTree.SubElement(url, f"{{{XHTML_NS}}}link", attributes)
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)


@router.get(SITEMAP_PATH, include_in_schema=False)
def sitemap_xml(request: Request, db: DB) -> Response:
    """The sitemap, its URLs absolute (PUBLIC_BASE_URL), `lastmod` the release date when released."""
    lastmod = db.released.isoformat() if db.released else None
    body = sitemap(absolute_base(request.app.state.settings), sorted(db.document_ids), lastmod)
    return finish(request, body, "application/xml; charset=utf-8")
