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
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from api.config import Settings, absolute_base
from api.db import Database
from api.downloads import Release
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
JSONLD_MEDIA_TYPE = "application/ld+json"
MEDIA_TYPES = {JSONLD: JSONLD_MEDIA_TYPE, TURTLE: "text/turtle; charset=utf-8"}

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


def _date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def _provenance(documents: Sequence[Mapping[str, Any]], publisher_name: str, db: Database) -> dict[str, str]:
    """Where the data comes from and what was done to it, and its release (or that it has none)."""
    notices = "; ".join(f"{d['number']} 《{d['title']}》, issued by {d['issuer']} on {d['issued_on'].isoformat()}" for d in documents)
    notices_zh = ";".join(f"{d['issuer']}《{d['title']}》({d['number']},{d['issued_on'].isoformat()})" for d in documents)
    if db.released is not None:
        release = f"Dataset version {db.version}, released {db.released.isoformat()} (first release {db.first_released.isoformat()})."
        release_zh = f"數據版本 {db.version},發布於 {db.released.isoformat()}(首次發布 {db.first_released.isoformat()})。"
    else:
        release = (
            f"Dataset version {db.version} is an unreleased build: its data has no record in the release log, "
            "so the dataset has no issue or modification date."
        )
        release_zh = f"數據版本 {db.version} 為未發布的構建:其數據不在發布記錄中,故無發布及修改日期。"
    zh_hant = (
        f"由{publisher_name}據{notices_zh}整理發布:依殘損副本復原全文並記錄每處更正,原文錯誤照錄為勘誤,以 OpenCC 轉為簡體。{release_zh}"
    )
    return {
        "en": f"Compiled and published by {publisher_name} from the official documents of the Lianjiang County People's "
        f"Government ({notices}). The text was restored from a damaged Traditional-script copy with every change logged "
        f"(the corrections), the errors of the original kept as published (the errata), and converted to Simplified script "
        f"with OpenCC. {release}",
        "zh-Hant": zh_hant,
        "zh-Hans": to_hans(zh_hant),
    }


def catalog_graph(settings: Settings, db: Database, documents: Sequence[Mapping[str, Any]], release: Release) -> Graph:
    """The catalog of the dataset version `db` serves: `documents` are its source notices (rows of
    the documents table: id, number, title, issuer, issued_on), `release` the current release,
    whose files /v1/exports lists. A version the release log does not know (`db.released` None) has no dct:issued nor
    dct:modified, and its provenance says so."""
    build = _CatalogGraph(settings)
    build.catalog(db)
    build.dataset(db)
    build.coverage(documents)
    build.source(documents, db)
    for index, entry in enumerate(release.files.values()):
        build.distribution(index, release.id, entry)
    build.service()
    return build.graph


