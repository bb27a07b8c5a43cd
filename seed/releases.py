"""The release log (seed/data/releases.toml): which dataset versions were released, when, and why."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

RELEASES_PATH = Path(__file__).parent / "data" / "releases.toml"


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
