"""Synthetic national data for load tests and benchmarks.

A tree shaped like the national federation (provinces → cities → counties → towns), annual
reports for every organisation and year, and figures with plausible magnitudes by level, steady
growth with noise, missing values, qualifiers, parts that stay below their wholes, and some
reports still in the workflow (never public). Reports of counties and above also carry the
narrative, initiatives (linked to their figures) and honours of one of the demo's real reports,
as the federations' own annual reviews do. Written with PostgreSQL's COPY, or batched inserts
on other databases; 30 million figures take minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from apps.dashboards import stats
from apps.demo.loader import content_rows, report_entries
from apps.indicators.choices import Measure, Qualifier, Unit
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Membership, Organisation, OrganisationAncestry
from apps.reports.models import (
    AuditEntry,
    Figure,
    Honour,
    ImportBatch,
    Initiative,
    Publication,
    Report,
    ReportSection,
    Status,
)

PREFIX = "syn"
# Levels whose reports carry narrative, initiatives and honours (the seed documents are the
# reviews of county federations and above; a town's report is its figures).
NARRATIVE_LEVELS = frozenset({Level.NATIONAL, Level.PROVINCE, Level.CITY, Level.COUNTY})
MISSING = 0.04  # the share of figures a report leaves empty
# Relative size of an organisation's figures by level (a county already includes its towns).
LEVEL_SCALE = {
    Level.NATIONAL: 40000.0,
    Level.PROVINCE: 1300.0,
    Level.CITY: 120.0,
    Level.COUNTY: 12.0,
    Level.TOWN: 1.0,
}
# A town-level magnitude per unit.
UNIT_BASE = {
    Unit.ORGANISATIONS: 40.0,
    Unit.ITEMS: 8.0,
    Unit.PERSONS: 2500.0,
    Unit.PERSON_TIMES: 900.0,
    Unit.EVENTS: 4.0,
    Unit.PROJECTS: 6.0,
    Unit.SUGGESTIONS: 120.0,
    Unit.ARTICLES: 15.0,
    Unit.HOUSEHOLDS: 12.0,
    Unit.COPIES: 10.0,
    Unit.TEN_THOUSAND_YUAN: 18.0,
}


@dataclass(frozen=True)
class Shape:
    provinces: int
    cities: int  # per province
    counties: int  # per city
    towns: int  # per county
    extra_towns: int = 0  # one more town in this many counties

    @property
    def total(self) -> int:
        cities = self.provinces * self.cities
        counties = cities * self.counties
        return 1 + self.provinces + cities + counties + counties * self.towns + self.extra_towns


def shape_for(organisations: int) -> Shape:
    """A national tree of ``organisations`` organisations, shaped like the real one (31
    provinces, ~11 cities each, ~9 counties per city, ~10 towns per county) and scaled down."""
    for provinces, cities, counties in [
        (31, 11, 9),
        (20, 6, 5),
        (10, 4, 4),
        (5, 3, 3),
        (2, 2, 3),
        (1, 2, 2),
        (1, 1, 2),
        (1, 1, 1),
    ]:
        base = 1 + provinces + provinces * cities + provinces * cities * counties
        counties_total = provinces * cities * counties
        if base + counties_total <= organisations or (provinces, cities, counties) == (1, 1, 1):
            towns, extra = divmod(max(organisations - base, counties_total), counties_total)
            return Shape(provinces, cities, counties, towns, extra)
    raise AssertionError("unreachable")  # pragma: no cover


def chosen_indicators(count: int) -> list[Indicator]:
    """The indicators the synthetic reports fill: headline figures first, then in catalogue
    order; never computed ones (the system computes those)."""
    typed = list(Indicator.objects.active().typed().order_by("-is_headline", "position"))
    typed = [i for i in typed if not i.code.endswith("_period_start")]
    picked = typed[:count]
    # Keep catalogue order, so that wholes come before their parts.
    return sorted(picked, key=lambda i: i.position)


def _organisations(shape: Shape) -> Iterator[tuple[str, str, str, str | None]]:
    """(code, name, level, parent code), parents first."""
    yield PREFIX, "全国总工会（合成数据）", Level.NATIONAL, None
    counted = 0
    for p in range(1, shape.provinces + 1):
        province = f"{PREFIX}-p{p:02d}"
        yield province, f"合成省{p:02d}总工会", Level.PROVINCE, PREFIX
        for c in range(1, shape.cities + 1):
            city = f"{province}-c{c:02d}"
            yield city, f"合成省{p:02d}市{c:02d}总工会", Level.CITY, province
            for k in range(1, shape.counties + 1):
                county = f"{city}-k{k:02d}"
                yield county, f"合成{p:02d}-{c:02d}县{k:02d}总工会", Level.COUNTY, city
                counted += 1
                for t in range(1, shape.towns + 1 + (counted <= shape.extra_towns)):
                    yield (
                        f"{county}-t{t:02d}",
                        f"合成{p:02d}-{c:02d}-{k:02d}镇{t:02d}工会",
                        Level.TOWN,
                        county,
                    )


def create_organisations(shape: Shape) -> list[tuple[int, str]]:
    """Insert the tree and its closure; return (id, level) of every organisation."""
    ids: dict[str, int] = {}
    batch: list[Organisation] = []
    parents: list[str | None] = []

    def flush() -> None:
        created = Organisation.objects.bulk_create(batch)
        for organisation in created:
            ids[organisation.code] = organisation.pk
        batch.clear()
        parents.clear()

    level_of: dict[str, str] = {}
    for code, name, level, parent in _organisations(shape):
        if parent is not None and parent not in ids:
            flush()
        batch.append(
            Organisation(
                code=code,
                name=name,
                short_name=name.replace("总工会", "")
                .replace("工会", "")
                .replace("（合成数据）", ""),
                level=level,
                parent_id=ids.get(parent) if parent else None,
            )
        )
        parents.append(parent)
        level_of[code] = level
        if len(batch) >= 5000:
            flush()
    flush()
    OrganisationAncestry.rebuild()
    return [(pk, level_of[code]) for code, pk in ids.items()]


def _pick(rng: random.Random, odds: list[tuple[float, str]], otherwise: str) -> str:
    """The first choice whose cumulative share the roll falls under, else ``otherwise``."""
    roll = rng.random()
    for share, choice in odds:
        if roll < share:
            return choice
    return otherwise


def _status(rng: random.Random, latest: bool) -> str:
    if latest:
        # The latest year is still being reported: some drafts, submissions and returns.
        odds = [(0.06, Status.DRAFT), (0.12, Status.SUBMITTED), (0.15, Status.RETURNED)]
        return _pick(rng, odds, Status.APPROVED)
    return _pick(rng, [(0.01, Status.RETURNED)], Status.APPROVED)


def _qualifier(rng: random.Random) -> str:
    odds = [(0.85, Qualifier.EXACT), (0.95, Qualifier.MORE), (0.98, Qualifier.NEARLY)]
    return _pick(rng, odds, Qualifier.ABOUT)


@contextmanager
def _rows_into(table: str, columns: list[str]) -> Iterator[Callable[[tuple], None]]:
    """A row sink: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor == "postgresql":
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            yield copy.write_row
        return
    rows: list[tuple] = []
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        rows.clear()

    def write(row: tuple) -> None:
        rows.append(row)
        if len(rows) >= 20000:
            flush()

    yield write
    flush()


