"""The API's measures, units and chapters as JSON, each made once per dataset version and script.

An item is presented (api/present.py) and encoded when it is first asked for, and its bytes are
kept in the database's bounded memo (api/db.py), which belongs to one dataset version. A list's
page is a slice of the ids its filter matches (memoised too, api/collections.py) and the joined
bytes of those items (api/paging.py): answered from memory, it makes no database query and no hop
to a thread; what the memo lacks is read in one call in the threadpool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import orjson
from starlette.concurrency import run_in_threadpool

from api import collections
from api.collections import MeasureFilter
from api.db import Database
from api.lru import compact
from api.present import Presenter


async def encoded(
    db: Database, kind: str, presenter: Presenter, ids: Sequence[str], load: Callable[[list[str]], list[dict]]
) -> list[bytes]:
    """The JSON of each of `ids` of `kind`, in order, leaving out unknown ids: from the memo, or,
    for those it lacks, presented by `load(missing)` (in the threadpool, once) and kept."""
    found = {i: db.memo.get((kind, i, presenter)) for i in ids}
    missing = [i for i, data in found.items() if data is None]
    if missing:
        for item in await run_in_threadpool(load, missing):
            found[item["id"]] = data = compact(orjson.dumps(item))  # compact: about 2.5 KB kept per measure
            db.memo.put((kind, item["id"], presenter), data)
    return [data for i in ids if (data := found[i]) is not None]


async def measures(db: Database, presenter: Presenter, ids: Sequence[str]) -> list[bytes]:
    return await encoded(db, "measure", presenter, ids, partial(collections.measures_by_id, db, presenter))


async def measure_page(db: Database, presenter: Presenter, where: MeasureFilter, limit: int, offset: int) -> tuple[list[bytes], int]:
    """One page of the measures `where` matches, and how many match."""
    found = await db.remembered(("match", replace(where, descending=False)), partial(collections.matching, db, where))
    ids = found.listed(limit, offset, where.descending)
    if ids is None:  # many matches: each page is an index walk
        ids = await run_in_threadpool(found.page, db, limit, offset, where.descending)
    return await measures(db, presenter, ids), found.total


async def units(db: Database, presenter: Presenter, ids: Sequence[str]) -> list[bytes]:
    return await encoded(db, "unit", presenter, ids, lambda missing: [presenter.unit(db.unit_by_id[i]) for i in missing])


async def chapters(db: Database, presenter: Presenter, ids: Sequence[str]) -> list[bytes]:
    return await encoded(db, "chapter", presenter, ids, partial(collections.chapters_by_id, db, presenter))


async def chapter_page(db: Database, presenter: Presenter, document: str | None, limit: int, offset: int) -> tuple[list[bytes], int]:
    """One page of the chapters (of `document`), and how many there are."""
    ids = await db.remembered(("chapters", document), partial(collections.chapter_ids, db, document))
    return await chapters(db, presenter, ids[offset : offset + limit]), len(ids)
