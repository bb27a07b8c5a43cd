"""What the API promises: the response shapes of /v1, documented field by field.

These classes define the OpenAPI spec. The API builds its bodies as plain dicts (api/present.py)
and the tests validate every body against the committed spec, so the two cannot drift silently.
Fields are only ever added within /v1; clients ignore keys they do not know.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

UnitKind = Literal[
    "county_department",
    "party_organ",
    "public_institution",
    "township_collective",
    "development_zone_collective",
    "development_zone_committee",
    "project_headquarters",
]
CorrectionKind = Literal["pinyin_annotation", "mojibake", "typo", "unmatched_quote", "reversed_quotes"]
CorrectionCategory = Literal["correction", "erratum"]
DOC_ID = "lianzhengzong-2021-127"


class Schema(BaseModel):
    """A response object. Open in the spec (`additionalProperties: true`, stated: some generators
    read a missing one as false): fields are only ever added within /v1, and a client generated
    today must keep working when one is. The tests validate against a closed copy (tests/spec.py)."""

    model_config = ConfigDict(extra="allow")


def extensible(values: Any, description: str = "", **field: Any) -> Any:
    """A string field of a response whose known `values` (a Literal) may grow: listed in
    `x-extensible-enum` and the description, not in `enum`, so that a client generated today meets
    a value added later without failing. Request parameters keep their closed enums."""
    known = list(get_args(values))
    listed = ", ".join(f"`{value}`" for value in known)
    note = f"Known values: {listed}. More may be added: expect values you do not know."
    return Field(description=f"{description} {note}".strip(), json_schema_extra={"x-extensible-enum": known}, **field)


class SourcePosition(Schema):
    """Where an item is in the source. Offsets count Unicode code points, end exclusive."""

    line: int = Field(ge=1, description="1-based line in the source.", examples=[9])
    start: int = Field(ge=0, description="Offset of the first character in the restored text.", examples=[237])
    end: int = Field(ge=0, description="Offset after the last character in the restored text.", examples=[444])
    raw_start: int = Field(ge=0, description="Offset of the first character in the source as received.", examples=[316])
    raw_end: int = Field(ge=0, description="Offset after the last character in the source as received.", examples=[651])


class Links(Schema):
    """Links to related resources (root-relative unless PUBLIC_BASE_URL is set)."""

    self: str = Field(description="This resource.", examples=[f"/v1/documents/{DOC_ID}"])


class DocumentLinks(Links):
    """Links from a document."""

    chapters: str = Field(examples=[f"/v1/chapters?document={DOC_ID}"])
    measures: str = Field(examples=[f"/v1/measures?document={DOC_ID}"])
    corrections: str = Field(examples=[f"/v1/documents/{DOC_ID}/corrections"])
    source: str = Field(examples=[f"/v1/documents/{DOC_ID}/source"])
    matrix: str = Field(description="Its responsibility matrix: units × measures.", examples=[f"/v1/documents/{DOC_ID}/matrix"])


class DocumentCounts(Schema):
    """How many items the document has."""

    chapters: int = Field(ge=0, examples=[5])
    measures: int = Field(ge=0, examples=[20])
    units: int = Field(ge=0, description="Distinct responsible units.", examples=[27])
    corrections: int = Field(ge=0, description="Changes from the damaged copy to the published text.", examples=[428])
    errata: int = Field(ge=0, description="Errors of the original, kept as published.", examples=[3])


class DocumentSource(Schema):
    """The source file as received."""

    name: str = Field(description="File name of the source as received.", examples=["000_5373e258ee6222e7.txt"])
    sha256: str = Field(pattern="^[0-9a-f]{64}$", examples=["730a56ce8e4906900b20fa628deca9c74f3d2cd47c6fed706f5c3432bc7b54ad"])
    characters: int = Field(ge=0, description="Length in code points.", examples=[6152])


class DocumentPositions(Schema):
    """Where each header field is in the source."""

    number: SourcePosition
    recipients: list[SourcePosition]
    notice: SourcePosition
    adopted_by: SourcePosition
    issuer: SourcePosition
    issued_on: SourcePosition
    title: SourcePosition
    preamble: SourcePosition


class DocumentPublic(Schema):
    """A policy document."""

    id: str = Field(description="Stable id derived from the document number.", examples=[DOC_ID])
    number: str = Field(description="Document number (文號).", examples=["連政綜〔2021〕127號"])
    title: str = Field(examples=["關于堅定不移推動高質量發展的貫徹意見"])
    issuer: str = Field(examples=["連江縣人民政府"])
    issued_on: dt.date = Field(description="Issue date, ISO 8601.", examples=["2021-08-16"])
    issued_on_text: str = Field(description="Issue date as written.", examples=["2021年8月16日"])
    recipients: list[str] = Field(
        description="Addressees (主送), in order.", examples=[["各鄉(鎮)政府", "縣直各有關單位", "各開發區管委會"]]
    )
    notice: str = Field(
        description="The notice sentence.", examples=["《堅定不移推動高質量發展”的貫徹意見》已經縣委十三屆十三次全會研究通過,…"]
    )
    adopted_by: str = Field(description="The body that adopted the document, as named in the notice.", examples=["縣委十三屆十三次全會"])
    preamble: str = Field(examples=["為貫徹落實習近平總書記來閩考察重要講話精神,…"])
    counts: DocumentCounts
    source: DocumentSource
    positions: DocumentPositions
    links: DocumentLinks


class ChapterLinks(Links):
    """Links from a chapter."""

    document: str = Field(examples=[f"/v1/documents/{DOC_ID}"])
    measures: str = Field(examples=[f"/v1/measures?chapter={DOC_ID}-ch1"])


class ChapterPublic(Schema):
    """A chapter of a document."""

    id: str = Field(examples=[f"{DOC_ID}-ch1"])
    document_id: str = Field(examples=[DOC_ID])
    number: int = Field(ge=1, examples=[1])
    numeral: str = Field(description="The numeral as written.", examples=["一"])
    title: str = Field(examples=["實施創新驅動戰略,強化科技引領發展"])
    measure_count: int = Field(ge=0, examples=[2])
    source: SourcePosition
    links: ChapterLinks


class MeasureUnitPublic(Schema):
    """One entry of the measure's responsible-unit list (責任單位), in the order written."""

    unit_id: str = Field(examples=["development-reform"])
    name: str = Field(description="The unit's canonical name.", examples=["縣發改局"])
    text: str = Field(description="The entry exactly as written in the list.", examples=["縣發改局(科技局)"])
    designation: str | None = Field(description="The capacity the unit acts in here, if written.", examples=["科技局"])
    position: int = Field(ge=1, description="1 = listed first.", examples=[1])
    lead: bool = Field(description="Listed first: conventionally the lead unit.", examples=[True])
    source: SourcePosition
    links: Links