def _write_figures(
    write: Callable[[tuple], None],
    orgs: list[tuple[int, str]],
    years: list[int],
    report_ids: dict[tuple[int, int], int],
    chosen: list[Indicator],
    rng: random.Random,
    progress: Callable[[int], None] | None,
) -> int:
    """Figures for every report: magnitudes by level, steady growth with noise, a few missing,
    parts within their wholes. Returns how many were written."""
    by_id = {i.pk: i for i in chosen}
    figures = 0
    written_reports = 0
    for organisation_id, level in orgs:
        scale = LEVEL_SCALE.get(level, 1.0) * rng.uniform(0.6, 1.6)
        growth = {i.pk: rng.uniform(-0.02, 0.08) for i in chosen}
        share = {i.pk: rng.uniform(0.03, 0.4) for i in chosen}
        for offset, year in enumerate(years):
            report_id = report_ids[(organisation_id, year)]
            values: dict[int, float] = {}
            for indicator in chosen:
                if rng.random() < MISSING:
                    continue  # not reported this year
                measure = indicator.measure
                if measure == Measure.RATE:
                    value = Decimal(f"{min(100.0, rng.uniform(60, 100)):.1f}")
                else:
                    whole = (
                        values.get(indicator.part_of_id) if indicator.part_of_id in by_id else None
                    )
                    if whole is not None:
                        raw = whole * share[indicator.pk]
                    else:
                        raw = (
                            UNIT_BASE.get(indicator.unit, 10.0)
                            * scale
                            * (1 + growth[indicator.pk]) ** offset
                        )
                        raw *= rng.uniform(0.92, 1.08)
                    places = 2 if measure == Measure.AMOUNT else 0
                    value = Decimal(f"{raw:.{places}f}")
                    values[indicator.pk] = float(value)
                write(
                    (
                        report_id,
                        indicator.pk,
                        value,
                        _qualifier(rng),
                        measure,
                        year,
                        year,
                        False,
                        "",
                        "",
                    )
                )
                figures += 1
            written_reports += 1
            if progress and written_reports % 1000 == 0:
                progress(written_reports)
    return figures


