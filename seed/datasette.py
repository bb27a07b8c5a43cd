"""The Datasette metadata of the downloadable database (`datasette policy.sqlite3 -m metadata.json`).

Datasette reads a title, a licence, a source and the descriptions of tables and columns from such
a file, never from the database itself. Every word comes from where it is said already: what the
dataset is from api/metadata.py, the tables from the dumps' descriptions, a column from the CSV
column of its name (api/tabular.py). Only what the CSVs have no column for is described here.

Build-time code, written into each release by seed/export.py. It reads those words from `api/`
(which serves the same metadata and CSVs) rather than repeating them; `api/` never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import JSON, Table

from api.metadata import DESCRIPTION, LICENCE, SOURCE, TITLE
from api.tabular import COLUMNS, JOINED, POSITION_DESCRIPTIONS

HANS = "_hans"  # models/scripts.py: a text column's Simplified twin

# The tables and columns of the database that no CSV column describes.
TABLES = {"dataset_info": "Facts about the build: dataset_version, schema_version, and the release dates when it is a release."}
OWN_COLUMNS = {
    "dataset_info": {
        "key": "name of the fact: dataset_version, schema_version, released, first_released",
        "value": "its value (dates as YYYY-MM-DD)",
    },
    "documents": {
        "source_characters": "length of the source as received, in characters (code points)",
        "source_text": "the source as received, whole",
        "restored_text": "the restored text, whole: the offsets start and end count into it",
        "positions": "where each field of the header stands in the source: {field: {line, start, end, raw_start, raw_end}} (JSON)",
    },
}


def column_description(table: str, column: str, is_json: bool) -> str | None:
    """What `column` of `table` holds, as the CSV column of that name says, or the position fields,
    or this module; a Simplified twin (`title_hans`) by its Traditional column's name."""
    if column.endswith(HANS):
        return f"{column.removesuffix(HANS)} in Simplified script"
    described = {c.name: c.description for c in COLUMNS.get(table, []) if c.description}
    if column in described:
        # A list the CSV joins into one cell is a JSON array in the database.
        return described[column].removesuffix(JOINED) + " (JSON array)" if is_json else described[column]
    return POSITION_DESCRIPTIONS.get(column) or OWN_COLUMNS.get(table, {}).get(column)


def datasette_metadata(database: str, tables: Iterable[Table], table_descriptions: Mapping[str, str]) -> dict[str, Any]:
    """Datasette's metadata for the database file named `database` (without its suffix, as Datasette
    names it) holding `tables`."""
    described = {**table_descriptions, **TABLES}
    return {
        "title": f"{TITLE['en']} ({TITLE['zh-Hant']})",
        "description": DESCRIPTION["en"],
        "license": LICENCE["name"],
        "license_url": LICENCE["url"],
        "source": SOURCE,
        "databases": {
            database: {
                "tables": {  # str(): SQLAlchemy's names are a subclass, which orjson refuses as keys
                    str(table.name): {
                        "description": described[table.name],
                        "columns": {
                            str(column.name): description
                            for column in table.columns
                            if (description := column_description(table.name, column.name, isinstance(column.type, JSON)))
                        },
                    }
                    for table in tables
                }
            }
        },
    }
