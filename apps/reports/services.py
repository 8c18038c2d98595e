"""Writes that touch several rows or models. Every write path (admin, import, demo loader)
goes through these, so the same rules hold everywhere."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from apps.indicators.choices import Qualifier
from apps.indicators.models import Indicator

from .models import Figure, Report


@transaction.atomic
def report_compute_rates(*, report: Report) -> list[Figure]:
    """(Re)compute the report's computed rates from their numerator and denominator figures.

    A computed rate exists only while both of its parts do, the denominator is not zero and the
    result is a valid rate; otherwise any stale value is removed.
    """
    computed = list(Indicator.objects.computed().active())
    if not computed:
        return []
    needed = {i.numerator_id for i in computed} | {i.denominator_id for i in computed}
    parts = {f.indicator_id: f for f in report.figures.filter(indicator_id__in=needed)}
    kept: list[Figure] = []
    for indicator in computed:
        numerator, denominator = (
            parts.get(indicator.numerator_id),
            parts.get(indicator.denominator_id),
        )
        value: Decimal | None = None
        if numerator is not None and denominator is not None and denominator.value > 0:
            quantum = Decimal(1).scaleb(-indicator.decimal_places)
            value = (numerator.value / denominator.value * 100).quantize(
                quantum, rounding=ROUND_HALF_UP
            )
            if not (0 <= value <= 100):
                value = None
        if value is None:
            report.figures.filter(indicator=indicator, is_computed=True).delete()
            continue
        exact = numerator.qualifier == denominator.qualifier == Qualifier.EXACT
        figure, _created = Figure.objects.update_or_create(
            report=report,
            indicator=indicator,
            defaults={
                "value": value,
                "qualifier": Qualifier.EXACT if exact else Qualifier.ABOUT,
                "is_computed": True,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "source": "",
                "note": f"= {numerator.indicator.name} / {denominator.indicator.name} × 100",
            },
        )
        kept.append(figure)
    return kept
