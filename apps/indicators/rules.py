"""The rules every set of figures must pass, whichever way it arrives (form, import, service).

Errors stop a save: a negative count, a fraction in a count, a rate above 100, a part larger
than its whole (new unions above all unions, members above employees). Warnings need an
explicit confirmation: a change of more than 50% against the previous period, and a parent's
figure below the sum of its children's (a county's figure already includes its towns).

The functions here are pure: the caller supplies the values, the previous period's values and
the children's sums, so forms, imports and services share them exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from .choices import Measure
from .models import Indicator
from .numbers import format_figure, plain

CHANGE_WARNING_RATIO = Decimal("0.5")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    indicator: str  # the indicator's code
    severity: Severity
    rule: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    @property
    def key(self) -> str:
        """Stable identity of a warning, so a confirmation covers exactly what was shown."""
        return f"{self.indicator}:{self.rule}"


@dataclass(frozen=True)
class Previous:
    """A figure of the previous period, for comparison."""

    value: Decimal
    qualifier: str
    period_label: str


def value_findings(indicator: Indicator, value: Decimal) -> list[Finding]:
    """Rules on a single value: sign, whole numbers, the rate range, the catalogue's bounds."""
    findings: list[Finding] = []
    name = indicator.name

    def error(rule: str, message: str) -> None:
        findings.append(Finding(indicator.code, Severity.ERROR, rule, message))

    if value < 0:
        error("negative", _("%(name)s cannot be negative.") % {"name": name})
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > indicator.decimal_places:
        if indicator.decimal_places == 0:
            error(
                "fraction",
                _("%(name)s is counted in whole %(unit)s: %(value)s has a fraction.")
                % {"name": name, "unit": indicator.get_unit_display(), "value": plain(value)},
            )
        else:
            error(
                "places",
                _("%(name)s allows at most %(places)d decimal places.")
                % {"name": name, "places": indicator.decimal_places},
            )
    low, high = indicator.allowed_range()
    if low is not None and low > 0 and value < low:
        error(
            "below_minimum",
            _("%(name)s cannot be below %(low)s.") % {"name": name, "low": plain(low)},
        )
    if high is not None and value > high:
        error(
            "above_maximum",
            _("%(name)s cannot be above %(high)s.") % {"name": name, "high": plain(high)},
        )
    return findings


def check_figures(
    values: Mapping[str, Decimal],
    catalogue: Mapping[str, Indicator],
    *,
    previous: Mapping[str, Previous] | None = None,
    children_sums: Mapping[str, Decimal] | None = None,
) -> list[Finding]:
    """All findings for one report's figures (``values`` by indicator code)."""
    findings: list[Finding] = []
    for code, value in values.items():
        findings += value_findings(catalogue[code], value)
    findings += _parts_within_wholes(values, catalogue)
    findings += _changes_against_previous(values, catalogue, previous or {})
    findings += _parent_below_children(values, catalogue, children_sums or {})
    return findings


def _parts_within_wholes(
    values: Mapping[str, Decimal], catalogue: Mapping[str, Indicator]
) -> Iterable[Finding]:
    by_id = {indicator.pk: indicator for indicator in catalogue.values()}
    for code, value in values.items():
        whole = by_id.get(catalogue[code].part_of_id)
        # Compare with the nearest whole that has a value (a part of a part of a total).
        while whole is not None and whole.code not in values:
            whole = by_id.get(whole.part_of_id)
        if whole is None or value <= values[whole.code]:
            continue
        yield Finding(
            code,
            Severity.ERROR,
            "part_exceeds_whole",
            _("%(part)s (%(value)s) cannot be larger than %(whole)s (%(total)s).")
            % {
                "part": catalogue[code].name,
                "value": plain(value),
                "whole": whole.name,
                "total": plain(values[whole.code]),
            },
        )


def _changes_against_previous(
    values: Mapping[str, Decimal],
    catalogue: Mapping[str, Indicator],
    previous: Mapping[str, Previous],
) -> Iterable[Finding]:
    for code, value in values.items():
        before = previous.get(code)
        if before is None or before.value == 0:
            continue
        change = (value - before.value) / before.value
        if abs(change) <= CHANGE_WARNING_RATIO:
            continue
        indicator = catalogue[code]
        yield Finding(
            code,
            Severity.WARNING,
            "large_change",
            _("%(name)s changed by %(change)s%% against %(period)s (%(before)s): please check it.")
            % {
                "name": indicator.name,
                "change": f"{change * 100:+.0f}",
                "period": before.period_label,
                "before": format_figure(before.value, before.qualifier, indicator.unit),
            },
        )


def _parent_below_children(
    values: Mapping[str, Decimal],
    catalogue: Mapping[str, Indicator],
    children_sums: Mapping[str, Decimal],
) -> Iterable[Finding]:
    for code, value in values.items():
        indicator = catalogue[code]
        total = children_sums.get(code)
        if total is None or indicator.measure == Measure.RATE or value >= total:
            continue
        yield Finding(
            code,
            Severity.WARNING,
            "below_children",
            _(
                "%(name)s (%(value)s) is below the sum of the organisations below (%(total)s), "
                "although it should include them: please check it."
            )
            % {"name": indicator.name, "value": plain(value), "total": plain(total)},
        )
