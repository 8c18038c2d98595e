"""Keeping the summary tables (apps.dashboards.models) in step.

- ``report_published`` runs inside the transaction of every approval (published=True) and
  every reopening (False): it adds or removes one report and its figures. It first locks the
  statistics rows of the report's organisation and all its ancestors, in primary-key order, so
  that concurrent approvals below the same federation apply one after the other and never
  deadlock; every later statement then sees what the previous approval committed.
- ``organisations_changed`` recomputes, exactly, what an added or moved organisation changes.
- ``rebuild`` recomputes everything from the reports (after bulk loads such as
  ``generate_synthetic``); ``python manage.py rebuild_stats`` runs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.db.models.signals import post_delete
from django.dispatch import receiver

from apps.organizations.models import (
    Organisation,
    OrganisationAncestry,
    organisation_activity_set,
    organisation_placed,
)
from apps.reports.models import Publication, Report, Status
from apps.reports.signals import report_publication_changed

from .filters import published_figures
from .models import (
    IndicatorParentStats,
    IndicatorStats,
    OrganisationStats,
    PeriodStats,
    RecentApproval,
)

BATCH = 5000
SUMMARIES = (OrganisationStats, PeriodStats, IndicatorParentStats, IndicatorStats, RecentApproval)


def _lock_chain(*organisation_ids: int) -> list[OrganisationStats]:
    """The statistics rows of the organisations and all their ancestors, created if missing and
    locked in primary-key order; returned deepest first (an organisation before its parent)."""
    depth: dict[int, int] = {}
    for ancestor_id, descendant_depth in OrganisationAncestry.objects.filter(
        descendant_id__in=organisation_ids
    ).values_list("ancestor_id", "depth"):
        depth[ancestor_id] = max(depth.get(ancestor_id, 0), descendant_depth)
    OrganisationStats.objects.bulk_create(
        [OrganisationStats(organisation_id=pk) for pk in depth], ignore_conflicts=True
    )
    rows = list(OrganisationStats.objects.select_for_update().filter(pk__in=depth).order_by("pk"))
    return sorted(rows, key=lambda row: depth[row.pk])


def _own_reports(organisation_id: int) -> dict[str, Any]:
    return Report.objects.filter(organisation_id=organisation_id, status=Status.APPROVED).aggregate(
        count=Count("pk"), latest=Max("period_end")
    )


def _children(organisation_id: int) -> dict[str, Any]:
    return Organisation.objects.filter(parent_id=organisation_id).aggregate(
        count=Count("pk", filter=Q(is_active=True)),
        below=Sum("stats__organisations_below"),
        reports=Sum("stats__reports"),
        latest=Max("stats__latest_end"),
    )


def _latest(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


@transaction.atomic
def report_published(report: Report, published: bool) -> None:
    """Count ``report`` in (or out of) every summary, after its status changed."""
    sign = 1 if published else -1
    chain = _lock_chain(report.organisation_id)
    end = report.period_end
    recompute_latest = not published
    for row in chain:
        row.reports += sign
        if published:
            row.latest_end = _latest(row.latest_end, end)
        elif recompute_latest and row.latest_end == end:
            # The report may have been the latest below this organisation: look again, from
            # its own reports and its children's (already corrected) statistics.
            before = row.latest_end
            row.latest_end = _latest(_own_reports(row.pk)["latest"], _children(row.pk)["latest"])
            recompute_latest = row.latest_end != before
        else:
            recompute_latest = False
        row.save(update_fields=["reports", "latest_end"])

    _recent_after(report, [row.pk for row in chain], published)

    # The figures the report publishes (or published, when it is being reopened): those of
    # its own period, as in published_figures(). In indicator order, so that approvals in two
    # trees (whose chains share no row to wait on) create and lock the rows in the same order.
    indicator_ids = list(
        report.figures.filter(period_start=report.period_start, period_end=report.period_end)
        .order_by("indicator_id")
        .values_list("indicator_id", flat=True)
    )
    parent_id = chain[1].pk if len(chain) > 1 else None
    if parent_id is not None:
        PeriodStats.objects.bulk_create(
            [
                PeriodStats(
                    parent_id=parent_id,
                    period_start=report.period_start,
                    period_end=report.period_end,
                )
            ],
            ignore_conflicts=True,
        )
        PeriodStats.objects.filter(
            parent_id=parent_id, period_start=report.period_start, period_end=report.period_end
        ).update(reports=F("reports") + sign, figures=F("figures") + sign * len(indicator_ids))
        if indicator_ids:
            IndicatorParentStats.objects.bulk_create(
                [IndicatorParentStats(indicator_id=i, parent_id=parent_id) for i in indicator_ids],
                ignore_conflicts=True,
            )
            IndicatorParentStats.objects.filter(
                parent_id=parent_id, indicator_id__in=indicator_ids
            ).update(figures=F("figures") + sign)
    if indicator_ids:
        IndicatorStats.objects.bulk_create(
            [IndicatorStats(indicator_id=i) for i in indicator_ids], ignore_conflicts=True
        )
        IndicatorStats.objects.filter(indicator_id__in=indicator_ids).update(
            figures=F("figures") + sign
        )


def _recent_after(report: Report, chain: list[int], published: bool) -> None:
    """Keep each ancestor's latest approvals in step with one approval or reopening."""
    if published:
        RecentApproval.objects.bulk_create(
            [
                RecentApproval(organisation_id=pk, report=report, approved_at=report.approved_at)
                for pk in chain
            ]
        )
        ranked = RecentApproval.objects.filter(organisation_id__in=chain).annotate(
            rank=Window(
                RowNumber(),
                partition_by="organisation_id",
                order_by=["-approved_at", "-report_id"],
            )
        )
        surplus = [row.pk for row in ranked if row.rank > RecentApproval.KEEP]
        RecentApproval.objects.filter(pk__in=surplus).delete()
    else:
        RecentApproval.objects.filter(report=report).delete()
        _refill_recent(chain)