class MeasureUnitLinkLinks(Links):
    """Links from a measure-unit link: `self` is the unit."""

    measure: str = Field(examples=[f"/v1/measures/{DOC_ID}-m1"])


class MeasureUnitLinkPublic(MeasureUnitPublic):
    """One entry of a measure's responsible-unit list, as a record of its own."""

    measure_id: str = Field(examples=[f"{DOC_ID}-m1"])
    document_id: str = Field(examples=[DOC_ID])
    measure_number: int = Field(ge=1, examples=[1])
    links: MeasureUnitLinkLinks


class MeasureLinks(Links):
    """Links from a measure."""

    document: str = Field(examples=[f"/v1/documents/{DOC_ID}"])
    chapter: str = Field(examples=[f"/v1/chapters/{DOC_ID}-ch1"])


class MatchPosition(Schema):
    """Where a search (`q=`) matched: an occurrence of the query in a field of the measure."""

    field: str = extensible(Literal["title", "body"], "The field, as returned.", examples=["body"])
    start: int = Field(ge=0, description="Code-point offset of the match's first character in the field as returned.", examples=[12])
    end: int = Field(ge=0, description="Code-point offset after its last character (exclusive).", examples=[14])


class MeasurePublic(Schema):
    """A measure, with its ordered responsible units."""

    id: str = Field(examples=[f"{DOC_ID}-m1"])
    document_id: str = Field(examples=[DOC_ID])
    chapter_id: str = Field(examples=[f"{DOC_ID}-ch1"])
    number: int = Field(ge=1, examples=[1])
    chapter_number: int = Field(ge=1, examples=[1])
    title: str = Field(description="The text before the first 。.", examples=["加大科技創新投入"])
    body: str = Field(description="The text after the title, before the responsible units.", examples=["重點布局優勢產業、…"])
    text: str = Field(description="Title, 。 and body.", examples=["加大科技創新投入。重點布局優勢產業、…"])
    responsibility: str = Field(description="The responsible-unit list as written.", examples=["縣發改局(科技局)、財政局、…"])
    units: list[MeasureUnitPublic]
    source: SourcePosition
    links: MeasureLinks


