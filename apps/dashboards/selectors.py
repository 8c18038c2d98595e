"""Reads for the public pages: approved figures only, each page in a bounded number of queries
whatever the number of organisations and periods (the tests hold each page to its bound)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Any

from django.db import connection, router
from django.db.models import BooleanField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from apps.html import escape_text
from apps.i18n import current_language, is_english
from apps.indicators.choices import Measure, WorkArea
from apps.indicators.models import Indicator
from apps.indicators.numbers import format_count, format_figure
from apps.organizations.models import Organisation
from apps.reports.models import (
    Figure,
    Honour,
    Initiative,
    Report,
    ReportContent,
    ReportSection,
    Status,
)

from .caching import kept_per_publication
from .compiled import CompiledRead, fields_of
from .filters import Period, in_periods, published_figures
from .models import (
    IndicatorParentStats,
    IndicatorStats,
    OrganisationStats,
    PeriodStats,
    RecentApproval,
)
from .sparklines import sparkline
from .tables import Cell, Table

NORMALISERS = {"members": "members_total", "employees": "employees_total"}
CENT = Decimal("0.01")


# --- the figures the pages read, compiled once (compiled.py) ------------------------------


def _periods_q(*bounds: int) -> Q:
    """``in_periods`` for (start, end) pairs given one after the other."""
    return in_periods(*(Period.of(bounds[n], bounds[n + 1]) for n in range(0, len(bounds), 2)))


@lru_cache(maxsize=8)
def headline_figures(indicators: tuple[int, ...]) -> CompiledRead:
    """An organisation's published figures of these indicators (the headlines, which change
    with the catalogue only): named by key, which PostgreSQL reads faster than joining the
    catalogue to ask which are headlines."""
    return CompiledRead(
        Figure,
        (int,),
        lambda organisation: (
            published_figures()
            .filter(report__organisation_id=organisation, indicator_id__in=indicators)
            .order_by()
            .values_list("indicator_id", "period_start", "period_end", "value", "qualifier")
        ),
    )


@cache
def compare_figures(periods: int, area: bool) -> CompiledRead:
    """The figures below a parent in one or two periods (the second for the changes), of one
    work area or all: a read for each of these four shapes. Arguments: the parent, each
    period's start and end, then the work area if any."""
    arguments = (int,) + (int, int) * periods + ((str,) if area else ())

    def build(parent: int, *rest: Any) -> QuerySet[Figure]:
        bounds, work_area = (rest[:-1], rest[-1]) if area else (rest, None)
        figures = published_figures().filter(
            _periods_q(*bounds), report__organisation__parent_id=parent
        )
        if area:
            figures = figures.filter(indicator__work_area=work_area)
        return figures.order_by().values_list(
            "indicator_id",
            "report__organisation_id",
            "period_start",
            "period_end",
            "value",
            "qualifier",
        )

    return CompiledRead(Figure, arguments, build)


# The normalising figures (members, employees: an indicator's code) below a parent in a period.
NORMALISING_FIGURES = CompiledRead(
    Figure,
    (int, int, int, str),
    lambda parent, start, end, code: (
        published_figures()
        .filter(
            _periods_q(start, end), indicator__code=code, report__organisation__parent_id=parent
        )
        .order_by()
        .values_list("report__organisation_id", "value")
    ),
)

# One indicator's figures below a parent, in every period.
INDICATOR_FIGURES = CompiledRead(
    Figure,
    (int, int),
    lambda parent, indicator: (
        published_figures()
        .filter(report__organisation__parent_id=parent, indicator_id=indicator)
        .order_by()
        .values_list("period_start", "period_end", "report__organisation_id", "value", "qualifier")
    ),
)

# Every figure of an organisation's approved reports (a yearly report's 近三年 figures too).
OWN_FIGURES = CompiledRead(
    Figure,
    (int,),
    lambda organisation: (
        Figure.objects.published()
        .filter(report__organisation_id=organisation)
        .order_by()
        .values_list("indicator_id", "period_start", "period_end", "value", "qualifier")
    ),
)

# The figures of every organisation below a parent in one period (a profile's standing).
SIBLING_FIGURES = CompiledRead(
    Figure,
    (int, int, int),
    lambda parent, start, end: (
        published_figures()
        .filter(_periods_q(start, end), report__organisation__parent_id=parent)
        .order_by()
        .values_list("indicator_id", "report__organisation_id", "value")
    ),
)


# --- small helpers ------------------------------------------------------------------------


@kept_per_publication(maxsize=2)
def catalogue() -> dict[int, Indicator]:
    """Every indicator by id, kept per publication state: nearly every page needs the
    catalogue, and it has a few hundred rows."""
    return {i.pk: i for i in Indicator.objects.select_related("part_of")}


@kept_per_publication(maxsize=2)
def active_catalogue() -> tuple[Indicator, ...]:
    """The indicators the public pages show, in the catalogue's order."""
    return tuple(
        sorted((i for i in catalogue().values() if i.is_active), key=lambda i: (i.position, i.code))
    )


@kept_per_publication(maxsize=2)
def _active_by_code() -> dict[str, Indicator]:
    return {i.code: i for i in active_catalogue()}


def active_indicator(code: str) -> Indicator:
    """An indicator the public pages show, from the catalogue kept per publication state (an
    edit to the catalogue moves that state on); 404 for an unknown or retired code."""
    indicator = _active_by_code().get(code)
    if indicator is None:
        raise Http404
    return indicator


def indicator_parts(indicator: Indicator) -> list[Indicator]:
    """The active indicators that make up ``indicator``, in the catalogue's order."""
    return [i for i in active_catalogue() if i.part_of_id == indicator.pk]


@kept_per_publication(maxsize=512)
def organisations_below(parent: Organisation) -> tuple[Organisation, ...]:
    """The active organisations directly below ``parent``, by code; kept per publication state
    (an organisation is equal to another instance of itself)."""
    return tuple(Organisation.objects.active().filter(parent_id=parent.pk).order_by("code"))


