"""The Frictionless Data Package descriptor of one script's CSVs (`<script>/datapackage.json`).

Licence, source and version, and for each CSV its Table Schema (types, descriptions, enums, primary
and foreign keys), byte size and sha256. The fields are the CSV writer's own columns (api/tabular.py,
which the API's `format=csv` uses too), so the schema describes the very cells written. Build-time
code, called by seed/export.py; `api/` never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from api.metadata import LICENCE, SOURCE
from api.tabular import MULTI_SEPARATOR, Column
from models.scripts import Script

if TYPE_CHECKING:
    from seed.export import ExportFile

PRIMARY_KEYS = {  # the others: ["id"]
    "measure_units": ["measure_id", "position"],
    "matrix": ["document_id", "unit_id"],
}
FOREIGN_KEYS = {
    "chapters": [("document_id", "documents", "id")],
    "measures": [("document_id", "documents", "id"), ("chapter_id", "chapters", "id")],
    "measure_units": [("measure_id", "measures", "id"), ("unit_id", "units", "id"), ("document_id", "documents", "id")],
    "corrections": [("document_id", "documents", "id")],
    "matrix": [("document_id", "documents", "id"), ("unit_id", "units", "id")],
}


def table_schema(name: str, columns: list[Column]) -> dict[str, Any]:
    """The Table Schema of the CSV `name` with these columns."""
    primary_key = PRIMARY_KEYS.get(name, ["id"])
    fields = []
    for column in columns:
        spec: dict[str, Any] = {"name": column.name, "type": column.type}
        if column.description:
            spec["description"] = column.description
        constraints = ({"required": True} if column.name in primary_key else {}) | ({"enum": list(column.enum)} if column.enum else {})
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    schema: dict[str, Any] = {"fields": fields, "primaryKey": primary_key, "missingValues": [""]}
    if name in FOREIGN_KEYS:
        schema["foreignKeys"] = [
            {"fields": field, "reference": {"resource": resource, "fields": key}} for field, resource, key in FOREIGN_KEYS[name]
        ]
    return schema


def datapackage(version: str, script: Script, csv_files: Mapping[str, tuple[ExportFile, list[Column]]]) -> dict[str, Any]:
    """The descriptor of the CSVs of `script` written as `csv_files` (by name: the file, its columns)."""
    return {
        "profile": "tabular-data-package",
        "name": f"lianjiang-policy-documents-{script.value}",
        "title": f"Lianjiang County policy documents ({'Traditional script, as published' if script is Script.hant else 'Simplified script'})",
        "description": "Documents, chapters, measures, responsible units, measure-unit links, the responsibility matrix and the correction log of "
        f"Lianjiang County policy documents. Multi-valued cells are joined with '{MULTI_SEPARATOR}'. The same records as JSON, "
        "the nested document.json and Excel-friendly CSVs (*.excel.csv) sit beside this file.",
        "version": version,
        "licenses": [{"name": LICENCE["id"], "title": LICENCE["name"], "path": LICENCE["url"]}],
        "sources": [{"title": SOURCE}],
        "resources": [
            {
                "name": name,
                "path": entry.name.split("/", 1)[1],
                "profile": "tabular-data-resource",
                "title": entry.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": entry.bytes,
                "hash": f"sha256:{entry.sha256}",
                "schema": table_schema(name, columns),
            }
            for name, (entry, columns) in csv_files.items()
        ],
    }
