"""A CompiledRead gives the rows its QuerySet gives, for any arguments, as a counted query on the
database the router picks; a query whose shape would depend on its arguments is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from apps.dashboards import selectors
from apps.dashboards.compiled import CompiledRead, fields_of
from apps.dashboards.filters import Period, in_periods, published_figures
from apps.dashboards.models import RecentApproval
from apps.indicators.choices import Qualifier, Unit, WorkArea
from apps.organizations.models import Level
from apps.reports.models import Figure, Honour, HonourLevel, Report, Status
from tests import factories

pytestmark = pytest.mark.django_db


def below(parent: int, start: int, end: int, area: str):
    return (
        published_figures()
        .filter(
            in_periods(Period.of(start, end)),
            report__organisation__parent_id=parent,
            indicator__work_area=area,
        )
        .order_by()
        .values_list("report__organisation_id", "indicator_id", "value", "qualifier")
    )


@pytest.fixture
def two_parents():
    """Two parents with two children each, approved figures in 2020 and 2021, a draft and a
    figure of another period inside a report; values with decimals (SQLite stores them as
    numbers, which Django's converters make Decimals again)."""
    money = factories.indicator(Unit.TEN_THOUSAND_YUAN, work_area=WorkArea.SERVICES)
    people = factories.indicator(work_area=WorkArea.ORGANISATION)
    parents = [factories.organisation(level=Level.CITY) for _ in range(2)]
    for p, parent in enumerate(parents):
        for c in range(2):
            child = factories.organisation(parent)
            for year in (2020, 2021):
                report = factories.report(child, year)
                factories.figure(report, money, f"{p}{c}{year % 10}.25", Qualifier.MORE)
                factories.figure(report, people, 100 * p + 10 * c + year % 10)
                factories.move_to(report, Status.APPROVED)
            draft = factories.report(child, 2022)
            factories.figure(draft, money, "9.99")
    return parents, money, people


def test_rows_equal_the_querysets_rows_for_any_arguments(two_parents):
    parents, _money, _people = two_parents
    read = CompiledRead(Figure, (int, int, int, str), below)
    for parent in parents:
        for year in (2020, 2021, 2022):
            for area in (WorkArea.SERVICES, WorkArea.ORGANISATION, WorkArea.RIGHTS):
                expected = sorted(below(parent.pk, year, year, area))
                assert sorted(read.rows(parent.pk, year, year, area)) == expected
    rows = read.rows(parents[1].pk, 2021, 2021, WorkArea.SERVICES)
    assert sorted(value for _o, _i, value, _q in rows) == [Decimal("101.25"), Decimal("111.25")]
    assert all(type(value) is Decimal for _o, _i, value, _q in rows)
    assert {qualifier for *_rest, qualifier in rows} == {Qualifier.MORE}


def test_each_read_is_one_query_on_the_connection_and_compiled_once(two_parents):
    parents, _money, _people = two_parents
    read = CompiledRead(Figure, (int, int, int, str), below)
    with CaptureQueriesContext(connection) as queries:
        read.rows(parents[0].pk, 2020, 2020, WorkArea.SERVICES)
        read.rows(parents[1].pk, 2021, 2021, WorkArea.ORGANISATION)
    assert len(queries) == 2
    assert read.compiled(connection.alias) is read.compiled(connection.alias)


def test_a_shape_that_depends_on_its_arguments_is_refused():
    def previous_year(parent: int, year: int):
        return (
            Figure.objects.filter(report__organisation__parent_id=parent, period_start=year - 1)
            .order_by()
            .values_list("value")
        )

    def unused(parent: int, year: int):
        return Figure.objects.filter(report__organisation__parent_id=parent).values_list("value")

    for build in (previous_year, unused):
        with pytest.raises(ValueError, match="parameter of its own"):
            CompiledRead(Figure, (int, int), build).rows(1, 2020)


def test_only_values_list_rows_of_plain_columns_are_read():
    with pytest.raises(TypeError):
        CompiledRead(Figure, (int,), lambda pk: Figure.objects.filter(pk=pk)).rows(1)
    with pytest.raises(TypeError):
        CompiledRead(Figure, (float,), lambda value: Figure.objects.values_list("value"))
    read = CompiledRead(Figure, (int,), lambda pk: Figure.objects.filter(pk=pk).values_list("pk"))
    with pytest.raises(TypeError):
        read.rows(1, 2)
    with pytest.raises(TypeError):  # instances come from every field of the row
        read.instances(1)


def test_instances_equal_the_querysets_instances(two_parents):
    fields = fields_of(Figure)
    read = CompiledRead(
        Figure,
        (int,),
        lambda parent: (
            Figure.objects.filter(report__organisation__parent_id=parent)
            .order_by("pk")
            .values_list(*fields)
        ),
    )
    parents, _money, _people = two_parents
    for parent in parents:
        expected = list(Figure.objects.filter(report__organisation__parent=parent).order_by("pk"))
        read_back = read.instances(parent.pk)
        assert len(read_back) == 10  # two children: two figures in two years, a draft's one
        assert read_back == expected
        assert [[getattr(f, name) for name in fields] for f in read_back] == [
            [getattr(f, name) for name in fields] for f in expected
        ]
        assert {f._state.adding for f in read_back} == {False}


def test_the_pages_reads_agree_with_their_querysets(two_parents):
    parents, money, people = two_parents
    parent = parents[1]
    child = parent.children.order_by("code").first()
    assert sorted(selectors.SIBLING_FIGURES.rows(parent.pk, 2021, 2021)) == sorted(
        published_figures()
        .filter(in_periods(Period.of(2021, 2021)), report__organisation__parent=parent)
        .values_list("indicator_id", "report__organisation_id", "value")
    )
    assert sorted(selectors.OWN_FIGURES.rows(child.pk)) == sorted(
        Figure.objects.filter(
            report__organisation=child, report__status=Status.APPROVED
        ).values_list("indicator_id", "period_start", "period_end", "value", "qualifier")
    )
    assert len(selectors.INDICATOR_FIGURES.rows(parent.pk, money.pk)) == 4  # two years, two
    both_years = selectors.compare_figures(2, False).rows(parent.pk, 2021, 2021, 2020, 2020)
    assert len(both_years) == 8
    services = selectors.compare_figures(1, True).rows(parent.pk, 2021, 2021, WorkArea.SERVICES)
    assert {row[0] for row in services} == {money.pk}
    assert sorted(selectors.NORMALISING_FIGURES.rows(parent.pk, 2020, 2020, people.code)) == sorted(
        published_figures()
        .filter(
            in_periods(Period.of(2020, 2020)), indicator=people, report__organisation__parent=parent
        )
        .values_list("report__organisation_id", "value")
    )
    assert {row[0] for row in selectors.headline_figures((people.pk,)).rows(child.pk)} == {
        people.pk
    }


def test_the_profile_reads_its_reports_latest_first_with_what_it_shows(two_parents):
    parents, _money, people = two_parents
    child = parents[0].children.order_by("code").first()
    oldest = factories.report(
        child, 2019, title="2019年工作总结", summary="全市新建工会组织660多家。"
    )
    Honour.objects.create(report=oldest, title="模范职工之家", level=HonourLevel.PROVINCIAL)
    factories.move_to(oldest, Status.APPROVED)
    reports = selectors._profile_reports(child)
    expected = list(Report.objects.published().filter(organisation=child).order_by("-period_end"))
    assert [r.pk for r in reports] == [r.pk for r in expected]
    assert [(r.period_label, r.title, r.summary) for r in reports] == [
        (r.period_label, r.title, r.summary) for r in expected
    ]
    assert {r.get_deferred_fields() >= {"status", "note"} for r in reports} == {True}
    assert [r.holds_initiatives for r in reports] == [False, False, False]
    assert [r.holds_honours for r in reports] == [False, False, True]
    assert (reports[-1].title, reports[-1].summary) == (
        "2019年工作总结",
        "全市新建工会组织660多家。",
    )
    # The honours of its approved reports only: not a draft's, not a sibling's.
    draft = factories.report(child, 2023)
    Honour.objects.create(report=draft, title="草稿中的荣誉", level=HonourLevel.CITY)
    sibling = parents[0].children.order_by("code").last()
    theirs = factories.report(sibling, 2019)
    factories.figure(theirs, people, 5)
    Honour.objects.create(report=theirs, title="兄弟单位的荣誉", level=HonourLevel.CITY)
    factories.move_to(theirs, Status.APPROVED)
    honours = selectors.profile(child).honours
    assert [(h.title, h.report.pk) for h in honours] == [("模范职工之家", oldest.pk)]
    assert [h.title for h in selectors.profile(sibling).honours] == ["兄弟单位的荣誉"]


def test_the_overview_reads_the_organisations_below_and_recent_approvals(two_parents):
    parents, _money, _people = two_parents
    parent = parents[0]
    quiet = factories.organisation(parent, code="zz-quiet")  # nothing reported yet
    factories.organisation(parent, code="zz-closed", is_active=False)
    view = selectors.overview(parent)
    rows = {row.organisation.code: row for row in view.children}
    assert list(rows) == sorted(c.code for c in parent.children.filter(is_active=True))
    assert (rows[quiet.code].reports, rows[quiet.code].latest, rows[quiet.code].below) == (
        0,
        None,
        0,
    )
    for child in parent.children.exclude(pk=quiet.pk).filter(is_active=True):
        row = rows[child.code]
        assert (row.reports, row.latest, row.below) == (2, Period.of(2021, 2021), 0)
        assert row.organisation == child
        assert row.organisation.display_name == child.name
    assert (view.reports_below, view.below_count) == (4, 3)
    recent = RecentApproval.objects.filter(organisation=parent).order_by(
        "-approved_at", "-report_id"
    )
    assert [r.pk for r in view.latest_reports] == [a.report_id for a in recent]
    assert [r.organisation.display_name for r in view.latest_reports] == [
        a.report.organisation.name for a in recent
    ]
    assert view.latest_reports
    assert {r.period_label for r in view.latest_reports} <= {
        "2020年",
        "2021年",
    }


def test_the_report_page_reads_its_report_organisation_parent_and_figures(two_parents):
    parents, _money, people = two_parents
    child = parents[1].children.order_by("code").last()
    report = Report.objects.published().get(organisation=child, period_start=2021)
    read = selectors.published_report(report.pk)
    assert (read.pk, read.title, read.status, read.period_label) == (
        report.pk,
        report.title,
        Status.APPROVED,
        "2021年",
    )
    assert read.get_deferred_fields() == set()
    assert (read.organisation, read.organisation.parent) == (child, parents[1])
    assert read.organisation.parent.name == parents[1].name
    assert (read.holds_sections, read.holds_initiatives, read.holds_honours) == (False,) * 3
    assert (read.section_list, read.initiative_list, read.honour_list) == ([], [], [])
    expected = {f.pk: f for f in report.figures.all()}
    assert len(expected) == 2
    assert {f.pk for f in read.figure_list} == set(expected)
    for figure in read.figure_list:
        original = expected[figure.pk]
        assert (figure.value, figure.qualifier, figure.indicator, figure.report) == (
            original.value,
            original.qualifier,
            original.indicator,
            read,
        )
    assert {f.value for f in read.figure_list} == {Decimal("111.25"), 111}
    # A report of the root (no parent) reads with no parent; a draft is not found.
    root_report = factories.report(parents[0], 2021)
    factories.figure(root_report, people, 7)
    Honour.objects.create(report=root_report, title="工人先锋号", level=HonourLevel.NATIONAL)
    factories.move_to(root_report, Status.APPROVED)
    top = selectors.published_report(root_report.pk)
    assert (top.organisation, top.organisation.parent) == (parents[0], None)
    assert (top.holds_sections, top.holds_initiatives, top.holds_honours) == (False, False, True)
    assert [h.title for h in top.honour_list] == ["工人先锋号"]
    assert [f.value for f in top.figure_list] == [7]
    draft = Report.objects.get(organisation=child, period_start=2022)
    with pytest.raises(Http404):
        selectors.published_report(draft.pk)
    with CaptureQueriesContext(connection) as queries:
        selectors.published_report(root_report.pk)
    assert len(queries) == 3  # the report, its figures, its honours