class Curated(Schema):
    """Metadata curated by the publisher of this API, not part of any document."""

    full_name: str | None = Field(description="The standard expansion of the name, where there is one.", examples=["連江縣發展和改革局"])
    name_en: str | None = Field(description="Unofficial English translation.", examples=["Lianjiang County Development and Reform Bureau"])
    # A plain boolean, not `const: false`: some generators cannot build a model from a constant boolean.
    name_en_is_official: bool = Field(description="Always false: the English names are not official.", examples=[False])


class DesignationPublic(Schema):
    """Another capacity a unit acts in, written in parentheses after it: 縣發改局(科技局)."""

    name: str = Field(description="As written in the lists.", examples=["科技局"])
    curated: Curated


class UnitLinks(Links):
    """Links from a unit."""

    measures: str = Field(examples=["/v1/units/development-reform/measures"])


class UnitMatchPosition(Schema):
    """Where a search of the units (`q=`) matched: an occurrence of the query in a text of the unit."""

    field: str = Field(
        description="The path of the text in the unit as returned, keys and list indexes joined by `.`: `name`, "
        "`aliases.0`, `curated.full_name`, `designations.0.name` or `curated.name_en`.",
        examples=["aliases.0"],
    )
    start: int = Field(ge=0, description="Code-point offset of the match's first character in that text as returned.", examples=[0])
    end: int = Field(ge=0, description="Code-point offset after its last character (exclusive).", examples=[3])


class UnitPublic(Schema):
    """A responsible unit (責任單位)."""

    id: str = Field(description="Stable id.", examples=["development-reform"])
    name: str = Field(description="Canonical name, with the county prefix where it applies.", examples=["縣發改局"])
    kind: str = extensible(UnitKind, "What sort of unit it is.", examples=["county_department"])
    aliases: list[str] = Field(description="Other names that find this unit.", examples=[["發改局", "連江縣發展和改革局"]])
    designations: list[DesignationPublic] = Field(description="Other capacities the unit acts in.")
    curated: Curated
    measure_count: int = Field(ge=0, examples=[11])
    lead_count: int = Field(ge=0, description="Measures that list this unit first.", examples=[5])
    links: UnitLinks


class CorrectionPublic(Schema):
    """A change from the damaged copy (`correction`), or an error of the original kept as published (`erratum`)."""

    id: str = Field(examples=[f"{DOC_ID}-erratum-3"])
    document_id: str = Field(examples=[DOC_ID])
    category: str = extensible(
        CorrectionCategory,
        "`correction`: a change from the damaged copy; `erratum`: an error of the original, kept as published.",
        examples=["erratum"],
    )
    kind: str = extensible(CorrectionKind, "What was changed, or what is wrong.", examples=["typo"])
    line: int = Field(ge=1, examples=[32])
    raw_column: int = Field(ge=1, description="1-based column of raw_start on its line.", examples=[23])
    start: int = Field(ge=0, examples=[3784])
    end: int = Field(ge=0, examples=[3786])
    raw_start: int = Field(ge=0, examples=[5879])
    raw_end: int = Field(ge=0, examples=[5881])
    raw_text: str = Field(description="The source as received at raw_start..raw_end (never converted).", examples=["防指"])
    text: str = Field(description="What the served text has at start..end.", examples=["防指"])
    suggested: str | None = Field(description="Errata: the suggested reading of `text`.", examples=["防治"])
    note: str | None = Field(examples=["污染防治攻堅戰 is the standard phrase; 防指 is a typo."])


