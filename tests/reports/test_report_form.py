"""The report form in the admin: every indicator at once, what staff type, rules at the field,
warnings to confirm, and two people editing the same report."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.indicators.choices import WorkArea
from apps.indicators.models import Indicator
from apps.organizations.models import Role
from apps.reports.forms import NOTE_PREFIX, VALUE_PREFIX
from apps.reports.models import AuditKind, Initiative, Report
from tests import factories

pytestmark = pytest.mark.django_db


# The fixtures clerk and report: tests/reports/conftest.py.


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(report: Report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


def form_data(client: Client, report: Report, **values: str) -> dict[str, str]:
    """What the browser would post: the form as rendered, with ``values`` typed in."""
    form = client.get(url(report)).context["adminform"].form
    data: dict[str, str] = {}
    for name, _field in form.fields.items():
        initial = form[name].value()
        if initial is None or initial is False:
            continue
        data[name] = str(initial.pk if hasattr(initial, "pk") else initial)
    data.update({f"{VALUE_PREFIX}{code}": text for code, text in values.items()})
    for prefix in ("sections", "initiatives", "honours"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_the_form_shows_every_indicator_grouped_with_unit_and_previous_value(clerk, report):
    response = signed_in(clerk).get(url(report))
    form = response.context["adminform"].form
    groups = form.figure_groups()
    assert [g.work_area for g in groups] == list(WorkArea.values)
    shown = {row.indicator.code for g in groups for row in g.rows}
    assert shown == set(Indicator.objects.active().values_list("code", flat=True))
    html = response.content.decode()
    row = next(r for g in groups for r in g.rows if r.indicator.code == "new_unions")
    assert row.previous_display == "660+"  # the 2011 figure, beside the input
    assert row.previous.period_label == "2011年"
    assert 'name="value__new_unions"' in html
    assert "660+" in html
    assert "家" in html


def test_a_computed_rate_shows_its_result_instead_of_an_input(clerk):
    report_2011 = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    html = (
        signed_in(get_user_model().objects.get(username="admin"))
        .get(url(report_2011))
        .content.decode()
    )
    assert f'name="{VALUE_PREFIX}assisted_share"' not in html
    assert "66%" in html


def test_typed_values_become_value_and_qualifier(clerk, report):
    client = signed_in(clerk)
    data = form_data(
        client,
        report,
        new_unions="700多",
        members_total="3.18万",
        assistance_funds_raised="不少于300万元",
        unionisation_rate="96%以上",
        union_accounts_opened="近80",
        hardship_files="５３６",
    )
    data[f"{NOTE_PREFIX}new_unions"] = "全年"
    response = client.post(url(report), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    figures = {
        f.indicator.code: (f.value, f.qualifier, f.note)
        for f in report.figures.select_related("indicator")
    }
    assert figures["new_unions"] == (Decimal(700), "more", "全年")
    assert figures["members_total"] == (Decimal(31800), "exact", "")
    assert figures["assistance_funds_raised"] == (Decimal(300), "at_least", "")
    assert figures["unionisation_rate"] == (Decimal(96), "more", "")
    assert figures["union_accounts_opened"] == (Decimal(80), "nearly", "")
    assert figures["hardship_files"] == (Decimal(536), "exact", "")


def test_unreadable_input_is_refused_at_its_field_and_nothing_typed_is_lost(clerk, report):
    client = signed_in(clerk)
    data = form_data(
        client, report, new_unions="700多", members_total="很多", unionisation_rate="120%"
    )
    response = client.post(url(report), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "不是数字" in form.errors[f"{VALUE_PREFIX}members_total"][0]
    assert "不能高于100" in form.errors[f"{VALUE_PREFIX}unionisation_rate"][0]
    html = response.content.decode()
    assert 'value="700多"' in html
    assert 'value="很多"' in html
    assert 'value="120%"' in html
    assert report.figures.count() == 0


def test_a_part_larger_than_its_whole_is_refused(clerk, report):
    client = signed_in(clerk)
    response = client.post(
        url(report), form_data(client, report, new_unions="800", unions_total="600")
    )
    form = response.context["adminform"].form
    assert "不能大于" in form.errors[f"{VALUE_PREFIX}new_unions"][0]
    assert report.figures.count() == 0


def test_a_warning_needs_an_explicit_confirmation(clerk, report):
    client = signed_in(clerk)
    # 660多 in 2011; 2000 in 2012 is a change of +203%.
    first = client.post(url(report), form_data(client, report, new_unions="2000"))
    assert first.status_code == 200
    form = first.context["adminform"].form
    assert [w.key for w in form.pending_warnings] == ["new_unions:large_change"]
    html = first.content.decode()
    assert "请核对" in html
    assert 'value="2000"' in html
    assert report.figures.count() == 0

    data = form_data(client, report, new_unions="2000")
    data["confirmed_warnings"] = "new_unions:large_change"
    data["confirm_warnings"] = "on"
    second = client.post(url(report), data)
    assert second.status_code == 302
    assert report.figures.get(indicator__code="new_unions").value == Decimal(2000)


def test_a_confirmation_covers_only_the_warnings_that_were_shown(clerk, report):
    client = signed_in(clerk)
    data = form_data(client, report, new_unions="2000", new_members="50000")
    data["confirmed_warnings"] = "new_unions:large_change"  # the new_members warning was not shown
    data["confirm_warnings"] = "on"
    response = client.post(url(report), data)
    assert response.status_code == 200
    assert report.figures.count() == 0


def test_the_second_of_two_concurrent_saves_is_refused_and_keeps_what_was_typed(
    member, clerk, report
):
    other = member("f-colleague", "js-yz-gaoyou", Role.CLERK)
    first, second = signed_in(clerk), signed_in(other)
    first_data = form_data(first, report, new_unions="700")
    second_data = form_data(second, report, new_members="12000")  # opened at the same version

    assert first.post(url(report), first_data).status_code == 302
    refused = second.post(url(report), second_data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "f-clerk" in html
    assert "新建工会组织" in html  # what the other person changed
    assert 'value="12000"' in html  # nothing typed is lost
    codes = set(report.figures.values_list("indicator__code", flat=True))
    assert codes == {"new_unions"}  # nothing overwritten

    # Having read the message, the second person saves again deliberately.
    form = refused.context["adminform"].form
    again = {**second_data, "version": form["version"].value(), f"{VALUE_PREFIX}new_unions": "700"}
    assert second.post(url(report), again).status_code == 302
    assert set(report.figures.values_list("indicator__code", flat=True)) == {
        "new_unions",
        "new_members",
    }


def test_saving_records_every_change_with_old_and_new_value(clerk, report):
    client = signed_in(clerk)
    client.post(url(report), form_data(client, report, new_unions="700"))
    data = form_data(client, report, new_unions="720")
    data["title"] = "2012年全市工会工作"
    client.post(url(report), data)
    figure_changes = list(
        report.audit_entries.filter(kind=AuditKind.FIGURE, field="new_unions")
        .order_by("at", "pk")
        .values_list("old_value", "new_value", "user__username")
    )
    assert figure_changes == [("", "700", "f-clerk"), ("700", "720", "f-clerk")]
    assert report.audit_entries.filter(
        kind=AuditKind.FIELD, field="title", new_value="2012年全市工会工作"
    ).exists()


# The grid's rows as the template wrote them before they were written in Python.
TEMPLATE_ROWS = (Path(__file__).parent / "figure_rows_template.html").read_text()


def _markup(html: str) -> str:
    """Whitespace next to tags does not show; the rest must be identical."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


