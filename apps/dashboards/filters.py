"""The filters of the public pages. The whole state of a view lives in its URL (organisation and
indicator codes, a period such as 2011 or 2014-2019, a work area), validated here; the same
FilterSets serve the pages and the read API."""

from __future__ import annotations

import re
from typing import NamedTuple

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.indicators.choices import WorkArea
from apps.organizations.models import Organisation
from apps.reports.models import Figure, Status, period_label

from .caching import kept_per_publication

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


class Period(NamedTuple):
    """A year (2011) or a multi-year term (2014-2019). Ordered by end, then start; a tuple
    underneath, so that the thousands a national page hashes and compares cost little."""

    end: int
    start: int

    @classmethod
    def of(cls, start: int, end: int) -> Period:
        return tuple.__new__(cls, (end, start))  # the fast way to build a NamedTuple

    @classmethod
    def parse(cls, text: str) -> Period:
        match = PERIOD_PATTERN.match(text.strip())
        if not match:
            raise ValueError(text)
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if end < start:
            raise ValueError(text)
        return cls.of(start, end)

    @property
    def is_term(self) -> bool:
        return self.start != self.end

    @property
    def slug(self) -> str:
        return str(self.start) if not self.is_term else f"{self.start}-{self.end}"

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def previous(self) -> Period | None:
        """The year before, for comparisons; terms are not compared with anything silently."""
        return None if self.is_term else Period.of(self.start - 1, self.start - 1)

    def __str__(self) -> str:
        return self.slug


class PeriodField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return Period.parse(value)
        except ValueError:
            raise ValidationError(
                _("Give a year (2011) or a term (2014-2019)."), code="invalid"
            ) from None


class PeriodFilter(django_filters.Filter):
    """Figures of exactly this period (a year is not a term, and the reverse)."""

    field_class = PeriodField

    def filter(self, qs: QuerySet[Figure], value: Period | None) -> QuerySet[Figure]:
        if value is None:
            return qs
        return qs.filter(in_periods(value))


def in_periods(*periods: Period) -> Q:
    """Published figures of any of these periods. The period is stated on the report as well
    as on the figure (they are equal for published figures): the database then picks the few
    reports of the period by its index instead of reading every figure of every report."""
    condition = Q()
    for period in periods:
        condition |= Q(
            period_start=period.start,
            period_end=period.end,
            report__period_start=period.start,
            report__period_end=period.end,
        )
    return condition


def published_figures() -> QuerySet[Figure]:
    """Figures of approved reports that cover their report's period (a 近三年 figure inside a
    yearly report belongs to another period and is shown on its report and profile only)."""
    return Figure.objects.filter(
        report__status=Status.APPROVED,
        period_start=F("report__period_start"),
        period_end=F("report__period_end"),
    )


@kept_per_publication(maxsize=1024)
def organisation_with_path(code: str) -> Organisation | None:
    """The active organisation with ``code``, with its ancestors (``with_path``), kept per
    publication state: every page starts from an organisation, and the tree is small beside
    the figures."""
    return Organisation.objects.active().with_path(code)


class OrganisationField(forms.CharField):
    """An active organisation by its code, fetched with its ancestors in one query (every page
    that names an organisation shows the way down to it)."""

    widget = forms.HiddenInput

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        organisation = organisation_with_path(code)
        if organisation is None:
            raise ValidationError(
                _("There is no organisation with the code %(code)s."),
                code="invalid_choice",
                params={"code": code},
            )
        return organisation


class OrganisationFilter(django_filters.Filter):
    field_class = OrganisationField


def organisation_filter(label, field_name: str = "report__organisation") -> django_filters.Filter:
    return OrganisationFilter(field_name=field_name, label=label)


class PageFilterSet(django_filters.FilterSet):
    """A FilterSet whose form class is built once per FilterSet class. django-filter builds the
    class, and a form field for each filter, anew for every FilterSet (every request); these
    pages' filters are the same for every request, and the form instance copies its fields
    anyway (django-filter documents ``get_form_class`` as the method to override)."""

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class


class OverviewFilter(PageFilterSet):
    organisation = organisation_filter(_("Organisation"))

    class Meta:
        model = Figure
        fields: list[str] = []


class CompareFilter(PageFilterSet):
    parent = organisation_filter(_("Organisations below"), "report__organisation__parent")
    period = PeriodFilter(label=_("Period"), method="keep")
    area = django_filters.ChoiceFilter(
        field_name="indicator__work_area",
        choices=WorkArea.choices,
        label=_("Work area"),
        empty_label=_("All work areas"),
    )
    per = django_filters.ChoiceFilter(
        choices=[("members", _("per 10,000 members")), ("employees", _("per 10,000 employees"))],
        label=_("Per"),
        empty_label=_("Figures as reported"),
        method="keep",
    )

    class Meta:
        model = Figure
        fields: list[str] = []

    def keep(self, queryset: QuerySet[Figure], name: str, value) -> QuerySet[Figure]:
        """Read by the selector (it needs the previous period and the normalising figures)."""
        return queryset


class IndicatorFilter(PageFilterSet):
    parent = organisation_filter(_("Organisations below"), "report__organisation__parent")
    period = PeriodFilter(label=_("Period"), method="keep")

    class Meta:
        model = Figure
        fields: list[str] = []

    def keep(self, queryset: QuerySet[Figure], name: str, value) -> QuerySet[Figure]:
        return queryset