def root_organisation() -> Organisation | None:
    return Organisation.objects.active().roots().order_by("code").first()


def _root_code() -> str | None:
    """Where a page opens when no summary points elsewhere."""
    root = root_organisation()
    return root.code if root else None


def ancestors(organisation: Organisation) -> list[Organisation]:
    """From the root down to the parent; no query when the organisation came with its path."""
    if organisation.path_from_root is not None:
        return organisation.path_from_root
    return list(
        Organisation.objects.filter(descendant_links__descendant=organisation)
        .exclude(pk=organisation.pk)
        .order_by("-descendant_links__depth")
    )


def url_with(name: str, *args: Any, **params: Any) -> str:
    return links_to(name, **params)(*args)


def links_to(name: str, **params: Any) -> Callable[..., str]:
    """``url_with(name, *args, **params)`` as a function of ``args``, for the many links of a
    table that differ only in them (an indicator's page, with the same query, on every row):
    the language, the script prefix and the query are looked up once."""
    language, prefix = current_language(), get_script_prefix()
    query = "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))
    suffix = f"?{query}" if query else ""

    def link(*args: Any) -> str:
        return _reverse(name, args, language, prefix) + suffix

    return link


@lru_cache(maxsize=100_000)
def _reverse(name: str, args: tuple[Any, ...], language: str, prefix: str) -> str:
    """reverse(), remembered: the same links (an indicator's page, an organisation's) appear
    on many pages, and a national table has hundreds of them. The URLs depend only on the
    arguments, the language (its URL prefix) and the script prefix."""
    return reverse(name, args=args)


def _rank(values: dict[Any, Decimal], higher_is_better: bool | None) -> dict[Any, int]:
    """Competition ranks (1, 2, 2, 4) in the indicator's better direction; none without one."""
    if higher_is_better is None or not values:
        return {}
    first: dict[Decimal, int] = {}  # each value's first place in the better order
    for place, value in enumerate(sorted(values.values(), reverse=higher_is_better), 1):
        first.setdefault(value, place)
    return {key: first[value] for key, value in values.items()}


def _place(ordered: list[Decimal], value: Decimal, higher_is_better: bool | None) -> int | None:
    """The competition rank ``_rank`` gives ``value`` among the ``ordered`` (ascending) values:
    one more than the number of better values. None without a better direction."""
    if higher_is_better is None:
        return None
    if higher_is_better:
        return len(ordered) - bisect_right(ordered, value) + 1
    return bisect_left(ordered, value) + 1


def _median(ordered: list[Decimal]) -> Decimal | None:
    """``statistics.median`` of values already in ascending order (without sorting them again)."""
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _change(current: Decimal, previous: Decimal | None) -> str:
    if previous is None or previous == 0:
        return ""
    change = (current - previous) / previous * 100
    return f"{change:+.0f}%"


def _direction(current: Decimal, previous: Decimal | None, higher_is_better: bool | None) -> str:
    if previous is None or current == previous or higher_is_better is None:
        return ""
    return "better" if (current > previous) == higher_is_better else "worse"


# --- overview -----------------------------------------------------------------------------


@dataclass
class Headline:
    indicator: Indicator
    current: Cell
    previous: Cell
    change: str
    direction: str
    spark: str


@dataclass
class ChildRow:
    organisation: Organisation
    reports: int
    latest: Period | None
    below: int


@dataclass
class Overview:
    organisation: Organisation
    path: list[Organisation]
    period: Period | None
    previous: Period | None
    headlines: list[Headline]
    children: list[ChildRow]
    below_count: int
    reports_below: int
    latest_reports: list[Report]
    tables: dict[str, Table] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "organisation": organisation_json(self.organisation),
            "path": [organisation_json(o) for o in self.path],
            "period": self.period.slug if self.period else None,
            "previous_period": self.previous.slug if self.previous else None,
            "organisations_below": self.below_count,
            "approved_reports_below": self.reports_below,
            "children": [
                {
                    **organisation_json(row.organisation),
                    "approved_reports": row.reports,
                    "latest_period": row.latest.slug if row.latest else None,
                }
                for row in self.children
            ],
            "tables": {key: table.as_json() for key, table in self.tables.items()},
        }


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    return {
        "code": organisation.code,
        "name": organisation.name,
        "name_en": organisation.name_en,
        "short_name": organisation.short_name,
        "level": organisation.level,
    }


# An organisation's fields, in the model's order.
ORGANISATION_FIELDS = fields_of(Organisation)

# The organisations below one (active ones) and the one itself, with their summaries.
OVERVIEW_ORGANISATIONS = CompiledRead(
    Organisation,
    (int,),
    lambda organisation: (
        Organisation.objects.filter(Q(parent_id=organisation, is_active=True) | Q(pk=organisation))
        .order_by("code")
        .values_list(
            *ORGANISATION_FIELDS,
            "stats__reports",
            "stats__latest_end",
            "stats__organisations_below",
        )
    ),
)

# The reports approved last below an organisation: which, of what period, by whom.
RECENT_APPROVALS = CompiledRead(
    RecentApproval,
    (int,),
    lambda organisation: (
        RecentApproval.objects.filter(organisation_id=organisation)
        .order_by("-approved_at", "-report_id")
        .values_list(
            "report_id",
            "report__period_start",
            "report__period_end",
            "report__organisation_id",
            "report__organisation__code",
            "report__organisation__name",
            "report__organisation__name_en",
        )
    ),
)