class _CatalogGraph:
    """Adds the catalog's nodes to one graph, a part of the description per method."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = base = absolute_base(settings)
        self.here = here = f"{base}/v1/catalog"
        self.graph = graph = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        self.node, self.dataset_node, self.service_node = URIRef(here), URIRef(f"{here}#dataset"), URIRef(f"{here}#api")
        self.landing_page = self.typed(URIRef(f"{base}/"), FOAF.Document)
        self.licence = self.typed(URIRef(LICENCE["url"]), DCTERMS.LicenseDocument)
        graph.add((self.licence, RDFS.label, Literal(LICENCE["name"], lang="en")))
        graph.add((self.licence, DCTERMS.identifier, Literal(LICENCE["id"])))
        for language, label in ((CHINESE, "Chinese"), (ENGLISH, "English")):
            graph.add((self.typed(language, DCTERMS.LinguisticSystem), RDFS.label, Literal(label, lang="en")))
        # Who publishes (the deployment's settings) and who wrote the source (the county government).
        about = self.publisher = publisher(settings)
        self.agent = self.typed(URIRef(f"{here}#publisher"), FOAF.Agent)
        graph.add((self.agent, FOAF.name, Literal(about.name)))
        graph.add((self.agent, FOAF.homepage, self.typed(URIRef(about.url), FOAF.Document)))
        self.contact = self.typed(URIRef(f"{here}#contact"), VCARD.Kind, VCARD.Organization)
        graph.add((self.contact, VCARD.fn, Literal(about.name)))
        graph.add((self.contact, VCARD.hasURL, URIRef(about.url)))
        if about.email:
            graph.add((self.contact, VCARD.hasEmail, URIRef(f"mailto:{about.email}")))
        self.author = self.typed(URIRef(f"{here}#author"), FOAF.Agent, FOAF.Organization)
        self.texts(self.author, FOAF.name, AUTHOR)

    def typed(self, node: Any, *classes: URIRef) -> Any:
        for class_ in classes:
            self.graph.add((node, RDF.type, class_))
        return node

    def texts(self, node: Any, predicate: URIRef, texts: Mapping[str, str]) -> None:
        for language, text in texts.items():
            self.graph.add((node, predicate, Literal(text, lang=language)))

    def released(self, node: URIRef, db: Database) -> None:
        if db.released is not None and db.first_released is not None:
            self.graph.add((node, DCTERMS.issued, _date(db.first_released)))
            self.graph.add((node, DCTERMS.modified, _date(db.released)))

    def catalog(self, db: Database) -> None:
        graph, node = self.graph, self.typed(self.node, DCAT.Catalog)
        self.texts(node, DCTERMS.title, CATALOG_TITLE)
        self.texts(node, DCTERMS.description, CATALOG_DESCRIPTION)
        graph.add((node, DCTERMS.publisher, self.agent))
        graph.add((node, FOAF.homepage, self.landing_page))
        graph.add((node, DCTERMS.language, CHINESE))
        graph.add((node, DCTERMS.language, ENGLISH))
        graph.add((node, DCTERMS.license, self.licence))
        graph.add((node, DCAT.themeTaxonomy, self.typed(DATA_THEMES, SKOS.ConceptScheme)))
        graph.add((DATA_THEMES, DCTERMS.title, Literal("Data theme", lang="en")))
        graph.add((node, DCAT.dataset, self.dataset_node))
        graph.add((node, DCAT.service, self.service_node))
        self.released(node, db)

    def dataset(self, db: Database) -> None:
        graph, node = self.graph, self.typed(self.dataset_node, DCAT.Dataset)
        self.texts(node, DCTERMS.title, TITLE)
        self.texts(node, DCTERMS.description, DESCRIPTION)
        for language, words in KEYWORDS.items():
            for word in words:
                graph.add((node, DCAT.keyword, Literal(word, lang=language)))
        graph.add((node, DCTERMS.publisher, self.agent))
        graph.add((node, DCAT.contactPoint, self.contact))
        graph.add((node, DCTERMS.license, self.licence))
        theme = self.typed(GOVERNMENT_THEME, SKOS.Concept)
        graph.add((theme, SKOS.prefLabel, Literal("Government and public sector", lang="en")))
        graph.add((theme, SKOS.inScheme, DATA_THEMES))
        graph.add((node, DCAT.theme, theme))
        graph.add((node, DCTERMS.language, CHINESE))
        graph.add((node, DCAT.landingPage, self.landing_page))
        graph.add((node, VERSION, Literal(db.version)))
        self.released(node, db)

    def coverage(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Where (the county, with its code among China's administrative divisions, GB/T 2260) and
        since when (the earliest notice)."""
        spatial = self.typed(URIRef(f"{self.here}#spatial"), DCTERMS.Location)
        self.texts(spatial, SKOS.prefLabel, SPATIAL["name"])
        self.graph.add((spatial, DCTERMS.identifier, Literal(SPATIAL["code"])))
        self.graph.add((spatial, SKOS.notation, Literal(SPATIAL["code"])))
        self.graph.add((self.dataset_node, DCTERMS.spatial, spatial))
        if documents:
            temporal = self.typed(URIRef(f"{self.here}#temporal"), DCTERMS.PeriodOfTime)
            self.graph.add((temporal, DCAT.startDate, _date(min(d["issued_on"] for d in documents))))
            self.graph.add((self.dataset_node, DCTERMS.temporal, temporal))

    def source(self, documents: Sequence[Mapping[str, Any]], db: Database) -> None:
        """The source credited: a provenance statement, the county government as originator, and
        each notice (as the API serves it) related to the dataset."""
        graph, dataset = self.graph, self.dataset_node
        provenance = self.typed(URIRef(f"{self.here}#provenance"), DCTERMS.ProvenanceStatement)
        self.texts(provenance, RDFS.label, _provenance(documents, self.publisher.name, db))
        graph.add((dataset, DCTERMS.provenance, provenance))
        attribution = self.typed(URIRef(f"{self.here}#attribution"), PROV.Attribution)
        graph.add((attribution, PROV.agent, self.author))
        graph.add((attribution, DCAT.hadRole, self.typed(ORIGINATOR, DCAT.Role)))
        graph.add((ORIGINATOR, RDFS.label, Literal("originator", lang="en")))
        graph.add((dataset, PROV.qualifiedAttribution, attribution))
        for document in documents:
            notice = self.typed(URIRef(f"{self.base}/v1/documents/{document['id']}"), FOAF.Document, RDFS.Resource)
            graph.add((notice, DCTERMS.title, Literal(document["title"], lang="zh-Hant")))
            graph.add((notice, DCTERMS.title, Literal(document["title_hans"], lang="zh-Hans")))
            graph.add((notice, DCTERMS.identifier, Literal(document["number"])))
            graph.add((notice, DCTERMS.issued, _date(document["issued_on"])))
            graph.add((notice, DCTERMS.creator, self.author))
            graph.add((dataset, DCTERMS.relation, notice))

    def distribution(self, index: int, release: str, entry: Mapping[str, Any]) -> None:
        """One file of /v1/exports, at its immutable URL in `release`."""
        graph, name = self.graph, entry["name"]
        node = self.typed(URIRef(f"{self.here}#distribution/{name}"), DCAT.Distribution)
        graph.add((self.dataset_node, DCAT.distribution, node))
        graph.add((node, DCTERMS.title, Literal(name)))
        graph.add((node, DCTERMS.description, Literal(entry["description"], lang="en")))
        graph.add((node, DCAT.downloadURL, self.typed(URIRef(download_url(self.settings, release, name)), RDFS.Resource)))
        # Access: the release's listing of its files, with their checksums.
        graph.add((node, DCAT.accessURL, self.typed(URIRef(f"{self.base}/v1/releases/{release}"), RDFS.Resource)))
        graph.add((node, DCTERMS.license, self.licence))
        essence = entry["media_type"].split(";")[0].strip()
        graph.add((node, DCAT.mediaType, self.typed(URIRef(IANA + essence), DCTERMS.MediaType)))
        if essence in FILE_TYPES:
            graph.add((node, DCTERMS["format"], self.typed(FILE_TYPES[essence], DCTERMS.MediaTypeOrExtent)))
        graph.add((node, DCAT.byteSize, Literal(entry["bytes"], datatype=XSD.nonNegativeInteger)))
        checksum = self.typed(BNode(f"checksum{index}"), SPDX.Checksum)  # a fixed label: the same bytes every time
        graph.add((checksum, SPDX.algorithm, self.typed(SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)))
        graph.add((checksum, SPDX.checksumValue, Literal(entry["sha256"], datatype=XSD.hexBinary)))
        graph.add((node, SPDX.checksum, checksum))
        if entry.get("script") in SCRIPTS:
            script, label = SCRIPTS[entry["script"]]
            graph.add((node, DCTERMS.language, CHINESE))
            graph.add((node, DCTERMS.language, self.typed(script, DCTERMS.LinguisticSystem)))
            graph.add((script, RDFS.label, Literal(label, lang="en")))

    def service(self) -> None:
        """This API: its endpoint, its OpenAPI description, its docs."""
        graph, node, base = self.graph, self.typed(self.service_node, DCAT.DataService), self.base
        self.texts(node, DCTERMS.title, SERVICE_TITLE)
        self.texts(node, DCTERMS.description, SERVICE_DESCRIPTION)
        graph.add((node, DCAT.endpointURL, self.typed(URIRef(f"{base}/v1"), RDFS.Resource)))
        graph.add((node, DCAT.endpointDescription, self.typed(URIRef(f"{base}/openapi.json"), RDFS.Resource)))
        graph.add((node, DCAT.landingPage, self.typed(URIRef(f"{base}/docs"), FOAF.Document)))
        graph.add((node, DCAT.servesDataset, self.dataset_node))
        graph.add((node, DCTERMS.license, self.licence))
        graph.add((node, DCTERMS.publisher, self.agent))
        graph.add((node, DCAT.contactPoint, self.contact))


def serialise(graph: Graph, syntax: str) -> bytes:
    """The graph as Turtle, or as compact JSON-LD: one object, the context inline (no remote
    context to fetch), the nodes in `@graph` in the order of their ids."""
    if syntax == TURTLE:
        return graph.serialize(format="turtle", encoding="utf-8")
    document = orjson.loads(graph.serialize(format="json-ld", context=CONTEXT, encoding="utf-8"))
    document["@graph"] = sorted(document["@graph"], key=lambda node: node["@id"])
    return orjson.dumps({"@context": document["@context"], "@graph": document["@graph"]})