class ChapterFull(ChapterPublic):
    """A chapter with its measures."""

    measures: list[MeasurePublic]


class DocumentFull(DocumentPublic):
    """A document with its chapters, their measures and the measures' units: the whole document in one object."""

    chapters: list[ChapterFull]


class ExportFile(Schema):
    """One downloadable file."""

    name: str = Field(description="Path under /v1/exports/.", examples=["hant/measures.csv"])
    media_type: str = Field(examples=["text/csv; charset=utf-8; header=present"])
    script: str | None = extensible(Literal["hant", "hans"], "The script of its text; null for files holding both.", examples=["hant"])
    bytes: int = Field(ge=0, examples=[61234])
    sha256: str = Field(pattern="^[0-9a-f]{64}$", examples=["0" * 64])
    records: int | None = Field(ge=0, description="Rows (CSV, without the header) or records (JSON); null otherwise.", examples=[20])
    description: str = Field(examples=["Measures, one row each."])
    url: str = Field(description="Where this listing serves it.", examples=["/v1/exports/hant/measures.csv"])
    immutable_url: str = Field(
        description="Where its release serves it, for good: these bytes, cacheable for a year.",
        examples=["/v1/releases/0b29f1fa1e5678bb/exports/hant/measures.csv"],
    )


RELEASE_ID = Field(
    pattern="^[0-9a-f]{16}$",
    description="A release id: the first 16 hex digits of the sha256 of the release's SHA256SUMS, which names every file's sha256.",
    examples=["0b29f1fa1e5678bb"],
)


class ExportList(Schema):
    """Every downloadable file of the current release, which holds the dumps of the dataset version served."""

    dataset_version: str = Field(examples=["cbd84b88d43c5cf6"])
    release: str = RELEASE_ID
    files: list[ExportFile]


class Release(Schema):
    """One release: the files one export wrote, under URLs that always serve the same bytes."""

    id: str = RELEASE_ID
    dataset_version: str = Field(examples=["cbd84b88d43c5cf6"])
    released: dt.date | None = Field(
        description="The release log's date of its dataset version; null for data the log has no record of (unreleased).",
        examples=["2026-11-29"],
    )
    unreleased: bool = Field(description="Its data has no record in the release log: a build of other data.", examples=[False])
    current: bool = Field(description="It is the current release, which /v1/exports serves.", examples=[True])
    url: str = Field(examples=["/v1/releases/0b29f1fa1e5678bb"])
    files: list[ExportFile] = Field(description="Its files; `url` and `immutable_url` are both its own, immutable URL.")


class ReleaseList(Schema):
    """Every release in the exports folder, newest first (by when it was written there)."""

    current: str | None = Field(
        pattern="^[0-9a-f]{16}$", description="The id of the current release (null: none).", examples=["0b29f1fa1e5678bb"]
    )
    releases: list[Release]


class Meta(Schema):
    """Paging facts and the dataset version."""

    total: int = Field(ge=0, description="Items matching the filters, all pages together.", examples=[20])
    limit: int = Field(ge=1, le=100, examples=[50])
    offset: int = Field(ge=0, examples=[0])
    dataset_version: str = Field(description="Changes whenever the data changes.", examples=["cbd84b88d43c5cf6"])


