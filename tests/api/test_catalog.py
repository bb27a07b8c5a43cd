"""The DCAT-AP 3 catalog (/v1/catalog) as a portal's harvester meets it: fetched over HTTP in both
syntaxes, parsed with rdflib, validated with pyshacl against SEMIC's DCAT-AP 3.0.1 shapes and the
project's own (tests/shapes/distribution.ttl), and read for what it says.

The SEMIC files are not copied into the repository: they are read from `../shared/dcat-ap/` beside
the project (or the folder POLICY_TEST_DCAT_AP_DIR names), and the tests that need them skip, saying
why, where it is absent. They are validated as one shapes graph, the shapes and the ranges together:
release 3.0.1's SHACL file lists two property shapes that only ranges.ttl defines, and ranges.ttl
adds the class of every property's values to the shapes the SHACL file defines. Five `sh:property`
links of ranges.ttl name property shapes that neither file defines (no path, no constraint): pyshacl
refuses such a link, so they are dropped, and counted, so that a corrected release is noticed.
pyshacl runs without inference (`inference="none"`, no `ont_graph`): the catalog states the class of
every value the ranges constrain, as DCAT-AP asks of a publisher, so nothing needs inferring, and a
class the catalog forgot to state fails here rather than being inferred into place.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDFS, SH, SKOS, XSD

from api.catalog import CHINESE, GOVERNMENT_THEME, ORIGINATOR, SPDX, VCARD
from api.cli import main as cli
from api.config import PROJECT_ROOT, Settings, absolute_base
from api.main import create_app
from api.metadata import AUTHOR, KEYWORDS, LICENCE, SPATIAL, TITLE
from tests.api.helpers import assert_problem
from tests.live import get

CATALOG = "/v1/catalog"
JSONLD, TURTLE = "application/ld+json", "text/turtle; charset=utf-8"
SYNTAXES = {JSONLD: "json-ld", TURTLE: "turtle"}
DCAT_AP = Path(os.environ.get("POLICY_TEST_DCAT_AP_DIR") or PROJECT_ROOT.parent / "shared" / "dcat-ap")
DCAT_AP_FILES = ("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl")
UNDEFINED_PROPERTY_SHAPES = 5  # in release 3.0.1 (see the module's docstring)
OWN_SHAPES = Path(__file__).resolve().parent.parent / "shapes" / "distribution.ttl"
BASE = "https://data.example.org"
HOSTILE_HOST = {"Host": "evil.example"}
REQUIRED = {"downloadURL": DCAT.downloadURL, "license": DCTERMS.license, "mediaType": DCAT.mediaType, "checksum": SPDX.checksum}


def graph_of(body: bytes, media_type: str) -> Graph:
    return Graph().parse(data=body, format=SYNTAXES[media_type])


def fetched(client: TestClient, media_type: str = JSONLD) -> Graph:
    response = client.get(CATALOG, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    return graph_of(response.content, media_type)


def violations(data: Graph, shapes: Graph) -> list[str]:
    """Every result of validating `data` against `shapes` (violations, warnings and infos alike), as
    `focus path: message`."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    found = sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )
    assert conforms == (not found)
    return found


def base_of(client: TestClient) -> str:
    return absolute_base(client.app.state.settings)


def the(graph: Graph, class_: URIRef) -> URIRef:
    (node,) = graph.subjects(RDF.type, class_)
    return node


@pytest.fixture(scope="session")
def dcat_ap_shapes() -> Graph:
    missing = [name for name in DCAT_AP_FILES if not (DCAT_AP / name).is_file()]
    if missing:
        pytest.skip(f"the DCAT-AP 3.0.1 shapes are not in {DCAT_AP} (missing {', '.join(missing)}); set POLICY_TEST_DCAT_AP_DIR")
    shapes = Graph()
    for name in DCAT_AP_FILES:
        shapes.parse(DCAT_AP / name)
    undefined = [(shape, prop) for shape, prop in shapes.subject_objects(SH.property) if (prop, SH.path, None) not in shapes]
    assert len(undefined) == UNDEFINED_PROPERTY_SHAPES, f"DCAT-AP's files changed: now {len(undefined)} undefined property shapes"
    for link in undefined:
        shapes.remove((link[0], SH.property, link[1]))
    return shapes


