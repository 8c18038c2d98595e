"""Reads for the public pages. Everything here is published data only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from apps.indicators.choices import WorkArea
from apps.organizations.models import Organisation
from apps.reports.models import Figure, Initiative, Report


@dataclass
class TreeNode:
    organisation: Organisation
    depth: int
    reports: list[Report] = field(default_factory=list)


def organisation_tree_with_reports() -> list[TreeNode]:
    """Organisations in tree order (depth first), each with its approved reports, newest first.

    Two queries whatever the size of the tree: organisations with their depth, and reports.
    """
    organisations = list(Organisation.objects.active().order_by("code"))
    children: dict[int | None, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        children[organisation.parent_id].append(organisation)
    reports: dict[int, list[Report]] = defaultdict(list)
    for report in Report.objects.published().order_by("-period_end", "-period_start"):
        reports[report.organisation_id].append(report)

    known = {o.pk for o in organisations}
    roots = [o for o in organisations if o.parent_id is None or o.parent_id not in known]
    nodes: list[TreeNode] = []

    def walk(organisation: Organisation, level: int) -> None:
        nodes.append(TreeNode(organisation, level, reports.get(organisation.pk, [])))
        for child in children.get(organisation.pk, []):
            walk(child, level + 1)

    for root in roots:
        walk(root, 0)
    return nodes


def latest_published_reports(limit: int = 10) -> list[Report]:
    return list(
        Report.objects.published()
        .select_related("organisation")
        .order_by("-approved_at", "-pk")[:limit]
    )


@dataclass
class AreaFigures:
    work_area: str
    label: str
    figures: list[Figure]


def published_report(pk: int) -> Report:
    """An approved report with everything its page shows; 404 for anything unpublished."""
    return get_object_or_404(
        Report.objects.published()
        .select_related("organisation", "organisation__parent")
        .prefetch_related(
            "sections",
            "honours",
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.prefetch_related(
                    Prefetch("figures", queryset=Figure.objects.select_related("indicator"))
                ),
            ),
        ),
        pk=pk,
    )


def report_figures_by_area(report: Report) -> list[AreaFigures]:
    figures = list(
        report.figures.select_related("indicator").order_by(
            "indicator__position", "indicator__code"
        )
    )
    order = {value: index for index, value in enumerate(WorkArea.values)}
    figures.sort(key=lambda f: (order[f.indicator.work_area], f.indicator.position))
    return [
        AreaFigures(area, WorkArea(area).label, list(items))
        for area, items in groupby(figures, key=lambda f: f.indicator.work_area)
    ]
