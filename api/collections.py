"""Every collection's query, in its one public order: the list routes take a page of it, the
exports take all of it (limit=None), so the dumps and the API cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import exists, false, func, or_, select

from api.db import Database, UnitTarget, contains
from api.present import Presenter
from models.scripts import to_hans
from models.search import LONGEST_GRAM, GramCount, SearchGram, SearchText, needle_grams
from models.tables import Chapter, Correction, Document, Measure, MeasureUnit

# A filter matching at most this many measures keeps all their ids in memory (see `matches`).
LISTED_MATCHES = 1000
# The full texts are served by /source, not with every document.
FULL_TEXTS = {"source_text", "source_text_hans", "restored_text", "restored_text_hans"}
DOCUMENT_SUMMARY = [c for c in Document.__table__.columns if c.name not in FULL_TEXTS]


@dataclass(frozen=True)
class Plan:
    statement: Any  # selects the ids of the matching measures
    order: tuple  # their order, by number
    total: int | None = None  # how many match, when the data says it without counting


@dataclass(frozen=True)
class MeasureFilter:
    document: str | None = None
    chapter_id: str | None = None
    chapter_number: int | None = None
    unit: UnitTarget | None = None
    lead: bool | None = None
    q: str | None = None
    descending: bool = False

    def query(self, db: Database) -> Plan:
        """How to find the matching measures: a statement selecting their ids, their order, and
        their number when the data already says it. The statement walks the narrowest index in
        the measures' order: the unit's links (ix_measure_units_unit*), the rarest gram of the
        search (ix_search_grams_order), or the measures themselves."""
        if self.unit:
            entry = [MeasureUnit.unit_id == self.unit.unit_id]
            if self.unit.designation:
                entry.append(MeasureUnit.designation == self.unit.designation)
            if self.lead is not None:
                entry.append(MeasureUnit.lead == self.lead)
            if self.document:
                entry.append(MeasureUnit.document_id == self.document)
            by_index, by_text = _search_conditions(db, to_hans(self.q), MeasureUnit.measure_id) if self.q else ([], [])
            statement = select(MeasureUnit.measure_id).where(*entry, *by_index)
            statement = _joined(statement, MeasureUnit.measure_id, self._chapter_conditions(), by_text)
            plain = not self.unit.designation and replace(self, descending=False) == MeasureFilter(unit=self.unit)
            total = db.unit_by_id[self.unit.unit_id]["measure_count"] if plain else None  # a unit is listed once per measure
            return Plan(statement, (MeasureUnit.document_id, MeasureUnit.measure_number), total)
        conditions = self._chapter_conditions()
        if self.lead is not None:  # without a unit: a measure with a first (or a later) entry
            position = MeasureUnit.position == 1 if self.lead else MeasureUnit.position > 1
            conditions.append(exists().where(MeasureUnit.measure_id == Measure.id, position))
        if self.q:
            needle = to_hans(self.q)
            rarest = _rarest_grams(db, needle)
            order = (SearchGram.document_id, SearchGram.number)
            if rarest is None:
                return Plan(select(SearchGram.measure_id).where(false()), order, 0)
            (gram, count), others = rarest[0], [g for g, _ in rarest[1:]]
            entry = [SearchGram.gram == gram] + ([SearchGram.document_id == self.document] if self.document else [])
            by_index, by_text = _search_conditions(db, needle, SearchGram.measure_id, others)
            statement = _joined(select(SearchGram.measure_id).where(*entry, *by_index), SearchGram.measure_id, conditions, by_text)
            only_the_needle = gram == needle and not conditions and not self.document  # its gram's count is the answer
            return Plan(statement, order, count if only_the_needle else None)
        if self.document:
            conditions.append(Measure.document_id == self.document)
        return Plan(select(Measure.id).where(*conditions), (Measure.document_id, Measure.number))

    def _chapter_conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.chapter_id:
            found.append(Measure.chapter_id == self.chapter_id)
        if self.chapter_number is not None:
            found.append(Measure.chapter_number == self.chapter_number)
        return found


def _joined(statement: Any, measure_id: Any, on_measure: list[Any], on_text: list[Any]) -> Any:
    """`statement` restricted by conditions on the measure's row and on its search text, each
    joined only when there are some."""
    if on_measure:
        statement = statement.join(Measure, Measure.id == measure_id).where(*on_measure)
    if on_text:
        statement = statement.join(SearchText, SearchText.measure_id == measure_id).where(*on_text)
    return statement


def _rarest_grams(db: Database, needle: str) -> list[tuple[str, int]] | None:
    """The needle's (at most) two rarest grams with how many measures hold each, or None when one
    of its grams is in no measure."""
    wanted = needle_grams(needle)
    counts = db.all(select(GramCount.gram, GramCount.measures).where(GramCount.gram.in_(wanted)))
    if len(counts) < len(wanted):
        return None
    return sorted(((row["gram"], row["measures"]) for row in counts), key=lambda pair: (pair[1], pair[0]))[:2]


def _search_conditions(db: Database, needle: str, measure_id: Any, rarest: list[str] | None = None) -> tuple[list[Any], list[Any]]:
    """A literal substring of the Simplified title or body, as (conditions search_grams answers,
    conditions on search_texts). Holding the needle's rarest grams is necessary; for a needle
    short enough to be a gram it is sufficient, and a longer one is then checked literally."""
    if rarest is None:
        found = _rarest_grams(db, needle)
        if found is None:
            return [false()], []
        rarest = [gram for gram, _ in found]
    by_index = [measure_id.in_(select(SearchGram.measure_id).where(SearchGram.gram == gram)) for gram in rarest]
    by_text = [or_(contains(SearchText.title, needle), contains(SearchText.body, needle))] if len(needle) > LONGEST_GRAM else []
    return by_index, by_text


def _page(
    db: Database, table: Any, conditions: list[Any], order: tuple, limit: int | None, offset: int, columns: Any = None
) -> tuple[list, int]:
    total = db.scalar(select(func.count()).select_from(table).where(*conditions))
    rows = db.all(select(*(columns or [table])).where(*conditions).order_by(*order).limit(limit).offset(offset))
    return rows, total


def document_rows(db: Database, limit: int | None = None, offset: int = 0) -> tuple[list, int]:
    return _page(db, Document, [], (Document.issued_on, Document.id), limit, offset, DOCUMENT_SUMMARY)


def documents(db: Database, presenter: Presenter, limit: int | None = None, offset: int = 0) -> tuple[list[dict], int]:
    rows, total = document_rows(db, limit, offset)
    return [presenter.document(row) for row in rows], total


def chapters(
    db: Database, presenter: Presenter, document: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[list[dict], int]:
    ids = chapter_ids(db, document)
    end = None if limit is None else offset + limit
    return chapters_by_id(db, presenter, ids[offset:end]), len(ids)


def chapter_ids(db: Database, document: str | None = None) -> tuple[str, ...]:
    """The ids of the chapters (of `document`), in the order of the list."""
    where = [Chapter.document_id == document] if document else []
    return tuple(db.column(select(Chapter.id).where(*where).order_by(Chapter.document_id, Chapter.number)))


def chapters_by_id(db: Database, presenter: Presenter, ids: Sequence[str]) -> list[dict]:
    """The presented chapters of `ids`, in that order; an unknown id is left out."""
    rows = {row["id"]: row for row in db.all(select(Chapter).where(Chapter.id.in_(ids)))} if ids else {}
    return [presenter.chapter(rows[i]) for i in ids if i in rows]


def measures(db: Database, presenter: Presenter, where: MeasureFilter, limit: int | None = None, offset: int = 0) -> tuple[list[dict], int]:
    """One page of measures, with their units, and the total matching (blocking: the HTML pages
    and the dumps; the API's lists assemble theirs from memoised pieces, api/represent.py)."""
    found = matching(db, where)
    return measures_by_id(db, presenter, found.page(db, limit, offset, where.descending)), found.total


@dataclass(frozen=True)
class Matches:
    """How many measures match a filter, and either all their ids in number order (when they are
    few) or the plan that reads any page of them (when they are many)."""

    total: int
    ids: tuple[str, ...] | None = None
    plan: Plan | None = None

    def listed(self, limit: int | None, offset: int, descending: bool) -> list[str] | None:
        """The ids of one page, when they are all listed (no I/O), else None: see `page`."""
        if self.ids is None:
            return None
        start, end = self._bounds(limit, offset)
        return list(self.ids[start:end] if not descending else self.ids[self.total - end : self.total - start][::-1])

    def page(self, db: Database, limit: int | None, offset: int, descending: bool) -> list[str]:
        """The ids of one page: sliced from the list, or read by an index walk (blocking)."""
        found = self.listed(limit, offset, descending)
        if found is not None:
            return found
        assert self.plan is not None
        start, end = self._bounds(limit, offset)
        order = [key.desc() for key in self.plan.order] if descending else self.plan.order  # the order keys are unique
        return db.column(self.plan.statement.order_by(*order).limit(end - start).offset(start)) if end > start else []

    def _bounds(self, limit: int | None, offset: int) -> tuple[int, int]:
        start = min(offset, self.total)
        return start, self.total if limit is None else min(self.total, start + limit)


def matching(db: Database, where: MeasureFilter) -> Matches:
    """What matches `where` (in number order, whatever it says of the order). Up to LISTED_MATCHES
    ids are listed, so that any page, either sort and the total of a small result come from one
    list; a larger result keeps its total and its plan, and each page is its own query (an index
    walk in number order)."""
    plan = where.query(db)
    known_large = plan.total is not None and plan.total > LISTED_MATCHES  # no need to list them to know
    ids = None if known_large else db.column(plan.statement.order_by(*plan.order).limit(LISTED_MATCHES + 1))
    if ids is not None and len(ids) <= LISTED_MATCHES:
        return Matches(len(ids), ids=tuple(ids))
    total = plan.total if known_large else db.scalar(select(func.count()).select_from(plan.statement.subquery()))
    return Matches(total, plan=plan)


def measures_by_id(db: Database, presenter: Presenter, ids: Sequence[str]) -> list[dict]:
    """The presented measures of `ids`, in that order; an unknown id is left out."""
    rows = {row["id"]: row for row in db.all(select(Measure).where(Measure.id.in_(ids)))} if ids else {}
    return present_measures(db, presenter, [rows[i] for i in ids if i in rows])


def units(
    db: Database,
    presenter: Presenter,
    kind: str | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict], int]:
    found = sorted_units(db, presenter, kind, q, sort)
    end = None if limit is None else offset + limit
    return [presenter.unit(u) for u in found[offset:end]], len(found)


