"""The indicator catalogue: its content, its loader and its invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.indicators.catalogue import load_catalogue
from apps.indicators.choices import Breakdown, Kind, Unit, WorkArea
from apps.indicators.models import Indicator
from apps.reports.models import Figure
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_catalogue_covers_the_documents():
    indicators = Indicator.objects.all()
    assert indicators.count() >= 60
    assert set(indicators.values_list("unit", flat=True)) == set(Unit.values)
    assert set(indicators.values_list("work_area", flat=True)) == set(WorkArea.values)
    assert set(indicators.values_list("kind", flat=True)) == set(Kind.values)
    for indicator in indicators:
        assert indicator.name, indicator.code
        assert indicator.name_en, indicator.code


def test_loading_twice_changes_nothing():
    before = {i.code: (i.pk, i.name, i.position, i.part_of_id) for i in Indicator.objects.all()}
    result = load_catalogue()
    assert result.created == []
    assert result.updated == []
    after = {i.code: (i.pk, i.name, i.position, i.part_of_id) for i in Indicator.objects.all()}
    assert before == after


def test_breakdowns_by_level_and_stars_are_representable():
    """Libraries by national/provincial/city level, harmonious enterprises by stars and model
    workers by level are parts of a whole, comparable across organisations by code."""
    libraries = Indicator.objects.get(code="worker_library_sites")
    assert {p.breakdown for p in libraries.parts.all()} >= {
        Breakdown.NATIONAL,
        Breakdown.PROVINCIAL_CITY,
        Breakdown.COUNTY,
    }
    city = Indicator.objects.get(code="worker_library_sites_city")
    assert city.part_of.part_of == libraries
    harmony = Indicator.objects.get(code="harmonious_enterprises")
    assert {p.breakdown for p in harmony.parts.all()} == {
        Breakdown.STAR_1,
        Breakdown.STAR_2,
        Breakdown.STAR_3,
    }
    model_workers = Indicator.objects.get(code="model_workers")
    assert {p.breakdown for p in model_workers.parts.all()} == {
        Breakdown.NATIONAL,
        Breakdown.PROVINCIAL,
        Breakdown.CITY,
        Breakdown.COUNTY,
    }
    for part in Indicator.objects.filter(part_of__isnull=False):
        assert part.unit == part.part_of.unit, part.code


def test_a_computed_rate_names_its_parts():
    rate = Indicator.objects.get(code="assisted_share")
    assert rate.is_computed
    assert (rate.numerator.code, rate.denominator.code) == ("people_assisted", "hardship_files")
    assert rate.unit == Unit.PERCENT


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"unit": Unit.PERSONS, "decimal_places": 1}, "decimal_places"),
        ({"unit": Unit.PERCENT, "kind": Kind.FLOW}, "unit"),
        ({"unit": Unit.PERSONS, "kind": Kind.RATE}, "unit"),
        ({"unit": Unit.PERSONS, "min_value": Decimal(5), "max_value": Decimal(1)}, "max_value"),
        ({"unit": Unit.PERSONS, "breakdown": Breakdown.NATIONAL}, "part_of"),
        ({"unit": Unit.PERSONS, "decimal_places": 5}, "decimal_places"),
    ],
)
def test_invalid_definitions_are_refused(fields, error_field):
    candidate = Indicator(
        code="bad_indicator", name="坏指标", work_area=WorkArea.RIGHTS, kind=Kind.FLOW
    )
    for key, value in fields.items():
        setattr(candidate, key, value)
    with pytest.raises(ValidationError) as caught:
        candidate.full_clean()
    assert error_field in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.bulk_create([candidate])


def test_a_computed_rate_needs_both_parts():
    people = Indicator.objects.get(code="people_assisted")
    candidate = Indicator(
        code="half_rate",
        name="半个比率",
        unit=Unit.PERCENT,
        kind=Kind.RATE,
        work_area=WorkArea.SERVICES,
        decimal_places=1,
        numerator=people,
    )
    with pytest.raises(ValidationError, match="denominator"):
        candidate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.bulk_create([candidate])


def test_a_part_cannot_contain_its_whole():
    whole = factories.indicator(Unit.PERSONS)
    part = factories.indicator(Unit.PERSONS, part_of=whole)
    whole.part_of = part
    with pytest.raises(ValidationError, match="part_of"):
        whole.full_clean()


def test_a_part_is_counted_like_its_whole():
    whole = factories.indicator(Unit.PERSONS)
    part = Indicator(
        code="money_part",
        name="钱",
        unit=Unit.TEN_THOUSAND_YUAN,
        kind=Kind.FLOW,
        work_area=WorkArea.SERVICES,
        decimal_places=2,
        part_of=whole,
    )
    with pytest.raises(ValidationError, match="part_of"):
        part.full_clean()


def test_unit_cannot_change_once_figures_exist():
    indicator = Indicator.objects.get(code="unions_total")
    assert Figure.objects.filter(indicator=indicator).exists()
    indicator.unit = Unit.ITEMS
    with pytest.raises(ValidationError, match="unit"):
        indicator.full_clean()