def _same_rows_as_the_template(form, editable: bool) -> int:
    template = Template(TEMPLATE_ROWS)
    compared = 0
    for group in form.figure_groups():
        expected = template.render(Context({"group": group, "has_change_permission": editable}))
        assert _markup(group.rows_html(editable)) == _markup(expected)
        compared += len(group.rows)
    return compared


def test_the_grid_rows_are_written_as_the_template_wrote_them(member, clerk, report):
    """Inputs, values as text, a computed rate, errors, warnings and another person's change."""
    other = member("f-colleague", "js-yz-gaoyou", Role.CLERK)
    first, second = signed_in(clerk), signed_in(other)
    opened = form_data(second, report, new_members="12000")
    form = first.get(url(report)).context["adminform"].form
    assert _same_rows_as_the_template(form, editable=True) > 50
    assert _same_rows_as_the_template(form, editable=False) > 50

    refused = first.post(
        url(report),
        {
            **form_data(first, report, new_unions="2000", members_total="很多"),
            f"{NOTE_PREFIX}new_members": "<b>全年</b>",
        },
    )
    form = refused.context["adminform"].form
    assert form.pending_warnings
    assert form.errors
    _same_rows_as_the_template(form, editable=True)
    assert "has-error" in refused.content.decode()

    assert first.post(url(report), form_data(first, report, new_unions="700")).status_code == 302
    conflict = second.post(url(report), opened).context["adminform"].form
    assert conflict.conflicts
    _same_rows_as_the_template(conflict, editable=True)

    approved = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    admin = signed_in(get_user_model().objects.get(username="admin"))
    computed = admin.get(url(approved)).context["adminform"].form
    assert any(row.indicator.is_computed for g in computed.figure_groups() for row in g.rows)
    _same_rows_as_the_template(computed, editable=False)
    _same_rows_as_the_template(computed, editable=True)