@pytest.fixture(scope="session")
def own_shapes() -> Graph:
    return Graph().parse(OWN_SHAPES)


@pytest.fixture(scope="module")
def live_catalogs(live_server) -> dict[str, Graph]:
    """The catalog from a real `policy-api serve`, in each syntax."""
    graphs = {}
    for media_type in SYNTAXES:
        status, headers, body = get(live_server.port, CATALOG, headers={"Accept": media_type})
        assert status == 200 and headers["content-type"] == media_type
        graphs[media_type] = graph_of(body, media_type)
    return graphs


@pytest.fixture(scope="module")
def listed(live_server) -> list[dict]:
    return orjson.loads(get(live_server.port, "/v1/exports")[2])["files"]


@pytest.mark.parametrize("media_type", list(SYNTAXES))
def test_the_catalog_conforms_to_dcat_ap_3(live_catalogs, dcat_ap_shapes, media_type):
    assert violations(live_catalogs[media_type], dcat_ap_shapes) == []


@pytest.mark.parametrize("media_type", list(SYNTAXES))
def test_every_distribution_conforms_to_the_projects_own_shape(live_catalogs, own_shapes, media_type):
    assert violations(live_catalogs[media_type], own_shapes) == []


def test_both_syntaxes_say_the_same(live_catalogs):
    assert isomorphic(*live_catalogs.values())


@pytest.mark.parametrize("media_type", list(SYNTAXES))
def test_one_catalog_one_dataset_one_service_and_a_distribution_per_listed_file(live_server, live_catalogs, listed, media_type):
    graph = live_catalogs[media_type]
    catalog, dataset, service = the(graph, DCAT.Catalog), the(graph, DCAT.Dataset), the(graph, DCAT.DataService)
    assert set(graph.objects(catalog, DCAT.dataset)) == {dataset}
    assert set(graph.objects(catalog, DCAT.service)) == {service}
    distributions = set(graph.subjects(RDF.type, DCAT.Distribution))
    assert set(graph.objects(dataset, DCAT.distribution)) == distributions
    assert len(listed) > 1 and len(distributions) == len(listed)
    by_url = {graph.value(d, DCAT.downloadURL): d for d in distributions}
    for file in listed:
        node = by_url[URIRef(live_server.url + file["immutable_url"])]  # PUBLIC_BASE_URL unset: the server's own address
        assert graph.value(node, DCAT.byteSize) == Literal(file["bytes"], datatype=XSD.nonNegativeInteger)
        checksum = graph.value(node, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert graph.value(checksum, SPDX.checksumValue) == Literal(file["sha256"], datatype=XSD.hexBinary)
        essence = file["media_type"].split(";")[0]
        assert graph.value(node, DCAT.mediaType) == URIRef(f"http://www.iana.org/assignments/media-types/{essence}")
        assert graph.value(node, DCTERMS.license) == URIRef(LICENCE["url"])


@pytest.mark.parametrize("required", list(REQUIRED))
def test_the_projects_shape_refuses_a_distribution_without_what_it_requires(live_server, live_catalogs, own_shapes, listed, required):
    graph = Graph() + live_catalogs[JSONLD]
    target = URIRef(live_server.url + listed[0]["immutable_url"])
    (distribution,) = graph.subjects(DCAT.downloadURL, target)
    graph.remove((distribution, REQUIRED[required], None))
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=own_shapes, inference="none")
    assert not conforms
    failed = {(report.value(r, SH.focusNode), report.value(r, SH.resultPath)) for r in report.subjects(RDF.type, SH.ValidationResult)}
    assert failed == {(distribution, REQUIRED[required])}


