"""Facets: how many items of a list have each value of a field, under every filter of the request
but the faceted field's own (a filter panel shows every unit's count while one unit is chosen).

One class per facet and one registry per list, as Datasette's facets.py has them: a facet says
which filters it counts under and how it groups what matches them. The measures' facets group the
ids that the list's own statement selects (api/collections.MeasureFilter.query), in SQL that both
backends run; the units are few and in memory, and so is their facet. Counts are kept in the
database's bounded memo, keyed by facet and filter, with the labels of both scripts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Annotated, Any, ClassVar

from fastapi import Query
from pydantic import BeforeValidator
from sqlalchemy import distinct, func, select

from api.collections import MeasureFilter, units_matching
from api.db import Database
from api.negotiation import CSV, Representation
from api.problems import invalid
from models.scripts import Script, to_hans
from models.tables import Chapter, Document, Measure, MeasureUnit

# (value, label in Traditional, label in Simplified, count), by count descending, then value.
Counts = tuple[tuple[str, str, str, int], ...]

# What each kind of unit is called (Traditional, as the documents write; Simplified by t2s).
KIND_LABELS = {
    "county_department": "縣直部門",
    "party_organ": "縣委機關",
    "public_institution": "事業單位",
    "township_collective": "各鄉(鎮)政府",
    "development_zone_collective": "各開發區管委會",
    "development_zone_committee": "開發區管委會",
    "project_headquarters": "項目指揮部",
}


def _ordered(rows: Any) -> Counts:
    """Rows of (value, label, label in Simplified, count), in facet order."""
    return tuple(sorted(((str(v), hant, hans, int(n)) for v, hant, hans, n in rows), key=lambda row: (-row[3], row[0])))


class MeasureFacet:
    """A facet of the measures: `scope` is the filter it counts under (the request's, less its own
    field); `grouped` counts the measures that filter matches, per value."""

    name: ClassVar[str]
    description: ClassVar[str]

    def scope(self, where: MeasureFilter) -> MeasureFilter:
        return where

    def grouped(self, db: Database, where: MeasureFilter) -> Counts:
        raise NotImplementedError

    @staticmethod
    def _ids(db: Database, where: MeasureFilter) -> Any:
        return where.query(db).statement

    def _by_unit(self, db: Database, where: MeasureFilter, lead: bool | None) -> Counts:
        links = [MeasureUnit.measure_id.in_(self._ids(db, where))]
        if lead is not None:
            links.append(MeasureUnit.lead == lead)
        count = func.count(distinct(MeasureUnit.measure_id)).label("count")
        rows = db.all(select(MeasureUnit.unit_id, count).where(*links).group_by(MeasureUnit.unit_id))
        units = db.unit_by_id
        return _ordered((r["unit_id"], units[r["unit_id"]]["name"], units[r["unit_id"]]["name_hans"], r["count"]) for r in rows)


class UnitFacet(MeasureFacet):
    name = "unit"
    description = "measures per responsible unit (a unit's count is the total `unit=` that unit would give, the other filters kept)"

    def scope(self, where: MeasureFilter) -> MeasureFilter:
        return replace(where, unit=None)  # `lead` stays: with it, a unit counts the measures it leads (or not)

    def grouped(self, db: Database, where: MeasureFilter) -> Counts:
        return self._by_unit(db, replace(where, lead=None), where.lead)


class LeadUnitFacet(MeasureFacet):
    name = "lead_unit"
    description = "measures per unit listed first (it has no filter of its own: every filter applies)"

    def grouped(self, db: Database, where: MeasureFilter) -> Counts:
        return self._by_unit(db, where, True)


class TitledFacet(MeasureFacet):
    """Measures per chapter or per document: the value is the measure's `key` column (named: a
    mapped attribute held by an instance would act as a descriptor), labelled with the title of that
    row of `table`; it counts without the filter's `own` fields."""

    key: ClassVar[str]
    table: ClassVar[Any]
    own: ClassVar[tuple[str, ...]]

    def scope(self, where: MeasureFilter) -> MeasureFilter:
        return replace(where, **dict.fromkeys(self.own))

    def grouped(self, db: Database, where: MeasureFilter) -> Counts:
        key, label = getattr(Measure, self.key), (self.table.title, self.table.title_hans)
        counted = (
            select(key, *label, func.count().label("count"))
            .join(self.table, self.table.id == key)
            .where(Measure.id.in_(self._ids(db, where)))
            .group_by(key, *label)
        )
        return _ordered(tuple(row.values()) for row in db.all(counted))


