"""Database rows -> public representations (the shapes of models/schemas.py), in one script.

Plain dicts serialised by orjson: building pydantic models per item would cost more than the whole
rest of a request. The tests validate every body against the committed spec instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from models.scripts import Script

POSITION = ("line", "start", "end", "raw_start", "raw_end")


@dataclass(frozen=True)
class Presenter:
    base_url: str
    script: Script

    def link(self, path: str, **params: Any) -> str:
        """A link that keeps the reader in the script they asked for."""
        if self.script is Script.hans:
            params["script"] = "hans"
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def text(self, row: Mapping[str, Any], field: str) -> Any:
        return row[f"{field}_hans"] if self.script is Script.hans else row[field]

    def curated(self, full_name: str | None, full_name_hans: str | None, name_en: str | None) -> dict[str, Any]:
        return {
            "full_name": full_name_hans if self.script is Script.hans else full_name,
            "name_en": name_en,
            "name_en_is_official": False,
        }

    def document(self, row: Mapping[str, Any]) -> dict[str, Any]:
        doc_id = row["id"]
        return {
            "id": doc_id,
            "number": self.text(row, "number"),
            "title": self.text(row, "title"),
            "issuer": self.text(row, "issuer"),
            "issued_on": row["issued_on"],
            "issued_on_text": self.text(row, "issued_on_text"),
            "recipients": self.text(row, "recipients"),
            "notice": self.text(row, "notice"),
            "adopted_by": self.text(row, "adopted_by"),
            "preamble": self.text(row, "preamble"),
            "counts": {
                "chapters": row["chapter_count"],
                "measures": row["measure_count"],
                "units": row["unit_count"],
                "corrections": row["correction_count"],
                "errata": row["erratum_count"],
            },
            "source": {"name": row["source_name"], "sha256": row["source_sha256"], "characters": row["source_characters"]},
            "positions": row["positions"],
            "links": {
                "self": self.link(f"/v1/documents/{doc_id}"),
                "chapters": self.link("/v1/chapters", document=doc_id),
                "measures": self.link("/v1/measures", document=doc_id),
                "corrections": self.link(f"/v1/documents/{doc_id}/corrections"),
                "source": f"{self.base_url}/v1/documents/{doc_id}/source",
                "matrix": self.link(f"/v1/documents/{doc_id}/matrix"),
            },
        }

    def chapter(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "document_id": row["document_id"],
            "number": row["number"],
            "numeral": self.text(row, "numeral"),
            "title": self.text(row, "title"),
            "measure_count": row["measure_count"],
            "source": {key: row[key] for key in POSITION},
            "links": {
                "self": self.link(f"/v1/chapters/{row['id']}"),
                "document": self.link(f"/v1/documents/{row['document_id']}"),
                "measures": self.link("/v1/measures", chapter=row["id"]),
            },
        }

    def measure_unit(self, row: Mapping[str, Any], unit: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "unit_id": row["unit_id"],
            "name": self.text(unit, "name"),
            "text": self.text(row, "text"),
            "designation": self.text(row, "designation"),
            "position": row["position"],
            "lead": bool(row["lead"]),
            "source": {key: row[key] for key in POSITION},
            "links": {"self": self.link(f"/v1/units/{row['unit_id']}")},
        }

    def measure_unit_link(self, row: Mapping[str, Any], unit: Mapping[str, Any]) -> dict[str, Any]:
        """A measure-unit link as a record of its own (the measure_units collection)."""
        link = self.measure_unit(row, unit)
        link["links"]["measure"] = self.link(f"/v1/measures/{row['measure_id']}")
        return {"measure_id": row["measure_id"], "document_id": row["document_id"], "measure_number": row["measure_number"], **link}

    def measure(self, row: Mapping[str, Any], units: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "document_id": row["document_id"],
            "chapter_id": row["chapter_id"],
            "number": row["number"],
            "chapter_number": row["chapter_number"],
            "title": self.text(row, "title"),
            "body": self.text(row, "body"),
            "text": self.text(row, "text"),
            "responsibility": self.text(row, "responsibility"),
            "units": list(units),
            "source": {key: row[key] for key in POSITION},
            "links": {
                "self": self.link(f"/v1/measures/{row['id']}"),
                "document": self.link(f"/v1/documents/{row['document_id']}"),
                "chapter": self.link(f"/v1/chapters/{row['chapter_id']}"),
            },
        }

    def unit(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": self.text(row, "name"),
            "kind": row["kind"],
            "aliases": self.text(row, "aliases"),
            "designations": [
                {"name": self.text(d, "name"), "curated": self.curated(d["full_name"], d["full_name_hans"], d["name_en"])}
                for d in row["designations"]
            ],
            "curated": self.curated(row["full_name"], row["full_name_hans"], row["name_en"]),
            "measure_count": row["measure_count"],
            "lead_count": row["lead_count"],
            "links": {"self": self.link(f"/v1/units/{row['id']}"), "measures": self.link(f"/v1/units/{row['id']}/measures")},
        }

    def correction(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "document_id": row["document_id"],
            "category": row["category"],
            "kind": row["kind"],
            "line": row["line"],
            "raw_column": row["raw_column"],
            "start": row["start"],
            "end": row["end"],
            "raw_start": row["raw_start"],
            "raw_end": row["raw_end"],
            "raw_text": row["raw_text"],
            "text": self.text(row, "text"),
            "suggested": self.text(row, "suggested"),
            "note": self.text(row, "note"),
        }

    def matrix(
        self,
        document: Mapping[str, Any],
        measures: Sequence[Mapping[str, Any]],
        links: Iterable[Mapping[str, Any]],
        units: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The responsibility matrix of `document` (the DocumentMatrix schema): its `measures`, in
        number order, as columns; as rows, the units of its measure-unit `links` (read in measure
        number, then position order), in the order the document first names them."""
        entries: dict[str, dict[str, Mapping[str, Any]]] = {}  # unit id -> measure id -> its entry
        for link in links:
            entries.setdefault(link["unit_id"], {}).setdefault(link["measure_id"], link)  # a list names a unit once
        doc_id = document["id"]
        columns = [
            {
                "id": m["id"],
                "number": m["number"],
                "chapter_id": m["chapter_id"],
                "chapter_number": m["chapter_number"],
                "title": self.text(m, "title"),
                "unit_count": sum(m["id"] in found for found in entries.values()),
                "links": {"self": self.link(f"/v1/measures/{m['id']}")},
            }
            for m in measures
        ]
        rows = [
            self._matrix_row(doc_id, units[unit_id], [found.get(m["id"]) for m in measures], measures) for unit_id, found in entries.items()
        ]
        return {
            "document": {"id": doc_id, "number": self.text(document, "number"), "title": self.text(document, "title")},
            "measures": columns,
            "units": rows,
            "links": {
                "self": self.link(f"/v1/documents/{doc_id}/matrix"),
                "csv": self.link(f"/v1/documents/{doc_id}/matrix.csv"),
                "document": self.link(f"/v1/documents/{doc_id}"),
            },
        }

    def _matrix_row(
        self, doc_id: str, unit: Mapping[str, Any], entries: list[Mapping[str, Any] | None], measures: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        cells = [
            {"measure_id": m["id"], "role": "absent", "position": None, "designation": None}
            if entry is None
            else {
                "measure_id": m["id"],
                "role": "lead" if entry["lead"] else "part",
                "position": entry["position"],
                "designation": self.text(entry, "designation"),
            }
            for m, entry in zip(measures, entries, strict=True)
        ]
        leads = sum(cell["role"] == "lead" for cell in cells)
        listed = sum(entry is not None for entry in entries)
        return {
            "id": unit["id"],
            "name": self.text(unit, "name"),
            "kind": unit["kind"],
            "lead_count": leads,
            "part_count": listed - leads,
            "measure_count": listed,
            "cells": cells,
            "links": {
                "self": self.link(f"/v1/units/{unit['id']}"),
                "measures": self.link("/v1/measures", document=doc_id, unit=unit["id"]),
            },
        }
