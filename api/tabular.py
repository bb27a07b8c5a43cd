"""CSV: the columns of each collection and the one writer, for `format=csv` and the dumps alike.

RFC 4180 (CRLF line ends, a header row, quotes where needed), UTF-8. Multi-valued fields are
joined with `MULTI_SEPARATOR`; no value in the data contains it (the build's names do not use a
half-width semicolon), and the Table Schemas of the data package say so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MULTI_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    name: str
    get: Callable[[dict[str, Any]], Any]
    type: str = "string"  # Frictionless Table Schema type
    description: str = ""
    enum: tuple[str, ...] = ()  # the only values it holds besides empty, when they are fixed
    of: str = ""  # the top-level field of the JSON item it is read from (`fields=` selects by it); "" for `name`

    @property
    def field(self) -> str:
        return self.of or self.name


def field(path: str, type_: str = "string", description: str = "", name: str | None = None) -> Column:
    """A column read from a dotted path of the public representation: `source.line`."""
    keys = path.split(".")

    def get(item: dict[str, Any]) -> Any:
        for key in keys:
            item = item[key]
        return item

    return Column(name or path.replace(".", "_"), get, type_, description, of=keys[0])


JOINED = f", separated by '{MULTI_SEPARATOR}'"  # ends the description of a joined column


def joined(name: str, get: Callable[[dict[str, Any]], Iterable[Any]], description: str, of: str = "") -> Column:
    return Column(name, lambda item: MULTI_SEPARATOR.join(str(v) for v in get(item)), "string", description + JOINED, of=of)


# Where a record stands in its source (models/tables.py SourcePosition), by the database's names.
POSITION_DESCRIPTIONS = {
    "line": "1-based line in the source",
    "start": "offset of the first character in the restored text",
    "end": "offset after the last character in the restored text",
    "raw_start": "offset of the first character in the source as received",
    "raw_end": "offset after the last character in the source as received",
}
POSITION = [field(f"source.{name}", "integer", description) for name, description in POSITION_DESCRIPTIONS.items()]

COLUMNS: dict[str, list[Column]] = {
    "documents": [
        field("id", description="stable document id"),
        field("number", description="document number"),
        field("title", description="document title"),
        field("issuer", description="issuing body"),
        field("issued_on", "date", "issue date"),
        field("issued_on_text", description="issue date as written"),
        joined("recipients", lambda d: d["recipients"], "addressees in order"),
        field("notice", description="the covering notice that sends the document out"),
        field("adopted_by", description="body that adopted the document"),
        field("preamble", description="text before the first chapter"),
        field("counts.chapters", "integer", "number of chapters", name="chapter_count"),
        field("counts.measures", "integer", "number of measures", name="measure_count"),
        field("counts.units", "integer", "number of responsible units it names", name="unit_count"),
        field("counts.corrections", "integer", "number of corrections of the damaged copy", name="correction_count"),
        field("counts.errata", "integer", "number of errata of the original", name="erratum_count"),
        field("source.name", description="file name of the source as received"),
        field("source.sha256", description="sha256 of the source as received"),
        field("links.self", name="url", description="API URL"),
    ],
    "chapters": [
        field("id", description="stable chapter id"),
        field("document_id", description="the document (documents.id)"),
        field("number", "integer", "chapter number, from 1"),
        field("numeral", description="numeral as written"),
        field("title", description="chapter title"),
        field("measure_count", "integer", "number of measures in the chapter"),
        *POSITION,
        field("links.self", name="url", description="API URL"),
    ],
    "measures": [
        field("id", description="stable measure id"),
        field("document_id", description="the document (documents.id)"),
        field("chapter_id", description="the chapter (chapters.id)"),
        field("number", "integer", "measure number, from 1 through the document"),
        field("chapter_number", "integer", "number of its chapter"),
        field("title", description="text before the first 。"),
        field("body", description="text after the first 。, the responsible-unit list left out"),
        field("text", description="title, 。 and body"),
        field("responsibility", description="responsible-unit list as written"),
        joined("unit_ids", lambda m: (u["unit_id"] for u in m["units"]), "responsible unit ids in listed order", of="units"),
        Column("lead_unit_id", lambda m: m["units"][0]["unit_id"] if m["units"] else None, "string", "unit listed first", of="units"),
        *POSITION,
        field("links.self", name="url", description="API URL"),
    ],
    "units": [
        field("id", description="stable unit id"),
        field("name", description="canonical name as the documents write it"),
        field("kind", description="what sort of unit it is: county_department, party_organ, public_institution, …"),
        joined("aliases", lambda u: u["aliases"], "other names"),
        joined("designations", lambda u: (d["name"] for d in u["designations"]), "other capacities the unit acts in"),
        field("curated.full_name", name="full_name", description="curated: standard expansion of the name"),
        field("curated.name_en", name="name_en", description="curated: unofficial English translation"),
        field("measure_count", "integer", "number of measures that list the unit"),
        field("lead_count", "integer", "number of measures that list it first"),
        field("links.self", name="url", description="API URL"),
    ],
    "measure_units": [
        field("measure_id", description="the measure (measures.id)"),
        field("document_id", description="the document (documents.id)"),
        field("measure_number", "integer", "the measure's number"),
        field("position", "integer", "1 = listed first"),
        field("unit_id", description="the unit (units.id)"),
        field("name", description="the unit's canonical name"),
        field("text", description="the entry exactly as written"),
        field("designation", description="the capacity the unit acts in here, if written"),
        field("lead", "boolean", "listed first"),
        *POSITION,
    ],
    "corrections": [
        field("id", description="stable correction or erratum id"),
        field("document_id", description="the document (documents.id)"),
        field("category", description="correction (change from the damaged copy) or erratum (kept as published)"),
        field("kind", description="what was changed or found: pinyin_annotation, mojibake, typo, unmatched_quote, reversed_quotes"),
        field("line", "integer", POSITION_DESCRIPTIONS["line"]),
        field("raw_column", "integer", "1-based column of raw_start on its line"),
        field("start", "integer", POSITION_DESCRIPTIONS["start"]),
        field("end", "integer", POSITION_DESCRIPTIONS["end"]),
        field("raw_start", "integer", POSITION_DESCRIPTIONS["raw_start"]),
        field("raw_end", "integer", POSITION_DESCRIPTIONS["raw_end"]),
        field("raw_text", description="the source as received here"),
        field("text", description="the served text here"),
        field("suggested", description="errata: suggested reading"),
        field("note", description="explanation, in English"),
    ],
}


def selected(columns: list[Column], fields: Sequence[str] | None) -> list[Column]:
    """The columns of a list's CSV for `fields=` (top-level fields of its JSON items): those read
    from each field, field by field in the order given; without a selection, all of them as they
    stand. A field the CSV does not flatten (a document's `positions`) gives none."""
    if fields is None:
        return columns
    return [column for name in fields for column in columns if column.field == name]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: Any) -> Any:
    """The Excel variant only: a text cell that a spreadsheet would run as a formula gets a leading
    apostrophe, which Excel shows as text. The standard CSV is never altered."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value


def to_csv(items: Iterable[dict[str, Any]], columns: list[Column], *, excel: bool = False) -> bytes:
    """RFC 4180 CSV; `excel=True` adds a byte order mark and guards formula-like text cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for item in items:
        cells = [_cell(c.get(item)) for c in columns]
        writer.writerow([excel_safe(cell) for cell in cells] if excel else cells)
    return ("\ufeff" if excel else "").encode("utf-8") + buffer.getvalue().encode("utf-8")


