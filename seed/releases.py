"""The release log (seed/data/releases.toml): which dataset versions were released, when, and why;
and, per record, the ids added, changed and removed since the previous record.

The ids diff is computed from digest files kept beside the log (seed/data/releases/<version>.json:
collection -> id -> sha256 of the row's canonical JSON), one per record. The build writes the file
of a version that has a record and no file yet, and checks it against the data when it exists; the
export publishes the whole log with its diffs as `releases.json` (seed/export.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlmodel import SQLModel

RELEASES_PATH = Path(__file__).parent / "data" / "releases.toml"
# The collections an integrator syncs, as the dataset's content tables and the downloads name them.
COLLECTIONS = ("documents", "chapters", "measures", "units", "measure_units", "corrections")
Digests = dict[str, dict[str, str]]  # collection -> id -> sha256 of the row's canonical JSON


@dataclass(frozen=True)
class Release:
    version: str
    date: dt.date
    changes: str


class ReleaseLogError(ValueError):
    """The release log is not as expected; the message names the record and the field."""


def load_releases(path: Path = RELEASES_PATH) -> list[Release]:
    """Every record, oldest first, checked: a version and a date each, dates in order, no version twice."""
    try:
        records = tomllib.loads(path.read_text(encoding="utf-8")).get("release", [])
    except tomllib.TOMLDecodeError as error:
        raise ReleaseLogError(f"{path}: {error}") from None
    releases: list[Release] = []
    for number, record in enumerate(records, 1):
        where = f"{path}: release {number}"
        version, date, changes = record.get("version"), record.get("date"), record.get("changes")
        if not isinstance(version, str) or not version:
            raise ReleaseLogError(f"{where}: expected a dataset version, found {version!r}")
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            raise ReleaseLogError(f"{where}: expected a date (YYYY-MM-DD, unquoted), found {date!r}")
        if not isinstance(changes, str) or not changes.strip():
            raise ReleaseLogError(f"{where}: expected what changed and why, found {changes!r}")
        if releases and date < releases[-1].date:
            raise ReleaseLogError(f"{where}: expected a date on or after {releases[-1].date}, found {date}")
        if any(release.version == version for release in releases):
            raise ReleaseLogError(f"{where}: version {version} already has a record")
        releases.append(Release(version, date, changes))
    return releases


def release_of(version: str, releases: list[Release]) -> Release | None:
    """The record of `version`, or None: that data was never released."""
    return next((release for release in releases if release.version == version), None)


def canonical(row: SQLModel) -> bytes:
    """A row as the dataset version and the digests hash it: its JSON form, keys sorted."""
    return orjson.dumps(row.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


def row_id(collection: str, row: dict[str, Any]) -> str:
    """A row's id; a measure-unit link, which has none, is `<measure_id>/<position>`."""
    return f"{row['measure_id']}/{row['position']}" if collection == "measure_units" else row["id"]


def _natural(value: str) -> list[Any]:
    """m2 before m10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", value)]


def row_digests(content: dict[str, list[SQLModel]]) -> Digests:
    """Every row's digest, per collection (`content`: the rows of COLLECTIONS, by name)."""
    digests = {}
    for collection in COLLECTIONS:
        found = {row_id(collection, row.model_dump()): hashlib.sha256(canonical(row)).hexdigest() for row in content[collection]}
        digests[collection] = dict(sorted(found.items(), key=lambda item: _natural(item[0])))
    return digests


def digests_path(version: str, releases_path: Path = RELEASES_PATH) -> Path:
    return releases_path.parent / "releases" / f"{version}.json"


def load_digests(version: str, releases_path: Path = RELEASES_PATH) -> Digests | None:
    """The digests kept for `version`, or None when there is no file."""
    try:
        return orjson.loads(digests_path(version, releases_path).read_bytes())["collections"]
    except FileNotFoundError:
        return None


def keep_digests(version: str, digests: Digests, releases_path: Path = RELEASES_PATH) -> Path | None:
    """For a version the log records: write its digest file if there is none yet, or check that
    the one there describes this data (ReleaseLogError if not). Returns the file, or None for a
    version with no record."""
    if release_of(version, load_releases(releases_path)) is None:
        return None
    path = digests_path(version, releases_path)
    kept = load_digests(version, releases_path)
    if kept is not None:
        if kept != digests:
            raise ReleaseLogError(f"{path}: the ids and digests differ from the data of version {version}; delete the file to rewrite it")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "wb") as file:
        file.write(orjson.dumps({"dataset_version": version, "collections": digests}, option=orjson.OPT_INDENT_2) + b"\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return path


def ids_diff(before: Digests | None, after: Digests) -> dict[str, dict[str, list[str]]]:
    """Per collection, the ids `after` adds, changes (another digest) and removes relative to `before`
    (None: nothing before, so everything is added)."""
    diff = {}
    for collection in COLLECTIONS:
        old, new = (before or {}).get(collection, {}), after.get(collection, {})
        diff[collection] = {
            "added": sorted(new.keys() - old.keys(), key=_natural),
            "changed": sorted((i for i in new.keys() & old.keys() if new[i] != old[i]), key=_natural),
            "removed": sorted(old.keys() - new.keys(), key=_natural),
        }
    return diff


def release_log(version: str, digests: Digests, releases_path: Path = RELEASES_PATH) -> list[dict[str, Any]]:
    """Every record of the log, oldest first, with its ids diff against the previous record (null
    when either has no digest file), then, when `version` (whose rows have `digests`) has no record,
    an unreleased entry with its diff against the last record."""
    entries, previous = [], None
    for number, release in enumerate(load_releases(releases_path)):
        kept = digests if release.version == version else load_digests(release.version, releases_path)
        ids = ids_diff(previous, kept) if kept is not None and (number == 0 or previous is not None) else None
        entries.append(
            {"version": release.version, "date": release.date.isoformat(), "unreleased": False, "changes": release.changes, "ids": ids}
        )
        previous = kept
    if not any(entry["version"] == version for entry in entries):
        ids = ids_diff(previous, digests) if previous is not None or not entries else None
        entries.append({"version": version, "date": None, "unreleased": True, "changes": None, "ids": ids})
    return entries