def sorted_units(db: Database, presenter: Presenter, kind: str | None = None, q: str | None = None, sort: str = "name") -> list[Any]:
    """The units of `kind` that `q` finds, in the order `sort` names. They are few and fixed for a
    dataset version: filtered and sorted in memory."""
    found = units_matching(db, kind, q)
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key == "name":
        found.sort(key=lambda u: (presenter.text(u, "name"), u["id"]), reverse=descending)
    else:  # counts: ties go by id ascending either way
        found.sort(key=lambda u: (-u[key] if descending else u[key], u["id"]))
    return found


def units_matching(db: Database, kind: str | None = None, q: str | None = None) -> list[Any]:
    """The units of `kind` that `q` finds, in id order (a new list: callers may sort it)."""
    return [u for u in db.units if (kind is None or u["kind"] == kind) and (q is None or _unit_matches(u, q))]


def _unit_matches(unit: Any, needle: str) -> bool:
    hans = to_hans(needle)
    names = [unit["name_hans"], *unit["aliases_hans"], unit["full_name_hans"] or "", *(d["name_hans"] for d in unit["designations"])]
    return any(hans in name for name in names) or needle.casefold() in (unit["name_en"] or "").casefold()


def measure_units(
    db: Database,
    presenter: Presenter,
    document: str | None = None,
    unit: UnitTarget | None = None,
    lead: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict], int]:
    where = []
    if document:
        where.append(MeasureUnit.document_id == document)
    if unit:
        where.append(MeasureUnit.unit_id == unit.unit_id)
        if unit.designation:
            where.append(MeasureUnit.designation == unit.designation)
    if lead is not None:
        where.append(MeasureUnit.position == 1 if lead else MeasureUnit.position > 1)
    order = (MeasureUnit.document_id, MeasureUnit.measure_number, MeasureUnit.position)
    rows, total = _page(db, MeasureUnit, where, order, limit, offset)
    return [presenter.measure_unit_link(row, db.unit_by_id[row["unit_id"]]) for row in rows], total


