"""The schema.org `Dataset` that the landing page embeds as JSON-LD, for crawlers such as Google
Dataset Search: what the dataset is, who publishes it, the notice it is based on (with its author,
the county government), where and when it applies, and a `DataDownload` for every download.

Every URL is absolute, from api/config.absolute_base (PUBLIC_BASE_URL): never the request's Host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from api.config import Settings, absolute_base
from api.db import Database
from api.downloads import Exports
from api.metadata import AUTHOR, DESCRIPTION, KEYWORDS, LANGUAGES, LICENCE, SPATIAL, TITLE, download_url, publisher
from models.scripts import Script

# What may not appear raw inside a <script> element: `</script>` would end it, `<!--` changes how
# it is parsed, and `&` is escaped too for readers that decode entities. JSON allows \u escapes.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def for_script_element(data: Any) -> str:
    """`data` as JSON that can sit inside a <script> element without ending it."""
    return orjson.dumps(data).decode("utf-8").translate(_SCRIPT_SAFE)


def government(name: str) -> dict[str, Any]:
    return {"@type": "GovernmentOrganization", "name": name, "alternateName": AUTHOR["en"]}


def notice(base: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A source document as the `Legislation` (a CreativeWork) the dataset is based on."""
    return {
        "@type": "Legislation",
        "name": document["title"],
        "legislationIdentifier": document["number"],
        "identifier": document["number"],
        "legislationDate": document["issued_on"].isoformat(),
        "datePublished": document["issued_on"].isoformat(),
        "author": government(document["issuer"]),
        "legislationJurisdiction": SPATIAL["name"]["zh-Hant"],
        "inLanguage": "zh-Hant",
        "url": f"{base}/documents/{document['id']}",
    }


def dataset(settings: Settings, db: Database, script: Script, documents: list[Mapping[str, Any]], exports: Exports) -> dict:
    """The Dataset, its name and description in the page's script. `documents`: the documents'
    rows (api/collections.document_rows); `exports`: the current release, whose files /v1/exports
    lists (none while the dumps of this version are not written)."""
    base = absolute_base(settings)
    language = script.language_tag
    other = next(tag for tag in LANGUAGES if tag != language)
    who = publisher(settings)
    organisation = {"@type": "Organization", "name": who.name, "url": who.url} | ({"email": who.email} if who.email else {})
    dates = sorted(d["issued_on"].isoformat() for d in documents)
    found: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": f"{base}/#dataset",
        "name": TITLE[language],
        "alternateName": [TITLE[other], TITLE["en"]],
        "description": DESCRIPTION[language],
        "keywords": KEYWORDS[language] + KEYWORDS["en"],
        "url": f"{base}/",
        "license": LICENCE["url"],
        "isAccessibleForFree": True,
        "publisher": organisation,
        "isBasedOn": [notice(base, d) for d in documents],
        "spatialCoverage": {
            "@type": "Place",
            "name": SPATIAL["name"][language],
            "alternateName": SPATIAL["name"]["en"],
            "identifier": {"@type": "PropertyValue", "propertyID": "GB/T 2260", "value": SPATIAL["code"]},
        },
        # The dates of the documents held: a policy applies from its issue.
        "temporalCoverage": (dates[0] if dates[0] == dates[-1] else f"{dates[0]}/{dates[-1]}") if dates else None,
        "inLanguage": list(LANGUAGES),
        "version": db.version,
        "datePublished": db.first_released.isoformat() if db.first_released else None,
        "dateModified": db.released.isoformat() if db.released else None,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": entry["name"],
                "description": entry["description"],
                "contentUrl": download_url(settings, exports.release.id, entry["name"]),
                "encodingFormat": entry["media_type"],
                "contentSize": f"{entry['bytes']} B",
            }
            for entry in exports.files.values()
        ],
    }
    return {key: value for key, value in found.items() if value is not None}  # an unreleased build has no dates