def _with_initiatives(report: Report, count: int) -> list[Initiative]:
    figures = list(report.figures.order_by("pk"))
    made = []
    for number in range(count):
        initiative = Initiative.objects.create(
            report=report, title=f"举措{number}", work_area=WorkArea.SERVICES, position=number
        )
        initiative.figures.set([figures[number % 3], figures[(number + 1) % 3]])
        made.append(initiative)
    return made


def _queries(client: Client, report: Report) -> tuple[int, str]:
    client.get(url(report))  # what a process reads once (content types …) is left out
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(report))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_page_reads_the_same_number_of_queries_however_many_initiatives(member, clerk, report):
    """The initiatives' figure pickers, their linked figures and, for a reviewer, whether the
    report is below: each read once for the page, not once per initiative."""
    client = signed_in(clerk)
    for code, value in (("new_unions", 700), ("members_total", 31800), ("new_members", 1200)):
        factories.figure(report, Indicator.objects.get(code=code), value)
    _with_initiatives(report, 2)
    few, _html = _queries(client, report)
    initiatives = _with_initiatives(report, 6)
    many, html = _queries(client, report)
    assert many == few
    # Each picker shows the report's figures with that initiative's own selected.
    pks = list(report.figures.values_list("pk", flat=True))
    assert len(pks) == 3
    for pk in pks:  # every picker, the blank form's too, offers each figure
        assert html.count(f'<option value="{pk}"') == 2 + 6 + 1
    linked = sum(html.count(f'<option value="{pk}" selected>') for pk in pks)
    assert linked == 2 * (2 + 6)
    assert f'<option value="{initiatives[-1].figures.order_by("pk").first().pk}" selected>' in html

    # A reviewer above reads the report without changing it: the figures are named, not picked.
    reviewer = signed_in(member("f-reviewer", "js-yz", Role.REVIEWER))
    read_only, html = _queries(reviewer, report)
    assert 'name="initiatives-0-figures"' not in html
    _with_initiatives(report, 3)
    assert _queries(reviewer, report)[0] == read_only
    assert "新建工会组织: 700" in html  # a linked figure named on the read-only page


def test_an_initiative_links_figures_of_its_report_only(clerk, report):
    """The picker's options are read once for all initiatives; what is posted is still checked
    against the report's own figures."""
    client = signed_in(clerk)
    mine = [
        factories.figure(report, Indicator.objects.get(code=code), value)
        for code, value in (("new_unions", 700), ("members_total", 31800))
    ]
    elsewhere = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    foreign = elsewhere.figures.first()

    def posted(figures: list[int]) -> dict:
        data = form_data(client, report)
        data.update(
            {
                "initiatives-TOTAL_FORMS": "1",
                "initiatives-0-title": "职工服务中心",
                "initiatives-0-work_area": WorkArea.SERVICES,
                "initiatives-0-position": "1",
                "initiatives-0-figures": [str(pk) for pk in figures],
            }
        )
        return data

    refused = client.post(url(report), posted([mine[0].pk, foreign.pk]))
    assert refused.status_code == 200
    assert not report.initiatives.exists()
    html = refused.content.decode()
    assert "职工服务中心" in html  # what was typed stays
    message = f"选择一个有效的选项。 {foreign.pk} 不在可用的选项中。"
    assert refused.context["inline_admin_formsets"][1].formset.errors == [{"figures": [message]}]
    assert message in html

    saved = client.post(url(report), posted([figure.pk for figure in mine]))
    assert saved.status_code == 302
    initiative = report.initiatives.get()
    assert set(initiative.figures.all()) == set(mine)


def test_the_inlines_media_is_what_django_adds_up_form_by_form(member, clerk, report):
    """The inlines take their media from their formset once; Django's own property, adding
    every form's, gives the same scripts and styles in the same order."""
    from django.contrib.admin import helpers

    from apps.reports.admin import InlineFormSetMedia

    for code, value in (("new_unions", 700), ("members_total", 31800), ("new_members", 1200)):
        factories.figure(report, Indicator.objects.get(code=code), value)
    _with_initiatives(report, 4)
    ReportSection = report.sections.model
    ReportSection.objects.create(report=report, part="review", heading="一、", body="正文")
    reviewer = signed_in(member("m-reviewer", "js-yz", Role.REVIEWER))
    for client in (signed_in(clerk), reviewer):  # editable, and read-only
        response = client.get(url(report))
        inlines = response.context["inline_admin_formsets"]
        assert len(inlines) == 3
        model_admin = admin.site._registry[Report]
        expected = model_admin.media + response.context["adminform"].media
        for inline in inlines:
            assert isinstance(inline, InlineFormSetMedia)
            djangos = helpers.InlineAdminFormSet.media.fget(inline)
            assert str(inline.media) == str(djangos)
            expected += djangos
        assert str(response.context["media"]) == str(expected)
        assert "inlines.js" in str(expected)
        assert "SelectFilter2.js" in str(inlines[1].media)  # the figure picker's