def overview(organisation: Organisation) -> Overview:
    path = ancestors(organisation)
    known = catalogue()
    headline_ids = sorted(
        (i.pk for i in known.values() if i.is_headline and i.is_active),
        key=lambda pk: (known[pk].position, known[pk].code),
    )
    # (indicator, period) → (value, qualifier)
    by_key: dict[tuple[int, Period], tuple[Decimal, str]] = {
        (indicator_id, Period.of(start, end)): (value, qualifier)
        for indicator_id, start, end, value, qualifier in (
            headline_figures(tuple(headline_ids)).rows(organisation.pk) if headline_ids else []
        )
    }
    present = {indicator_id for indicator_id, _period in by_key}
    indicators = {pk: known[pk] for pk in headline_ids if pk in present}
    every = sorted({period for _indicator, period in by_key})
    yearly_only = [p for p in every if not p.is_term]
    period = (yearly_only or every or [None])[-1]
    previous = period.previous if period else None
    headlines = []
    table = Table(
        "headlines",
        _("Headline figures: %(organisation)s") % {"organisation": organisation.display_name},
        [
            _("Indicator"),
            period.label if period else _("Latest period"),
            previous.label if previous else _("Previous period"),
            pgettext("against the previous period", "Change"),
            _("Unit"),
        ],
    )
    for indicator in indicators.values():
        current = by_key.get((indicator.pk, period)) if period else None
        if current is None:
            continue
        before = by_key.get((indicator.pk, previous)) if previous else None
        history = [
            entry[0] if (entry := by_key.get((indicator.pk, p))) else None for p in yearly_only
        ]
        headline = Headline(
            indicator=indicator,
            current=Cell.figure(current[0], current[1], indicator.unit),
            previous=Cell.figure(before[0], before[1], indicator.unit)
            if before
            else Cell.missing(),
            change=_change(current[0], before[0] if before else None),
            direction=_direction(
                current[0], before[0] if before else None, indicator.higher_is_better
            ),
            spark=sparkline(history),
        )
        headlines.append(headline)
        table.rows.append(
            [
                Cell(
                    indicator.display_name,
                    href=url_with(
                        "dashboards:indicator",
                        indicator.code,
                        parent=path[-1].code if path else "",
                    ),
                ),
                headline.current,
                headline.previous,
                Cell(headline.change or "—", css=f"num {headline.direction}"),
                Cell(indicator.get_unit_display()),
            ]
        )
    # Approved reports and organisations below, from the summary kept in step with approvals.
    # The organisations below and this one's own summary in one query.
    alias = router.db_for_read(Organisation)
    own = OrganisationStats()
    children = []
    for *fields, reports, latest_end, below in OVERVIEW_ORGANISATIONS.rows(organisation.pk):
        if fields[0] == organisation.pk:
            own = OrganisationStats(
                organisation_id=organisation.pk,
                reports=reports or 0,
                latest_end=latest_end,
                organisations_below=below or 0,
            )
            continue
        children.append(
            ChildRow(
                organisation=Organisation.from_db(alias, ORGANISATION_FIELDS, fields),
                reports=reports or 0,
                latest=Period.of(latest_end, latest_end) if latest_end else None,
                below=below or 0,
            )
        )
    latest_reports = []
    for pk, start, end, *organisation_fields in RECENT_APPROVALS.rows(organisation.pk):
        report = Report.from_db(alias, ("id", "period_start", "period_end"), (pk, start, end))
        report.organisation = Organisation.from_db(
            alias, ("id", "code", "name", "name_en"), organisation_fields
        )
        latest_reports.append(report)
    result = Overview(
        organisation=organisation,
        path=path,
        period=period,
        previous=previous,
        headlines=headlines,
        children=children,
        below_count=own.organisations_below,
        reports_below=own.reports,
        latest_reports=latest_reports,
    )
    children_table = Table(
        "below",
        _("Organisations below %(organisation)s") % {"organisation": organisation.display_name},
        [
            _("Organisation"),
            _("Level"),
            _("Approved reports, with those below"),
            _("Latest year"),
            _("Organisations below"),
        ],
    )
    for row in children:
        children_table.rows.append(
            [
                Cell(
                    row.organisation.display_name,
                    href=url_with("dashboards:overview", organisation=row.organisation.code),
                ),
                Cell(row.organisation.get_level_display()),
                Cell(str(row.reports), Decimal(row.reports), css="num"),
                Cell(row.latest.label if row.latest else "—", css="num"),
                Cell(str(row.below), Decimal(row.below), css="num"),
            ]
        )
    result.tables = {"headlines": table, "below": children_table}
    return result


# --- compare ------------------------------------------------------------------------------


@dataclass
class Compare:
    parent: Organisation
    path: list[Organisation]
    children: list[Organisation]
    period: Period | None
    periods: tuple[Period, ...]
    area: str
    per: str
    table: Table

    @property
    def tables(self) -> dict[str, Table]:
        return {self.table.key: self.table}

    def as_json(self) -> dict[str, Any]:
        return {
            "parent": organisation_json(self.parent),
            "organisations": [organisation_json(o) for o in self.children],
            "period": self.period.slug if self.period else None,
            "periods": [p.slug for p in self.periods],
            "area": self.area or None,
            "per": self.per or None,
            "tables": {self.table.key: self.table.as_json()},
        }


@kept_per_publication(maxsize=512)
def periods_below(parent: Organisation) -> tuple[Period, ...]:
    """The periods of the approved reports of the organisations directly below, newest first;
    years before terms of the same end. Kept per publication state: only an approval or a
    reopening changes them."""
    rows = PeriodStats.objects.filter(parent_id=parent.pk, reports__gt=0).values_list(
        "period_start", "period_end"
    )
    return tuple(
        sorted({Period.of(s, e) for s, e in rows}, key=lambda p: (p.end, -p.start), reverse=True)
    )


@kept_per_publication(maxsize=2)
def default_compare_parent() -> str | None:
    """The code of the organisation whose organisations below have the most approved reports
    for one period (then the most figures, then the latest): the most telling comparison to
    open with. Kept per publication state, as the periods are."""
    best = (
        PeriodStats.objects.filter(reports__gt=0)
        .order_by("-reports", "-figures", "-period_end", "parent_id")
        .values_list("parent__code", flat=True)
        .first()
    )
    return best or _root_code()


def _normalise(value: Decimal, base: Decimal) -> Decimal:
    return (value / base * 10000).quantize(CENT, rounding=ROUND_HALF_UP)


