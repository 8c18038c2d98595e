"""Summary tables of the public side, kept in step with approvals (apps.dashboards.stats).

At national scale (33,000 organisations, 30 million figures) a few questions the public pages ask
on every view would each read millions of rows: how many approved reports lie below each
organisation, which parent has the most comparable reports, how many figures each indicator
has. These tables hold the answers. Every approval and reopening updates them in the same
transaction, so they are never behind what the pages show; ``stats.rebuild()`` recomputes them
from scratch (after bulk loads), and the tests check that both ways agree.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.indicators.models import Indicator
from apps.organizations.models import Organisation
from apps.reports.models import Report


class OrganisationStats(models.Model):
    """An organisation's subtree (itself included): its approved reports and how many
    organisations lie below it."""

    organisation = models.OneToOneField(
        Organisation, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    reports = models.PositiveIntegerField(_("approved reports, with those below"), default=0)
    latest_end = models.PositiveSmallIntegerField(_("latest period end"), null=True)
    organisations_below = models.PositiveIntegerField(_("organisations below"), default=0)

    class Meta:
        verbose_name = _("organisation statistics")
        verbose_name_plural = _("organisation statistics")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.reports}"


class PeriodStats(models.Model):
    """The approved reports of the organisations directly below ``parent`` for one period, and
    how many published figures they hold."""

    parent = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField()
    reports = models.PositiveIntegerField(default=0)
    figures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("period statistics")
        verbose_name_plural = _("period statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "period_start", "period_end"], name="period_stats_unique"
            ),
        ]
        indexes = [
            # The default comparison: the parent and period with the most reports.
            models.Index(
                fields=["-reports", "-figures", "-period_end"],
                name="period_stats_most",
                condition=Q(reports__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} {self.period_start}-{self.period_end}: {self.reports}"


class IndicatorStats(models.Model):
    """How many published figures an indicator has, in all."""

    indicator = models.OneToOneField(
        Indicator, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    figures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator statistics")
        verbose_name_plural = _("indicator statistics")

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.figures}"


class IndicatorParentStats(models.Model):
    """How many published figures of an indicator the organisations directly below ``parent``
    have (over all periods): where the indicator is best compared."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    figures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator statistics by parent")
        verbose_name_plural = _("indicator statistics by parent")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "parent"], name="indicator_parent_stats_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "-figures"], name="indicator_parent_most"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.parent_id}: {self.figures}"


class RecentApproval(models.Model):
    """The latest approved reports in an organisation's subtree (itself included), at most
    ``KEEP`` of them: the overview lists them. Read from the approval-time index instead, a
    federation whose reports were all approved long ago would scan every later approval."""

    KEEP = 8

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    approved_at = models.DateTimeField()

    class Meta:
        verbose_name = _("recent approval")
        verbose_name_plural = _("recent approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "report"], name="recent_approval_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "-approved_at", "-report"], name="recent_approval_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.report_id}"
