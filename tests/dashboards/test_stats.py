"""The public summaries (apps.dashboards.stats) follow every approval, reopening and change of
the tree in the same transaction, and always agree with a rebuild from scratch."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.dashboards import stats
from apps.dashboards.models import (
    OrganisationStats,
    PeriodStats,
    RecentApproval,
)
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Organisation
from apps.reports import services
from apps.reports.models import Report, Status
from tests import factories

pytestmark = pytest.mark.django_db


def assert_same_as_rebuilt() -> None:
    assert stats.differences() == []


def approved_report(organisation: Organisation, year: int, values: dict[str, int]) -> Report:
    report = factories.report(organisation, year)
    for code, value in values.items():
        factories.figure(report, Indicator.objects.get(code=code), value)
    return factories.move_to(report, Status.APPROVED)


def test_the_demo_loaded_through_the_workflow_matches_a_rebuild():
    assert OrganisationStats.objects.exists()
    assert_same_as_rebuilt()


def test_approving_and_reopening_keep_every_summary_exact():
    yangzhou = Organisation.objects.get(code="js-yz")
    before = OrganisationStats.objects.get(pk=yangzhou.pk).reports
    town = factories.organisation(yangzhou, Level.COUNTY, code="stats-county")
    report = approved_report(town, 2031, {"new_unions": 12, "members_total": 3400})
    assert_same_as_rebuilt()
    mine = OrganisationStats.objects.get(pk=yangzhou.pk)
    assert mine.reports == before + 1
    assert mine.latest_end == 2031
    assert PeriodStats.objects.get(parent=yangzhou, period_start=2031).reports == 1
    latest = RecentApproval.objects.filter(organisation=yangzhou).order_by("-approved_at").first()
    assert latest.report == report
    root = Organisation.objects.get(code="js")
    assert report.pk in RecentApproval.objects.filter(organisation=root).values_list(
        "report_id", flat=True
    )

    services.report_reopen(report=report, user=None, reason="复核")
    assert_same_as_rebuilt()
    mine = OrganisationStats.objects.get(pk=yangzhou.pk)
    assert mine.reports == before
    assert mine.latest_end != 2031  # the latest year falls back to the reports still public
    assert not RecentApproval.objects.filter(report=report).exists()


def test_reopening_makes_room_for_the_next_latest_approval():
    county = factories.organisation(
        Organisation.objects.get(code="js-yz"), Level.COUNTY, code="stats-many"
    )
    reports = [approved_report(county, 2020 + n, {"new_unions": n + 1}) for n in range(10)]
    listed = list(
        RecentApproval.objects.filter(organisation=county).values_list("report_id", flat=True)
    )
    assert len(listed) == RecentApproval.KEEP
    assert reports[0].pk not in listed
    assert reports[1].pk not in listed
    services.report_reopen(report=reports[-1], user=None, reason="复核")
    listed = set(
        RecentApproval.objects.filter(organisation=county).values_list("report_id", flat=True)
    )
    assert reports[1].pk in listed  # the ninth newest now shows
    assert reports[-1].pk not in listed
    assert_same_as_rebuilt()


def test_moving_an_organisation_moves_its_reports_in_the_summaries():
    suzhou = Organisation.objects.get(code="js-sz")
    yangzhou = Organisation.objects.get(code="js-yz")
    county = factories.organisation(yangzhou, Level.COUNTY, code="stats-moving")
    approved_report(county, 2032, {"new_unions": 7})
    suzhou_before = OrganisationStats.objects.get(pk=suzhou.pk)
    county.parent = suzhou
    county.save()
    assert_same_as_rebuilt()
    suzhou_after = OrganisationStats.objects.get(pk=suzhou.pk)
    assert suzhou_after.reports == suzhou_before.reports + 1
    assert suzhou_after.organisations_below == suzhou_before.organisations_below + 1
    assert PeriodStats.objects.get(parent=suzhou, period_start=2032).reports == 1
    assert not PeriodStats.objects.filter(parent=yangzhou, period_start=2032).exists()


def test_adding_and_deleting_an_organisation_counts_it_below_its_ancestors():
    yangzhou = Organisation.objects.get(code="js-yz")
    root = Organisation.objects.get(code="js")
    below = OrganisationStats.objects.get(pk=root.pk).organisations_below
    county = factories.organisation(yangzhou, Level.COUNTY, code="stats-new")
    assert OrganisationStats.objects.get(pk=root.pk).organisations_below == below + 1
    assert OrganisationStats.objects.get(pk=county.pk).reports == 0
    county.delete()
    assert OrganisationStats.objects.get(pk=root.pk).organisations_below == below
    assert_same_as_rebuilt()


def test_a_deactivated_organisation_is_no_longer_counted_below_its_ancestors():
    yangzhou = Organisation.objects.get(code="js-yz")
    root = Organisation.objects.get(code="js")
    county = factories.organisation(yangzhou, Level.COUNTY, code="stats-closing")
    town = factories.organisation(county, Level.TOWN, code="stats-closing-town")
    below_root = OrganisationStats.objects.get(pk=root.pk).organisations_below
    below_city = OrganisationStats.objects.get(pk=yangzhou.pk).organisations_below

    county.is_active = False
    county.save()
    # The county is gone from the counts; the town below it, still active, is not.
    assert OrganisationStats.objects.get(pk=root.pk).organisations_below == below_root - 1
    assert OrganisationStats.objects.get(pk=yangzhou.pk).organisations_below == below_city - 1
    assert OrganisationStats.objects.get(pk=county.pk).organisations_below == 1
    assert_same_as_rebuilt()

    town.is_active = False
    town.save()
    assert OrganisationStats.objects.get(pk=root.pk).organisations_below == below_root - 2
    assert OrganisationStats.objects.get(pk=county.pk).organisations_below == 0
    assert_same_as_rebuilt()

    county.is_active = True
    county.save()
    assert OrganisationStats.objects.get(pk=root.pk).organisations_below == below_root - 1
    assert_same_as_rebuilt()


def test_figures_outside_the_report_period_are_not_counted():
    """A 近三年 figure inside a yearly report is not a figure of that year on the public side."""
    county = factories.organisation(
        Organisation.objects.get(code="js-yz"), Level.COUNTY, code="stats-span"
    )
    report = factories.report(county, 2033)
    factories.figure(report, Indicator.objects.get(code="new_unions"), 5)
    factories.figure(
        report,
        Indicator.objects.get(code="members_total"),
        Decimal(900),
        period_start=2031,
        period_end=2033,
    )
    factories.move_to(report, Status.APPROVED)
    period = PeriodStats.objects.get(parent__code="js-yz", period_start=2033, period_end=2033)
    assert period.figures == 1
    assert_same_as_rebuilt()


def test_ensure_built_fills_empty_summaries_after_a_migration():
    expected = stats.snapshot()
    for model in stats.SUMMARIES:
        model.objects.all().delete()
    stats.ensure_built()
    assert stats.snapshot() == expected


def test_the_command_finds_a_difference_and_repairs_it():
    root = OrganisationStats.objects.get(organisation__code="js")
    root.reports += 5
    root.save()
    with pytest.raises(CommandError, match="organisations"):
        call_command("rebuild_stats", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rebuild_stats", stdout=out)
    assert "Rebuilt" in out.getvalue()
    call_command("rebuild_stats", "--check", stdout=out)
    assert "match" in out.getvalue()
