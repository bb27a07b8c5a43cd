"""Which representation a request asks for: script (hant/hans) and format (json/csv).

An explicit query parameter wins; otherwise the Accept-Language and Accept headers decide. The
routes and the response cache both call `negotiate`, so they always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.scripts import Script

HANS_TAGS = {"zh-hans", "zh-cn", "zh-sg", "zh-my"}
HANT_TAGS = {"zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh"}
CSV, JSON = "csv", "json"


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


def format_from_accept(accept: str) -> str:
    for media_type in ranked(accept):
        if media_type == "text/csv":
            return CSV
        if media_type in ("application/json", "application/*", "*/*"):
            return JSON
    return JSON


def negotiate(query: Mapping[str, str], headers: Mapping[str, str]) -> Representation:
    script = query.get("script")
    format_ = query.get("format")
    return Representation(
        Script(script) if script in Script.__members__ else script_from_language(headers.get("accept-language", "")),
        format_ if format_ in (CSV, JSON) else format_from_accept(headers.get("accept", "")),
    )
