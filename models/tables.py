"""The domain tables: what the database stores as data. The API never returns these classes: see
models/schemas.py. The search index derived from them is declared with the search (models/search.py).

Every text column `x` has a Simplified twin `x_hans` (models/scripts.py). Positions are code-point
offsets: `start`/`end` in the restored text, `raw_start`/`raw_end` in the copy as received, `line`
1-based. Ids are stable strings derived from the content (seed/dataset.py), never row numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

# The shape of the database, stored with every build: the API refuses a database of another
# shape rather than misread it. 2: search_grams holds runs of up to three characters.
SCHEMA_VERSION = "2"


class SourcePosition(SQLModel):
    line: int
    start: int
    end: int
    raw_start: int
    raw_end: int


class DatasetInfo(SQLModel, table=True):
    """Key/value facts about the build: dataset_version, schema_version."""

    __tablename__ = "dataset_info"
    key: str = Field(primary_key=True)
    value: str


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    id: str = Field(primary_key=True)
    number: str
    number_hans: str
    title: str
    title_hans: str
    issuer: str
    issuer_hans: str
    issued_on: dt.date
    issued_on_text: str
    issued_on_text_hans: str
    adopted_by: str
    adopted_by_hans: str
    notice: str
    notice_hans: str
    preamble: str
    preamble_hans: str
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipients_hans: list[str] = Field(sa_column=Column(JSON, nullable=False))
    chapter_count: int
    measure_count: int
    unit_count: int
    correction_count: int
    erratum_count: int
    source_name: str
    source_sha256: str
    source_characters: int
    source_text: str = Field(sa_column=Column(Text, nullable=False))
    source_text_hans: str = Field(sa_column=Column(Text, nullable=False))
    restored_text: str = Field(sa_column=Column(Text, nullable=False))
    restored_text_hans: str = Field(sa_column=Column(Text, nullable=False))
    # {field: {line, start, end, raw_start, raw_end}} for every field of the header.
    positions: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Chapter(SourcePosition, table=True):
    __tablename__ = "chapters"
    id: str = Field(primary_key=True)
    document_id: str = Field(foreign_key="documents.id", index=True)
    number: int
    numeral: str
    numeral_hans: str
    title: str
    title_hans: str
    measure_count: int


class Measure(SourcePosition, table=True):
    __tablename__ = "measures"
    __table_args__ = (
        Index("ix_measures_document_number", "document_id", "number"),
        Index("ix_measures_chapter_number", "chapter_number", "document_id", "number"),
    )
    id: str = Field(primary_key=True)
    document_id: str = Field(foreign_key="documents.id")
    chapter_id: str = Field(foreign_key="chapters.id", index=True)
    number: int
    chapter_number: int
    title: str
    title_hans: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_hans: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_hans: str = Field(sa_column=Column(Text, nullable=False))
    responsibility: str
    responsibility_hans: str


class Unit(SQLModel, table=True):
    __tablename__ = "units"
    id: str = Field(primary_key=True)
    name: str
    name_hans: str
    kind: str = Field(index=True)
    aliases: list[str] = Field(sa_column=Column(JSON, nullable=False))
    aliases_hans: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # [{name, name_hans, full_name, full_name_hans, name_en}]
    designations: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    full_name: str | None = None
    full_name_hans: str | None = None
    name_en: str | None = None
    measure_count: int
    lead_count: int


class MeasureUnit(SourcePosition, table=True):
    """One entry of a measure's 責任單位 list, in order: position 1 is the lead."""

    __tablename__ = "measure_units"
    # A unit filter walks one of these in the measures' order: no sort, no scan of other units.
    __table_args__ = (
        Index("ix_measure_units_unit", "unit_id", "document_id", "measure_number"),
        Index("ix_measure_units_unit_lead", "unit_id", "lead", "document_id", "measure_number"),
    )
    measure_id: str = Field(foreign_key="measures.id", primary_key=True)
    position: int = Field(primary_key=True)
    unit_id: str = Field(foreign_key="units.id")
    document_id: str = Field(foreign_key="documents.id")
    measure_number: int
    text: str  # exactly as written: 發改局(科技局)
    text_hans: str
    designation: str | None = None  # 科技局
    designation_hans: str | None = None
    lead: bool


class Correction(SourcePosition, table=True):
    """A change from the raw copy (category `correction`) or an error of the original that is kept
    as published and annotated (category `erratum`)."""

    __tablename__ = "corrections"
    id: str = Field(primary_key=True)
    document_id: str = Field(foreign_key="documents.id", index=True)
    category: str  # correction | erratum
    kind: str  # pinyin_annotation | mojibake | typo | unmatched_quote | reversed_quotes
    raw_column: int  # 1-based column of raw_start on its line
    raw_text: str  # the copy as received, never converted
    text: str  # what the served text has here
    text_hans: str
    suggested: str | None = None  # errata only: the suggested reading of `text`
    suggested_hans: str | None = None
    note: str | None = None
    note_hans: str | None = None
