"""From source files to the rows of the domain tables, with stable ids and a content-derived version.
The search index is derived from them by the build (models/search.py)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path

from pypinyin import lazy_pinyin
from sqlmodel import SQLModel

from models.scripts import to_hans
from models.tables import SCHEMA_VERSION, Chapter, Correction, DatasetInfo, Document, Measure, MeasureUnit, Unit
from seed import errata as errata_module
from seed import parse as parse_module
from seed.errors import SourceError, line_and_column
from seed.releases import RELEASES_PATH, canonical, load_releases, release_of
from seed.restore import restore
from seed.units import Registry

DOCUMENTS_DIR = Path(__file__).parent / "documents"


def document_id(code: str, year: int, serial: int) -> str:
    """連政綜〔2021〕127號 -> lianzhengzong-2021-127: readable, ASCII, derived from the number."""
    return f"{''.join(lazy_pinyin(code))}-{year}-{serial}"


def _position(span: parse_module.Span) -> dict[str, int]:
    return {"line": span.line, "start": span.start, "end": span.end, "raw_start": span.raw_start, "raw_end": span.raw_end}


def _hans(value: str | None) -> str | None:
    return None if value is None else to_hans(value)


def decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        line, column = line_and_column(before, len(before))
        raise SourceError(path, line, column, "UTF-8 text", data[error.start : error.start + 4].hex(" ")) from None


@dataclass
class Dataset:
    documents: list[Document]
    chapters: list[Chapter]
    measures: list[Measure]
    units: list[Unit]
    measure_units: list[MeasureUnit]
    corrections: list[Correction]
    version: str = ""
    # From the release log: this version's release date, and the first release's (None: unreleased).
    released: str | None = None
    first_released: str | None = None

    def tables(self) -> list[list[SQLModel]]:
        return [getattr(self, name) for name in self._table_names()]

    def counts(self) -> dict[str, int]:
        """Rows per table (the fields are named after the tables)."""
        return {name: len(getattr(self, name)) for name in self._table_names()}

    def _table_names(self) -> list[str]:
        return [f.name for f in fields(self) if f.type.startswith("list[")]

    def info(self) -> list[DatasetInfo]:
        facts = {"dataset_version": self.version, "schema_version": SCHEMA_VERSION}
        if self.released:
            facts |= {"released": self.released, "first_released": self.first_released}
        return [DatasetInfo(key=key, value=value) for key, value in facts.items()]


def _document_rows(path: Path, registry: Registry, errata_path: Path) -> tuple[Document, list, list, list, list, Counter]:
    name = str(path)
    data = path.read_bytes()
    raw = decode(data, name)
    restoration = restore(raw, name)
    doc = parse_module.parse(restoration, name)
    if parse_module.render(doc) != restoration.text:  # the parser's own promise, checked on every build
        raise SourceError(name, 1, 1, "a document whose fields render back to its text", "a mismatch")
    errata = errata_module.locate(restoration, doc.number.text, name, errata_path)
    doc_id = document_id(doc.code, doc.year, doc.serial)

    chapters = [
        Chapter(
            id=f"{doc_id}-ch{c.number}",
            document_id=doc_id,
            number=c.number,
            numeral=c.numeral,
            numeral_hans=to_hans(c.numeral),
            title=c.title.text,
            title_hans=to_hans(c.title.text),
            measure_count=sum(m.chapter == c.number for m in doc.measures),
            **_position(c.span),
        )
        for c in doc.chapters
    ]
    measures, links = [], []
    usage: Counter = Counter()
    for m in doc.measures:
        measure_id = f"{doc_id}-m{m.number}"
        measures.append(
            Measure(
                id=measure_id,
                document_id=doc_id,
                chapter_id=f"{doc_id}-ch{m.chapter}",
                number=m.number,
                chapter_number=m.chapter,
                title=m.title.text,
                title_hans=to_hans(m.title.text),
                body=m.body.text,
                body_hans=to_hans(m.body.text),
                text=m.text,
                text_hans=to_hans(m.text),
                responsibility=m.responsibility.text,
                responsibility_hans=to_hans(m.responsibility.text),
                **_position(m.span),
            )
        )
        for ref, unit in zip(m.units, registry.resolve(m.units, raw, name), strict=True):
            usage[(unit.id, "measures")] += 1
            usage[(unit.id, "leads")] += ref.position == 1
            links.append(
                MeasureUnit(
                    measure_id=measure_id,
                    position=ref.position,
                    unit_id=unit.id,
                    document_id=doc_id,
                    measure_number=m.number,
                    text=ref.text,
                    text_hans=to_hans(ref.text),
                    designation=ref.designation,
                    designation_hans=_hans(ref.designation),
                    lead=ref.position == 1,
                    **_position(ref.span),
                )
            )

    corrections = []
    for n, c in enumerate(restoration.corrections, 1):
        corrections.append(
            Correction(
                id=f"{doc_id}-correction-{n}",
                document_id=doc_id,
                category="correction",
                kind=c.kind,
                line=c.line,
                raw_column=c.column,
                start=c.restored_start,
                end=c.restored_end,
                raw_start=c.raw_start,
                raw_end=c.raw_end,
                raw_text=c.raw_text,
                text=c.restored_text,
                text_hans=to_hans(c.restored_text),
            )
        )
    for n, e in enumerate(errata, 1):
        raw_start, raw_end = restoration.raw_span(e.start, e.end)
        line, column = line_and_column(raw, raw_start)
        corrections.append(
            Correction(
                id=f"{doc_id}-erratum-{n}",
                document_id=doc_id,
                category="erratum",
                kind=e.kind,
                line=line,
                raw_column=column,
                start=e.start,
                end=e.end,
                raw_start=raw_start,
                raw_end=raw_end,
                raw_text=raw[raw_start:raw_end],
                text=e.text,
                text_hans=to_hans(e.text),
                suggested=e.suggested,
                suggested_hans=to_hans(e.suggested),
                note=e.note,
                note_hans=to_hans(e.note),
            )
        )

    header = {
        "number": doc.number,
        "issuer": doc.issuer,
        "issued_on": doc.issued_on_text,
        "adopted_by": doc.adopted_by,
        "notice": doc.notice,
        "title": doc.title,
        "preamble": doc.preamble,
    }
    positions = {key: _position(value.span) for key, value in header.items()}
    positions["recipients"] = [_position(r.span) for r in doc.recipients]
    recipients = [r.text for r in doc.recipients]
    document = Document(
        id=doc_id,
        number=doc.number.text,
        number_hans=to_hans(doc.number.text),
        title=doc.title.text,
        title_hans=to_hans(doc.title.text),
        issuer=doc.issuer.text,
        issuer_hans=to_hans(doc.issuer.text),
        issued_on=doc.issued_on,
        issued_on_text=doc.issued_on_text.text,
        issued_on_text_hans=to_hans(doc.issued_on_text.text),
        adopted_by=doc.adopted_by.text,
        adopted_by_hans=to_hans(doc.adopted_by.text),
        notice=doc.notice.text,
        notice_hans=to_hans(doc.notice.text),
        preamble=doc.preamble.text,
        preamble_hans=to_hans(doc.preamble.text),
        recipients=recipients,
        recipients_hans=[to_hans(r) for r in recipients],
        chapter_count=len(chapters),
        measure_count=len(measures),
        unit_count=len({link.unit_id for link in links}),
        correction_count=len(restoration.corrections),
        erratum_count=len(errata),
        source_name=path.name,
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_characters=len(raw),
        source_text=raw,
        source_text_hans=to_hans(raw),
        restored_text=restoration.text,
        restored_text_hans=to_hans(restoration.text),
        positions=positions,
    )
    return document, chapters, measures, links, corrections, usage


def _unit_rows(registry: Registry, usage: Counter) -> list[Unit]:
    return [
        Unit(
            id=u.id,
            name=u.name,
            name_hans=to_hans(u.name),
            kind=u.kind,
            aliases=list(u.aliases),
            aliases_hans=[to_hans(a) for a in u.aliases],
            designations=[
                {
                    "name": d.name,
                    "name_hans": to_hans(d.name),
                    "full_name": d.full_name,
                    "full_name_hans": _hans(d.full_name),
                    "name_en": d.name_en,
                }
                for d in u.designations
            ],
            full_name=u.full_name,
            full_name_hans=_hans(u.full_name),
            name_en=u.name_en,
            measure_count=usage[(u.id, "measures")],
            lead_count=usage[(u.id, "leads")],
        )
        for u in sorted(registry.units, key=lambda u: u.id)
        if usage[(u.id, "measures")]
    ]


def content_version(tables: list[list[SQLModel]]) -> str:
    """The first 16 hex digits of a sha256 over every row, in a canonical form."""
    digest = hashlib.sha256()
    for rows in tables:
        for row in rows:
            digest.update(canonical(row) + b"\n")
    return digest.hexdigest()[:16]


def load(
    paths: list[Path],
    registry: Registry | None = None,
    errata_path: Path = errata_module.ERRATA_PATH,
    releases_path: Path = RELEASES_PATH,
) -> Dataset:
    """The domain tables' rows for the documents at `paths`, in a deterministic order, and the
    version's release dates when the release log has a record of it."""
    registry = registry or Registry.load()
    releases = load_releases(releases_path)  # a malformed log fails the build before anything is written
    dataset = Dataset([], [], [], [], [], [])
    usage: Counter = Counter()
    for path in sorted(paths):
        document, chapters, measures, links, corrections, used = _document_rows(path, registry, errata_path)
        if any(d.id == document.id for d in dataset.documents):
            raise SourceError(str(path), 1, 1, "a document number not already loaded", document.number)
        dataset.documents.append(document)
        dataset.chapters += chapters
        dataset.measures += measures
        dataset.measure_units += links
        dataset.corrections += corrections
        usage += used
    dataset.units = _unit_rows(registry, usage)
    dataset.version = content_version(dataset.tables())
    release = release_of(dataset.version, releases)
    if release is not None:
        dataset.released, dataset.first_released = release.date.isoformat(), releases[0].date.isoformat()
    return dataset


def default_sources() -> list[Path]:
    return sorted(DOCUMENTS_DIR.glob("*.txt"))