def compare(
    parent: Organisation,
    period: Period | None,
    area: str = "",
    per: str = "",
) -> Compare:
    """Organisations below ``parent`` side by side: a row per indicator, a column per
    organisation, with rank, the best value and the change against the previous year; of one
    work area (``area``) or all."""
    path = ancestors(parent)
    below = organisations_below(parent)
    periods = periods_below(parent)
    if period is None and periods:
        period = periods[0]
    wanted = [p for p in (period, period.previous if period else None) if p]
    base_code = NORMALISERS.get(per)
    # Plain tuples, not model instances or dicts: a national comparison reads thousands.
    rows: list[tuple[int, int, int, int, Decimal, str]] = []
    if wanted:
        bounds = [bound for p in wanted for bound in (p.start, p.end)]
        rows = compare_figures(len(wanted), bool(area)).rows(
            parent.pk, *bounds, *([area] if area else [])
        )
    known = catalogue()
    # (indicator, start, end) → {organisation: (value, qualifier)}
    values: dict[tuple[int, int, int], dict[int, tuple[Decimal, str]]] = defaultdict(dict)
    for ind, org, start, end, value, qualifier in rows:
        values[ind, start, end][org] = (value, qualifier)
    indicators = sorted(
        (
            known[pk]
            for pk in {row[0] for row in rows}
            if known[pk].is_active and (not area or known[pk].work_area == area)
        ),
        key=lambda i: (i.position, i.code),
    )
    bases: dict[int, Decimal] = {}
    if base_code and period:
        # The normalising figures, whatever the work area filter says. A query of their own:
        # folded into the one above (figure in the filtered set OR normaliser) PostgreSQL
        # read every figure of the period, seconds at national scale.
        bases = dict(NORMALISING_FIGURES.rows(parent.pk, period.start, period.end, base_code))
    title = _("%(parent)s: organisations below, %(period)s") % {
        "parent": parent.display_name,
        "period": period.label if period else "—",
    }
    if area:
        title += f" · {WorkArea(area).label}"
    if per:
        title += " · " + (
            _("per 10,000 members") if per == "members" else _("per 10,000 employees")
        )
    # Organisations without a single figure here get no column of dashes; they are named below.
    reporting = (
        {
            org
            for ind, org, start, end, _v, _q in rows
            if start == period.start
            and end == period.end
            and (not area or known[ind].work_area == area)
        }
        if period
        else set()
    )
    silent = [c for c in below if c.pk not in reporting]
    children = [c for c in below if c.pk in reporting]
    table = Table(
        "compare", title, [_("Indicator"), _("Unit"), *[c.display_short_name for c in children]]
    )
    last_area = None
    child_ids = [c.pk for c in children]
    previous = period.previous if period else None
    rank_label = _("No. %(rank)d")  # translated once: a national table has thousands of cells
    # Each rank's label written once: thousands of cells rank among some thirty organisations.
    ranked = [""] + [rank_label % {"rank": rank} for rank in range(1, len(children) + 1)]
    chinese = not is_english()
    per_unit = _("per 10,000 members") if per == "members" else _("per 10,000 employees")
    indicator_link = links_to(
        "dashboards:indicator", parent=parent.code, period=period.slug if period else ""
    )
    for indicator in indicators:
        ind = indicator.pk
        in_period = values.get((ind, period.start, period.end), {}) if period else {}
        current = {pk: in_period[pk] for pk in child_ids if pk in in_period}
        if not current:
            continue
        before_period = values.get((ind, previous.start, previous.end), {}) if previous else {}
        normalisable = (
            bool(per) and indicator.measure != Measure.RATE and indicator.code != base_code
        )
        shown: dict[int, Decimal] = (
            {
                child_id: _normalise(value, bases[child_id])
                for child_id, (value, _q) in current.items()
                if bases.get(child_id)
            }
            if normalisable
            else {child_id: entry[0] for child_id, entry in current.items()}
        )
        ranks = _rank(shown, indicator.higher_is_better)
        several = len(shown) > 1
        unit = per_unit if normalisable else indicator.get_unit_display()
        cells = [
            Cell(
                indicator.display_name,
                href=indicator_link(indicator.code),
                css=f"depth-{1 if indicator.part_of_id else 0}",
            ),
            Cell(unit),
        ]
        changes = previous is not None and not normalisable
        # A figure's unit; normalised values are per 10,000, as the unit column says.
        figure_unit = "" if normalisable else indicator.unit
        for child_id in child_ids:
            value = shown.get(child_id)
            if value is None:
                cells.append(Cell.missing())
                continue
            qualifier = current[child_id][1]
            rank = ranks.get(child_id) if several else None
            hint = ranked[rank] if rank else ""
            if changes:
                before = before_period.get(child_id)
                if before is not None:
                    change = _change(value, before[0])
                    if change:
                        hint = f"{hint} · {change}" if hint else change
            if normalisable:
                qualifier = "about" if qualifier != "exact" else "exact"
                text = format_figure(value, qualifier, None, compact=False, chinese=chinese)
            else:
                text = format_figure(value, qualifier, figure_unit, chinese=chinese)
            # Built directly (as Cell.figure would): a national table has some 1,500 of these.
            css = "num best" if rank == 1 else "num"
            cells.append(Cell(text, value, qualifier, figure_unit, "", css, hint))
        if indicator.work_area != last_area:
            table.groups[len(table.rows)] = WorkArea(indicator.work_area).label
            last_area = indicator.work_area
        table.rows.append(cells)
    table.note = _(
        "★ marks the best value. “No.” is the rank among the organisations with a value; the "
        "percentage is the change against the previous year. “—” means no figure was reported."
    )
    if silent:
        table.note += " " + _("No figures for this choice: %(names)s.") % {
            "names": "、".join(c.display_short_name for c in silent)
        }
    return Compare(
        parent=parent,
        path=path,
        children=children + silent,
        period=period,
        periods=periods,
        area=area,
        per=per,
        table=table,
    )


