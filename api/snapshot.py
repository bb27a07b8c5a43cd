"""What one dataset version is served from, and the watcher that swaps in the next.

Everything the process remembers about the data belongs to one `Snapshot`: the database handle,
pinned to one build (api/db.py), with its memo; the releases of the dumps (api/downloads.py); the
response cache; the tag that the ETags of its responses are made from (api/responses.py). A
request takes the current snapshot once, at the front door, and uses it to its end, so a rebuild
never answers it with a mix of versions, and a swap is one assignment. An old snapshot is left to
the garbage collector: requests still holding it finish on it.

The watcher asks every `reload_interval` seconds what a fresh Database would open now
(`current_source`: the SQLite file's inode, PostgreSQL's newest dataset schema) and whether the
exports folder changed (a new release, a release's manifest, the pointer to the current one); on
a change it opens the new snapshot in a thread of its own and swaps it in. When the database is
gone or unreachable it records why, for /readyz.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from api.cache import ResponseCache
from api.config import SERVER_ONLY, Settings, exports_path
from api.db import Database, DatabaseUnavailable, current_source, error_reason
from api.downloads import Exports, Releases, releases_source
from api.revision import revision
from models.tables import DatasetInfo

SCOPE_KEY = "api.snapshot"  # where the front door leaves the snapshot a request is served from
log = logging.getLogger("api.snapshot")


@dataclass(frozen=True, eq=False)
class Snapshot:
    db: Database
    releases: Releases  # every release in the exports folder
    exports: Exports  # the current one, when it is of this database's version
    cache: ResponseCache | None
    tag: str  # what the bodies served from it are made of (`tag_of`)

    @classmethod
    def open(cls, settings: Settings, db: Database | None = None, previous: Releases | None = None) -> Snapshot:
        """A snapshot of what is built now; with `db`, of that database and the dumps now (the
        releases unchanged since `previous` keep their checks)."""
        db = db or Database(settings.database_url, int(settings.memo_mib * 2**20))
        cache = (
            ResponseCache(settings.response_cache_entries, int(settings.response_cache_mib * 2**20))
            if settings.response_cache_entries
            else None
        )
        releases = Releases(exports_path(settings), previous)
        return cls(db, releases, Exports(releases, db.version), cache, tag_of(settings, db, releases))

    def after(self, settings: Settings) -> Snapshot | None:
        """The snapshot to serve instead of this one, or None while nothing changed. Raises
        DatabaseUnavailable when the database is gone or unreachable."""
        if current_source(settings.database_url) != self.db.source:
            return Snapshot.open(settings, previous=self.releases)
        if releases_source(exports_path(settings)) != self.releases.source:
            return Snapshot.open(settings, self.db, self.releases)  # the same data, and its memo
        return None


def tag_of(settings: Settings, db: Database, releases: Releases) -> str:
    """A digest of everything a body served from this snapshot is made of, besides its URL and what
    its headers negotiate: the dataset version and the release log's dates of it (which a rebuild
    of the same data may add), the representation revision (api/revision.py), the settings that
    may appear in bodies (all but SERVER_ONLY: the base URL, the port, the publisher…), and the
    releases in the exports folder (/v1/releases, /v1/exports and the catalog list them), by their
    ids, which digest their files: never by inode or mtime, so that servers over copies of one
    folder agree."""
    shown = settings.model_dump_json(exclude=set(SERVER_ONLY))
    listed = (tuple(releases.by_id), releases.current.id if releases.current else None)
    facts = (db.version, db.schema_version, db.released, db.first_released, revision(), shown, listed)
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:16]


def snapshot_of(request: Request) -> Snapshot:
    return request.scope[SCOPE_KEY]


class Served:
    """The snapshot being served, and why the API is not ready when it is not."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.snapshot = Snapshot.open(settings)
        self.problem: str | None = None
        self.limiter = anyio.CapacityLimiter(1)  # the watcher never waits behind requests for a thread

    def refresh(self) -> None:
        """Swap in the next snapshot if there is one (blocking: call it from a thread)."""
        try:
            after = self.snapshot.after(self.settings)
        except DatabaseUnavailable as error:
            if self.problem != str(error):
                log.warning("not ready: %s", error, extra={"fields": {"cause": str(error)}})
            self.problem = str(error)
            return
        if self.problem is not None:
            log.info("ready again", extra={"fields": {"dataset_version": self.snapshot.db.version}})
            self.problem = None
        if after is not None:
            before, self.snapshot = self.snapshot, after
            log.info(
                "serving dataset %s (was %s)",
                after.db.version,
                before.db.version,
                extra={"fields": {"dataset_version": after.db.version, "previous": before.db.version}},
            )

    def readiness(self, snapshot: Snapshot) -> str | None:
        """Why the API cannot serve now (None: it can): the database it reads from is gone, or
        does not answer a query (blocking)."""
        try:
            current_source(self.settings.database_url)
            snapshot.db.scalar(select(DatasetInfo.value).where(DatasetInfo.key == "dataset_version"))
        except DatabaseUnavailable as error:
            return str(error)
        except DBAPIError as error:
            return f"the database does not answer: {error_reason(error)}"
        return None

    async def watch(self) -> None:
        """Refresh every `reload_interval` seconds, for as long as the app runs."""
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            try:
                await anyio.to_thread.run_sync(self.refresh, limiter=self.limiter)
            except Exception:  # a watcher that dies would leave a stale version served for good
                log.exception("the dataset watcher failed; retrying")
