"""Every change of a figure, a narrative field or the status keeps who, when, the old and the
new value — whichever path made it."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from apps.demo import loader
from apps.organizations.models import Organisation, Role
from apps.reports import services
from apps.reports.models import AuditEntry, AuditKind, AuditOrigin, Report, Status
from tests import factories
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(member):
    return member("a-clerk", "js-yz-gaoyou", Role.CLERK)


@pytest.fixture
def report(clerk):
    report = services.report_create(
        user=clerk,
        report=Report(
            organisation=Organisation.objects.get(code="js-yz-gaoyou"),
            period_start=2012,
            period_end=2012,
        ),
    )
    services.report_set_figures(
        report=report,
        user=clerk,
        figures={
            "hardship_files": services.FigureInput(Decimal(500)),
            "people_assisted": services.FigureInput(Decimal(300)),
        },
        origin=AuditOrigin.SERVICE,
        confirm_warnings=True,
    )
    return report


def entries(report: Report, **filters) -> list[tuple]:
    return list(
        report.audit_entries.filter(**filters)
        .order_by("at", "pk")
        .values_list("field", "old_value", "new_value", "origin", "user__username")
    )


def test_service_changes_are_recorded(report):
    assert entries(report, kind=AuditKind.FIGURE, origin=AuditOrigin.SERVICE) == [
        ("hardship_files", "", "500", "service", "a-clerk"),
        ("people_assisted", "", "300", "service", "a-clerk"),
    ]


def test_computed_rates_are_recorded_as_computed(report):
    assert entries(report, field="assisted_share") == [
        ("assisted_share", "", "60%", "computed", "a-clerk")
    ]


def test_removing_a_figure_is_recorded(clerk, report):
    services.report_set_figures(
        report=report, user=clerk, figures={"people_assisted": None}, origin=AuditOrigin.FORM
    )
    assert entries(report, field="people_assisted")[-1] == (
        "people_assisted",
        "300",
        "",
        "form",
        "a-clerk",
    )
    # …and the rate that depended on it disappears, recorded too.
    assert entries(report, field="assisted_share")[-1][1:3] == ("60%", "")


def test_a_refused_write_records_nothing(clerk, report):
    before = report.audit_entries.count()
    with pytest.raises(ValidationError):
        services.report_set_figures(
            report=report,
            user=clerk,
            figures={"people_assisted": services.FigureInput(Decimal(-3))},
            origin=AuditOrigin.FORM,
        )
    assert report.audit_entries.count() == before


def test_inline_narrative_changes_are_recorded(clerk, report):
    client = Client()
    client.force_login(clerk)
    form = client.get(f"/admin/reports/report/{report.pk}/change/").context["adminform"].form
    data = {
        "period_start": 2012,
        "period_end": 2012,
        "version": form["version"].value(),
        "summary": "全年工作概述",
        "value__hardship_files": "500",
        "value__people_assisted": "300",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-0-part": "review",
        "sections-0-work_area": "organisation",
        "sections-0-heading": "固本强基",
        "sections-0-body": "新建工会组织。",
        "sections-0-position": "1",
        "initiatives-TOTAL_FORMS": "0",
        "initiatives-INITIAL_FORMS": "0",
        "honours-TOTAL_FORMS": "0",
        "honours-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/reports/report/{report.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert entries(report, kind=AuditKind.FIELD) == [
        ("summary", "", "全年工作概述", "form", "a-clerk")
    ]
    assert entries(report, kind=AuditKind.SECTION) == [("new", "", "固本强基", "form", "a-clerk")]
    section = report.sections.get()
    data.update(
        {
            "version": str(Report.objects.get(pk=report.pk).version),
            "sections-INITIAL_FORMS": "1",
            "sections-0-id": str(section.pk),
            "sections-0-report": str(report.pk),
            "sections-0-body": "新建工会组织700多家。",
        }
    )
    response = client.post(f"/admin/reports/report/{report.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert entries(report, kind=AuditKind.SECTION)[-1] == (
        f"{section.pk}.body",
        "新建工会组织。",
        "新建工会组织700多家。",
        "form",
        "a-clerk",
    )


def test_figure_admin_changes_are_recorded(clerk, report):
    client = Client()
    client.force_login(clerk)
    figure = report.figures.get(indicator__code="hardship_files")
    response = client.post(
        f"/admin/reports/figure/{figure.pk}/change/",
        {
            "value": "510",
            "qualifier": "more",
            "period_start": 2012,
            "period_end": 2012,
            "note": "",
            "source": "档案",
        },
    )
    assert response.status_code == 302
    assert entries(report, field="hardship_files")[-1] == (
        "hardship_files",
        "500",
        "510多",
        "form",
        "a-clerk",
    )


def test_workflow_and_bulk_actions_are_recorded(clerk, report):
    reviewer = get_user_model().objects.get(username="yangzhou")
    services.report_submit(report=report, user=clerk)
    client = Client()
    client.force_login(reviewer)
    client.post(
        "/admin/reports/report/", {"action": "approve_selected", "_selected_action": [report.pk]}
    )
    report.refresh_from_db()
    assert report.status == Status.APPROVED
    status = entries(report, kind=AuditKind.STATUS)
    assert [row[3:] for row in status] == [
        ("form", "a-clerk"),
        ("workflow", "a-clerk"),
        ("workflow", "yangzhou"),
    ]


def test_the_report_history_page_shows_the_records(clerk, report):
    client = Client()
    client.force_login(clerk)
    html = client.get(f"/admin/reports/report/{report.pk}/history/").content.decode()
    assert "建立档案的困难职工" in html
    assert "a-clerk" in html


def test_demo_data_updates_go_through_reopen_and_are_recorded(tmp_path, monkeypatch):
    """When a demo data file changes, its approved report is reopened, corrected and approved
    again, and every step is in the record."""
    source = loader.DATA_DIR / "reports" / "000_gaoyou_kfq_2011.toml"
    text = (
        source.read_text(encoding="utf-8")
        .replace('text = "390多"', 'text = "391多"')
        .replace("至2011年底,全区共建工会组织390多家", "至2011年底,全区共建工会组织390多家")
    )
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / source.name).write_text(text, encoding="utf-8")
    assert tomllib.loads(text)
    # 391多 is not in the source sentence, but the loader only checks that through the tests.
    loader.load_reports(folder)
    report = Report.objects.get(organisation__code="js-yz-gaoyou-kfq", period_start=2011)
    assert report.status == Status.APPROVED
    assert report.figures.get(indicator__code="unions_total").value == 391
    demo = report.audit_entries.filter(origin=AuditOrigin.DEMO)
    assert demo.filter(
        kind=AuditKind.FIGURE, field="unions_total", old_value="390多", new_value="391多"
    ).exists()
    steps = list(
        demo.filter(kind=AuditKind.STATUS).order_by("at", "pk").values_list("reason", flat=True)
    )
    assert steps[-3:] == ["演示数据已更新", "", ""]
    loader.load_demo(DEMO_PASSWORD)  # and back again


def test_change_records_cannot_be_altered(report):
    entry = AuditEntry.objects.filter(report=report).first()
    entry.new_value = "tampered"
    with pytest.raises(ValidationError):
        entry.save()


def test_deleting_a_draft_needs_the_right_and_the_status(clerk, report):
    factories.move_to(report, Status.SUBMITTED)
    with pytest.raises(ValidationError):
        services.report_delete(report=report, user=clerk)
    assert Report.objects.filter(pk=report.pk).exists()