@dataclass(frozen=True)
class Narrative:
    """The narrative of one demo report: its content rows as the demo loader reads them, and
    for each initiative the codes of the indicators it links."""

    rows: dict[type[models.Model], list[dict[str, Any]]]
    links: list[list[str]]


# Columns the demo's content rows leave to their defaults, which COPY must write.
DEFAULTS: dict[type[models.Model], dict[str, Any]] = {Initiative: {"photo": ""}}


def narratives() -> list[Narrative]:
    """The demo reports' narratives (from the seed documents) that have any."""
    found = []
    for entry, _seed in report_entries():
        rows = content_rows(entry)
        if any(rows.values()):
            links = [i.get("figures", []) for i in entry.get("initiative", [])]
            found.append(Narrative(rows, links))
    return found


def _write_narrative(
    report_ids: dict[tuple[int, int], int],
    orgs: list[tuple[int, str]],
    years: list[int],
    chosen: list[Indicator],
    rng: random.Random,
) -> int:
    """Sections, initiatives and honours for the reports of counties and above, each report
    one demo report's; initiatives link the report's own figures of the indicators the demo
    linked. Returns how many reports got a narrative."""
    pool = narratives()
    indicator_ids = {i.code: i.pk for i in chosen}
    given: dict[int, Narrative] = {}
    for organisation_id, level in orgs:
        if level in NARRATIVE_LEVELS:
            for year in years:
                given[report_ids[(organisation_id, year)]] = rng.choice(pool)
    if not given:
        return 0
    for model in (ReportSection, Honour, Initiative):
        defaults = DEFAULTS.get(model, {})
        first = next((row for n in pool for row in n.rows[model]), None)
        if first is None:
            continue
        columns = [*first, *defaults]
        with _rows_into(model._meta.db_table, ["report_id", *columns, "position"]) as write:
            for report_id, narrative in given.items():
                for position, row in enumerate(narrative.rows[model]):
                    values = {**row, **defaults}
                    write((report_id, *(values[c] for c in columns), position))
    # The links: (initiative, indicator) wishes in a scratch table, joined to the report's
    # figures in one statement (an indicator the report left empty links nothing).
    through = Initiative.figures.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE synthetic_links "
            "(initiative_id bigint, report_id bigint, indicator_id bigint)"
        )
    try:
        initiatives = Initiative.objects.filter(report__in=_synthetic_reports().values("pk"))
        last = 0
        while True:  # in slices: the connection cannot read rows while it copies
            created = list(
                initiatives.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "report_id", "position")[:50000]
            )
            if not created:
                break
            last = created[-1][0]
            with _rows_into(
                "synthetic_links", ["initiative_id", "report_id", "indicator_id"]
            ) as write:
                for initiative_id, report_id, position in created:
                    for code in given[report_id].links[position]:
                        if code in indicator_ids:
                            write((initiative_id, report_id, indicator_ids[code]))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {through} (initiative_id, figure_id) "
                "SELECT l.initiative_id, f.id FROM synthetic_links l "
                f"JOIN {Figure._meta.db_table} f "
                "ON f.report_id = l.report_id AND f.indicator_id = l.indicator_id"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE synthetic_links")
    return len(given)


def _synthetic() -> models.QuerySet[Organisation]:
    return Organisation.objects.filter(code=PREFIX) | Organisation.objects.filter(
        code__startswith=f"{PREFIX}-"
    )


def _synthetic_reports() -> models.QuerySet[Report]:
    return Report.objects.filter(organisation__in=_synthetic().values("pk"))


@dataclass
class Generated:
    organisations: int
    reports: int
    figures: int
    unapproved: int
    narrated: int = 0


