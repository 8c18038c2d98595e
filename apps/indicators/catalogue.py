"""Loading the indicator catalogue from its TOML file, idempotently."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import Kind, Unit
from .models import Indicator

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.toml"

_RELATIONS = ("part_of", "numerator", "denominator")


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _default_places(entry: dict[str, Any]) -> int:
    if entry["unit"] == Unit.PERCENT:
        return 1
    if entry["unit"] == Unit.TEN_THOUSAND_YUAN:
        return 2
    return 0


def _fields(entry: dict[str, Any], position: int) -> dict[str, Any]:
    unknown = set(entry) - {
        "code",
        "name",
        "name_en",
        "unit",
        "area",
        "kind",
        "places",
        "higher",
        "definition",
        "part_of",
        "breakdown",
        "numerator",
        "denominator",
        "headline",
        "min",
        "max",
    }
    if unknown:
        raise ValueError(f"{entry.get('code')}: unknown keys {sorted(unknown)}")
    return {
        "name": entry["name"],
        "name_en": entry.get("name_en", ""),
        "unit": entry["unit"],
        "work_area": entry["area"],
        "kind": entry.get("kind", Kind.RATE if entry["unit"] == Unit.PERCENT else Kind.FLOW),
        "decimal_places": entry.get("places", _default_places(entry)),
        "higher_is_better": entry.get("higher"),
        "definition": entry.get("definition", ""),
        "breakdown": entry.get("breakdown", ""),
        "is_headline": entry.get("headline", False),
        "min_value": Decimal(str(entry["min"])) if "min" in entry else None,
        "max_value": Decimal(str(entry["max"])) if "max" in entry else None,
        "position": position,
    }


@transaction.atomic
def load_catalogue(path: Path = CATALOGUE_PATH) -> LoadResult:
    """Create or update every indicator of the file; indicators not in the file are kept."""
    with path.open("rb") as handle:
        entries: list[dict[str, Any]] = tomllib.load(handle)["indicator"]
    codes = [entry["code"] for entry in entries]
    duplicates = {code for code in codes if codes.count(code) > 1}
    if duplicates:
        raise ValueError(f"duplicate indicator codes: {sorted(duplicates)}")

    existing = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    result = LoadResult()
    changed: set[str] = set()
    # Pass 1: the indicators themselves, without their relations.
    for position, entry in enumerate(entries, start=1):
        values = _fields(entry, position * 10)
        indicator = existing.get(entry["code"])
        if indicator is None:
            indicator = Indicator(code=entry["code"], **values)
            # Relations come in pass 2; save without validating them yet.
            indicator.breakdown = ""
            indicator.save()
            existing[indicator.code] = indicator
            result.created.append(indicator.code)
            changed.add(indicator.code)
            continue
        differs = {k: v for k, v in values.items() if getattr(indicator, k) != v}
        if differs:
            for key, value in differs.items():
                setattr(indicator, key, value)
            changed.add(indicator.code)
    # Pass 2: relations, then validation of the whole entry.
    for entry in entries:
        indicator = existing[entry["code"]]
        indicator.breakdown = entry.get("breakdown", "")
        for relation in _RELATIONS:
            target_code = entry.get(relation)
            target = existing.get(target_code) if target_code else None
            if target_code and target is None:
                raise ValueError(
                    f"{entry['code']}: {relation} {target_code!r} is not in the catalogue"
                )
            if getattr(indicator, f"{relation}_id") != (target.pk if target else None):
                setattr(indicator, relation, target)
                changed.add(indicator.code)
        if indicator.code in changed:
            try:
                indicator.full_clean()
            except ValidationError as error:
                raise ValueError(f"{entry['code']}: {error.message_dict}") from error
            indicator.save()
            if indicator.code not in result.created:
                result.updated.append(indicator.code)
        else:
            result.unchanged.append(indicator.code)
    return result