class FacetValue(Schema):
    """One value of a facet: how many items of the list have it."""

    value: str = Field(description="The value, as the list's filter takes it (an id or a kind).", examples=["development-reform"])
    label: str = Field(description="Its name, in the script asked for.", examples=["縣發改局"])
    count: int = Field(ge=1, description="Items with this value, under the request's other filters.", examples=[11])


FACETS_DESCRIPTION = (
    "Present only when `facets` is given: for each facet asked for, its values by count (descending), then value, counted "
    "under every filter of the request but the faceted field's own. Values no item has are left out."
)


class MeasureFacets(Schema):
    """The facets asked for with `facets`, each a list of values."""

    unit: list[FacetValue] = Field(default_factory=list, description="By responsible unit (unit id).")
    lead_unit: list[FacetValue] = Field(default_factory=list, description="By the unit listed first (unit id).")
    chapter: list[FacetValue] = Field(default_factory=list, description="By chapter (chapter id), labelled with its title.")
    document: list[FacetValue] = Field(default_factory=list, description="By document (document id), labelled with its title.")


class UnitFacets(Schema):
    """The facets asked for with `facets`, each a list of values."""

    kind: list[FacetValue] = Field(default_factory=list, description="By kind of unit, labelled in Chinese.")


class MeasureMeta(Meta):
    """Paging facts, the dataset version and, when asked for, facets."""

    facets: MeasureFacets = Field(default_factory=MeasureFacets, description=FACETS_DESCRIPTION)


class UnitMeta(Meta):
    """Paging facts, the dataset version and, when asked for, facets."""

    facets: UnitFacets = Field(default_factory=UnitFacets, description=FACETS_DESCRIPTION)


class PageLinks(Schema):
    """Links to this page, its neighbours (null at the ends), and the first and last pages."""

    self: str = Field(examples=["/v1/measures?limit=2&offset=2"])
    next: str | None = Field(examples=["/v1/measures?limit=2&offset=4"])
    prev: str | None = Field(examples=["/v1/measures?limit=2&offset=0"])
    first: str = Field(description="The first page (offset 0).", examples=["/v1/measures?limit=2&offset=0"])
    last: str = Field(
        description="The last page of a walk from `first`: its offset is the largest multiple of `limit` below `meta.total` "
        "(0 when the list is empty).",
        examples=["/v1/measures?limit=2&offset=18"],
    )


T = TypeVar("T")


class Page(Schema, Generic[T]):
    """One page of a list."""

    data: list[T]
    meta: Meta
    links: PageLinks


class ListItem(Schema):
    """An item of a list: `fields=` may leave out any of its fields but its `key`."""

    key: ClassVar[tuple[str, ...]] = ("id",)
    selectable: ClassVar[tuple[str, ...]] = ()  # what `fields=` may name: the fields of the item schema


SEARCH_MATCHES = "matches"  # a list item's where-the-search-matched, present only with `q=`: not a field to select


PRESENT_UNLESS = "Present unless `fields=` leaves it out."


def list_item(model: type[Schema], key: tuple[str, ...] = ("id",), matches: Any = None) -> type[ListItem]:
    """`model` as an item of a list (`MeasurePublic` -> `MeasureListItem`): the same fields, `key`
    first, of which only `key` is required; every other one says it may be left out. The item
    endpoints keep `model`, with every field required. `matches`: the (annotation, Field) of the
    search hits' SEARCH_MATCHES, for a list searched with `q=`."""
    fields: dict[str, Any] = {}
    for name in [*key, *(name for name in model.model_fields if name not in key)]:
        info = model.model_fields[name]
        if name not in key:
            description = f"{info.description} {PRESENT_UNLESS}" if info.description else PRESENT_UNLESS
            # A default factory makes the field optional without writing a default into the spec.
            info = FieldInfo.merge_field_infos(info, default_factory=lambda: None, description=description)
        fields[name] = (info.annotation, info)
    if matches is not None:
        fields[SEARCH_MATCHES] = matches
    name = model.__name__.removesuffix("Public") + "ListItem"
    doc = f"{model.__doc__} In a list, `fields=` may leave out any field but {' and '.join(f'`{k}`' for k in key)}."
    item = create_model(name, __base__=ListItem, __doc__=doc, __module__=__name__, **fields)
    item.key, item.selectable = key, tuple(model.model_fields)
    return item