# --- indicator ----------------------------------------------------------------------------


@dataclass
class IndicatorView:
    indicator: Indicator
    parent: Organisation
    path: list[Organisation]
    period: Period | None
    periods: list[Period]
    ranking: Table
    trend: Table
    terms: Table
    bar_chart: dict[str, Any]
    line_chart: dict[str, Any]
    missing: list[Organisation]

    @property
    def tables(self) -> dict[str, Table]:
        return {t.key: t for t in (self.ranking, self.trend, self.terms)}

    def as_json(self) -> dict[str, Any]:
        return {
            "indicator": indicator_json(self.indicator),
            "parent": organisation_json(self.parent),
            "period": self.period.slug if self.period else None,
            "periods": [p.slug for p in self.periods],
            "missing": [o.code for o in self.missing],
            "tables": {key: table.as_json() for key, table in self.tables.items()},
        }


def indicator_json(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "work_area": indicator.work_area,
        "kind": indicator.kind,
        "decimal_places": indicator.decimal_places,
        "higher_is_better": indicator.higher_is_better,
        "definition": indicator.definition,
        "part_of": indicator.part_of.code if indicator.part_of_id and indicator.part_of else None,
        "computed": indicator.is_computed,
    }


def default_indicator_parent(indicator: Indicator) -> str | None:
    """The code of the organisation with the most organisations below reporting this
    indicator."""
    best = (
        IndicatorParentStats.objects.filter(indicator=indicator, figures__gt=0)
        .order_by("-figures", "parent_id")
        .values_list("parent__code", flat=True)
        .first()
    )
    return best or _root_code()


def indicator_view(
    indicator: Indicator, parent: Organisation, period: Period | None
) -> IndicatorView:
    """One indicator across the organisations below ``parent`` (ranked) and across years
    (trends; terms are listed apart, never joined to yearly lines)."""
    path = ancestors(parent)
    children = {c.pk: c for c in organisations_below(parent)}
    # period → organisation → (value, qualifier)
    by_period: dict[Period, dict[int, tuple[Decimal, str]]] = defaultdict(dict)
    for start, end, organisation_id, value, qualifier in INDICATOR_FIGURES.rows(
        parent.pk, indicator.pk
    ):
        by_period[Period.of(start, end)][organisation_id] = (value, qualifier)
    periods = sorted(by_period, key=lambda p: (p.end, -p.start), reverse=True)
    if period is None and periods:
        yearly = [p for p in periods if not p.is_term]
        period = (yearly or periods)[0]
    unit = indicator.get_unit_display()
    selected = by_period.get(period, {}) if period else {}
    values = {pk: row[0] for pk, row in selected.items()}
    ranks = _rank(values, indicator.higher_is_better)
    order = sorted(
        selected,
        key=lambda pk: (
            (ranks.get(pk, 0), -values[pk])
            if indicator.higher_is_better is not False
            else (ranks.get(pk, 0), values[pk])
        ),
    )
    if indicator.higher_is_better is None:
        order = sorted(selected, key=lambda pk: -values[pk])
    previous = period.previous if period else None
    before = by_period.get(previous, {}) if previous else {}
    ranking = Table(
        "ranking",
        _("%(indicator)s: organisations below %(parent)s, %(period)s")
        % {
            "indicator": indicator.display_name,
            "parent": parent.display_name,
            "period": period.label if period else "—",
        },
        [
            _("Rank"),
            _("Organisation"),
            indicator.display_name,
            _("Unit"),
            _("Previous year"),
            pgettext("against the previous period", "Change"),
        ],
    )
    for pk in order:
        row = selected[pk]
        organisation = children.get(pk)
        if organisation is None:
            continue
        previous_row = before.get(pk)
        ranking.rows.append(
            [
                Cell(
                    str(ranks[pk]) if pk in ranks else "—",
                    Decimal(ranks[pk]) if pk in ranks else None,
                    css="num",
                ),
                Cell(
                    organisation.display_name,
                    href=url_with("dashboards:organisation", organisation.code),
                ),
                Cell.figure(
                    row[0],
                    row[1],
                    indicator.unit,
                    css="best" if ranks.get(pk) == 1 and len(values) > 1 else "",
                ),
                Cell(unit),
                Cell.figure(previous_row[0], previous_row[1], indicator.unit)
                if previous_row
                else Cell.missing(),
                Cell(
                    _change(row[0], previous_row[0] if previous_row else None) or "—",
                    css="num",
                ),
            ]
        )
    missing = [o for pk, o in children.items() if pk not in selected]
    years = sorted({p for p in periods if not p.is_term})
    trend = Table(
        "trend",
        _("%(indicator)s by year: organisations below %(parent)s")
        % {"indicator": indicator.display_name, "parent": parent.display_name},
        [_("Organisation")] + [p.label for p in years] + [_("Unit")],
    )
    line_series = []
    for pk, organisation in children.items():
        points = [by_period[p].get(pk) for p in years]
        if not any(points):
            continue
        cells = [Cell.figure(p[0], p[1], indicator.unit) if p else Cell.missing() for p in points]
        name = Cell(
            organisation.display_name, href=url_with("dashboards:organisation", organisation.code)
        )
        trend.rows.append([name, *cells, Cell(unit)])
        line_series.append(
            {
                "name": organisation.display_short_name,
                "data": [float(p[0]) if p else None for p in points],
                "labels": [cell.text for cell in cells],  # "—" where there is none
            }
        )
    terms = Table(
        "terms",
        _("%(indicator)s in multi-year term reports") % {"indicator": indicator.display_name},
        [_("Organisation"), _("Term"), indicator.display_name, _("Unit")],
    )
    for p in periods:
        if not p.is_term:
            continue
        for pk, row in by_period[p].items():
            if pk in children:
                terms.rows.append(
                    [
                        Cell(
                            children[pk].display_name,
                            href=url_with("dashboards:organisation", children[pk].code),
                        ),
                        Cell(p.label),
                        Cell.figure(row[0], row[1], indicator.unit),
                        Cell(unit),
                    ]
                )
    bar_chart = {
        "type": "bar",
        "title": ranking.title,
        "unit": unit,
        "table": "ranking",
        "categories": [children[pk].display_short_name for pk in order if pk in children],
        "series": [
            {
                "name": indicator.display_name,
                "data": [float(selected[pk][0]) for pk in order if pk in children],
                "labels": [
                    format_figure(selected[pk][0], selected[pk][1], indicator.unit)
                    for pk in order
                    if pk in children
                ],
            }
        ],
    }
    line_chart = {
        "type": "line",
        "title": trend.title,
        "unit": unit,
        "table": "trend",
        "categories": [p.label for p in years],
        "series": line_series,
    }
    return IndicatorView(
        indicator=indicator,
        parent=parent,
        path=path,
        period=period,
        periods=periods,
        ranking=ranking,
        trend=trend,
        terms=terms,
        bar_chart=bar_chart,
        line_chart=line_chart,
        missing=missing,
    )