def corrections(
    db: Database,
    presenter: Presenter,
    document: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict], int]:
    where = [Correction.document_id == document] if document else []
    if kind:
        where.append(Correction.kind == kind)
    if category:
        where.append(Correction.category == category)
    rows, total = _page(db, Correction, where, (Correction.document_id, Correction.raw_start, Correction.id), limit, offset)
    return [presenter.correction(row) for row in rows], total


def full_document(db: Database, presenter: Presenter, document: Any) -> dict:
    """A document with its chapters, their measures and the measures' units, nested."""
    doc_id = document["id"]
    nested_measures, _ = measures(db, presenter, MeasureFilter(document=doc_id))
    nested_chapters, _ = chapters(db, presenter, doc_id)
    for chapter in nested_chapters:
        chapter["measures"] = [m for m in nested_measures if m["chapter_id"] == chapter["id"]]  # new lists: the memo is untouched
    return presenter.document(document) | {"chapters": nested_chapters}


def present_measures(db: Database, presenter: Presenter, rows: list[Any]) -> list[dict]:
    if not rows:
        return []
    links = db.all(
        select(MeasureUnit)
        .where(MeasureUnit.measure_id.in_([r["id"] for r in rows]))
        .order_by(MeasureUnit.measure_id, MeasureUnit.position)
    )
    units: dict[str, list[dict]] = {}
    for link in links:
        units.setdefault(link["measure_id"], []).append(presenter.measure_unit(link, db.unit_by_id[link["unit_id"]]))
    return [presenter.measure(row, units.get(row["id"], [])) for row in rows]


def document_matrix(db: Database, presenter: Presenter, document: Any) -> dict:
    """The responsibility matrix of one document (see Presenter.matrix): its measures by number and
    the entries of their responsible-unit lists, by measure number then position."""
    doc_id = document["id"]
    columns = (Measure.id, Measure.number, Measure.chapter_id, Measure.chapter_number, Measure.title, Measure.title_hans)
    measures = db.all(select(*columns).where(Measure.document_id == doc_id).order_by(Measure.number))
    links = db.all(select(MeasureUnit).where(MeasureUnit.document_id == doc_id).order_by(MeasureUnit.measure_number, MeasureUnit.position))
    return presenter.matrix(document, measures, links, db.unit_by_id)
