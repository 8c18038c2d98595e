"""Small builders for test data beyond the demo."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from django.utils import timezone

from apps.indicators.choices import Kind, Qualifier, Unit, WorkArea
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Organisation
from apps.reports.models import Figure, Report, Status

_sequence = count(1)


def organisation(
    parent: Organisation | None = None, level: str = Level.COUNTY, **fields
) -> Organisation:
    n = next(_sequence)
    return Organisation.objects.create(
        code=fields.pop("code", f"test-{n}"),
        name=fields.pop("name", f"测试工会{n}"),
        short_name=fields.pop("short_name", f"测试{n}"),
        level=level,
        parent=parent,
        **fields,
    )


def indicator(unit: str = Unit.PERSONS, **fields) -> Indicator:
    n = next(_sequence)
    defaults = {
        "code": f"test_indicator_{n}",
        "name": f"测试指标{n}",
        "unit": unit,
        "work_area": WorkArea.ORGANISATION,
        "kind": Kind.RATE if unit == Unit.PERCENT else Kind.FLOW,
        "decimal_places": 1
        if unit == Unit.PERCENT
        else (2 if unit == Unit.TEN_THOUSAND_YUAN else 0),
    }
    defaults.update(fields)
    return Indicator.objects.create(**defaults)


def report(
    organisation_: Organisation, year: int = 2020, status: str = Status.DRAFT, **fields
) -> Report:
    if status == Status.APPROVED:
        fields.setdefault("approved_at", timezone.now())
    return Report.objects.create(
        organisation=organisation_,
        period_start=fields.pop("period_start", year),
        period_end=fields.pop("period_end", year),
        status=status,
        **fields,
    )


def figure(
    report_: Report, indicator_: Indicator, value, qualifier: str = Qualifier.EXACT, **fields
) -> Figure:
    item = Figure(
        report=report_,
        indicator=indicator_,
        value=Decimal(str(value)),
        qualifier=qualifier,
        **fields,
    )
    item.full_clean()
    item.save()
    return item


def move_to(report_: Report, status: str, user=None) -> Report:
    """Bring a report to ``status`` through the workflow (as the system unless ``user``)."""
    from apps.reports import services

    path = {
        Status.DRAFT: [],
        Status.SUBMITTED: ["submit"],
        Status.RETURNED: ["submit", "return"],
        Status.APPROVED: ["submit", "approve"],
    }[status]
    if report_.status == Status.APPROVED and status != Status.APPROVED:
        services.report_reopen(report=report_, user=user, reason="测试")
        path = {Status.SUBMITTED: ["submit"], Status.RETURNED: [], Status.DRAFT: []}[status]
    for step in path:
        if step == "submit":
            services.report_submit(report=report_, user=user)
        elif step == "return":
            services.report_return(report=report_, user=user, reason="测试退回")
        else:
            services.report_approve(report=report_, user=user)
    report_.refresh_from_db()
    return report_