def published_figure_count() -> int:
    """How many figures are public, from the summary."""
    return IndicatorStats.objects.aggregate(total=Sum("figures"))["total"] or 0


@dataclass
class CatalogueGroup:
    label: str
    items_html: SafeString  # the group's list items


def catalogue_by_area() -> list[CatalogueGroup]:
    """The active catalogue by work area with, per indicator, its page, unit and how many
    published figures it has (one query on the summary). The list items are written in Python
    rather than in the template: the same markup in a fraction of the time (163 entries)."""
    counts = dict(IndicatorStats.objects.values_list("indicator_id", "figures"))
    indicators = active_catalogue()
    groups: dict[str, list[str]] = {area: [] for area in WorkArea.values}
    indicator_link = links_to("dashboards:indicator")
    for indicator in indicators:
        count = counts.get(indicator.pk, 0)
        details = escape_text(indicator.get_unit_display())
        if count:
            figures = ngettext("%(count)s figure", "%(count)s figures", count) % {
                "count": format_count(count)
            }
            details += f" · {escape_text(figures)}"
        url = indicator_link(indicator.code)
        groups[indicator.work_area].append(
            f'<li class="{"part" if indicator.part_of_id else ""}">'
            f'<a href="{escape_text(url)}">{escape_text(indicator.display_name)}</a>\n'
            f'  <span class="muted">{details}</span></li>\n'
        )
    return [
        CatalogueGroup(WorkArea(area).label, mark_safe("".join(items)))  # escaped above
        for area, items in groups.items()
        if items
    ]


# --- organisation profile -----------------------------------------------------------------


@dataclass
class Profile:
    organisation: Organisation
    path: list[Organisation]
    reports: list[Report]
    latest: Report | None
    periods: list[Period]
    figures: Table
    standing: Table
    honours: list[Honour]
    standing_period: Period | None

    @property
    def tables(self) -> dict[str, Table]:
        return {t.key: t for t in (self.figures, self.standing)}

    def as_json(self) -> dict[str, Any]:
        return {
            "organisation": organisation_json(self.organisation),
            "path": [organisation_json(o) for o in self.path],
            "reports": [
                {
                    "id": r.pk,
                    "period": Period.of(r.period_start, r.period_end).slug,
                    "title": r.title,
                }
                for r in self.reports
            ],
            "honours": [
                {
                    "title": h.title,
                    "level": h.level,
                    "conferred_by": h.conferred_by,
                    "recipient": h.recipient,
                }
                for h in self.honours
            ],
            "tables": {key: table.as_json() for key, table in self.tables.items()},
        }


def _holds(model: type[ReportContent]) -> RawSQL:
    """Whether the report has any of this part (its sections, initiatives or honours), as a
    column of the report's own row: most reports (a town's) have figures only, and asking a
    table for nothing costs a query. Django's own ``Exists()`` costs more to build than these
    words of SQL take to run (both measured on the bench data; bench/HISTORY.md, fourteenth
    machine)."""
    quote = connection.ops.quote_name
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "
        f"WHERE report_id = {quote(Report._meta.db_table)}.{quote('id')})",
        [],
        output_field=BooleanField(),
    )


# What the profile shows of an organisation's approved reports, in the model's order (the
# others stay deferred).
PROFILE_REPORT_FIELDS = ("id", "period_start", "period_end", "title", "summary")

PROFILE_REPORTS = CompiledRead(
    Report,
    (int,),
    lambda organisation: (
        Report.objects.published()
        .filter(organisation_id=organisation)
        .annotate(holds_initiatives=_holds(Initiative), holds_honours=_holds(Honour))
        .order_by("-period_end", "-period_start")
        .values_list(*PROFILE_REPORT_FIELDS, "holds_initiatives", "holds_honours")
    ),
)


# The latest report's initiatives, and the honours of an organisation's approved reports.
LATEST_INITIATIVES = CompiledRead(
    Initiative,
    (int,),
    lambda report: (
        Initiative.objects.filter(report_id=report)
        .order_by("position", "pk")
        .values_list(*fields_of(Initiative))
    ),
)

PROFILE_HONOURS = CompiledRead(
    Honour,
    (int,),
    lambda organisation: (
        Honour.objects.filter(report__organisation_id=organisation, report__status=Status.APPROVED)
        .order_by("position", "pk")
        .values_list(*fields_of(Honour))
    ),
)


def _profile_reports(organisation: Organisation) -> list[Report]:
    """The organisation's approved reports, latest first, as the model's instances with the
    profile's fields only (as ``only()`` would give them)."""
    alias = router.db_for_read(Report)
    reports = []
    for *values, holds_initiatives, holds_honours in PROFILE_REPORTS.rows(organisation.pk):
        report = Report.from_db(alias, PROFILE_REPORT_FIELDS, values)
        report.holds_initiatives, report.holds_honours = holds_initiatives, holds_honours
        reports.append(report)
    return reports