MEASURE_MATCHES = (
    list[MatchPosition],
    Field(
        default_factory=list,
        description="Present only in a list searched with `q`: every occurrence of the query in `title` and `body`, "
        "in Unicode code points into the text as returned (in the script asked for), whichever script the query is "
        "written in; by field (title first), then left to right, never overlapping: after an occurrence, the next is "
        "sought where it ends. The returned text converted to Simplified (OpenCC t2s) holds the query, converted "
        "the same way, at each span.",
    ),
)

UNIT_MATCHES = (
    list[UnitMatchPosition],
    Field(
        default_factory=list,
        description="Present only in a list searched with `q`: every occurrence of the query in the unit's names, "
        "aliases, full name and designations (compared in Simplified, positions in the text as returned, in the script "
        "asked for) and in its English name (case-insensitively); left to right in each text, never overlapping.",
    ),
)

DocumentListItem = list_item(DocumentPublic)
ChapterListItem = list_item(ChapterPublic)
MeasureListItem = list_item(MeasurePublic, matches=MEASURE_MATCHES)
# A link has no id of its own: a measure and a position in its list name it (the dumps' primary key).
MeasureUnitLinkListItem = list_item(MeasureUnitLinkPublic, key=("measure_id", "position"))
UnitListItem = list_item(UnitPublic, matches=UNIT_MATCHES)
CorrectionListItem = list_item(CorrectionPublic)


# One named class per list, so that the spec and generated clients say `MeasurePage`, not `Page_MeasureListItem_`.
class DocumentPage(Page[DocumentListItem]):
    """One page of documents, with paging facts and links."""


class ChapterPage(Page[ChapterListItem]):
    """One page of chapters, with paging facts and links."""


class MeasurePage(Page[MeasureListItem]):
    """One page of measures, with paging facts and links."""

    meta: MeasureMeta


class MeasureUnitLinkPage(Page[MeasureUnitLinkListItem]):
    """One page of measure-unit links, with paging facts and links."""


class UnitPage(Page[UnitListItem]):
    """One page of units, with paging facts and links."""

    meta: UnitMeta


class CorrectionPage(Page[CorrectionListItem]):
    """One page of corrections and errata, with paging facts and links."""


class Licence(Schema):
    """The licence of the data."""

    id: str = Field(examples=["CC0-1.0"])
    name: str = Field(examples=["Creative Commons Zero v1.0 Universal"])
    url: str = Field(examples=["https://creativecommons.org/publicdomain/zero/1.0/"])
    note: str = Field(description="Why the data is free to reuse.", examples=["The documents are official administrative documents …"])


class RootLinks(Links):
    """Links to every collection, the exports, the spec and the docs."""

    documents: str = Field(examples=["/v1/documents"])
    chapters: str = Field(examples=["/v1/chapters"])
    measures: str = Field(examples=["/v1/measures"])
    units: str = Field(examples=["/v1/units"])
    exports: str = Field(examples=["/v1/exports"])
    releases: str = Field(examples=["/v1/releases"])
    catalog: str = Field(description="The DCAT-AP catalog of the dataset, its downloads and this API.", examples=["/v1/catalog"])
    openapi: str = Field(examples=["/openapi.json"])
    docs: str = Field(examples=["/docs"])


class Root(Schema):
    """The entry point of the API."""

    name: str = Field(examples=["Policy documents open-data API"])
    api_version: str = extensible(Literal["v1"], "The API version of these URLs.", examples=["v1"])
    dataset_version: str = Field(examples=["cbd84b88d43c5cf6"])
    schema_version: str = Field(description="Version of the database schema.", examples=["2"])
    licence: Licence
    source: str = Field(description="Where the documents come from.", examples=["Lianjiang County People's Government (Fujian, China); …"])
    documents: int = Field(ge=0, examples=[1])
    links: RootLinks