def _refill_recent(organisation_ids: list[int]) -> None:
    """Recompute the latest approvals below these organisations (after a reopening or a move:
    the one dropped may leave room for an older report)."""
    RecentApproval.objects.filter(organisation_id__in=organisation_ids).delete()
    rows = []
    for pk in organisation_ids:
        rows += [
            RecentApproval(organisation_id=pk, report_id=report_id, approved_at=approved_at)
            for report_id, approved_at in Report.objects.filter(
                status=Status.APPROVED, organisation__ancestor_links__ancestor_id=pk
            )
            .order_by("-approved_at", "-pk")
            .values_list("pk", "approved_at")[: RecentApproval.KEEP]
        ]
    RecentApproval.objects.bulk_create(rows)


def _refresh(rows: list[OrganisationStats]) -> None:
    """Recompute locked statistics rows, given deepest first."""
    for row in rows:
        own = _own_reports(row.pk)
        children = _children(row.pk)
        row.reports = own["count"] + (children["reports"] or 0)
        row.latest_end = _latest(own["latest"], children["latest"])
        row.organisations_below = children["count"] + (children["below"] or 0)
        row.save()


def _refresh_parent(parent_id: int) -> None:
    """Recompute the period and indicator statistics of the organisations below ``parent``."""
    PeriodStats.objects.filter(parent_id=parent_id).delete()
    IndicatorParentStats.objects.filter(parent_id=parent_id).delete()
    reports = Report.objects.filter(organisation__parent_id=parent_id, status=Status.APPROVED)
    figures = published_figures().filter(report__organisation__parent_id=parent_id)
    by_period = {
        (row["period_start"], row["period_end"]): row["count"]
        for row in reports.values("period_start", "period_end").annotate(count=Count("pk"))
    }
    figure_counts = {
        (row["period_start"], row["period_end"]): row["count"]
        for row in figures.values("period_start", "period_end").annotate(count=Count("pk"))
    }
    PeriodStats.objects.bulk_create(
        PeriodStats(
            parent_id=parent_id,
            period_start=start,
            period_end=end,
            reports=count,
            figures=figure_counts.get((start, end), 0),
        )
        for (start, end), count in by_period.items()
    )
    IndicatorParentStats.objects.bulk_create(
        IndicatorParentStats(indicator_id=row["indicator_id"], parent_id=parent_id, figures=count)
        for row in figures.values("indicator_id").annotate(count=Count("pk"))
        if (count := row["count"])
    )