def profile(organisation: Organisation) -> Profile:
    """One organisation over all its periods, with where it stands among its siblings."""
    path = ancestors(organisation)
    reports = _profile_reports(organisation)
    latest = reports[0] if reports else None
    if latest is not None:  # the page shows the initiatives of the latest report only
        latest.initiative_list = (
            LATEST_INITIATIVES.instances(latest.pk) if latest.holds_initiatives else []
        )
    # Plain tuples and the catalogue apart: fifteen years of sixty figures are many instances.
    rows = OWN_FIGURES.rows(organisation.pk) if reports else []
    known = catalogue()
    by_indicator: dict[int, dict[Period, tuple[Decimal, str]]] = defaultdict(dict)
    for indicator_id, start, end, value, qualifier in rows:
        by_indicator[indicator_id][Period.of(start, end)] = (value, qualifier)
    periods = sorted(
        {p for values in by_indicator.values() for p in values}, key=lambda p: (p.end, -p.start)
    )
    indicators: dict[int, Indicator] = {pk: known[pk] for pk in by_indicator}
    years = [p for p in periods if not p.is_term]
    figures = Table(
        "figures",
        _("%(organisation)s: figures by period") % {"organisation": organisation.display_name},
        [_("Indicator"), _("Unit")] + [p.label for p in periods] + [_("Trend")],
        page_only=(len(periods) + 2,),  # the trend lines are drawn on the page only
    )
    last_area = None
    chinese = not is_english()  # asked once: fifteen years of sixty figures
    parent_code = organisation.parent.code if organisation.parent else ""
    indicator_link = links_to("dashboards:indicator", parent=parent_code)
    in_order = sorted(indicators.items(), key=lambda item: (item[1].position, item[1].code))
    for indicator_id, indicator in in_order:
        values = by_indicator[indicator_id]
        if indicator.work_area != last_area:
            figures.groups[len(figures.rows)] = WorkArea(indicator.work_area).label
            last_area = indicator.work_area
        figures.rows.append(
            [
                Cell(indicator.display_name, href=indicator_link(indicator.code)),
                Cell(indicator.get_unit_display()),
            ]
            + [
                Cell.figure(entry[0], entry[1], indicator.unit, chinese=chinese)
                if (entry := values.get(p)) is not None
                else Cell.missing()
                for p in periods
            ]
            + [Cell("", css="spark", trend=[values[p][0] if p in values else None for p in years])]
        )
    # Standing among siblings, in the latest period that has figures.
    standing_period = (years or periods or [None])[-1]
    standing = Table(
        "standing",
        _("Among the organisations beside it"),
        [
            _("Indicator"),
            _("Value"),
            _("Unit"),
            _("Rank"),
            _("Median"),
            _("Organisations with a figure"),
        ],
    )
    if standing_period is not None and organisation.parent_id:
        standing.title = _(
            "%(organisation)s among the organisations below %(parent)s, %(period)s"
        ) % {
            "organisation": organisation.display_name,
            "parent": organisation.parent.display_name if organisation.parent else "",
            "period": standing_period.label,
        }
        sibling_rows = SIBLING_FIGURES.rows(
            organisation.parent_id, standing_period.start, standing_period.end
        )
        per_indicator: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for indicator_id, organisation_id, value in sibling_rows:
            per_indicator[indicator_id][organisation_id] = value
        standing_link = links_to(
            "dashboards:indicator", parent=parent_code, period=standing_period.slug
        )
        for indicator_id, indicator in in_order:
            mine = by_indicator[indicator_id].get(standing_period)
            if mine is None:
                continue
            values = per_indicator.get(indicator_id, {})
            # One sort gives this organisation's rank and the median.
            ordered = sorted(values.values())
            rank = (
                _place(ordered, values[organisation.pk], indicator.higher_is_better)
                if organisation.pk in values
                else None
            )
            median = _median(ordered)
            standing.rows.append(
                [
                    Cell(indicator.display_name, href=standing_link(indicator.code)),
                    Cell.figure(mine[0], mine[1], indicator.unit, chinese=chinese),
                    Cell(indicator.get_unit_display()),
                    Cell(f"{rank}/{len(values)}" if rank else "—", css="num"),
                    Cell.figure(
                        median.quantize(CENT).normalize() if median is not None else None,
                        "exact",
                        indicator.unit,
                        chinese=chinese,
                    ),
                    Cell(str(len(values)), Decimal(len(values)), css="num"),
                ]
            )
    # The honours' reports are those read above: no second read of them.
    by_pk = {r.pk: r for r in reports}
    honours = (
        PROFILE_HONOURS.instances(organisation.pk) if any(r.holds_honours for r in reports) else []
    )
    for honour in honours:
        honour.report = by_pk[honour.report_id]
    honours.sort(key=lambda h: -h.report.period_end)  # stable: by position within a period
    return Profile(
        organisation=organisation,
        path=path,
        reports=reports,
        latest=latest,
        periods=periods,
        figures=figures,
        standing=standing,
        honours=honours,
        standing_period=standing_period,
    )


# --- report -------------------------------------------------------------------------------


@dataclass
class AreaFigures:
    work_area: str
    label: str
    figures: list[Figure]

    def rows_html(self) -> SafeString:
        """The area's figures as table rows. Written in Python rather than in the template:
        the same markup, in a fraction of the time (a report has dozens of figures)."""
        computed = f'<span class="muted">{escape_text(_("computed"))}</span>'
        parts: list[str] = []
        for figure in self.figures:
            indicator = figure.indicator
            name = escape_text(indicator.display_name)
            head = f'<a href="{escape_text(figure.page_url)}">{name}</a>'
            if figure.has_own_period:
                head += f' <span class="tag">{escape_text(figure.period_label)}</span>'
            if figure.note:
                head += f'<span class="note">{escape_text(figure.note)}</span>'
            source = computed if figure.is_computed else escape_text(figure.source)
            parts.append(
                f'<tr><th scope="row">{head}</th>'
                f'<td class="num">{escape_text(figure.display)}</td>'
                f"<td>{escape_text(indicator.get_unit_display())}</td>"
                f'<td class="source">{source}</td></tr>\n'
            )
        return mark_safe("".join(parts))  # every piece above is escaped


