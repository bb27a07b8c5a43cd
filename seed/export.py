"""The open-data dumps: every collection as JSON and CSV in both scripts, the nested document, a
Frictionless data package, the SQLite database, the release log with its ids diffs and SHA256SUMS.

Written (by `policy-api build` and `policy-api export`) as one release: a folder of the exports
folder named by the content of its files (`releases/<release id>/`), which the API serves file by
file (api/downloads.py), so the served and the written bytes are the same bytes. The records come
from `api.collections`, the code the list routes use, so the dumps and the API agree. Nothing
inside depends on the time or the machine: two exports of one dataset version with one code are
identical, and so is their release id.

Build-time code: the server only reads what this writes. It imports from `api/` what the API's
responses are made of (collections, presenter, CSV columns, metadata) and the release layout both
sides share (api/downloads.py's file names, release_id, sha256sums), so a dump is the API's record
by construction; `api/` never imports this module, so the server loads none of the build's code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlmodel import Session, select

from api import collections
from api.db import Database
from api.downloads import CURRENT, MANIFEST, RELEASES_DIR, SUMS_NAME, release_id, sha256sums
from api.paging import CSV_MEDIA_TYPE
from api.present import Presenter
from api.tabular import COLUMNS, Column, matrix_table, to_csv
from models.scripts import Script
from seed.build import DOWNLOAD_MODELS, TABLE_MODELS, write_download
from seed.datapackage import datapackage
from seed.datasette import datasette_metadata
from seed.releases import COLLECTIONS as SYNCED
from seed.releases import release_log, row_digests

SQLITE_NAME = "policy.sqlite3"
DATASETTE_NAME = "metadata.json"  # beside SQLITE_NAME: `datasette policy.sqlite3 -m metadata.json`
RELEASE_LOG_NAME = "releases.json"
JSON_MEDIA_TYPE = "application/json"

DESCRIPTIONS = {
    "documents": "Documents: number, title, issuer, date, recipients, notice, preamble, counts.",
    "chapters": "Chapters: number, numeral, title, measure count, source position.",
    "measures": "Measures: number, chapter, title, body, full text, responsible units, source position.",
    "units": "Responsible units: name, kind, aliases, designations, curated full and English names, counts.",
    "measure_units": "Measure-unit links: one row per entry of each responsible-unit list, in order (position 1 leads).",
    "corrections": "Correction log (changes from the damaged copy) and errata (errors of the original, kept as published).",
    "matrix": "Responsibility matrix: a row per unit of each document, a column per measure number (lead, part or empty), the unit's totals.",
}
COLLECTIONS: dict[str, Callable[[Database, Presenter], tuple[list[dict], int]]] = {
    "documents": collections.documents,
    "chapters": collections.chapters,
    "measures": lambda db, present: collections.measures(db, present, collections.MeasureFilter()),
    "units": collections.units,
    "measure_units": collections.measure_units,
    "corrections": collections.corrections,
}


@dataclass(frozen=True)
class Exported:
    """What an export wrote: its release and that release's files."""

    release: str
    folder: Path
    files: list[ExportFile]


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    script: str | None
    bytes: int
    sha256: str
    records: int | None
    description: str


class Writer:
    """Collects the files of one export in a folder, with their facts for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root, self.files = root, []

    def add(self, name: str, data: bytes, media_type: str, script: Script | None, records: int | None, description: str) -> ExportFile:
        """Write `data` as `name` and record it."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self._record(name, data, media_type, script, records, description)

    def add_written(self, name: str, media_type: str, script: Script | None, records: int | None, description: str) -> ExportFile:
        """Record the file `name`, written by someone else."""
        return self._record(name, (self.root / name).read_bytes(), media_type, script, records, description)

    def _record(self, name: str, data: bytes, media_type: str, script: Script | None, records: int | None, description: str) -> ExportFile:
        entry = ExportFile(
            name, media_type, script.value if script else None, len(data), hashlib.sha256(data).hexdigest(), records, description
        )
        self.files.append(entry)
        return entry


