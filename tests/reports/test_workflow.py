"""The workflow: draft → submitted → approved; submitted → returned → submitted again;
approved → reopened. Each step is recorded; each wrong step is refused with a reason; an
approved report is locked on every edit path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from apps.organizations.models import Organisation, Role
from apps.reports import services
from apps.reports.access import Action
from apps.reports.models import AuditKind, AuditOrigin, Figure, Honour, Report, ReportLocked, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member):
    return member("w-clerk", "js-yz-gaoyou", Role.CLERK), member(
        "w-reviewer", "js-yz", Role.REVIEWER
    )


@pytest.fixture
def draft(people):
    clerk, _reviewer = people
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
        figures={"new_unions": services.FigureInput(Decimal(500))},
        origin=AuditOrigin.FORM,
        confirm_warnings=True,
    )
    report.refresh_from_db()
    return report


def steps(report: Report) -> list[tuple[str, str, str]]:
    return [
        (e.old_value, e.new_value, e.reason)
        for e in report.audit_entries.filter(kind=AuditKind.STATUS).order_by("at", "pk")
    ]


def test_the_whole_cycle_is_recorded_with_who_when_and_why(people, draft):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    services.report_return(report=draft, user=reviewer, reason="新建工会数请核对")
    assert draft.status == Status.RETURNED
    services.report_submit(report=draft, user=clerk)
    services.report_approve(report=draft, user=reviewer)
    assert draft.status == Status.APPROVED
    assert draft.approved_at is not None
    services.report_reopen(report=draft, user=reviewer, reason="发现笔误")
    assert draft.status == Status.RETURNED
    assert draft.approved_at is None
    with translation.override("zh-hans"):
        assert steps(draft) == [
            ("", "草稿", ""),
            ("草稿", "已提交", ""),
            ("已提交", "已退回", "新建工会数请核对"),
            ("已退回", "已提交", ""),
            ("已提交", "已批准", ""),
            ("已批准", "已退回", "发现笔误"),
        ]
    users = list(
        draft.audit_entries.filter(kind=AuditKind.STATUS)
        .order_by("at", "pk")
        .values_list("user__username", flat=True)
    )
    assert users == ["w-clerk", "w-clerk", "w-reviewer", "w-clerk", "w-reviewer", "w-reviewer"]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.DRAFT, Action.APPROVE),
        (Status.DRAFT, Action.RETURN),
        (Status.DRAFT, Action.REOPEN),
        (Status.SUBMITTED, Action.SUBMIT),
        (Status.SUBMITTED, Action.REOPEN),
        (Status.APPROVED, Action.SUBMIT),
        (Status.APPROVED, Action.APPROVE),
        (Status.APPROVED, Action.RETURN),
        (Status.RETURNED, Action.APPROVE),
        (Status.RETURNED, Action.REOPEN),
    ],
)
def test_impossible_steps_are_refused_with_the_reason(draft, status, action):
    factories.move_to(draft, status)
    before = steps(draft)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.report_transition(report=draft, user=None, action=action, reason="理由")
    with translation.override("zh-hans"):
        assert str(Status(status).label) in " ".join(caught.value.messages)  # says why
    draft.refresh_from_db()
    assert draft.status == status
    assert steps(draft) == before


@pytest.mark.parametrize("action", [Action.RETURN, Action.REOPEN])
def test_returning_and_reopening_need_a_reason(people, draft, action):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    if action == Action.REOPEN:
        services.report_approve(report=draft, user=reviewer)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.report_transition(report=draft, user=reviewer, action=action, reason="  ")
    assert "理由" in " ".join(caught.value.messages)


def test_an_empty_report_cannot_be_submitted(people):
    clerk, _reviewer = people
    report = services.report_create(
        user=clerk,
        report=Report(
            organisation=Organisation.objects.get(code="js-yz-gaoyou"),
            period_start=2013,
            period_end=2013,
        ),
    )
    with pytest.raises(ValidationError):
        services.report_submit(report=report, user=clerk)


def test_a_clerk_cannot_approve_its_own_report(people, draft):
    clerk, _reviewer = people
    services.report_submit(report=draft, user=clerk)
    with pytest.raises(PermissionDenied):
        services.report_approve(report=draft, user=clerk)


# --- the lock ------------------------------------------------------------------------------


@pytest.fixture
def approved(people, draft):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    services.report_approve(report=draft, user=reviewer)
    return draft


def assert_locked(callable_) -> str:
    with translation.override("zh-hans"), pytest.raises((ReportLocked, PermissionDenied)) as caught:
        callable_()
    message = " ".join(getattr(caught.value, "messages", [str(caught.value)]))
    return message


def test_every_edit_path_refuses_an_approved_report_and_says_who_can_reopen(people, approved):
    clerk, _reviewer = people
    figure = approved.figures.get(indicator__code="new_unions")
    paths = {
        "service: figures": lambda: services.report_set_figures(
            report=approved,
            user=clerk,
            figures={"new_unions": services.FigureInput(Decimal(1))},
            origin=AuditOrigin.FORM,
        ),
        "service: fields": lambda: services.report_save(report=approved, user=clerk),
        "model: report": lambda: Report.objects.get(pk=approved.pk).save(),
        "model: figure": lambda: Figure.objects.select_related("report").get(pk=figure.pk).save(),
        "model: figure delete": lambda: (
            Figure.objects.select_related("report").get(pk=figure.pk).delete()
        ),
        "model: honour": lambda: Honour.objects.create(
            report=Report.objects.get(pk=approved.pk), title="新荣誉", level="city"
        ),
        "model: report delete": lambda: Report.objects.get(pk=approved.pk).delete(),
    }
    for name, path in paths.items():
        message = assert_locked(path)
        assert "已批准" in message or "重新打开" in message, (name, message)
    reviewer_hint = assert_locked(paths["service: figures"])
    assert "扬州市总工会" in reviewer_hint  # who can reopen it
    figure.refresh_from_db()
    assert figure.value == Decimal(500)


def test_the_admin_shows_an_approved_report_read_only_with_the_reason(people, approved, client):
    clerk, _reviewer = people
    client.force_login(clerk)
    response = client.get(f"/admin/reports/report/{approved.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "扬州市总工会的审核员或系统管理员重新打开" in html
    assert 'name="value__new_unions"' not in html  # no inputs
    posted = client.post(
        f"/admin/reports/report/{approved.pk}/change/",
        {"title": "悄悄修改", "period_start": 2012, "period_end": 2012, "value__new_unions": "1"},
    )
    assert posted.status_code == 403
    approved.refresh_from_db()
    assert approved.title != "悄悄修改"


def test_a_submitted_report_is_locked_for_its_clerk_too(people, draft):
    clerk, _reviewer = people
    services.report_submit(report=draft, user=clerk)
    message = assert_locked(
        lambda: services.report_set_figures(
            report=draft,
            user=clerk,
            figures={"new_unions": services.FigureInput(Decimal(1))},
            origin=AuditOrigin.FORM,
        )
    )
    assert "已提交" in message


def test_reopening_unlocks_for_correction(people, approved):
    clerk, reviewer = people
    services.report_reopen(report=approved, user=reviewer, reason="更正")
    services.report_set_figures(
        report=approved,
        user=clerk,
        figures={"new_unions": services.FigureInput(Decimal(510))},
        origin=AuditOrigin.FORM,
    )
    assert approved.figures.get(indicator__code="new_unions").value == Decimal(510)


def test_linking_figures_to_an_initiative_of_an_approved_report_is_refused():
    report = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    initiative = report.initiatives.first()
    with pytest.raises(ReportLocked):
        initiative.figures.clear()


# --- the admin's workflow pages -----------------------------------------------------------


def test_reviewer_returns_through_the_admin_with_a_reason(people, draft, client):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    client.force_login(reviewer)
    page = client.get(f"/admin/reports/report/{draft.pk}/change/").content.decode()
    assert f"/admin/reports/report/{draft.pk}/transition/approve/" in page
    assert f"/admin/reports/report/{draft.pk}/transition/return/" in page
    refused = client.post(
        f"/admin/reports/report/{draft.pk}/transition/return/",
        {"reason": "", "version": draft.version},
    )
    assert refused.status_code == 200
    assert "理由" in refused.content.decode()
    done = client.post(
        f"/admin/reports/report/{draft.pk}/transition/return/",
        {"reason": "请补充会员数", "version": draft.version},
    )
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.RETURNED
    client.force_login(clerk)
    page = client.get(f"/admin/reports/report/{draft.pk}/change/").content.decode()
    assert "请补充会员数" in page  # the clerk sees why


def test_a_stale_approval_is_refused(people, draft, client):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    client.force_login(reviewer)
    stale = draft.version - 1
    client.post(f"/admin/reports/report/{draft.pk}/transition/approve/", {"version": stale})
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_bulk_approval_goes_through_the_workflow(people, draft, client):
    clerk, reviewer = people
    services.report_submit(report=draft, user=clerk)
    client.force_login(reviewer)
    client.post(
        "/admin/reports/report/", {"action": "approve_selected", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED
    assert draft.audit_entries.filter(
        kind=AuditKind.STATUS, user=reviewer, new_value__in=["已批准", "Approved"]
    ).exists()


def test_completeness_table_for_a_reviewer(people, client):
    clerk, reviewer = people
    report = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2018)  # demo draft
    client.force_login(reviewer)
    response = client.get("/admin/reports/report/completeness/", {"year": 2018})
    assert response.status_code == 200
    rows = {item["row"].organisation.code: item["row"].status for item in response.context["rows"]}
    assert rows == {
        "js-yz-gaoyou": Status.DRAFT,
        "js-yz-jiangdu": "term",  # covered by its 2014–2019 term report
        "js-yz-baoying": Status.APPROVED,
    }
    deeper = client.get(
        "/admin/reports/report/completeness/", {"year": 2018, "levels": "all"}
    ).context["rows"]
    assert {item["row"].organisation.code for item in deeper} > set(rows)
    assert {item["row"].status for item in deeper if item["row"].depth == 2} == {"missing"}
    assert report.pk in {(item["row"].report.pk if item["row"].report else None) for item in deeper}
    client.force_login(clerk)
    assert client.get("/admin/reports/report/completeness/").status_code == 403