@transaction.atomic
def organisation_added(organisation_id: int) -> None:
    """A new organisation: its statistics, and one more organisation below its ancestors."""
    _refresh(_lock_chain(organisation_id))


@transaction.atomic
def organisation_moved(organisation_id: int, former_parent_id: int | None) -> None:
    """An organisation moved with everything below it: recompute both ancestor chains and the
    statistics of the old and the new parent."""
    new_parent_id = Organisation.objects.values_list("parent_id", flat=True).get(pk=organisation_id)
    ids = [organisation_id] + ([former_parent_id] if former_parent_id else [])
    rows = _lock_chain(*ids)
    if former_parent_id:
        _refresh([row for row in rows if row.pk in set(_ancestor_ids(former_parent_id))])
    _refresh([row for row in rows if row.pk in set(_ancestor_ids(organisation_id))])
    _refill_recent([row.pk for row in rows if row.pk != organisation_id])
    for parent_id in {former_parent_id, new_parent_id} - {None}:
        _refresh_parent(parent_id)


@transaction.atomic
def organisation_activity_changed(organisation_id: int) -> None:
    """An organisation was deactivated or activated again: one fewer or one more organisation
    below its ancestors."""
    _refresh(_lock_chain(organisation_id))


@transaction.atomic
def organisation_removed(parent_id: int) -> None:
    """An organisation (without reports or children: the tree protects those) was deleted."""
    _refresh(_lock_chain(parent_id))


def _ancestor_ids(organisation_id: int) -> list[int]:
    return list(
        OrganisationAncestry.objects.filter(descendant_id=organisation_id).values_list(
            "ancestor_id", flat=True
        )
    )


def _create(model, rows: Iterable) -> int:
    batch: list = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    model.objects.bulk_create(batch)
    return count + len(batch)