def test_the_projects_shape_refuses_a_checksum_that_is_not_sha256(live_catalogs, own_shapes):
    graph = Graph() + live_catalogs[TURTLE]
    checksum = next(graph.subjects(RDF.type, SPDX.Checksum))
    graph.set((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_md5))
    assert not pyshacl.validate(graph, shacl_graph=own_shapes, inference="none")[0]


def test_the_dataset_says_what_it_is_who_made_it_and_where_it_comes_from(client):
    graph = fetched(client)
    dataset = the(graph, DCAT.Dataset)
    assert {(str(t), t.language) for t in graph.objects(dataset, DCTERMS.title)} == {(text, tag) for tag, text in TITLE.items()}
    assert {t.language for t in graph.objects(dataset, DCTERMS.description)} == {"zh-Hant", "zh-Hans", "en"}
    keywords = {(str(k), k.language) for k in graph.objects(dataset, DCAT.keyword)}
    assert keywords == {(word, tag) for tag, words in KEYWORDS.items() for word in words}
    assert graph.value(dataset, DCAT.theme) == GOVERNMENT_THEME
    assert graph.value(dataset, DCTERMS.language) == CHINESE
    base = base_of(client)
    assert graph.value(dataset, DCAT.landingPage) == URIRef(f"{base}/")
    assert graph.value(dataset, DCTERMS.license) == URIRef(LICENCE["url"])
    assert (URIRef(LICENCE["url"]), RDF.type, DCTERMS.LicenseDocument) in graph
    # The publisher is the deployment's (settings), never the county government.
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal(Settings().publisher_name)
    assert not {str(name) for name in graph.objects(publisher, FOAF.name)} & set(AUTHOR.values())
    assert (graph.value(dataset, DCAT.contactPoint), RDF.type, VCARD.Kind) in graph
    # The county government is credited as the originator of the source, the notice named.
    attribution = graph.value(dataset, PROV.qualifiedAttribution)
    assert graph.value(attribution, DCAT.hadRole) == ORIGINATOR
    author = graph.value(attribution, PROV.agent)
    assert {(str(n), n.language) for n in graph.objects(author, FOAF.name)} == {(text, tag) for tag, text in AUTHOR.items()}
    document = client.get("/v1/documents/lianzhengzong-2021-127").json()
    notice = graph.value(dataset, DCTERMS.relation)
    assert notice == URIRef(f"{base}/v1/documents/lianzhengzong-2021-127")
    assert graph.value(notice, DCTERMS.identifier) == Literal(document["number"]) == Literal("連政綜〔2021〕127號")
    assert graph.value(notice, DCTERMS.issued) == Literal(document["issued_on"], datatype=XSD.date)
    assert graph.value(notice, DCTERMS.creator) == author
    provenance = {p.language: str(p) for p in graph.objects(graph.value(dataset, DCTERMS.provenance), RDFS.label)}
    assert document["number"] in provenance["en"] and document["title"] in provenance["zh-Hant"]
    # Where and when.
    spatial = graph.value(dataset, DCTERMS.spatial)
    assert graph.value(spatial, DCTERMS.identifier) == Literal(SPATIAL["code"]) == Literal("350122")
    assert Literal("連江縣", lang="zh-Hant") in set(graph.objects(spatial, SKOS.prefLabel))
    assert graph.value(graph.value(dataset, DCTERMS.temporal), DCAT.startDate) == Literal("2021-08-16", datatype=XSD.date)


def test_a_released_build_has_the_release_logs_dates(client, app):
    db = app.served.snapshot.db
    assert db.released is not None and db.first_released is not None
    graph = fetched(client, TURTLE)
    for node in (the(graph, DCAT.Dataset), the(graph, DCAT.Catalog)):
        assert graph.value(node, DCTERMS.issued) == Literal(db.first_released.isoformat(), datatype=XSD.date)
        assert graph.value(node, DCTERMS.modified) == Literal(db.released.isoformat(), datatype=XSD.date)
    assert graph.value(the(graph, DCAT.Dataset), URIRef(f"{DCAT}version")) == Literal(db.version)


