"""The public dashboards: what they show, what they never show, how they are cached, and how
many queries they cost at two sizes of data."""

from __future__ import annotations

import csv
import io
import re
import statistics
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from apps.dashboards import selectors, stats
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Organisation
from apps.reports.models import Figure, Honour, Initiative, Report, ReportSection, Status
from tests import factories

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


def add_reports(
    parent_code: str, count: int, years=range(2004, 2009), prefix: str = "grow"
) -> list[Organisation]:
    """``count`` organisations below ``parent_code``, each with approved annual reports for
    ``years``, a term report over them, and a draft after them; figures by bulk insert."""
    parent = Organisation.objects.get(code=parent_code)
    indicators = list(
        Indicator.objects.filter(
            code__in=[
                "unions_total",
                "members_total",
                "new_unions",
                "unionisation_rate",
                "assistance_funds_raised",
            ]
        )
    )
    organisations = []
    figures = []
    for n in range(count):
        organisation = factories.organisation(
            parent,
            Level.COUNTY,
            code=f"{prefix}-{n}",
            name=f"增长测试{n}总工会",
            short_name=f"测{n}",
        )
        organisations.append(organisation)
        spans = [(y, y) for y in years] + ([(min(years), max(years))] if len(years) > 1 else [])
        for start, end in spans:
            report = Report.objects.create(
                organisation=organisation,
                period_start=start,
                period_end=end,
                status=Status.APPROVED,
                approved_at=timezone.now(),
            )
            for i, indicator in enumerate(indicators):
                value = (
                    Decimal(50 + (n * 7 + start * 3 + i * 11) % 40)
                    if indicator.unit == "%"
                    else Decimal(100 + n * 10 + (start - 2000) * 5 + i)
                )
                figures.append(
                    Figure(
                        report=report,
                        indicator=indicator,
                        value=value,
                        qualifier="exact",
                        measure=indicator.measure,
                        period_start=start,
                        period_end=end,
                    )
                )
        Report.objects.create(
            organisation=organisation,
            period_start=max(years) + 1,
            period_end=max(years) + 1,
            status=Status.DRAFT,
        )
    Figure.objects.bulk_create(figures)
    stats.rebuild()  # the rows above bypass the workflow that keeps the summaries in step
    return organisations


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def get(client, url: str, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def html(client, url: str) -> str:
    return get(client, url).content.decode()


PAGES = [
    "/",
    "/?organisation=js-sz",
    "/compare/",
    "/compare/?parent=js-sz&period=2006&area=organisation",
    "/compare/?parent=js-sz&period=2006&per=members",
    "/indicators/",
    "/indicators/new_unions/?parent=js-sz",
    "/organisations/js-sz-kunshan/",
    "/api/compare?parent=js-sz&period=2006",
    "/api/indicators/new_unions?parent=js-sz",
    "/api/organisations/js-yz-gaoyou",
    "/api/overview?organisation=js-yz",
]


def report_url() -> str:
    return (
        f"/reports/{Report.objects.get(organisation__code='js-yz-gaoyou', period_start=2011).pk}/"
    )


def count_queries(client, url: str) -> int:
    """Queries of a page rendered afresh, with the process's catalogue already read (as it is
    between two changes of what is published)."""
    get(client, url)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


@pytest.mark.parametrize("url", [*PAGES, "report"])
def test_each_page_runs_a_bounded_number_of_queries_at_two_data_sizes(client, url):
    url = report_url() if url == "report" else url
    small = count_queries(client, url)
    add_reports("js-sz", 25)
    add_reports("js-yz", 10, prefix="grow-yz")
    large = count_queries(client, url)
    assert small <= MAX_QUERIES, (url, small)
    assert large <= MAX_QUERIES, (url, large)
    assert large == small, f"{url}: cost grows with the data ({small} → {large})"


def test_a_cached_page_costs_at_most_one_query_and_validates_with_etag(client):
    first = get(client, "/compare/?parent=js-sz&period=2006")
    assert first["ETag"]
    assert first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    with CaptureQueriesContext(connection) as queries:
        again = get(client, "/compare/?parent=js-sz&period=2006")
    assert len(queries) == 0
    assert again.content == first.content
    not_modified = client.get(
        "/compare/?parent=js-sz&period=2006", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert not_modified.status_code == 304


def test_public_pages_set_no_cookie_and_do_not_vary_on_it(client):
    for url in [*PAGES, report_url()]:
        response = get(client, url)
        assert not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url


def test_an_approval_shows_at_once(client):
    organisation = Organisation.objects.get(code="js-sz-wuzhong")
    report = factories.report(organisation, 2006 + 1)
    factories.figure(report, Indicator.objects.get(code="new_unions"), 4321)
    page = "/compare/?parent=js-sz&period=2007"
    assert "4321" not in html(client, page)
    etag = client.get(page)["ETag"]
    factories.move_to(report, Status.APPROVED)
    assert "4321" in html(client, page)
    assert client.get(page)["ETag"] != etag
    factories.move_to(report, Status.RETURNED)  # reopened: gone again at once
    assert "4321" not in html(client, page)


def test_unapproved_reports_never_appear(client):
    organisation = Organisation.objects.get(code="js-sz-wuzhong")
    indicator = Indicator.objects.get(code="new_unions")
    hidden = []
    for year, status in [(2006, Status.DRAFT), (2007, Status.SUBMITTED), (2008, Status.RETURNED)]:
        report = Report.objects.filter(
            organisation=organisation, period_start=year
        ).first() or factories.report(organisation, year)
        if report.status == Status.APPROVED:
            factories.move_to(report, Status.RETURNED)
        if status != Status.RETURNED or report.status != Status.RETURNED:
            factories.figure(report, indicator, 98765 + year)
            factories.move_to(report, status)
        hidden.append(report)
    urls = [
        *PAGES,
        "/compare/?parent=js-sz&period=2007",
        "/compare/?parent=js-sz&period=2008",
        "/organisations/js-sz-wuzhong/",
        "/api/organisations/js-sz-wuzhong",
        "/?organisation=js-sz-wuzhong",
    ]
    for url in urls:
        body = html(client, url)
        for year in (2006, 2007, 2008):
            assert str(98765 + year) not in body, url
    for report in hidden:
        assert client.get(f"/reports/{report.pk}/").status_code == 404
        assert client.get(f"/api/reports/{report.pk}").status_code == 404


def test_compare_marks_rank_best_and_missing(client):
    response = get(client, "/compare/?parent=js-sz&period=2006&area=organisation")
    table = response.context["view"].table
    header = table.columns
    assert header[:2] == ["指标", "单位"]
    assert {"昆山", "沧浪"} <= set(header)
    assert "吴中" not in header  # no figure at all: no column of dashes, but named
    assert "吴中" in table.note
    row = next(r for r in table.rows if r[0].text == "新发展会员")
    cells = dict(zip(header, row, strict=True))
    assert cells["昆山"].text == "1.87万+"
    assert "best" in cells["昆山"].css
    assert cells["昆山"].hint.startswith("第1名")
    assert cells["沧浪"].text == "1620"
    new_unions = dict(
        zip(header, next(r for r in table.rows if r[0].text == "新建工会组织"), strict=True)
    )
    assert new_unions["昆山"].text == "—"  # missing is missing, never 0
    assert new_unions["昆山"].value is None
    page = response.content.decode()
    assert "★" in page


def test_compare_shows_the_change_against_the_previous_year(client):
    growing = add_reports("js-sz", 2, years=range(2005, 2007), prefix="chg")
    response = get(client, "/compare/?parent=js-sz&period=2006&area=organisation")
    table = response.context["view"].table
    index = table.columns.index(growing[0].short_name)
    row = next(r for r in table.rows if r[0].text == "基层工会组织数")
    # Its rank among the organisations with a figure, then the change (135 → 130 + …: +4%).
    assert re.fullmatch(r"第\d+名 · \+4%", row[index].hint), row[index].hint


@pytest.mark.parametrize(
    ("higher_is_better", "ranks"),
    [
        (True, {"a": 3, "b": 1, "c": 1, "d": 4}),
        (False, {"a": 2, "b": 3, "c": 3, "d": 1}),
        (None, {}),
    ],
)
def test_ranks_are_competition_ranks_in_the_better_direction(higher_is_better, ranks):
    values = {"a": Decimal(10), "b": Decimal(20), "c": Decimal(20), "d": Decimal(5)}
    assert selectors._rank(values, higher_is_better) == ranks


standing_values = st.lists(
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False), max_size=40
)


@given(values=standing_values, higher_is_better=st.sampled_from([True, False, None]))
def test_a_place_among_sorted_values_is_the_competition_rank(values, higher_is_better):
    """The profile's standing ranks one organisation with a single sort; it must give what
    ranking them all gives."""
    by_key = dict(enumerate(values))
    ranks = selectors._rank(by_key, higher_is_better)
    ordered = sorted(values)
    for key, value in by_key.items():
        assert selectors._place(ordered, value, higher_is_better) == ranks.get(key)


@given(values=standing_values)
def test_the_median_of_sorted_values_is_the_statistics_median(values):
    expected = statistics.median(values) if values else None
    assert selectors._median(sorted(values)) == expected


def test_compare_normalises_per_10000_members(client):
    organisations = add_reports("js-sz", 2, years=range(2006, 2007), prefix="norm")
    response = get(client, "/compare/?parent=js-sz&period=2006&per=members")
    table = response.context["view"].table
    index = table.columns.index(organisations[0].short_name)
    row = next(r for r in table.rows if r[0].text == "基层工会组织数")
    members = Figure.objects.get(
        report__organisation=organisations[0],
        report__period_start=2006,
        report__period_end=2006,
        indicator__code="members_total",
    ).value
    unions = Figure.objects.get(
        report__organisation=organisations[0],
        report__period_start=2006,
        report__period_end=2006,
        indicator__code="unions_total",
    ).value
    expected = (unions / members * 10000).quantize(Decimal("0.01"))
    assert row[index].value == expected
    assert "每万名会员" in row[1].text
    kunshan = table.columns.index("昆山")
    assert row[kunshan].text == "—"  # no members figure: nothing to divide by


def test_compare_normalises_when_the_work_area_leaves_the_members_out(client):
    # Members are in the organisation area; the services area shows funds per 10,000 members.
    organisations = add_reports("js-sz", 2, years=range(2006, 2007), prefix="norm")
    response = get(client, "/compare/?parent=js-sz&period=2006&area=services&per=members")
    table = response.context["view"].table
    assert [row[0].text for row in table.rows] == ["筹措帮扶经费"]
    figures = {
        f.indicator.code: f.value
        for f in Figure.objects.filter(
            report__organisation=organisations[1], report__period_start=2006
        ).select_related("indicator")
        if f.report.period_end == 2006
    }
    expected = (figures["assistance_funds_raised"] / figures["members_total"] * 10000).quantize(
        Decimal("0.01")
    )
    assert table.rows[0][table.columns.index(organisations[1].short_name)].value == expected


def test_term_reports_are_labelled_and_kept_out_of_yearly_trends(client):
    response = get(client, "/indicators/unions_total/?parent=js-yz")
    view = response.context["view"]
    yearly = sorted(p for p in view.periods if not p.is_term)
    assert view.line_chart["categories"] == [p.label for p in yearly]
    assert "2014—2019年" not in view.line_chart["categories"]
    terms = {row[0].text: row for row in view.terms.rows}
    assert terms["扬州市江都区总工会"][2].text == "6299"
    page = response.content.decode()
    assert "届期" in page or "term" in page


def test_indicator_page_charts_have_their_tables(client):
    response = get(client, "/indicators/new_members/?parent=js-sz")
    view = response.context["view"]
    assert view.bar_chart["categories"] == ["昆山", "沧浪"]
    assert view.bar_chart["series"][0]["labels"] == ["1.87万+", "1620"]
    page = response.content.decode()
    assert 'id="chart-data-ranking"' in page
    assert 'id="table-ranking"' in page
    assert "echarts.common.min.js" in page
    assert {o.code for o in view.missing} >= {"js-sz-wuzhong"}


def test_the_chart_library_loads_only_where_there_is_a_chart(client):
    for url in [
        "/",
        "/compare/",
        "/indicators/",
        "/organisations/js-sz-kunshan/",
        report_url(),
        "/api/",
    ]:
        assert "echarts" not in html(client, url), url


def test_profile_shows_periods_standing_narrative_and_honours(client):
    response = get(client, "/organisations/js-yz-gaoyou/")
    view = response.context["view"]
    assert [p.slug for p in view.periods] == ["2011"]
    row = next(r for r in view.figures.rows if r[0].text == "新建工会组织")
    assert row[2].text == "660+"
    assert view.standing.rows  # where it stands among 江都 and 宝应
    page = response.content.decode()
    assert "全国百家示范乡镇工会" in page
    assert "2017年" in page
    # Each approved report is linked to its page, the latest once more under its narrative.
    for report in view.reports:
        assert page.count(f'href="/reports/{report.pk}/"') == (2 if report == view.latest else 1)


def test_profile_standing_gives_rank_median_and_count_among_the_siblings(client):
    """Ranks are competition ranks (ties share a rank) in the indicator's better direction,
    none without one; the median is the middle value, or the mean of the middle two; only
    approved figures of the same period count."""
    parent = factories.organisation(None, Level.CITY, code="standing-parent")
    higher = factories.indicator(code="standing_higher", higher_is_better=True, position=1)
    lower = factories.indicator(code="standing_lower", higher_is_better=False, position=2)
    neither = factories.indicator(code="standing_neither", position=3)
    values = {  # sibling: (higher, lower, neither)
        "a": (10, 5, 1),
        "b": (30, 3, 2),  # the one shown
        "c": (30, 8, 3),
        "d": (50, 3, 4),
        "e": (20, 9, 5),
        "f": (None, None, 6),
    }
    organisations = {}
    for name, row in values.items():
        organisation = factories.organisation(parent, code=f"standing-{name}")
        organisations[name] = organisation
        report = factories.report(organisation, 2020)
        for indicator, value in zip((higher, lower, neither), row, strict=True):
            if value is not None:
                factories.figure(report, indicator, value)
        factories.move_to(report, Status.APPROVED)
        earlier = factories.report(organisation, 2019)
        factories.figure(earlier, higher, 1000)  # another period: not counted
        factories.move_to(earlier, Status.APPROVED)
    draft = factories.report(factories.organisation(parent, code="standing-g"), 2020)
    factories.figure(draft, higher, 1)  # not approved: not counted

    view = get(client, "/organisations/standing-b/").context["view"]
    assert view.standing_period.slug == "2020"
    rows = {row[0].text: [cell.text for cell in row[1:]] for row in view.standing.rows}
    assert rows[higher.display_name] == ["30", higher.get_unit_display(), "2/5", "30", "5"]
    assert rows[lower.display_name] == ["3", lower.get_unit_display(), "1/5", "5", "5"]
    assert rows[neither.display_name] == ["2", neither.get_unit_display(), "—", "3.5", "6"]
    view = get(client, "/organisations/standing-e/").context["view"]
    rows = {row[0].text: [cell.text for cell in row[1:]] for row in view.standing.rows}
    assert rows[higher.display_name][2] == "4/5"
    assert rows[lower.display_name][2] == "5/5"


def test_profile_sparklines_follow_the_years(client):
    organisation = add_reports("js-sz", 1, prefix="spark")[0]
    page = html(client, f"/organisations/{organisation.code}/")
    assert page.count('class="sparkline"') >= 5


def test_overview_headlines_and_the_way_down(client):
    response = get(client, "/?organisation=js-sz-kunshan")
    view = response.context["view"]
    assert {h.indicator.code for h in view.headlines} >= {"new_members"}
    page = html(client, "/?organisation=js-yz")
    for name in ["高邮市总工会", "扬州市江都区总工会", "宝应县总工会"]:
        assert name in page
    assert "/compare/?parent=js-yz" in page


def test_english_pages_use_english_names(client):
    page = html(client, "/en/compare/?parent=js-sz&period=2006&area=organisation")
    assert "Kunshan" in page
    assert "New members" in page
    assert 'lang="en"' in page
    api = get(client, "/en/api/indicators/new_members?parent=js-sz").json()
    assert api["tables"]["ranking"]["columns"][2] == "New members"


def test_downloads_hold_what_is_shown(client):
    url = "/compare/?parent=js-sz&period=2006&area=organisation"
    table = get(client, url).context["view"].table
    response = get(client, url + "&download=compare&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [table.title]
    assert rows[1] == table.columns
    members = next(r for r in rows if r and r[0] == "新发展会员")
    assert "1.87万+" in members[table.columns.index("昆山")]
    response = get(client, url + "&download=compare&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[2]]
    assert header == table.columns
    kunshan = header.index("昆山") + 1
    for line in sheet.iter_rows(min_row=3):
        if line[0].value == "新发展会员":
            cell = line[kunshan - 1]
            assert cell.value == 18700
            assert cell.number_format.endswith('"+"')
            break
    else:
        raise AssertionError("row missing")
    assert client.get(url + "&download=nope&format=csv").status_code == 404


def test_trend_lines_are_drawn_on_the_page_and_left_out_of_files(client):
    organisation = add_reports("js-sz", 1, prefix="trend")[0]
    url = f"/organisations/{organisation.code}/"
    table = get(client, url).context["view"].figures
    assert table.columns[-1] == "趋势"
    assert table.file_columns == table.columns[:-1]
    response = get(client, url + "?download=figures&format=csv")
    text = response.content.decode("utf-8-sig")
    assert "<svg" not in text
    assert "sparkline" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == table.columns[:-1]
    assert all(len(row) == len(table.columns) - 1 for row in rows[2:] if len(row) > 1)
    sheet = load_workbook(io.BytesIO(get(client, url + "?download=figures&format=xlsx").content))
    assert [c.value for c in sheet.active[2]] == table.columns[:-1]
    assert not any("<svg" in str(c.value) for line in sheet.active.iter_rows() for c in line)
    data = get(client, f"/api/organisations/{organisation.code}").json()
    figures = data["tables"]["figures"]
    assert figures["columns"] == table.columns[:-1]
    assert "<svg" not in str(figures)
    assert {len(row) for row in figures["rows"]} == {len(table.columns) - 1}


def test_the_api_has_the_same_data_and_filters(client):
    data = get(client, "/api/compare?parent=js-sz&period=2006&area=organisation").json()
    assert data["parent"]["code"] == "js-sz"
    assert data["period"] == "2006"
    table = data["tables"]["compare"]
    row = next(r for r in table["rows"] if r[0]["text"] == "新发展会员")
    kunshan = table["columns"].index("昆山")
    assert row[kunshan] == {
        "text": "1.87万+",
        "value": 18700,
        "qualifier": "more",
        "unit": "人",
        "note": "第1名",
    }
    bad = client.get("/api/compare?parent=js-sz&period=20x6")
    assert bad.status_code == 400
    assert "period" in bad.json()["errors"]
    assert client.get("/api/organisations/no-such-code").status_code == 404
    report = get(client, f"/api{report_url()[:-1].replace('/reports', '/reports')}").json()
    assert report["organisation"]["code"] == "js-yz-gaoyou"
    assert any(
        t["code"] == "new_unions" for t in get(client, "/api/indicators").json()["indicators"]
    )


def test_invalid_filters_get_a_clear_message(client):
    response = client.get("/compare/?period=abc")
    assert response.status_code == 400
    assert "2014-2019" in response.content.decode()
    assert client.get("/compare/?parent=no-such-organisation").status_code == 400


def test_filter_forms_are_built_once_and_still_speak_the_page_s_language(client):
    """The filters' form class is built once per FilterSet class, not per request; its labels
    and messages are still translated for each request, whichever language came first."""
    from apps.dashboards.filters import CompareFilter, IndicatorFilter

    assert CompareFilter().get_form_class() is CompareFilter().get_form_class()
    assert CompareFilter().get_form_class() is not IndicatorFilter().get_form_class()
    for first, second in (("", "/en"), ("/en", "")):
        for prefix in (first, second):
            response = client.get(f"{prefix}/compare/?parent=no-such&area=nowhere")
            assert response.status_code == 400
            text = response.content.decode()
            if prefix:
                assert "There is no organisation with the code no-such" in text
                assert "Select a valid choice" in text
            else:
                assert "没有代码为“no-such”的组织" in text
                assert "选择一个有效的选项" in text
                assert "There is no organisation" not in text


def test_text_from_reports_and_the_catalogue_is_escaped_in_the_rows_written_in_python(client):
    """The report's figure rows and the indicator list are written in Python, not by the
    template: what staff typed must still come out as text, never as markup."""
    organisation = Organisation.objects.get(code="js-sz-wuzhong")
    indicator = factories.indicator(name="<b>加粗</b>指标", name_en="Bold <b> & co")
    report = factories.report(organisation, 2031)
    factories.figure(
        report, indicator, 12, note="<script>alert(1)</script>", source="《日报》 & <i>简讯</i>"
    )
    factories.move_to(report, Status.APPROVED)

    page = html(client, f"/reports/{report.pk}/")
    assert "&lt;b&gt;加粗&lt;/b&gt;指标" in page
    assert '<span class="note">&lt;script&gt;alert(1)&lt;/script&gt;</span>' in page
    assert '<td class="source">《日报》 &amp; &lt;i&gt;简讯&lt;/i&gt;</td>' in page
    assert "<script>alert" not in page
    assert "<b>加粗" not in page

    index = html(client, "/en/indicators/")
    assert "Bold &lt;b&gt; &amp; co</a>" in index
    assert "Bold <b>" not in index


def test_a_report_s_initiatives_show_the_figures_they_link(client):
    """The report page reads the report's figures once and picks each initiative's figures
    from them by the link table: each initiative lists its own, in the catalogue's order, with
    value and unit, and the API names the same; a link to another report's figure still shows."""
    organisation = Organisation.objects.get(code="js-sz-wuzhong")
    members = Indicator.objects.get(code="members_total")
    unions = Indicator.objects.get(code="unions_total")
    funds = Indicator.objects.get(code="assistance_funds_raised")
    assert (unions.position, unions.code) < (members.position, members.code)
    report = factories.report(organisation, 2032)
    f_members = factories.figure(report, members, 31800)
    f_unions = factories.figure(report, unions, 660, qualifier="more")
    f_funds = factories.figure(report, funds, 265)
    other = factories.report(organisation, 2031)
    f_other = factories.figure(other, funds, 12)
    first = Initiative.objects.create(report=report, title="金秋助学", position=1)
    second = Initiative.objects.create(report=report, title="建功立业", position=2)
    Initiative.objects.create(report=report, title="职工书屋", position=3)  # links nothing
    first.figures.set([f_members, f_unions])
    second.figures.set([f_funds, f_other])
    factories.move_to(report, Status.APPROVED)

    page = html(client, f"/reports/{report.pk}/")
    blocks = [part.split("</div>")[0] for part in page.split('<div class="initiative">')[1:]]
    assert len(blocks) == 3
    assert ["金秋助学" in blocks[0], "建功立业" in blocks[1], "职工书屋" in blocks[2]] == [True] * 3
    items = [re.findall(r"<li>(.*?)</li>", block) for block in blocks]
    assert items[0] == [
        f"{unions.display_name}: 660+ {unions.get_unit_display()}",
        f"{members.display_name}: 3.18万 {members.get_unit_display()}",
    ]
    # Two figures of one indicator (this report's and another's): in either order.
    assert sorted(items[1]) == [
        f"{funds.display_name}: 12 {funds.get_unit_display()}",
        f"{funds.display_name}: 265 {funds.get_unit_display()}",
    ]
    assert '<ul class="plain-list">' not in blocks[2]

    data = client.get(f"/api/reports/{report.pk}").json()
    assert [i["figures"] for i in data["initiatives"]] == [
        ["unions_total", "members_total"],
        ["assistance_funds_raised", "assistance_funds_raised"],
        [],
    ]


def test_a_report_page_reads_only_the_parts_the_report_has(client):
    """Most reports (a town's) are figures only: their page asks the database for no narrative,
    initiatives or honours, while a report with all three shows each of them, on the page and
    in the API, in their order."""
    organisation = Organisation.objects.get(code="js-sz-wuzhong")
    members = Indicator.objects.get(code="members_total")
    bare = factories.report(organisation, 2033)
    factories.figure(bare, members, 31800)
    factories.move_to(bare, Status.APPROVED)
    full = factories.report(organisation, 2034)
    factories.figure(full, members, 32100)
    ReportSection.objects.create(
        report=full, part="review", heading="二、维权服务", body="第二节", position=2
    )
    ReportSection.objects.create(
        report=full, part="review", heading="一、组织建设", body="第一节", position=1
    )
    Initiative.objects.create(report=full, title="金秋助学", position=1)
    Honour.objects.create(report=full, title="全国模范职工之家", level="national", position=1)
    factories.move_to(full, Status.APPROVED)

    bare_queries = count_queries(client, f"/reports/{bare.pk}/")
    full_queries = count_queries(client, f"/reports/{full.pk}/")
    # The full report's sections, initiatives and honours, one query each, and the initiatives'
    # links to figures: four more than a report of figures only.
    assert full_queries - bare_queries == 4, (bare_queries, full_queries)

    bare_page = html(client, f"/reports/{bare.pk}/")
    assert "3.18万" in bare_page
    assert 'class="narrative"' not in bare_page
    assert 'class="initiative"' not in bare_page
    assert 'id="honours-heading"' not in bare_page
    page = html(client, f"/reports/{full.pk}/")
    assert page.index("一、组织建设") < page.index("二、维权服务")
    assert '<div class="initiative">' in page
    assert "金秋助学" in page
    assert 'id="honours-heading"' in page
    assert "全国模范职工之家" in page

    data = client.get(f"/api/reports/{full.pk}").json()
    assert [s["heading"] for s in data["sections"]] == ["一、组织建设", "二、维权服务"]
    assert [i["title"] for i in data["initiatives"]] == ["金秋助学"]
    assert [h["title"] for h in data["honours"]] == ["全国模范职工之家"]
    empty = client.get(f"/api/reports/{bare.pk}").json()
    assert (empty["sections"], empty["initiatives"], empty["honours"]) == ([], [], [])


def test_a_profile_reads_initiatives_and_honours_only_where_there_are_some(client):
    """A profile shows its latest report's initiatives and the honours of all its reports; an
    organisation whose reports have none (a town's, mostly) costs no query for them."""
    suzhou = Organisation.objects.get(code="js-sz")
    members = Indicator.objects.get(code="members_total")
    plain = factories.organisation(suzhou, code="test-plain", name="无荣誉测试总工会")
    honoured = factories.organisation(suzhou, code="test-honoured", name="有荣誉测试总工会")
    for organisation in (plain, honoured):
        for year in (2030, 2031):
            report = factories.report(organisation, year)
            factories.figure(report, members, 1000 + year)
            if organisation is honoured and year == 2030:
                Honour.objects.create(report=report, title="省模范职工之家", level="provincial")
            if organisation is honoured and year == 2031:
                Initiative.objects.create(report=report, title="职工书屋", position=2)
                Initiative.objects.create(report=report, title="金秋助学", position=1)
            factories.move_to(report, Status.APPROVED)

    plain_queries = count_queries(client, "/organisations/test-plain/")
    honoured_queries = count_queries(client, "/organisations/test-honoured/")
    assert honoured_queries - plain_queries == 2, (plain_queries, honoured_queries)

    with translation.override("zh-hans"):
        initiatives_heading = f"<h3>{translation.gettext('Initiatives')}</h3>"
    page = html(client, "/organisations/test-honoured/")
    assert initiatives_heading in page
    assert page.index("金秋助学") < page.index("职工书屋")
    assert 'id="honours-heading"' in page
    assert "省模范职工之家" in page
    plain_page = html(client, "/organisations/test-plain/")
    assert 'id="honours-heading"' not in plain_page
    assert initiatives_heading not in plain_page
    data = client.get("/api/organisations/test-honoured").json()
    assert [h["title"] for h in data["honours"]] == ["省模范职工之家"]
    assert client.get("/api/organisations/test-plain").json()["honours"] == []


def test_an_indicator_page_names_its_parts_and_follows_catalogue_edits_at_once(client):
    """The indicator and its parts come from the catalogue kept per process; an edit to the
    catalogue (a new name, a part retired, the indicator retired) shows on the next request."""
    whole = Indicator.objects.get(code="model_workers")
    parts = list(Indicator.objects.filter(part_of=whole).order_by("position", "code"))
    assert len(parts) >= 3
    url = "/indicators/model_workers/?parent=js-yz"
    page = html(client, url)
    links = re.findall(r'href="/indicators/(model_workers_\w+)/\?parent=js-yz"', page)
    assert links == [p.code for p in parts]
    cache.clear()  # the page afresh, the catalogue already read: none of it from the database
    with CaptureQueriesContext(connection) as queries:
        html(client, url)
    assert queries.captured_queries
    assert not [q for q in queries.captured_queries if "indicators_indicator" in q["sql"]]

    whole.name = "劳动模范（改名）"
    whole.save()
    parts[-1].is_active = False
    parts[-1].save()
    page = html(client, url)
    assert "劳动模范（改名）" in page
    links = re.findall(r'href="/indicators/(model_workers_\w+)/\?parent=js-yz"', page)
    assert links == [p.code for p in parts[:-1]]
    assert client.get(f"/indicators/{parts[-1].code}/").status_code == 404
    assert client.get("/indicators/no_such_indicator/").status_code == 404

    whole.is_active = False
    whole.save()
    assert client.get(url).status_code == 404


def test_an_organisation_renamed_or_deactivated_shows_at_once(client):
    """The organisation a page names is kept per process until the publication state moves
    on; an edit to the organisation moves it."""
    assert "高邮市总工会" in html(client, "/organisations/js-yz-gaoyou/")
    assert "高邮市总工会" in html(client, "/compare/?parent=js-yz-gaoyou")
    gaoyou = Organisation.objects.get(code="js-yz-gaoyou")
    gaoyou.name = "高邮市总工会（新名）"
    gaoyou.save()
    assert "高邮市总工会（新名）" in html(client, "/organisations/js-yz-gaoyou/")
    assert "高邮市总工会（新名）" in html(client, "/compare/?parent=js-yz-gaoyou")
    gaoyou.is_active = False
    gaoyou.save()
    assert client.get("/organisations/js-yz-gaoyou/").status_code == 404
    assert client.get("/compare/?parent=js-yz-gaoyou").status_code == 400


def test_links_to_a_page_share_their_query_and_follow_the_language():
    link = selectors.links_to("dashboards:indicator", parent="js-sz", period="")
    assert link("new_unions") == "/indicators/new_unions/?parent=js-sz"
    assert link("members_total") == "/indicators/members_total/?parent=js-sz"
    assert selectors.url_with("dashboards:indicator", "new_unions", period=2006) == (
        "/indicators/new_unions/?period=2006"
    )
    with translation.override("en"):
        english = selectors.links_to("dashboards:organisation")
        assert english("js-sz") == "/en/organisations/js-sz/"


def test_the_header_links_stay_in_the_page_s_language(client):
    chinese = html(client, "/organisations/js-yz-gaoyou/")
    english = html(client, "/en/organisations/js-yz-gaoyou/")
    for name in ("compare", "indicators", "api"):
        assert f'href="/{name}/"' in chinese
        assert f'href="/en/{name}/"' in english
    assert 'href="/compare/"' not in english
    assert 'class="brand" href="/"' in chinese
    assert 'class="brand" href="/en/"' in english


def test_summaries_rebuilt_after_a_bulk_load_show_at_once(client):
    """A bulk load bypasses the workflow; rebuilding the summaries afterwards moves the
    publication state on, so cached pages and the periods kept per process follow it."""
    page = "/compare/?parent=js-yz"
    assert 'value="2030"' not in html(client, page)
    report = Report.objects.create(
        organisation=Organisation.objects.get(code="js-yz-gaoyou"),
        period_start=2030,
        period_end=2030,
        status=Status.APPROVED,
        approved_at=timezone.now(),
    )
    indicator = Indicator.objects.get(code="new_unions")
    Figure.objects.bulk_create(
        [
            Figure(
                report=report,
                indicator=indicator,
                value=Decimal(2030),
                measure=indicator.measure,
                period_start=2030,
                period_end=2030,
            )
        ]
    )
    assert 'value="2030"' not in html(client, page)  # not yet in the summaries
    stats.rebuild()
    assert '<option value="2030" selected>' in html(client, page)


def test_the_organisations_below_are_read_once_per_publication_state(client):
    yangzhou = Organisation.objects.get(code="js-yz")
    with CaptureQueriesContext(connection) as first:
        below = selectors.organisations_below(yangzhou)
    with CaptureQueriesContext(connection) as again:
        assert selectors.organisations_below(yangzhou) == below
    assert len(first) >= 1
    assert len(again) == 0
    assert "js-yz-gaoyou" in [o.code for o in below]
    factories.organisation(yangzhou, Level.COUNTY, code="js-yz-new", name="新设区总工会")
    assert "js-yz-new" in [o.code for o in selectors.organisations_below(yangzhou)]


def test_a_read_kept_per_publication_is_read_again_only_when_the_state_moves_on():
    from apps.dashboards.caching import kept_per_publication
    from apps.reports.models import Publication

    calls: list[tuple[str, int]] = []

    @kept_per_publication(maxsize=8)
    def doubled(name: str, times: int = 2) -> str:
        calls.append((name, times))
        return name * times

    assert doubled.__name__ == "doubled"
    assert [doubled("a"), doubled("a"), doubled("b"), doubled("a", times=3)] == [
        "aa",
        "aa",
        "bb",
        "aaa",
    ]
    assert calls == [("a", 2), ("b", 2), ("a", 3)]
    Publication.bump()
    assert doubled("a") == "aa"
    assert calls[-1] == ("a", 2)
    assert len(calls) == 4


def test_a_public_page_reads_the_publication_state_once(client, settings):
    """The page's ETag, the catalogue, the organisations and periods kept per process: each asks
    for the publication state. Within a page they share one read (with Redis, a round trip)."""
    from apps.dashboards import caching
    from apps.reports.models import Publication

    settings.PUBLIC_CACHE_SECONDS = 0  # built each time, not answered from the page cache
    real = caching.cache
    reads: list[str] = []

    class Counting:
        def __getattr__(self, name: str):
            return getattr(real, name)

        def get(self, key: str, *args, **kwargs):
            reads.append(key)
            return real.get(key, *args, **kwargs)

    html(client, "/compare/?parent=js-yz")  # the kept reads are warm, as in a running site
    with mock.patch.object(caching, "cache", Counting()):
        for page in ("/compare/?parent=js-yz", "/organisations/js-yz-gaoyou/", "/en/"):
            reads.clear()
            assert client.get(page).status_code == 200
            assert reads.count(Publication.CACHE_KEY) == 1, page


def test_another_process_s_approval_reaches_this_process_within_seconds(client, settings):
    """Without Redis each process caches the publication version for itself; an approval in
    another worker clears only that worker's copy, so this one reads the version again after
    PUBLICATION_STATE_SECONDS."""
    from apps.dashboards.caching import publication_state
    from apps.reports.models import Publication

    assert settings.PUBLICATION_STATE_SECONDS == 5  # the default without REDIS_URL
    before = publication_state()
    # Another process approves: the version moves on in the database, not in this cache.
    Publication.objects.filter(pk=1).update(version=F("version") + 1)
    assert publication_state() == before
    later = time.time() + settings.PUBLICATION_STATE_SECONDS + 1
    with mock.patch("time.time", return_value=later):
        assert publication_state()[0] == before[0] + 1