# The responsibility matrix as a spreadsheet: a row per unit of a document, a column per measure
# number (cells `lead`, `part` or empty), then the unit's totals. One writer for the API's CSV of a
# document and the download of every document, so that for one document the two are the same bytes.
MATRIX_CELLS = ("lead", "part")


def matrix_columns(numbers: Iterable[int]) -> list[Column]:
    """The matrix's columns for these measure numbers (a CSV holding several documents has a column
    for every number any of them has)."""
    return [
        field("document_id", description="the document"),
        field("unit_id", description="stable unit id"),
        field("unit_name", description="the unit's canonical name"),
        *(
            Column(
                str(number),
                lambda row, number=number: row["cells"].get(number),
                "string",
                f"measure {number} of the row's document: lead (listed first), part (listed later) or empty (not listed, or no such measure)",
                MATRIX_CELLS,
            )
            for number in numbers
        ),
        field("lead_count", "integer", "measures of the document that list the unit first"),
        field("part_count", "integer", "measures of the document that list the unit after the first"),
        field("measure_count", "integer", "measures of the document that list the unit: lead_count + part_count"),
    ]


def matrix_table(matrices: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Column]]:
    """The rows and columns of the CSV of these matrices (DocumentMatrix representations)."""
    rows, numbers = [], set()
    for matrix in matrices:
        number_of = {m["id"]: m["number"] for m in matrix["measures"]}
        numbers.update(number_of.values())
        for unit in matrix["units"]:
            cells = {number_of[c["measure_id"]]: c["role"] for c in unit["cells"] if c["role"] != "absent"}
            rows.append(
                {"document_id": matrix["document"]["id"], "unit_id": unit["id"], "unit_name": unit["name"], "cells": cells}
                | {key: unit[key] for key in ("lead_count", "part_count", "measure_count")}
            )
    return rows, matrix_columns(sorted(numbers))


def matrix_csv(matrices: Iterable[dict[str, Any]]) -> bytes:
    return to_csv(*matrix_table(matrices))
