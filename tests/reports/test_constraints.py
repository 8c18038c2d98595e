"""Every invariant holds twice: in full_clean() with a readable message, and in the database
itself for writes that bypass validation (bulk operations, raw SQL, other clients)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.indicators.choices import Qualifier, Unit
from apps.indicators.models import Indicator
from apps.indicators.numbers import FigureParseError, parse_figure
from apps.reports.models import Figure, Report
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return factories.organisation(code="test-county")


@pytest.fixture
def report(county):
    return factories.report(county, 2020)


def unsaved(report, indicator, value, **fields) -> Figure:
    return Figure(report=report, indicator=indicator, value=Decimal(str(value)), **fields)


def assert_database_refuses(figure: Figure) -> None:
    figure.fill_defaults()
    with pytest.raises(IntegrityError), transaction.atomic():
        Figure.objects.bulk_create([figure])


@pytest.mark.parametrize(
    ("unit", "value", "message"),
    [
        (Unit.PERSONS, -1, "不能为负"),
        (Unit.ORGANISATIONS, "3.5", "有小数"),
        (Unit.PERCENT, "100.5", "不能高于100"),
        (Unit.PERCENT, -2, "不能为负"),
        (Unit.TEN_THOUSAND_YUAN, "-0.01", "不能为负"),
    ],
)
def test_invalid_values_are_refused_by_clean_and_by_the_database(report, unit, value, message):
    indicator = factories.indicator(unit)
    figure = unsaved(report, indicator, value)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        figure.full_clean()
    assert message in " ".join(caught.value.messages)
    assert_database_refuses(unsaved(report, indicator, value))


@pytest.mark.parametrize(
    ("unit", "value"),
    [
        (Unit.PERSONS, 0),
        (Unit.PERSONS, 283958),
        (Unit.PERCENT, 100),
        (Unit.PERCENT, "99.5"),
        (Unit.TEN_THOUSAND_YUAN, "35.85"),
    ],
)
def test_valid_values_are_stored(report, unit, value):
    figure = factories.figure(report, factories.indicator(unit), value)
    figure.refresh_from_db()
    assert figure.value == Decimal(str(value))


def test_more_decimal_places_than_the_indicator_allows_are_refused(report):
    indicator = factories.indicator(Unit.TEN_THOUSAND_YUAN, decimal_places=2)
    with pytest.raises(ValidationError, match="value"):
        unsaved(report, indicator, "1.234").full_clean()


def test_catalogue_bounds_are_applied(report):
    indicator = factories.indicator(Unit.PERSONS, max_value=Decimal(1000))
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        unsaved(report, indicator, 1001).full_clean()
    assert "不能高于1000" in " ".join(caught.value.messages)


def test_one_figure_per_report_and_indicator(report):
    indicator = factories.indicator(Unit.PERSONS)
    factories.figure(report, indicator, 5)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        unsaved(report, indicator, 6).full_clean()
    assert "已有" in " ".join(caught.value.messages)
    assert_database_refuses(unsaved(report, indicator, 6))


def test_figure_period_defaults_to_the_report_and_must_end_within_it(county):
    term = factories.report(county, period_start=2014, period_end=2019)
    indicator = factories.indicator(Unit.PERSONS)
    figure = factories.figure(term, indicator, 5)
    assert (figure.period_start, figure.period_end) == (2014, 2019)
    assert not figure.has_own_period

    own = factories.figure(
        term, factories.indicator(Unit.PERSONS), 5, period_start=2017, period_end=2019
    )
    assert own.has_own_period
    with pytest.raises(ValidationError, match="period_end"):
        unsaved(
            term, factories.indicator(Unit.PERSONS), 5, period_start=2020, period_end=2020
        ).full_clean()
    backwards = unsaved(
        term, factories.indicator(Unit.PERSONS), 5, period_start=2019, period_end=2015
    )
    with pytest.raises(ValidationError):
        backwards.full_clean()
    assert_database_refuses(backwards)


def test_changing_the_report_period_moves_its_figures(county):
    report = factories.report(county, 2020)
    figure = factories.figure(report, factories.indicator(Unit.PERSONS), 5)
    report.period_start = report.period_end = 2021
    report.save()
    figure.refresh_from_db()
    assert (figure.period_start, figure.period_end) == (2021, 2021)


def test_computed_rates_cannot_be_typed(report):
    rate = Indicator.objects.get(code="assisted_share")
    with pytest.raises(ValidationError, match="indicator"):
        unsaved(report, rate, 50).full_clean()


def test_report_period_must_be_in_order_and_unique(county):
    backwards = Report(organisation=county, period_start=2020, period_end=2019)
    with pytest.raises(ValidationError):
        backwards.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.bulk_create([backwards])

    factories.report(county, 2020)
    duplicate = Report(organisation=county, period_start=2020, period_end=2020)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "已有该期间的报告" in " ".join(caught.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.bulk_create([duplicate])


def test_a_term_and_a_year_of_the_same_organisation_coexist(county):
    factories.report(county, period_start=2014, period_end=2019)
    factories.report(county, 2019)
    assert Report.objects.filter(organisation=county).count() == 2


def test_qualifier_must_be_known(report):
    figure = unsaved(report, factories.indicator(Unit.PERSONS), 5, qualifier="roughly")
    with pytest.raises(ValidationError, match="qualifier"):
        figure.full_clean()
    assert_database_refuses(figure)


def test_display_keeps_the_qualifier(report):
    figure = factories.figure(report, factories.indicator(Unit.ORGANISATIONS), 390, Qualifier.MORE)
    assert figure.display == "390+"


@pytest.fixture
def unit_indicators(report):
    return {unit: factories.indicator(unit) for unit in Unit.values}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("0123456789.,-%万亿多余以上近约不少于元人家 ")), max_size=12
    ),
    unit=st.sampled_from(Unit.values),
)
def test_whatever_is_typed_nothing_invalid_is_stored(report, unit_indicators, text, unit):
    """From the keyboard to the database: a typed text is refused with a message, or it is
    stored as a valid figure (non-negative, whole for counts, at most 100 for rates)."""
    indicator = unit_indicators[unit]
    try:
        parsed = parse_figure(text, unit)
        figure = Figure(
            report=report, indicator=indicator, value=parsed.value, qualifier=parsed.qualifier
        )
        figure.full_clean()
    except (FigureParseError, ValidationError) as error:
        refusal = str(error)
    else:
        refusal = ""
    if refusal:
        return  # refused, with a message
    with transaction.atomic():
        figure.save()
        stored = Figure.objects.get(pk=figure.pk)
        assert stored.value >= 0
        if indicator.measure == "count":
            assert stored.value == stored.value.to_integral_value()
        if indicator.measure == "rate":
            assert stored.value <= 100
        transaction.set_rollback(True)
