"""What the dataset is, said once for everyone who describes it: the landing page, the schema.org
JSON-LD, the DCAT catalog, the data packages and `/v1`.

Who is who: the Lianjiang County People's Government wrote and issued the source documents (their
author); the dataset (the restored text, its structure, the unit registry, the translations) is
compiled and published by whoever runs the deployment, named by the PUBLISHER_* settings. The
facts of each document (number, date, issuer) are in the database, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.config import Settings, absolute_base

LICENCE = {
    "id": "CC0-1.0",
    "name": "Creative Commons Zero v1.0 Universal",
    "url": "https://creativecommons.org/publicdomain/zero/1.0/",
    "note": "The documents are official administrative documents of Chinese state organs, which Article 5 of the "
    "Copyright Law of the PRC excludes from copyright. The compilation (structure, corrections, unit registry, "
    "translations) is dedicated to the public domain under CC0 1.0.",
}
SOURCE = "Lianjiang County People's Government (Fujian, China); a Traditional-script copy, restored as documented in the corrections."

# BCP 47 tags: the published script, the converted one, and English for the catalog's own words.
TITLE = {
    "zh-Hant": "連江縣政策文件",
    "zh-Hans": "连江县政策文件",
    "en": "Lianjiang County policy documents",
}
DESCRIPTION = {
    "zh-Hant": "連江縣人民政府政策文件的開放數據:全文(依勘誤記錄復原)、章節、措施及各措施的責任單位,繁體與簡體兩種字形。",
    "zh-Hans": "连江县人民政府政策文件的开放数据:全文(依勘误记录复原)、章节、措施及各措施的责任单位,繁体与简体两种字形。",
    "en": "Policy documents of the Lianjiang County People's Government (Fujian, China) as open data: the full text, restored "
    "from a damaged copy with every change logged, its chapters and measures, and the government units responsible for "
    "each measure, in Traditional and Simplified script.",
}
KEYWORDS = {
    "zh-Hant": ["連江縣", "政策文件", "高質量發展", "責任單位"],
    "zh-Hans": ["连江县", "政策文件", "高质量发展", "责任单位"],
    "en": ["Lianjiang County", "Fujian", "policy documents", "high-quality development", "responsible units", "open data"],
}
# The area the documents govern, with its code in China's administrative division codes (GB/T 2260).
SPATIAL = {
    "code": "350122",
    "name": {"zh-Hant": "連江縣", "zh-Hans": "连江县", "en": "Lianjiang County, Fuzhou, Fujian, China"},
}
AUTHOR = {"zh-Hant": "連江縣人民政府", "zh-Hans": "连江县人民政府", "en": "Lianjiang County People's Government"}
LANGUAGES = ("zh-Hant", "zh-Hans")  # the data's; English is only the catalog's


@dataclass(frozen=True)
class Publisher:
    """Who compiles and publishes this deployment's dataset (settings; never the county government)."""

    name: str
    url: str
    email: str  # empty: none given


def publisher(settings: Settings) -> Publisher:
    return Publisher(settings.publisher_name, settings.publisher_url or f"{absolute_base(settings)}/", settings.contact_email)


def download_url(settings: Settings, release: str, name: str) -> str:
    """The absolute URL of the download `name` of the release `release`, for catalogs and crawlers:
    its immutable URL, whose bytes always match the sha256 they are told."""
    return release_download_url(absolute_base(settings), release, name)


def release_download_url(base: str, release: str, name: str) -> str:
    """The URL at which the release `release` serves its file `name`, for good (the same bytes,
    cacheable for a year): under `base` (absolute_base(settings) for catalogs and crawlers, the
    PUBLIC_BASE_URL, maybe empty, for the API's own links)."""
    return f"{base}/v1/releases/{release}/exports/{name}"