class ChapterFacet(TitledFacet):
    name = "chapter"
    description = "measures per chapter (chapter id, labelled with its title)"
    key, table, own = "chapter_id", Chapter, ("chapter_id", "chapter_number")


class DocumentFacet(TitledFacet):
    name = "document"
    description = "measures per document (document id, labelled with its title)"
    key, table, own = "document_id", Document, ("document",)


MEASURE_FACETS: dict[str, MeasureFacet] = {f.name: f for f in (UnitFacet(), LeadUnitFacet(), ChapterFacet(), DocumentFacet())}
UNIT_FACETS = ("kind",)


async def measure_facets(db: Database, where: MeasureFilter, names: Sequence[str]) -> dict[str, Counts]:
    """The counts of each named facet under `where`, kept in the database's memo."""
    found: dict[str, Counts] = {}
    for name in names:
        facet = MEASURE_FACETS[name]
        scoped = replace(facet.scope(where), descending=False)
        found[name] = await db.remembered(("facet", name, scoped), partial(facet.grouped, db, scoped))
    return found


def unit_facets(db: Database, q: str | None, names: Sequence[str]) -> dict[str, Counts]:
    """The units' one facet, `kind`, under the search alone (the units are few and in memory)."""
    kinds = Counter(u["kind"] for u in units_matching(db, None, q))
    label = {kind: KIND_LABELS.get(kind, kind) for kind in kinds}
    return {name: _ordered((kind, label[kind], to_hans(label[kind]), n) for kind, n in kinds.items()) for name in names}


def presented(counts: dict[str, Counts], script: Script) -> dict[str, list[dict[str, Any]]]:
    """`meta.facets`: for each facet, its values as {value, label, count}, labels in `script`."""
    hans = script is Script.hans
    return {name: [{"value": v, "label": hs if hans else ht, "count": n} for v, ht, hs, n in rows] for name, rows in counts.items()}


def facets_query(names: Sequence[str], what: str) -> Any:
    """The `facets` query parameter of a list whose facets are `names`: comma-separated, each once.
    The spec's pattern says both (a look-ahead refuses a repeated name, so it is compiled with
    Python's `re`, which pydantic then uses); the check before it names what is expected."""
    choice = "|".join(map(re.escape, names))
    pattern = re.compile(rf"^(?!.*\b({choice})\b.*\b\1\b)({choice})(,({choice}))*$")
    expected = f"facet names separated by commas, each at most once, of: {', '.join(names)}"

    def check(value: object) -> object:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(expected)  # api/problems.py makes it the 400's `expected`
        return value

    description = (
        f"Comma-separated facets to count, each at most once: {what}. `meta.facets` then gives, for each, its values "
        "as `{value, label, count}` by count (descending), then value, counted under every filter of the request but the "
        "faceted field's own. JSON only: with CSV it is a 400."
    )
    return Annotated[str | None, Query(pattern=pattern, description=description, examples=[",".join(names[:2])]), BeforeValidator(check)]


def requested(query: Any, representation: Representation) -> tuple[str, ...]:
    """The facet names of a request whose `facets` parameter has been validated (facets_query);
    a 400 when the answer is CSV, which has no envelope to hold them."""
    value = query.get("facets")
    if value and representation.format == CSV:
        raise invalid("facets", "a JSON answer: a CSV has no envelope for facets (leave out format=csv and Accept: text/csv)", value)
    return tuple(value.split(",")) if value else ()
