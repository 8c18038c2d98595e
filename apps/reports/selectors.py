"""Reads about reports that the data-entry side needs (comparisons, rules, completeness)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from apps.indicators.choices import Measure
from apps.indicators.rules import Previous
from apps.organizations.models import Organisation

from .models import AuditEntry, AuditKind, Figure, Report, Status


def previous_report(report: Report) -> Report | None:
    """The organisation's report for the period before: the latest year before an annual
    report, the latest term before a term report (a term is not compared with a year)."""
    candidates = Report.objects.filter(
        organisation_id=report.organisation_id, period_end__lt=report.period_start
    )
    candidates = candidates.terms() if report.is_term else candidates.yearly()
    return candidates.order_by("-period_end").first()


def previous_figures(report: Report) -> dict[str, Previous]:
    before = previous_report(report)
    if before is None:
        return {}
    return {
        code: Previous(value, qualifier, before.period_label)
        for code, value, qualifier in Figure.objects.filter(
            report=before, period_start=before.period_start, period_end=before.period_end
        ).values_list("indicator__code", "value", "qualifier")
    }


def children_sums(report: Report) -> dict[str, Decimal]:
    """Per indicator, the sum of the approved figures of the organisations directly below, for
    the same period (rates are not summed)."""
    rows = (
        Figure.objects.filter(
            report__organisation__parent_id=report.organisation_id,
            report__period_start=report.period_start,
            report__period_end=report.period_end,
            report__status=Status.APPROVED,
            period_start=F("report__period_start"),
            period_end=F("report__period_end"),
        )
        .exclude(measure=Measure.RATE)
        .values("indicator__code")
        .annotate(total=Sum("value"))
    )
    return {row["indicator__code"]: row["total"] for row in rows}


def status_history(report: Report) -> list[AuditEntry]:
    return list(
        report.audit_entries.filter(kind=AuditKind.STATUS)
        .select_related("user")
        .order_by("at", "pk")
    )


@dataclass
class CompletenessRow:
    organisation: Organisation
    depth: int
    report: Report | None
    term: Report | None  # a term report covering the year, when there is no annual report

    @property
    def status(self) -> str:
        if self.report is not None:
            return self.report.status
        return "term" if self.term is not None else "missing"


def completeness(organisations: list[tuple[Organisation, int]], year: int) -> list[CompletenessRow]:
    """For each organisation: its annual report for ``year`` (any status), or the term report
    covering the year, or nothing. Two queries whatever the number of organisations."""
    ids = [organisation.pk for organisation, _depth in organisations]
    annual = {
        r.organisation_id: r for r in Report.objects.filter(organisation_id__in=ids).for_year(year)
    }
    terms = {}
    for r in (
        Report.objects.filter(organisation_id__in=ids, period_start__lte=year, period_end__gte=year)
        .terms()
        .order_by("period_end")
    ):
        terms[r.organisation_id] = r
    return [
        CompletenessRow(
            organisation, depth, annual.get(organisation.pk), terms.get(organisation.pk)
        )
        for organisation, depth in organisations
    ]
