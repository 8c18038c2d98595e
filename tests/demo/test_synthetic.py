"""The synthetic national data (generate_synthetic) at a small size: the tree's shape, plausible
figures, missing values, unpublished reports, and summaries that match the data."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.dashboards import stats
from apps.dashboards.models import OrganisationStats
from apps.demo import synthetic
from apps.indicators.choices import Measure
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Organisation, OrganisationAncestry
from apps.reports.models import Figure, Honour, Initiative, Report, ReportSection, Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("wanted", [5, 60, 333, 2000, 33000])
def test_the_shape_has_exactly_the_organisations_asked_for(wanted):
    shape = synthetic.shape_for(wanted)
    assert shape.total == wanted
    # Shaped like the real tree: provinces, then cities, counties and towns below.
    assert shape.provinces >= 1
    assert shape.towns >= 1


def generate(orgs: int = 120, years: int = 4, **options) -> str:
    out = io.StringIO()
    call_command("generate_synthetic", orgs=orgs, years=years, quiet=True, stdout=out, **options)
    return out.getvalue()


def synthetic_organisations():
    return Organisation.objects.filter(code__startswith=synthetic.PREFIX)


def test_a_small_national_tree_with_reports_and_figures():
    output = generate()
    organisations = synthetic_organisations()
    assert organisations.count() == 120
    levels = Counter(organisations.values_list("level", flat=True))
    assert levels[Level.NATIONAL] == 1
    assert levels[Level.PROVINCE] >= 1
    assert levels[Level.TOWN] > levels[Level.COUNTY]
    # The closure table knows the whole tree: the national root is above everyone.
    root = organisations.get(code=synthetic.PREFIX)
    assert OrganisationAncestry.objects.filter(ancestor=root).count() == 120

    reports = Report.objects.filter(organisation__in=organisations)
    assert reports.count() == 120 * 4
    assert set(reports.values_list("period_start", flat=True)) == {2010, 2011, 2012, 2013}
    statuses = Counter(reports.values_list("status", flat=True))
    assert statuses[Status.APPROVED] < reports.count()  # some are still in the workflow
    assert reports.filter(status=Status.APPROVED, approved_at__isnull=True).count() == 0

    figures = Figure.objects.filter(report__in=reports)
    chosen = synthetic.chosen_indicators(60)
    assert figures.count() < reports.count() * len(chosen)  # some values are missing
    assert figures.count() > reports.count() * len(chosen) * 0.9
    assert "120 organisations" in output


def test_figures_are_plausible_growing_and_parts_stay_within_wholes():
    generate(orgs=60, years=6)
    figures = Figure.objects.filter(report__organisation__code__startswith=synthetic.PREFIX)
    for figure in figures.select_related("indicator")[:2000]:
        assert figure.value >= 0
        if figure.measure == Measure.RATE:
            assert figure.value <= 100
        if figure.measure == Measure.COUNT:
            assert figure.value == figure.value.to_integral_value()
    # Parts never exceed their whole in the same report.
    parts = {i.pk: i.part_of_id for i in Indicator.objects.filter(part_of__isnull=False)}
    by_report: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for report_id, indicator_id, value in figures.values_list("report_id", "indicator_id", "value"):
        by_report[report_id][indicator_id] = value
    checked = 0
    for values in by_report.values():
        for part, whole in parts.items():
            if part in values and whole in values:
                assert values[part] <= values[whole]
                checked += 1
    assert checked > 0
    # A county's figures are larger than a town's (it includes them), on the whole.
    members = Indicator.objects.get(code="members_total")
    by_level = {
        level: list(
            figures.filter(indicator=members, report__organisation__level=level).values_list(
                "value", flat=True
            )
        )
        for level in (Level.COUNTY, Level.TOWN)
    }
    assert sum(by_level[Level.COUNTY]) / len(by_level[Level.COUNTY]) > sum(
        by_level[Level.TOWN]
    ) / len(by_level[Level.TOWN])


def test_the_summaries_match_the_generated_data():
    generate()
    assert stats.differences() == []
    root = Organisation.objects.get(code=synthetic.PREFIX)
    approved = Report.objects.filter(
        organisation__code__startswith=synthetic.PREFIX, status=Status.APPROVED
    ).count()
    assert OrganisationStats.objects.get(pk=root.pk).reports == approved


def test_generating_again_needs_replace_and_then_replaces_everything():
    generate()
    with pytest.raises(CommandError, match="--replace"):
        generate()
    output = generate(orgs=60, years=2, replace=True)
    assert "Removed 120" in output
    assert synthetic_organisations().count() == 60
    assert Report.objects.filter(organisation__in=synthetic_organisations()).count() == 120


def test_removal_leaves_the_demo_alone():
    demo_reports = Report.objects.count()
    generate()
    assert synthetic.remove() == 120
    assert Report.objects.count() == demo_reports
    assert not synthetic_organisations().exists()


def test_counties_and_above_carry_a_real_narrative_with_initiatives_linked_to_own_figures():
    output = generate()
    reports = Report.objects.filter(organisation__in=synthetic_organisations())
    narrated = reports.filter(organisation__level__in=synthetic.NARRATIVE_LEVELS)
    towns = reports.filter(organisation__level=Level.TOWN)
    assert towns.exists()
    assert narrated.exists()
    # A town's report is its figures; every report above has a demo report's narrative.
    for model in (ReportSection, Initiative, Honour):
        assert not model.objects.filter(report__in=towns).exists()
    pool = synthetic.narratives()
    wanted = {
        (
            tuple(sorted(s["heading"] for s in n.rows[ReportSection])),
            tuple(i["title"] for i in n.rows[Initiative]),
        )
        for n in pool
    }
    for report in narrated.prefetch_related("sections", "initiatives"):
        got = (
            tuple(sorted(s.heading for s in report.sections.all())),
            tuple(i.title for i in report.initiatives.all()),
        )
        assert got in wanted, report
    assert f"{narrated.count()} with narrative" in output
    # Real counts: some reports have as many initiatives as the longest demo report.
    longest = max(len(n.rows[Initiative]) for n in pool)
    counts = Counter(
        Initiative.objects.filter(report__in=narrated).values_list("report", flat=True)
    )
    assert max(counts.values()) == longest
    # Initiatives link figures of their own report, of the indicators the demo linked.
    links = Initiative.figures.through.objects.filter(initiative__report__in=narrated)
    assert links.count() > 0
    codes: dict[str, set[str]] = defaultdict(set)  # initiative title → indicator codes
    for narrative in pool:
        for initiative, linked in zip(narrative.rows[Initiative], narrative.links, strict=True):
            codes[initiative["title"]].update(linked)
    for initiative_id, title, report_id, figure_report_id, code in links.values_list(
        "initiative_id",
        "initiative__title",
        "initiative__report_id",
        "figure__report_id",
        "figure__indicator__code",
    ):
        assert figure_report_id == report_id, initiative_id
        assert code in codes[title]


def test_removal_takes_the_narrative_too():
    models = (ReportSection, Initiative, Honour, Initiative.figures.through)
    before = [model.objects.count() for model in models]
    generate()
    assert all(model.objects.count() > count for model, count in zip(models, before, strict=True))
    synthetic.remove()
    assert [model.objects.count() for model in models] == before
