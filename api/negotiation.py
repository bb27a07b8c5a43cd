"""Which representation a request asks for: script (hant/hans), format (json/csv), the RDF syntax of
the DCAT catalog (JSON-LD/Turtle), gzip and CORS.

The headers are read once per request, by the front door (api/front.py), into a `Negotiation`: all
that a response may take from the request's headers. The response cache keys on it, and the routes
(`negotiate`), the gzip decision (api/responses.py) and CORS (api/cors.py) read it from the scope,
so what a response depends on and what the cache keys on cannot drift apart. An explicit query
parameter (`script`, `format`) wins over the headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.types import Scope

from models.scripts import Script

HANS_TAGS = {"zh-hans", "zh-cn", "zh-sg", "zh-my"}
HANT_TAGS = {"zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh"}
CSV, JSON = "csv", "json"
JSONLD, TURTLE = "jsonld", "turtle"  # the syntaxes of the DCAT catalog (api/routes/catalog.py)
SCOPE_KEY = "api.negotiation"  # where the front door leaves a request's Negotiation


@dataclass(frozen=True)
class Representation:
    script: Script
    format: str


def ranked(header: str) -> list[str]:
    """Items of an Accept-style header, best first (q=0 dropped, ties in written order)."""
    items = []
    for index, part in enumerate(header.split(",")):
        value, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if value and quality > 0:
            items.append((-quality, index, value.lower()))
    return [value for *_, value in sorted(items)]


def script_from_language(accept_language: str) -> Script:
    for tag in ranked(accept_language):
        if tag in HANS_TAGS or tag.startswith("zh-hans-"):
            return Script.hans
        if tag in HANT_TAGS or tag.startswith("zh-hant-"):
            return Script.hant
    return Script.hant


def preferred(media_types: list[str], offers: Mapping[str, str], default: str) -> str:
    """What the best-ranked of `media_types` that `offers` names selects, else `default`."""
    for media_type in media_types:
        if media_type in offers:
            return offers[media_type]
    return default


# What an Accept header selects among what the API's routes answer: the lists and tables (JSON or
# CSV), and the catalog (JSON-LD or Turtle). Each route reads only its own; a type that a route
# does not answer is skipped for that route, as if it had not been listed.
FORMATS = {"text/csv": CSV, "application/json": JSON, "application/*": JSON, "*/*": JSON}
RDF_SYNTAXES = {
    "text/turtle": TURTLE,
    "application/ld+json": JSONLD,
    "application/json": JSONLD,
    "application/*": JSONLD,
    "*/*": JSONLD,
}


def accepts_gzip(accept_encoding: str) -> bool:
    return any(coding in ("gzip", "*") for coding in ranked(accept_encoding))


@dataclass(frozen=True, slots=True)
class Negotiation:
    """What a request's headers ask of its response. `cors`: None without an Origin header, else
    the origin the response names in Access-Control-Allow-Origin, or "" when it names none."""

    script: Script
    format: str
    rdf: str  # JSONLD or TURTLE: only the catalog reads it
    gzip: bool
    cors: str | None

    def weight(self) -> int:
        """Bytes this adds to a cache key: only an echoed origin is of the client's choosing."""
        return len(self.cors or "")


def negotiation(headers: Mapping[bytes, bytes], echoed_origin: Callable[[str], str]) -> Negotiation:
    """The request's Negotiation from its headers (the first of each name), with the CORS policy's
    answer to its Origin (api/cors.py)."""
    origin = headers.get(b"origin")
    accept = ranked(headers.get(b"accept", b"").decode("latin-1"))
    return Negotiation(
        script_from_language(headers.get(b"accept-language", b"").decode("latin-1")),
        preferred(accept, FORMATS, JSON),
        preferred(accept, RDF_SYNTAXES, JSONLD),
        accepts_gzip(headers.get(b"accept-encoding", b"").decode("latin-1")),
        None if origin is None else echoed_origin(origin.decode("latin-1")),
    )


def negotiation_of(scope: Scope) -> Negotiation:
    return scope[SCOPE_KEY]


def negotiate(query: Mapping[str, str], negotiated: Negotiation) -> Representation:
    """The representation: the query's `script` and `format` when given, else the headers'."""
    script = query.get("script")
    format_ = query.get("format")
    return Representation(
        Script(script) if script in Script.__members__ else negotiated.script,
        format_ if format_ in (CSV, JSON) else negotiated.format,
    )