@transaction.atomic
def rebuild() -> dict[str, int]:
    """Recompute every summary table from the reports and figures, and move the publication
    state on."""
    for model in SUMMARIES:
        model.objects.all().delete()

    approved = Report.objects.filter(status=Status.APPROVED)
    subtree = {
        row["organisation__ancestor_links__ancestor_id"]: row
        for row in approved.values("organisation__ancestor_links__ancestor_id").annotate(
            count=Count("pk"), latest=Max("period_end")
        )
    }
    # Active organisations below (a deactivated one is no longer counted; those below it are).
    below = dict(
        OrganisationAncestry.objects.filter(depth__gt=0, descendant__is_active=True)
        .values("ancestor_id")
        .annotate(count=Count("pk"))
        .values_list("ancestor_id", "count")
    )
    organisations = _create(
        OrganisationStats,
        (
            OrganisationStats(
                organisation_id=pk,
                reports=subtree[pk]["count"] if pk in subtree else 0,
                latest_end=subtree[pk]["latest"] if pk in subtree else None,
                organisations_below=below.get(pk, 0),
            )
            for pk in Organisation.objects.values_list("pk", flat=True).iterator()
        ),
    )

    figures = published_figures()
    figure_counts = {
        (row["report__organisation__parent_id"], row["period_start"], row["period_end"]): row[
            "count"
        ]
        for row in figures.filter(report__organisation__parent__isnull=False)
        .values("report__organisation__parent_id", "period_start", "period_end")
        .annotate(count=Count("pk"))
        .order_by()
    }
    periods = _create(
        PeriodStats,
        (
            PeriodStats(
                parent_id=row["organisation__parent_id"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                reports=row["count"],
                figures=figure_counts.get(
                    (row["organisation__parent_id"], row["period_start"], row["period_end"]), 0
                ),
            )
            for row in approved.filter(organisation__parent__isnull=False)
            .values("organisation__parent_id", "period_start", "period_end")
            .annotate(count=Count("pk"))
            .order_by()
        ),
    )

    by_parent = list(
        figures.filter(report__organisation__parent__isnull=False)
        .values("indicator_id", "report__organisation__parent_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    indicator_parents = _create(
        IndicatorParentStats,
        (
            IndicatorParentStats(
                indicator_id=row["indicator_id"],
                parent_id=row["report__organisation__parent_id"],
                figures=row["count"],
            )
            for row in by_parent
        ),
    )
    totals: dict[int, int] = {}
    for row in by_parent:
        totals[row["indicator_id"]] = totals.get(row["indicator_id"], 0) + row["count"]
    for row in (
        figures.filter(report__organisation__parent__isnull=True)
        .values("indicator_id")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        totals[row["indicator_id"]] = totals.get(row["indicator_id"], 0) + row["count"]
    indicators = _create(
        IndicatorStats,
        (IndicatorStats(indicator_id=pk, figures=count) for pk, count in totals.items()),
    )
    recent = _create(
        RecentApproval,
        (
            RecentApproval(
                organisation_id=row["organisation__ancestor_links__ancestor_id"],
                report_id=row["pk"],
                approved_at=row["approved_at"],
            )
            for row in approved.annotate(
                rank=Window(
                    RowNumber(),
                    partition_by="organisation__ancestor_links__ancestor_id",
                    order_by=["-approved_at", "-pk"],
                )
            )
            .filter(rank__lte=RecentApproval.KEEP)
            .values("organisation__ancestor_links__ancestor_id", "pk", "approved_at")
            .iterator(chunk_size=BATCH)
        ),
    )
    if connection.vendor == "postgresql":
        # The planner needs to know the new rows, or it scans whole tables for one row.
        with connection.cursor() as cursor:
            for model in SUMMARIES:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    # What the public pages read has been recomputed: cached pages and what each process keeps
    # per publication state (the catalogue, the organisations and periods below) are stale.
    Publication.bump()
    return {
        "organisations": organisations,
        "recent_approvals": recent,
        "periods": periods,
        "indicator_parents": indicator_parents,
        "indicators": indicators,
    }


def snapshot() -> dict[str, set[tuple]]:
    """Every summary row without ids (rows counted down to zero left out: a rebuild has none)."""
    return {
        "organisations": set(
            OrganisationStats.objects.values_list(
                "organisation_id", "reports", "latest_end", "organisations_below"
            )
        ),
        "periods": {
            row
            for row in PeriodStats.objects.values_list(
                "parent_id", "period_start", "period_end", "reports", "figures"
            )
            if row[3] or row[4]
        },
        "indicator_parents": {
            row
            for row in IndicatorParentStats.objects.values_list(
                "indicator_id", "parent_id", "figures"
            )
            if row[2]
        },
        "indicators": {
            row for row in IndicatorStats.objects.values_list("indicator_id", "figures") if row[1]
        },
        "recent_approvals": set(RecentApproval.objects.values_list("organisation_id", "report_id")),
    }


def differences() -> list[str]:
    """The summaries that differ from a rebuild (which is rolled back)."""
    kept = snapshot()
    with transaction.atomic():
        rebuild()
        rebuilt = snapshot()
        transaction.set_rollback(True)
    return [name for name in kept if kept[name] != rebuilt[name]]


def ensure_built(**kwargs: Any) -> None:
    """After migrating a database that has reports but no summaries yet, build them."""
    if not OrganisationStats.objects.exists() and Organisation.objects.exists():
        rebuild()


# --- receivers ----------------------------------------------------------------------------


@receiver(report_publication_changed)
def _publication_changed(*, report: Report, published: bool, **kwargs: Any) -> None:
    report_published(report, published)


@receiver(organisation_placed)
def _organisation_placed(
    *, organisation: Organisation, created: bool, former_parent_id: int | None, **kwargs: Any
) -> None:
    if created:
        organisation_added(organisation.pk)
    else:
        organisation_moved(organisation.pk, former_parent_id)


@receiver(organisation_activity_set)
def _organisation_activity_set(*, organisation: Organisation, **kwargs: Any) -> None:
    organisation_activity_changed(organisation.pk)


@receiver(post_delete, sender=Organisation)
def _organisation_deleted(*, instance: Organisation, **kwargs: Any) -> None:
    if instance.parent_id and Organisation.objects.filter(pk=instance.parent_id).exists():
        organisation_removed(instance.parent_id)