def _catalogue_order(figure: Figure) -> tuple[int, str]:
    return figure.indicator.position, figure.indicator.code


# A report's parts besides its figures: the related name, and the list the page reads.
_REPORT_PARTS: tuple[tuple[str, str, type[ReportContent]], ...] = (
    ("sections", "section_list", ReportSection),
    ("initiatives", "initiative_list", Initiative),
    ("honours", "honour_list", Honour),
)


REPORT_FIELDS = fields_of(Report)

PUBLISHED_REPORT = CompiledRead(
    Report,
    (int,),
    lambda pk: (
        Report.objects.published()
        .filter(pk=pk)
        .annotate(**{f"holds_{name}": _holds(model) for name, _list, model in _REPORT_PARTS})
        .order_by()
        .values_list(
            *REPORT_FIELDS,
            *(f"organisation__{field}" for field in ORGANISATION_FIELDS),
            *(f"organisation__parent__{field}" for field in ORGANISATION_FIELDS),
            *(f"holds_{name}" for name, _list, _model in _REPORT_PARTS),
        )
    ),
)

REPORT_FIGURES = CompiledRead(
    Figure,
    (int,),
    lambda report: (
        Figure.objects.filter(report_id=report).order_by().values_list(*fields_of(Figure))
    ),
)


def _published_report_row(pk: int) -> Report:
    """The approved report with its organisation and that one's parent, as ``select_related``
    would give them, and the ``holds_*`` flags; 404 for anything unpublished."""
    rows = PUBLISHED_REPORT.rows(pk)
    if not rows:
        raise Http404("No Report matches the given query.")  # as get_object_or_404 says
    values = rows[0]
    alias = router.db_for_read(Report)
    reports, organisations = len(REPORT_FIELDS), len(ORGANISATION_FIELDS)
    report = Report.from_db(alias, REPORT_FIELDS, values[:reports])
    organisation = Organisation.from_db(
        alias, ORGANISATION_FIELDS, values[reports : reports + organisations]
    )
    parent_values = values[reports + organisations : reports + 2 * organisations]
    organisation.parent = (
        None
        if parent_values[0] is None
        else Organisation.from_db(alias, ORGANISATION_FIELDS, parent_values)
    )
    report.organisation = organisation
    for (name, _list, _model), held in zip(
        _REPORT_PARTS, values[reports + 2 * organisations :], strict=True
    ):
        setattr(report, f"holds_{name}", held)
    return report


def published_report(pk: int) -> Report:
    """An approved report with everything its page shows; 404 for anything unpublished.

    The report's row says which of its parts hold anything (most reports, a town's, have
    figures only), and only those are read: ``report.section_list``, ``initiative_list`` and
    ``honour_list``. Asking the three tables for nothing cost ~2.3 ms of a town report's
    ~8.5 ms page (``_holds``). The report and its figures are compiled reads (``compiled.py``).

    The report's figures are read once, with the catalogue's indicators, in the catalogue's
    order (``report.figure_list``); each initiative's figures (``initiative.figure_list``) are
    picked from them through the link table alone, not built again with their indicators."""
    report = _published_report_row(pk)
    for name, attribute, _model in _REPORT_PARTS:
        held = getattr(report, f"holds_{name}")
        setattr(report, attribute, list(getattr(report, name).all()) if held else [])
    known = catalogue()
    figures = REPORT_FIGURES.instances(report.pk)
    for figure in figures:
        figure.report = report
        figure.indicator = known[figure.indicator_id]
    figures.sort(key=_catalogue_order)
    report.figure_list = figures
    initiatives = report.initiative_list
    if initiatives:
        links = list(
            Initiative.figures.through.objects.filter(
                initiative_id__in=[i.pk for i in initiatives]
            ).values_list("initiative_id", "figure_id")
        )
        by_pk = {f.pk: f for f in figures}
        # A link to a figure of another report (the admin offers none) is still shown.
        others = {figure_id for _i, figure_id in links if figure_id not in by_pk}
        if others:
            for figure in Figure.objects.filter(pk__in=others).select_related("report"):
                figure.indicator = known[figure.indicator_id]
                by_pk[figure.pk] = figure
        linked: dict[int, list[Figure]] = defaultdict(list)
        for initiative_id, figure_id in links:
            linked[initiative_id].append(by_pk[figure_id])
        for initiative in initiatives:
            initiative.figure_list = sorted(linked[initiative.pk], key=_catalogue_order)
    return report


def report_figures_by_area(report: Report) -> list[AreaFigures]:
    """The report's figures (read by ``published_report``) by work area, each with the link to
    its indicator's page among the report's siblings."""
    parent = report.organisation.parent.code if report.organisation.parent else ""
    indicator_link = links_to("dashboards:indicator", parent=parent)
    groups: dict[str, list[Figure]] = {area: [] for area in WorkArea.values}
    for figure in report.figure_list:
        figure.page_url = indicator_link(figure.indicator.code)
        groups[figure.indicator.work_area].append(figure)
    return [
        AreaFigures(area, WorkArea(area).label, items) for area, items in groups.items() if items
    ]


def report_table(report: Report, areas: list[AreaFigures]) -> Table:
    table = Table(
        "figures",
        f"{report.organisation.display_name} · {report.period_label}",
        [_("Indicator"), _("Value"), _("Unit"), _("Period"), _("Source")],
    )
    for area in areas:
        table.groups[len(table.rows)] = area.label
        for figure in area.figures:
            table.rows.append(
                [
                    Cell(figure.indicator.display_name),
                    Cell.figure(figure.value, figure.qualifier, figure.indicator.unit),
                    Cell(figure.indicator.get_unit_display()),
                    Cell(figure.period_label),
                    Cell(_("computed") if figure.is_computed else figure.source),
                ]
            )
    return table
