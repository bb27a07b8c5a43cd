"""The registry of responsible units and the rule that resolves a 責任單位 list against it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from models.schemas import UnitKind
from seed.errors import SourceError, line_and_column
from seed.parse import UnitRef

REGISTRY_PATH = Path(__file__).parent / "data" / "units.toml"
COUNTY_PREFIX = "縣"
KINDS = get_args(UnitKind)  # one list of kinds, the one the API's spec publishes


@dataclass(frozen=True)
class Designation:
    name: str
    full_name: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class RegisteredUnit:
    id: str
    name: str
    kind: str
    full_name: str | None = None
    name_en: str | None = None
    designations: tuple[Designation, ...] = field(default=())

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names the unit goes by: its short name after the county prefix, its full name."""
        short = self.name.removeprefix(COUNTY_PREFIX) if self.name.startswith(COUNTY_PREFIX) else None
        return tuple(dict.fromkeys(a for a in (short, self.full_name) if a and a != self.name))


class Registry:
    def __init__(self, units: list[RegisteredUnit]) -> None:
        self.units = units
        self.by_name = {unit.name: unit for unit in units}
        ids = [unit.id for unit in units]
        if len(set(ids)) != len(ids) or len(self.by_name) != len(units):
            raise ValueError("unit ids and names must be unique in the registry")
        for unit in units:
            if unit.kind not in KINDS:
                raise ValueError(f"unit {unit.id}: unknown kind {unit.kind!r}, expected one of {KINDS}")

    @classmethod
    def load(cls, path: Path = REGISTRY_PATH) -> Registry:
        entries = tomllib.loads(path.read_text(encoding="utf-8"))["unit"]
        return cls(
            [
                RegisteredUnit(
                    **{k: v for k, v in entry.items() if k != "designations"},
                    designations=tuple(Designation(**d) for d in entry.get("designations", ())),
                )
                for entry in entries
            ]
        )

    def resolve(self, refs: tuple[UnitRef, ...], raw: str, path: str) -> list[RegisteredUnit]:
        """The registered unit of each entry of one list, applying the county prefix rule: a list
        whose first entry starts with 縣 extends the prefix to every county unit after it."""
        prefixed = refs[0].name.startswith(COUNTY_PREFIX)
        resolved = []
        for ref in refs:
            candidates = [ref.name]
            if prefixed and ref.position > 1:
                candidates.append(COUNTY_PREFIX + ref.name)
            found = [self.by_name[c] for c in candidates if c in self.by_name]
            if len(found) != 1:
                line, column = line_and_column(raw, ref.span.raw_start)
                what = "a unit in seed/data/units.toml" if not found else "exactly one matching unit"
                raise SourceError(path, line, column, f"{what} (tried {', '.join(candidates)})", ref.text)
            unit = found[0]
            if ref.designation and ref.designation not in {d.name for d in unit.designations}:
                line, column = line_and_column(raw, ref.span.raw_start)
                raise SourceError(path, line, column, f"a designation of {unit.name} listed in seed/data/units.toml", ref.text)
            if unit in resolved:  # the API's unit filter counts each measure once per unit
                line, column = line_and_column(raw, ref.span.raw_start)
                raise SourceError(path, line, column, f"each unit once per list ({unit.name} is listed already)", ref.text)
            resolved.append(unit)
        return resolved