def test_the_api_is_a_data_service_with_its_endpoint_and_openapi_description(client):
    graph = fetched(client)
    service, dataset = the(graph, DCAT.DataService), the(graph, DCAT.Dataset)
    assert graph.value(service, DCAT.endpointURL) == URIRef(f"{base_of(client)}/v1")
    assert graph.value(service, DCAT.endpointDescription) == URIRef(f"{base_of(client)}/openapi.json")
    assert graph.value(service, DCAT.servesDataset) == dataset
    assert graph.value(service, DCTERMS.license) == URIRef(LICENCE["url"])
    assert graph.value(service, DCTERMS.title) is not None


@pytest.fixture(scope="module")
def public_client(backend_settings):
    """An app whose PUBLIC_BASE_URL, publisher and contact are set."""
    update = {
        "public_base_url": BASE,
        "publisher_name": "Example Open Data",
        "publisher_url": "https://example.org/",
        "contact_email": "data@example.org",
    }
    with TestClient(create_app(backend_settings("sqlite").model_copy(update=update))) as client:
        yield client


def test_public_base_url_makes_every_url_and_a_hostile_host_none(public_client):
    response = public_client.get(CATALOG, headers={**HOSTILE_HOST, "Accept": TURTLE})
    assert b"evil.example" not in response.content and b"127.0.0.1" not in response.content
    graph = graph_of(response.content, TURTLE)
    ours = {str(node) for triple in graph for node in triple if isinstance(node, URIRef) and "example.org" in str(node)}
    assert f"{BASE}/v1/catalog" in ours and f"{BASE}/v1/releases/" in str(ours)
    assert {url for url in ours if not url.startswith((BASE, "https://example.org/", "mailto:"))} == set()
    for download in graph.objects(None, DCAT.downloadURL):
        assert str(download).startswith(f"{BASE}/v1/releases/")
    dataset = the(graph, DCAT.Dataset)
    assert graph.value(graph.value(dataset, DCTERMS.publisher), FOAF.name) == Literal("Example Open Data")
    contact = graph.value(dataset, DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:data@example.org")
    assert graph.value(contact, VCARD.hasURL) == URIRef("https://example.org/")


def test_the_host_header_never_changes_the_catalog(client):
    plain = client.get(CATALOG)
    hostile = client.get(CATALOG, headers=HOSTILE_HOST)
    assert hostile.content == plain.content and b"evil.example" not in hostile.content


@pytest.mark.parametrize(
    ("headers", "query", "media_type"),
    [
        ({}, "", JSONLD),
        ({"Accept": "application/ld+json"}, "", JSONLD),
        ({"Accept": "application/json"}, "", JSONLD),
        ({"Accept": "text/csv"}, "", JSONLD),  # not offered: the default
        ({"Accept": "text/turtle"}, "", TURTLE),
        ({"Accept": "text/html, text/turtle;q=0.9, application/ld+json;q=0.5"}, "", TURTLE),
        ({"Accept": "application/ld+json, text/turtle;q=0.5"}, "", JSONLD),
        ({"Accept": "text/turtle"}, "?format=jsonld", JSONLD),  # the query wins
        ({}, "?format=turtle", TURTLE),
    ],
)
def test_the_syntax_follows_the_query_then_the_accept_header(client, headers, query, media_type):
    response = client.get(CATALOG + query, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == media_type
    assert "Accept" in response.headers["vary"]
    graph_of(response.content, media_type)


def test_each_syntax_is_cached_apart_and_answers_its_own_etag(client):
    jsonld, turtle = client.get(CATALOG), client.get(CATALOG, headers={"Accept": "text/turtle"})
    assert jsonld.headers["etag"] != turtle.headers["etag"]
    again = client.get(CATALOG, headers={"Accept": "text/turtle", "If-None-Match": turtle.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(CATALOG, headers={"If-None-Match": turtle.headers["etag"]}).status_code == 200


def test_turtle_on_a_list_still_leaves_csv_to_the_lists(client):
    """What the catalog negotiates does not change what a list negotiates: text/turtle is not theirs."""
    response = client.get("/v1/units", headers={"Accept": "text/turtle, text/csv;q=0.9"})
    assert response.headers["content-type"].startswith("text/csv")


def test_head_cors_and_gzip_follow_the_house_rules(client):
    get_ = client.get(CATALOG, headers={"Accept-Encoding": "gzip", "Origin": "https://portal.example"})
    assert get_.headers["content-encoding"] == "gzip" and get_.headers["access-control-allow-origin"] == "*"
    assert get_.headers["cache-control"] == "public, max-age=3600"
    head = client.head(CATALOG, headers={"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "etag", "content-length"):
        assert head.headers[name] == get_.headers[name], name


@pytest.mark.parametrize("query", ["?format=xml", "?format=csv", "?syntax=turtle"])
def test_a_bad_parameter_is_a_problem(client, query):
    assert_problem(client.get(CATALOG + query), 400, parameter=query[1:].split("=")[0])


def test_without_downloads_the_catalog_is_unavailable(built_db, tmp_path):
    settings = Settings(database_url=f"sqlite:///{built_db}", exports_dir=str(tmp_path / "none"))
    with TestClient(create_app(settings)) as client:
        assert_problem(client.get(CATALOG), 503)


def test_the_root_and_the_api_catalog_link_to_it(client):
    assert client.get("/v1").json()["links"]["catalog"] == CATALOG
    (entry,) = client.get("/.well-known/api-catalog").json()["linkset"]
    assert entry["service-meta"] == [{"href": CATALOG, "type": "application/ld+json"}]
    assert client.get(entry["service-meta"][0]["href"]).headers["content-type"] == JSONLD


@pytest.fixture(scope="module")
def unreleased(tmp_path_factory, raw_source) -> Settings:
    """Settings of a build of an edited source, which the release log does not know, with its downloads."""
    folder = tmp_path_factory.mktemp("unreleased")
    source = folder / "edited.txt"
    source.write_text(raw_source.replace("1.加大", "1.加強", 1), encoding="utf-8")
    database = folder / "policy.sqlite3"
    assert cli(["build", str(source), "--database-url", f"sqlite:///{database}"]) == 0
    return Settings(database_url=f"sqlite:///{database}")


@pytest.fixture(scope="module")
def unreleased_catalog(unreleased) -> Graph:
    with TestClient(create_app(unreleased)) as client:
        assert client.app.served.snapshot.db.released is None
        graph = fetched(client, TURTLE)
        assert len(set(graph.subjects(RDF.type, DCAT.Distribution))) == len(client.get("/v1/exports").json()["files"])
    return graph


def test_an_unreleased_build_still_conforms(dcat_ap_shapes, own_shapes, unreleased_catalog):
    assert violations(unreleased_catalog, dcat_ap_shapes) == []
    assert violations(unreleased_catalog, own_shapes) == []


def test_an_unreleased_build_has_no_release_dates_and_says_why(unreleased_catalog):
    graph = unreleased_catalog
    for node in (the(graph, DCAT.Dataset), the(graph, DCAT.Catalog)):
        assert graph.value(node, DCTERMS.issued) is None and graph.value(node, DCTERMS.modified) is None
    labels = {label.language: str(label) for label in graph.objects(graph.value(the(graph, DCAT.Dataset), DCTERMS.provenance), RDFS.label)}
    assert "is an unreleased build" in labels["en"] and "未發布" in labels["zh-Hant"]
