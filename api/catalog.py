"""The DCAT-AP 3 catalog of this deployment (GET /v1/catalog), built as an RDF graph with rdflib.

One `dcat:Catalog` lists one `dcat:Dataset` (the documents as open data, with a `dcat:Distribution`
per file /v1/exports lists) and one `dcat:DataService` (this API). Every URL is absolute, from
`absolute_base(settings)`: never the request's Host. Every node that a property points to states its
class (`dct:LicenseDocument`, `dct:Location`, `dct:MediaType`, …), as the DCAT-AP ranges shapes
require without an ontology to infer them from. Nodes are named (IRIs under the catalog's URL, or
blank nodes with fixed labels), never numbered by rdflib, so that the same data gives the same bytes
and the same ETag in every worker.

Who is who (api/metadata.py): the publisher and contact point are the deployment's settings; the
Lianjiang County People's Government is credited as the author (originator) of the source notices,
whose facts come from the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from api.config import Settings, absolute_base
from api.metadata import AUTHOR, DESCRIPTION, KEYWORDS, LICENCE, SPATIAL, TITLE, download_url, publisher
from api.negotiation import JSONLD, TURTLE
from models.scripts import to_hans

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
GOVERNMENT_THEME = URIRef(f"{EU}data-theme/GOVE")
DATA_THEMES = URIRef(f"{EU}data-theme")
CHINESE = URIRef(f"{EU}language/ZHO")
ENGLISH = URIRef(f"{EU}language/ENG")
VERSION = URIRef(f"{DCAT}version")  # DCAT 3; rdflib's DCAT namespace is DCAT 2's
ORIGINATOR = URIRef("http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/originator")
# The scripts (ISO 15924) as linguistic systems, for the files written in one of them.
SCRIPTS = {
    "hant": (URIRef("http://lexvo.org/id/script/Hant"), "zh-Hant: Chinese, Traditional script"),
    "hans": (URIRef("http://lexvo.org/id/script/Hans"), "zh-Hans: Chinese, Simplified script"),
}
# The EU file-type authority's IRI for each media type the exports use (none for SQLite).
FILE_TYPES = {
    "text/csv": URIRef(f"{EU}file-type/CSV"),
    "application/json": URIRef(f"{EU}file-type/JSON"),
    "text/plain": URIRef(f"{EU}file-type/TXT"),
}
PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "prov": PROV,
    "rdfs": RDFS,
    "skos": SKOS,
    "spdx": SPDX,
    "vcard": VCARD,
    "xsd": XSD,
}
CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
MEDIA_TYPES = {JSONLD: "application/ld+json", TURTLE: "text/turtle; charset=utf-8"}

CATALOG_TITLE = {
    "zh-Hant": "連江縣政策文件開放數據目錄",
    "zh-Hans": "连江县政策文件开放数据目录",
    "en": "Lianjiang County policy documents: open-data catalog",
}
CATALOG_DESCRIPTION = {
    "en": "The DCAT-AP catalog of this deployment: the dataset, each of its downloads, and the API that serves it.",
    "zh-Hant": "本站的 DCAT-AP 目錄:數據集、其每個下載文件,以及提供該數據的 API。",
}
SERVICE_TITLE = {"en": "Policy documents open-data API (REST, /v1)", "zh-Hant": "政策文件開放數據 API(REST,/v1)"}
SERVICE_DESCRIPTION = {
    "en": "A read-only REST API over the dataset: documents, chapters, measures and responsible units, in either script, "
    "as JSON or CSV. Its OpenAPI description is its endpoint description.",
}


def _texts(graph: Graph, node: Any, predicate: URIRef, texts: Mapping[str, str]) -> None:
    for language, text in texts.items():
        graph.add((node, predicate, Literal(text, lang=language)))


def _typed(graph: Graph, node: Any, *classes: URIRef) -> Any:
    for class_ in classes:
        graph.add((node, RDF.type, class_))
    return node


def _concept(graph: Graph, node: URIRef, label: str, scheme: URIRef | None = None) -> URIRef:
    _typed(graph, node, SKOS.Concept)
    graph.add((node, SKOS.prefLabel, Literal(label, lang="en")))
    if scheme is not None:
        graph.add((node, SKOS.inScheme, scheme))
    return node


def _date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def _notice_en(document: Mapping[str, Any]) -> str:
    return f"{document['number']} 《{document['title']}》, issued by {document['issuer']} on {document['issued_on'].isoformat()}"


def _provenance(
    document_rows: Sequence[Mapping[str, Any]], publisher_name: str, version: str, released: dt.date | None, first_released: dt.date | None
) -> dict[str, str]:
    notices = "; ".join(_notice_en(d) for d in document_rows)
    if released is not None:
        release = f"Dataset version {version}, released {released.isoformat()} (first release {first_released.isoformat()})."
        release_zh = f"數據版本 {version},發布於 {released.isoformat()}(首次發布 {first_released.isoformat()})。"
    else:
        release = (
            f"Dataset version {version} is an unreleased build: its data has no record in the release log, "
            "so the dataset has no issue or modification date."
        )
        release_zh = f"數據版本 {version} 為未發布的構建:其數據不在發布記錄中,故無發布及修改日期。"
    zh_notices = ";".join(f"{d['issuer']}《{d['title']}》({d['number']},{d['issued_on'].isoformat()})" for d in document_rows)
    zh_hant = (
        f"由{publisher_name}據{zh_notices}整理發布:依殘損副本復原全文並記錄每處更正,原文錯誤照錄為勘誤,以 OpenCC 轉為簡體。{release_zh}"
    )
    return {
        "en": f"Compiled and published by {publisher_name} from the official documents of the Lianjiang County People's "
        f"Government ({notices}). The text was restored from a damaged Traditional-script copy with every change logged "
        f"(the corrections), the errors of the original kept as published (the errata), and converted to Simplified script "
        f"with OpenCC. {release}",
        "zh-Hant": zh_hant,
        "zh-Hans": to_hans(zh_hant),
    }


def catalog_graph(
    settings: Settings,
    version: str,
    released: dt.date | None,
    first_released: dt.date | None,
    documents: Sequence[Mapping[str, Any]],
    files: Iterable[Mapping[str, Any]],
) -> Graph:
    """The catalog: `documents` are the source notices (rows of the documents table: id, number,
    title, issuer, issued_on), `files` the entries /v1/exports lists, `released`/`first_released`
    the release log's dates of `version` (None: an unreleased build, which then has no dct:issued
    nor dct:modified, and says so in its provenance)."""
    base = absolute_base(settings)
    about = publisher(settings)
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    here = f"{base}/v1/catalog"
    catalog, dataset, service = URIRef(here), URIRef(f"{here}#dataset"), URIRef(f"{here}#api")
    landing_page = _typed(graph, URIRef(f"{base}/"), FOAF.Document)
    licence = _typed(graph, URIRef(LICENCE["url"]), DCTERMS.LicenseDocument)
    graph.add((licence, RDFS.label, Literal(LICENCE["name"], lang="en")))
    graph.add((licence, DCTERMS.identifier, Literal(LICENCE["id"])))
    for language, label in ((CHINESE, "Chinese"), (ENGLISH, "English")):
        _typed(graph, language, DCTERMS.LinguisticSystem)
        graph.add((language, RDFS.label, Literal(label, lang="en")))

    # Who publishes (the deployment's settings) and who wrote the source (the county government).
    agent = _typed(graph, URIRef(f"{here}#publisher"), FOAF.Agent)
    graph.add((agent, FOAF.name, Literal(about.name)))
    graph.add((agent, FOAF.homepage, _typed(graph, URIRef(about.url), FOAF.Document)))
    contact = _typed(graph, URIRef(f"{here}#contact"), VCARD.Kind, VCARD.Organization)
    graph.add((contact, VCARD.fn, Literal(about.name)))
    graph.add((contact, VCARD.hasURL, URIRef(about.url)))
    if about.email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{about.email}")))
    author = _typed(graph, URIRef(f"{here}#author"), FOAF.Agent, FOAF.Organization)
    _texts(graph, author, FOAF.name, AUTHOR)

    _typed(graph, catalog, DCAT.Catalog)
    _texts(graph, catalog, DCTERMS.title, CATALOG_TITLE)
    _texts(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, agent))
    graph.add((catalog, FOAF.homepage, landing_page))
    graph.add((catalog, DCTERMS.language, CHINESE))
    graph.add((catalog, DCTERMS.language, ENGLISH))
    graph.add((catalog, DCTERMS.license, licence))
    graph.add((catalog, DCAT.themeTaxonomy, _typed(graph, DATA_THEMES, SKOS.ConceptScheme)))
    graph.add((DATA_THEMES, DCTERMS.title, Literal("Data theme", lang="en")))
    graph.add((catalog, DCAT.dataset, dataset))
    graph.add((catalog, DCAT.service, service))

    _typed(graph, dataset, DCAT.Dataset)
    _texts(graph, dataset, DCTERMS.title, TITLE)
    _texts(graph, dataset, DCTERMS.description, DESCRIPTION)
    for language, words in KEYWORDS.items():
        for word in words:
            graph.add((dataset, DCAT.keyword, Literal(word, lang=language)))
    graph.add((dataset, DCTERMS.publisher, agent))
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((dataset, DCTERMS.license, licence))
    graph.add((dataset, DCAT.theme, _concept(graph, GOVERNMENT_THEME, "Government and public sector", DATA_THEMES)))
    graph.add((dataset, DCTERMS.language, CHINESE))
    graph.add((dataset, DCAT.landingPage, landing_page))
    graph.add((dataset, VERSION, Literal(version)))
    if released is not None and first_released is not None:
        for node in (dataset, catalog):
            graph.add((node, DCTERMS.issued, _date(first_released)))
            graph.add((node, DCTERMS.modified, _date(released)))

    spatial = _typed(graph, URIRef(f"{here}#spatial"), DCTERMS.Location)
    _texts(graph, spatial, SKOS.prefLabel, SPATIAL["name"])
    # Its code among China's administrative divisions (GB/T 2260).
    graph.add((spatial, DCTERMS.identifier, Literal(SPATIAL["code"])))
    graph.add((spatial, SKOS.notation, Literal(SPATIAL["code"])))
    graph.add((dataset, DCTERMS.spatial, spatial))

    if documents:
        temporal = _typed(graph, URIRef(f"{here}#temporal"), DCTERMS.PeriodOfTime)
        graph.add((temporal, DCAT.startDate, _date(min(d["issued_on"] for d in documents))))
        graph.add((dataset, DCTERMS.temporal, temporal))

    provenance = _typed(graph, URIRef(f"{here}#provenance"), DCTERMS.ProvenanceStatement)
    _texts(graph, provenance, RDFS.label, _provenance(documents, about.name, version, released, first_released))
    graph.add((dataset, DCTERMS.provenance, provenance))
    attribution = _typed(graph, URIRef(f"{here}#attribution"), PROV.Attribution)
    graph.add((attribution, PROV.agent, author))
    graph.add((attribution, DCAT.hadRole, _typed(graph, ORIGINATOR, DCAT.Role)))
    graph.add((ORIGINATOR, RDFS.label, Literal("originator", lang="en")))
    graph.add((dataset, PROV.qualifiedAttribution, attribution))
    for document in documents:  # each source notice, as the API serves it
        notice = _typed(graph, URIRef(f"{base}/v1/documents/{document['id']}"), FOAF.Document, RDFS.Resource)
        graph.add((notice, DCTERMS.title, Literal(document["title"], lang="zh-Hant")))
        graph.add((notice, DCTERMS.title, Literal(document["title_hans"], lang="zh-Hans")))
        graph.add((notice, DCTERMS.identifier, Literal(document["number"])))
        graph.add((notice, DCTERMS.issued, _date(document["issued_on"])))
        graph.add((notice, DCTERMS.creator, author))
        graph.add((dataset, DCTERMS.relation, notice))

    exports = _typed(graph, URIRef(f"{base}/v1/exports"), RDFS.Resource)
    for index, entry in enumerate(files):
        _distribution(graph, dataset, settings, exports, licence, here, index, entry)

    _typed(graph, service, DCAT.DataService)
    _texts(graph, service, DCTERMS.title, SERVICE_TITLE)
    _texts(graph, service, DCTERMS.description, SERVICE_DESCRIPTION)
    graph.add((service, DCAT.endpointURL, _typed(graph, URIRef(f"{base}/v1"), RDFS.Resource)))
    graph.add((service, DCAT.endpointDescription, _typed(graph, URIRef(f"{base}/openapi.json"), RDFS.Resource)))
    graph.add((service, DCAT.landingPage, _typed(graph, URIRef(f"{base}/docs"), FOAF.Document)))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.license, licence))
    graph.add((service, DCTERMS.publisher, agent))
    graph.add((service, DCAT.contactPoint, contact))
    return graph


def _distribution(
    graph: Graph, dataset: URIRef, settings: Settings, exports: URIRef, licence: URIRef, here: str, index: int, entry: Mapping[str, Any]
) -> None:
    """One file of /v1/exports as a dcat:Distribution of `dataset`."""
    name = entry["name"]
    node = _typed(graph, URIRef(f"{here}#distribution/{name}"), DCAT.Distribution)
    graph.add((dataset, DCAT.distribution, node))
    graph.add((node, DCTERMS.title, Literal(name)))
    graph.add((node, DCTERMS.description, Literal(entry["description"], lang="en")))
    graph.add((node, DCAT.downloadURL, _typed(graph, URIRef(download_url(settings, name)), RDFS.Resource)))
    graph.add((node, DCAT.accessURL, exports))  # the listing: every file of the release, with its checksum
    graph.add((node, DCTERMS.license, licence))
    essence = entry["media_type"].split(";")[0].strip()
    graph.add((node, DCAT.mediaType, _typed(graph, URIRef(IANA + essence), DCTERMS.MediaType)))
    if essence in FILE_TYPES:
        graph.add((node, DCTERMS["format"], _typed(graph, FILE_TYPES[essence], DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCAT.byteSize, Literal(entry["bytes"], datatype=XSD.nonNegativeInteger)))
    checksum = _typed(graph, BNode(f"checksum{index}"), SPDX.Checksum)
    graph.add((checksum, SPDX.algorithm, _typed(graph, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)))
    graph.add((checksum, SPDX.checksumValue, Literal(entry["sha256"], datatype=XSD.hexBinary)))
    graph.add((node, SPDX.checksum, checksum))
    if entry.get("script") in SCRIPTS:
        script, label = SCRIPTS[entry["script"]]
        graph.add((node, DCTERMS.language, CHINESE))
        graph.add((node, DCTERMS.language, _typed(graph, script, DCTERMS.LinguisticSystem)))
        graph.add((script, RDFS.label, Literal(label, lang="en")))


def serialise(graph: Graph, syntax: str) -> bytes:
    """The graph as Turtle, or as compact JSON-LD: one object, the context inline (no remote
    context to fetch), the nodes in `@graph` in the order of their ids."""
    if syntax == TURTLE:
        return graph.serialize(format="turtle", encoding="utf-8")
    document = orjson.loads(graph.serialize(format="json-ld", context=CONTEXT, encoding="utf-8"))
    document["@graph"] = sorted(document["@graph"], key=lambda node: node["@id"])
    return orjson.dumps({"@context": document["@context"], "@graph": document["@graph"]})