def generate(
    organisations: int,
    years: int,
    *,
    first_year: int = 2010,
    indicators: int = 60,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Generated:
    """Build the synthetic tree and its reports; ``progress`` is called with the number of
    reports written so far, ``stage`` with a line on each step after that."""
    rng = random.Random(seed)

    def say(text: str) -> None:
        if stage:
            stage(text)

    shape = shape_for(organisations)
    chosen = chosen_indicators(indicators)
    now = datetime.now(UTC)
    with transaction.atomic():
        orgs = create_organisations(shape)
        year_list = list(range(first_year, first_year + years))
        report_columns = [
            "organisation_id",
            "period_start",
            "period_end",
            "status",
            "title",
            "summary",
            "plan",
            "note",
            "source_name",
            "source_document",
            "created_at",
            "updated_at",
            "approved_at",
            "version",
        ]
        unapproved = 0
        with _rows_into(Report._meta.db_table, report_columns) as write_report:
            for organisation_id, _level in orgs:
                for year in year_list:
                    status = _status(rng, year == year_list[-1])
                    unapproved += status != Status.APPROVED
                    approved = now if status == Status.APPROVED else None
                    write_report(
                        (
                            organisation_id,
                            year,
                            year,
                            status,
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            now,
                            now,
                            approved,
                            0,
                        )
                    )
        report_ids = {
            (org, year): pk
            for pk, org, year in Report.objects.filter(organisation_id__in=[o for o, _l in orgs])
            .values_list("pk", "organisation_id", "period_start")
            .iterator(chunk_size=50000)
        }
        figure_columns = [
            "report_id",
            "indicator_id",
            "value",
            "qualifier",
            "measure",
            "period_start",
            "period_end",
            "is_computed",
            "note",
            "source",
        ]
        with _rows_into(Figure._meta.db_table, figure_columns) as write_figure:
            figures = _write_figures(
                write_figure, orgs, year_list, report_ids, chosen, rng, progress
            )
        if progress:
            progress(len(report_ids))
        say("Writing the narrative of the counties and above …")
        narrated = _write_narrative(report_ids, orgs, year_list, chosen, rng)
        # Millions of new rows: without fresh statistics the planner would read them with
        # plans made for an empty table (the summaries below took an hour instead of a minute).
        say("Updating the planner's statistics …")
        _analyze(*GENERATED)
        # Bulk rows bypass the workflow, so the public summaries are recomputed once.
        say("Building the public summaries …")
        stats.rebuild()
        Publication.bump()
        say("Committing (the database checks every key now) …")
    return Generated(len(orgs), len(report_ids), figures, unapproved, narrated)


# Every table the generator fills. Without fresh statistics the planner reads a new table as if
# it were empty: it scanned all 250,000 links of initiatives to figures to find one report's.
GENERATED = (
    Organisation,
    OrganisationAncestry,
    Report,
    Figure,
    ReportSection,
    Initiative,
    Initiative.figures.through,
    Honour,
)


def _analyze(*tables: type[models.Model]) -> None:
    """Fresh planner statistics after millions of rows came or went."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def remove() -> int:
    """Delete the synthetic tree and everything in it; returns how many organisations.

    Set-based deletes rather than the ORM's collector, which would load millions of figures
    and hundreds of thousands of initiatives."""
    ids = list(_synthetic().values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        reports = _synthetic_reports().values("pk")
        initiatives = Initiative.objects.filter(report__in=reports).values("pk")
        Initiative.figures.through.objects.filter(initiative__in=initiatives)._raw_delete(
            connection.alias
        )
        for model in (ReportSection, Initiative, Honour):
            model.objects.filter(report__in=reports)._raw_delete(connection.alias)
        for model in (AuditEntry, ImportBatch):
            model.objects.filter(report__in=reports).delete()
        Figure.objects.filter(report__in=reports)._raw_delete(connection.alias)
        _synthetic_reports()._raw_delete(connection.alias)
        Membership.objects.filter(organisation_id__in=ids).delete()
        OrganisationAncestry.objects.filter(descendant_id__in=ids)._raw_delete(connection.alias)
        Organisation.objects.filter(pk__in=ids).update(parent=None)
        Organisation.objects.filter(pk__in=ids)._raw_delete(connection.alias)
        _analyze(*GENERATED)
        stats.rebuild()
        Publication.bump()
    return len(ids)