def _json(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n"


def _write_script(writer: Writer, db: Database, script: Script) -> None:
    present = Presenter("", script)  # root-relative links: the files hold no deployment's address
    meta = {"dataset_version": db.version, "script": script.value}
    csv_files = {}
    for name, fetch in COLLECTIONS.items():
        records, total = fetch(db, present)
        folder = f"{script.value}/{name}"
        writer.add(f"{folder}.json", _json(meta | {"count": total, "data": records}), JSON_MEDIA_TYPE, script, total, DESCRIPTIONS[name])
        _write_csv(writer, csv_files, script, name, records, COLUMNS[name])
    rows, total = collections.document_rows(db)
    matrices = [collections.document_matrix(db, present, row) for row in rows]  # as /v1/documents/{id}/matrix
    matrix_json = _json(meta | {"count": len(matrices), "data": matrices})
    writer.add(f"{script.value}/matrix.json", matrix_json, JSON_MEDIA_TYPE, script, len(matrices), DESCRIPTIONS["matrix"])
    _write_csv(writer, csv_files, script, "matrix", *matrix_table(matrices))
    nested = [collections.full_document(db, present, row) for row in rows]
    description = "Every document nested: chapters, their measures, the measures' units."
    writer.add(
        f"{script.value}/document.json", _json(meta | {"count": total, "documents": nested}), JSON_MEDIA_TYPE, script, total, description
    )
    package = datapackage(db.version, script, csv_files)
    writer.add(
        f"{script.value}/datapackage.json",
        _json(package),
        JSON_MEDIA_TYPE,
        script,
        None,
        "Frictionless Data Package descriptor for the CSVs.",
    )


def _write_csv(
    writer: Writer,
    csv_files: dict[str, tuple[ExportFile, list[Column]]],
    script: Script,
    name: str,
    rows: list[dict],
    columns: list[Column],
) -> None:
    """`name`.csv and its Excel variant, recorded in `csv_files` for the data package."""
    folder, description = f"{script.value}/{name}", DESCRIPTIONS[name]
    entry = writer.add(f"{folder}.csv", to_csv(rows, columns), CSV_MEDIA_TYPE, script, len(rows), description)
    csv_files[name] = (entry, columns)
    excel = to_csv(rows, columns, excel=True)
    writer.add(f"{folder}.excel.csv", excel, CSV_MEDIA_TYPE, script, len(rows), description + " For Excel: UTF-8 with BOM.")


def _write_release_log(writer: Writer, db: Database) -> None:
    """releases.json: every record of the release log with the ids it added, changed and removed
    per collection, and this data's own entry, unreleased, when it has no record."""
    with Session(db.engine) as session:
        content = {name: list(session.exec(select(model))) for name, model in zip(SYNCED, TABLE_MODELS, strict=True)}
    entries = release_log(db.version, row_digests(content))
    description = (
        "The release log: each dataset version's date, what changed and why, and the ids added, changed and removed per "
        "collection since the previous record (a measure-unit link's id is measure_id/position); this data's own entry, "
        "unreleased, last when it has no record."
    )
    log = {"dataset_version": db.version, "count": len(entries), "releases": entries}
    writer.add(RELEASE_LOG_NAME, _json(log), JSON_MEDIA_TYPE, None, len(entries), description)


def export(db: Database, out: Path) -> Exported:
    """Write every dump as a release into `out`/releases/<release id>/, then make it the current
    release. A release folder already there is left alone (the same id: the same bytes), and no
    other is touched."""
    out = out.resolve()
    releases = out / RELEASES_DIR
    releases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=releases))  # RELEASE_ID never matches it
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the files from a server running as another user
    try:
        writer = Writer(staging)
        _write_release_log(writer, db)
        for script in Script:
            _write_script(writer, db, script)
        write_download(staging / SQLITE_NAME, db.engine)
        writer.add_written(SQLITE_NAME, "application/vnd.sqlite3", None, None, "The data as one SQLite database, both scripts.")
        datasette = datasette_metadata(Path(SQLITE_NAME).stem, [model.__table__ for model in DOWNLOAD_MODELS], DESCRIPTIONS)
        writer.add(DATASETTE_NAME, _json(datasette), JSON_MEDIA_TYPE, None, None, f"Datasette metadata for {SQLITE_NAME} (datasette -m).")
        sums = sha256sums((f.name, f.sha256) for f in writer.files)
        writer.add(
            SUMS_NAME,
            sums,
            "text/plain; charset=utf-8",
            None,
            None,
            "sha256 of every other file (sha256sum -c); the release id is the first 16 hex digits of this file's sha256.",
        )
        release = release_id(sums)
        manifest = {
            "release": release,
            "dataset_version": db.version,
            "released": db.released.isoformat() if db.released else None,
            "files": [asdict(f) for f in sorted(writer.files, key=lambda f: f.name)],
        }
        (staging / MANIFEST).write_bytes(_json(manifest))
        _settle(staging, releases / release)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point(out / CURRENT, release)
    return Exported(release, releases / release, writer.files)


def _settle(staging: Path, folder: Path) -> None:
    """Rename the staged release into place, unless that release is there already."""
    if not folder.exists():
        try:
            staging.rename(folder)
            return
        except OSError:  # another export of the same release got there first
            if not folder.is_dir():
                raise
    shutil.rmtree(staging)


def _point(pointer: Path, release: str) -> None:
    """Name `release` the current one: a new file renamed over the pointer, never half written."""
    handle, temporary = tempfile.mkstemp(prefix=f".{pointer.name}.", dir=pointer.parent)
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(f"{release}\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, pointer)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