class ProblemError(Schema):
    """One invalid parameter."""

    parameter: str = Field(description="The parameter at fault.", examples=["limit"])
    location: str = extensible(Literal["query", "path", "header"], "Where the parameter is.", examples=["query"])
    expected: str = Field(description="What the parameter accepts.", examples=["an integer less than or equal to 100"])
    received: str | None = Field(description="What was sent, when it can be echoed.", examples=["500"])


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI reference identifying the problem type.", examples=["/problems/invalid-parameter"])
    title: str = Field(examples=["Invalid parameter"])
    status: int = Field(ge=400, le=599, examples=[400])
    detail: str = Field(examples=["limit: expected an integer less than or equal to 100, received '500'"])
    instance: str = Field(description="The request path.", examples=["/v1/measures"])
    errors: list[ProblemError] | None = Field(default=None, description="Present for invalid parameters.")


class Health(Schema):
    """Liveness."""

    status: str = extensible(Literal["ok"], examples=["ok"])


class Ready(Schema):
    """Readiness: the database answered."""

    status: str = extensible(Literal["ready"], examples=["ready"])
    dataset_version: str = Field(examples=["cbd84b88d43c5cf6"])


# The responsibility matrix of a document (GET /v1/documents/{id}/matrix): units × measures.
MatrixRole = Literal["lead", "part", "absent"]


class MatrixDocument(Schema):
    """The document the matrix is of."""

    id: str = Field(examples=[DOC_ID])
    number: str = Field(description="Document number (文號).", examples=["連政綜〔2021〕127號"])
    title: str = Field(examples=["關于堅定不移推動高質量發展的貫徹意見"])


class MatrixMeasureLinks(Links):
    """Links from a column of the matrix: `self` is the measure."""


class MatrixMeasure(Schema):
    """A column of the matrix: one measure of the document."""

    id: str = Field(examples=[f"{DOC_ID}-m1"])
    number: int = Field(ge=1, examples=[1])
    chapter_id: str = Field(examples=[f"{DOC_ID}-ch1"])
    chapter_number: int = Field(ge=1, examples=[1])
    title: str = Field(description="The text before the first 。.", examples=["加大科技創新投入"])
    unit_count: int = Field(
        ge=0, description="Units its responsible-unit list names: the cells of this column that are not `absent`.", examples=[6]
    )
    links: MatrixMeasureLinks


class MatrixCell(Schema):
    """What one unit does in one measure: one cell of the matrix."""

    measure_id: str = Field(description="The measure of this cell (the `measures` entry at the same index).", examples=[f"{DOC_ID}-m1"])
    role: str = extensible(
        MatrixRole,
        "`lead`: the measure lists the unit first (conventionally the lead unit); `part`: it lists the unit later; "
        "`absent`: it does not list the unit.",
        examples=["lead"],
    )
    position: int | None = Field(ge=1, description="The unit's position in the measure's list (1 = first); null when absent.", examples=[1])
    designation: str | None = Field(
        description="The capacity the unit acts in here, when the list writes one (縣發改局(科技局)); null otherwise.", examples=["科技局"]
    )


class MatrixUnitLinks(Links):
    """Links from a row of the matrix: `self` is the unit."""

    measures: str = Field(
        description="The unit's measures in this document.", examples=[f"/v1/measures?document={DOC_ID}&unit=development-reform"]
    )


class MatrixUnit(Schema):
    """A row of the matrix: a unit that at least one measure of the document lists."""

    id: str = Field(examples=["development-reform"])
    name: str = Field(description="Canonical name, with the county prefix where it applies.", examples=["縣發改局"])
    kind: str = extensible(UnitKind, "What sort of unit it is.", examples=["county_department"])
    lead_count: int = Field(ge=0, description="Measures of this document that list the unit first: its `lead` cells.", examples=[5])
    part_count: int = Field(
        ge=0, description="Measures of this document that list the unit after the first: its `part` cells.", examples=[6]
    )
    measure_count: int = Field(
        ge=1, description="Measures of this document that list the unit: `lead_count` + `part_count`.", examples=[11]
    )
    cells: list[MatrixCell] = Field(description="One cell per measure, in the order of the matrix's `measures`.")
    links: MatrixUnitLinks


