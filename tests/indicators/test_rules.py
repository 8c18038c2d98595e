"""The rules shared by forms, imports and services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from apps.indicators.models import Indicator
from apps.indicators.rules import Previous, Severity, check_figures, value_findings

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def catalogue():
    return {i.code: i for i in Indicator.objects.all()}


def rules(findings) -> set[tuple[str, str, str]]:
    return {(f.indicator, f.severity.value, f.rule) for f in findings}


@pytest.mark.parametrize(
    ("code", "value", "rule"),
    [
        ("unions_total", D(-1), "negative"),
        ("unions_total", D("3.5"), "fraction"),
        ("unionisation_rate", D("100.1"), "above_maximum"),
        ("unionisation_rate", D("96.55"), "places"),
        ("assistance_funds_raised", D("-0.5"), "negative"),
    ],
)
def test_value_errors(catalogue, code, value, rule):
    assert rules(value_findings(catalogue[code], value)) == {(code, "error", rule)}


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("unions_total", D(0)),
        ("unionisation_rate", D(100)),
        ("unionisation_rate", D("96.5")),
        ("assistance_funds_raised", D("35.85")),
    ],
)
def test_valid_values_pass(catalogue, code, value):
    assert value_findings(catalogue[code], value) == []


def test_a_part_larger_than_its_whole_is_an_error(catalogue):
    findings = check_figures({"new_unions": D(700), "unions_total": D(390)}, catalogue)
    assert rules(findings) == {("new_unions", "error", "part_exceeds_whole")}
    with translation.override("zh-hans"):
        message = check_figures({"new_unions": D(700), "unions_total": D(390)}, catalogue)[
            0
        ].message
    assert "新建工会组织" in message
    assert "基层工会组织数" in message


def test_members_above_employees_where_both_are_known(catalogue):
    assert rules(
        check_figures({"members_total": D(32000), "employees_total": D(30000)}, catalogue)
    ) == {("members_total", "error", "part_exceeds_whole")}
    assert check_figures({"members_total": D(32000)}, catalogue) == []


def test_a_part_is_compared_with_the_nearest_whole_that_has_a_value(catalogue):
    # worker_library_sites_city ⊂ …_provincial_city ⊂ worker_library_sites; the middle is empty
    findings = check_figures(
        {"worker_library_sites_city": D(5), "worker_library_sites": D(3)}, catalogue
    )
    assert rules(findings) == {("worker_library_sites_city", "error", "part_exceeds_whole")}
    assert (
        check_figures({"worker_library_sites_city": D(2), "worker_library_sites": D(3)}, catalogue)
        == []
    )


@pytest.mark.parametrize(
    ("before", "after", "warned"),
    [
        (D(390), D(600), True),
        (D(390), D(190), True),
        (D(390), D(585), False),
        (D(390), D(200), False),
        (D(0), D(5), False),
    ],
)
def test_a_change_of_more_than_half_against_the_previous_period_is_a_warning(
    catalogue, before, after, warned
):
    previous = {"unions_total": Previous(before, "exact", "2010年")}
    findings = check_figures({"unions_total": after}, catalogue, previous=previous)
    assert rules(findings) == ({("unions_total", "warning", "large_change")} if warned else set())
    if warned:
        with translation.override("zh-hans"):
            message = check_figures({"unions_total": after}, catalogue, previous=previous)[
                0
            ].message
        assert "2010年" in message


def test_a_parent_below_the_sum_of_its_children_is_a_warning(catalogue):
    findings = check_figures(
        {"unions_total": D(500)}, catalogue, children_sums={"unions_total": D(600)}
    )
    assert rules(findings) == {("unions_total", "warning", "below_children")}
    assert (
        check_figures({"unions_total": D(600)}, catalogue, children_sums={"unions_total": D(600)})
        == []
    )
    # Rates are not sums: no such warning for them.
    assert (
        check_figures(
            {"unionisation_rate": D(50)}, catalogue, children_sums={"unionisation_rate": D(190)}
        )
        == []
    )


def test_warnings_have_stable_keys_for_confirmation(catalogue):
    previous = {"unions_total": Previous(D(100), "exact", "2010年")}
    first = check_figures({"unions_total": D(300)}, catalogue, previous=previous)
    second = check_figures({"unions_total": D(300)}, catalogue, previous=previous)
    assert [f.key for f in first] == [f.key for f in second] == ["unions_total:large_change"]
    assert first[0].severity == Severity.WARNING
