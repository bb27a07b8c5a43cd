"""The measure queries shared by /v1/measures and /v1/units/{id}/measures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from api.db import Database, UnitTarget, contains
from api.present import Presenter
from models.scripts import to_hans
from models.tables import Measure, MeasureUnit


@dataclass(frozen=True)
class MeasureFilter:
    document: str | None = None
    chapter_id: str | None = None
    chapter_number: int | None = None
    unit: UnitTarget | None = None
    lead: bool | None = None
    q: str | None = None
    descending: bool = False

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.document:
            found.append(Measure.document_id == self.document)
        if self.chapter_id:
            found.append(Measure.chapter_id == self.chapter_id)
        if self.chapter_number is not None:
            found.append(Measure.chapter_number == self.chapter_number)
        if self.unit or self.lead is not None:
            # A measure qualifies through one entry of its list: of the unit (and designation) asked
            # for, if any, and listed first (lead=true) or not first (lead=false), if asked.
            link = [MeasureUnit.measure_id == Measure.id]
            if self.unit:
                link.append(MeasureUnit.unit_id == self.unit.unit_id)
                if self.unit.designation:
                    link.append(MeasureUnit.designation == self.unit.designation)
            if self.lead is not None:
                link.append(MeasureUnit.position == 1 if self.lead else MeasureUnit.position > 1)
            found.append(exists().where(and_(*link)))
        if self.q:
            needle = to_hans(self.q)
            found.append(or_(contains(Measure.title_hans, needle), contains(Measure.body_hans, needle)))
        return found


def search_measures(db: Database, presenter: Presenter, where: MeasureFilter, limit: int, offset: int) -> tuple[list[dict], int]:
    """One page of measures, with their units, and the total matching."""
    conditions = where.conditions()
    total = db.scalar(select(func.count()).select_from(Measure).where(*conditions))
    order = (Measure.document_id.desc(), Measure.number.desc()) if where.descending else (Measure.document_id, Measure.number)
    rows = db.all(select(Measure).where(*conditions).order_by(*order).limit(limit).offset(offset))
    return present_measures(db, presenter, rows), total


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