class MatrixLinks(Links):
    """Links from a matrix: `self` is the matrix as JSON."""

    csv: str = Field(description="The same matrix as CSV.", examples=[f"/v1/documents/{DOC_ID}/matrix.csv"])
    document: str = Field(examples=[f"/v1/documents/{DOC_ID}"])


class DocumentMatrix(Schema):
    """The responsibility matrix of a document: which unit leads, takes part in, or is absent from each
    measure. Columns: `measures`, by number. Rows: `units`, in the order the document first names them
    (by the number of the first measure that lists the unit, then its position in that list); each row
    has one cell per column, in the same order, so `units[i].cells[j]` is unit i in measure j."""

    document: MatrixDocument
    measures: list[MatrixMeasure] = Field(description="The columns: every measure of the document, by number.")
    units: list[MatrixUnit] = Field(
        description="The rows: every unit a measure of the document lists, in the order the document first names them."
    )
    links: MatrixLinks


# The API catalog (GET /.well-known/api-catalog, RFC 9727): an RFC 9264 linkset.
class LinkTarget(Schema):
    """One link's target: where it points and the media type found there."""

    href: str = Field(description="The target (root-relative unless PUBLIC_BASE_URL is set).", examples=["/openapi.json"])
    type: str = Field(description="The media type of the target.", examples=["application/vnd.oai.openapi+json"])


class ApiCatalogEntry(Schema):
    """One API of the catalog: its entry point and the links to its description and documentation (RFC 8631)."""

    anchor: str = Field(description="The API's entry point (root-relative unless PUBLIC_BASE_URL is set).", examples=["/v1"])
    service_desc: list[LinkTarget] = Field(alias="service-desc", description="The machine-readable description: the OpenAPI spec.")
    service_doc: list[LinkTarget] = Field(alias="service-doc", description="The documentation for people.")
    service_meta: list[LinkTarget] = Field(
        alias="service-meta", description="Metadata for machines: the DCAT-AP catalog of the API and its dataset (/v1/catalog)."
    )


class ApiCatalog(Schema):
    """The APIs this host publishes, as an RFC 9264 JSON linkset (RFC 9727)."""

    linkset: list[ApiCatalogEntry]


# The DCAT-AP catalog (GET /v1/catalog) as compact JSON-LD. A node's keys are `@id`, `@type` and the
# context's compact IRIs (`dct:title`): the pattern lets the tests' closed copy (tests/spec.py) accept
# any term of the vocabularies while refusing a key that is neither.
COMPACT_IRI = "^[a-z]+:[A-Za-z_][A-Za-z0-9_-]*$"


class JsonLdContext(Schema):
    """The JSON-LD context, inline: each prefix and the namespace it stands for."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"patternProperties": {"^[a-z]+$": {"type": "string"}}})


class JsonLdNode(Schema):
    """One node of the graph: its IRI (or blank node label), its classes, and its properties by compact IRI."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"patternProperties": {COMPACT_IRI: {}}})
    id: str = Field(alias="@id", examples=["http://127.0.0.1:8000/v1/catalog#dataset"])
    type: str | list[str] = Field(alias="@type", description="Its class, or classes.", examples=["dcat:Dataset"])


class DcatCatalog(Schema):
    """The DCAT-AP 3 catalog as compact JSON-LD: one `dcat:Catalog`, its `dcat:Dataset` with a
    `dcat:Distribution` per download, and the API as a `dcat:DataService`."""

    context: JsonLdContext = Field(alias="@context")
    graph: list[JsonLdNode] = Field(alias="@graph", description="The nodes, in the order of their ids.")
