from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Figure, Honour, Initiative, Report, ReportSection
from .services import report_compute_rates


class FigureInline(admin.TabularInline):
    model = Figure
    extra = 0
    autocomplete_fields = ["indicator"]
    fields = ["indicator", "value", "qualifier", "period_start", "period_end", "note", "source"]
    readonly_fields: list[str] = []
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Figure]:
        return super().get_queryset(request).select_related("indicator")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "source" and field is not None:
            field.widget.attrs.update({"rows": 2, "cols": 40})
        return field


class SectionInline(admin.StackedInline):
    model = ReportSection
    extra = 0
    fields = [("part", "work_area", "position"), "heading", "body"]


class InitiativeInline(admin.StackedInline):
    model = Initiative
    extra = 0
    fields = [
        ("title", "work_area", "position"),
        "description",
        "participants",
        "figures",
        ("photo", "photo_caption"),
    ]
    filter_horizontal = ["figures"]

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "figures":
            report_id = (
                request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            )
            kwargs["queryset"] = Figure.objects.filter(report_id=report_id).select_related(
                "indicator"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HonourInline(admin.TabularInline):
    model = Honour
    extra = 0
    fields = ["title", "level", "conferred_by", "recipient", "position"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["organisation", "period_display", "status", "figure_count", "updated_at"]
    list_filter = ["status", "period_end", "organisation__level"]
    search_fields = [
        "organisation__name",
        "organisation__short_name",
        "organisation__code",
        "title",
    ]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    date_hierarchy = None
    readonly_fields = ["approved_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["organisation", ("period_start", "period_end"), "status", "title"]}),
        (_("Narrative"), {"fields": ["summary", "plan"]}),
        (_("Source"), {"fields": ["source_name", "source_document", "note"]}),
        (_("Record"), {"fields": ["approved_at", "created_at", "updated_at"]}),
    ]
    inlines = [FigureInline, SectionInline, InitiativeInline, HonourInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).annotate(figure_count=Count("figures"))

    @admin.display(description=_("period"), ordering="period_end")
    def period_display(self, obj: Report) -> str:
        return obj.period_label

    @admin.display(description=_("figures"), ordering="figure_count")
    def figure_count(self, obj: Report) -> int:
        return obj.figure_count  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        report_compute_rates(report=form.instance)


@admin.register(Figure)
class FigureAdmin(admin.ModelAdmin):
    """All figures in one list, to search and filter across reports."""

    list_display = ["indicator", "display_value", "report", "period_start", "period_end"]
    list_filter = ["report__status", "indicator__work_area", "qualifier", "period_end"]
    search_fields = ["indicator__name", "indicator__code", "report__organisation__name", "source"]
    list_select_related = ["indicator", "report__organisation"]
    autocomplete_fields = ["report", "indicator"]
    fields = [
        "report",
        "indicator",
        "value",
        "qualifier",
        "period_start",
        "period_end",
        "note",
        "source",
    ]

    @admin.display(description=_("value"), ordering="value")
    def display_value(self, obj: Figure) -> str:
        return obj.display

    def save_model(self, request: HttpRequest, obj: Figure, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        report_compute_rates(report=obj.report)

    def delete_model(self, request: HttpRequest, obj: Figure) -> None:
        report = obj.report
        super().delete_model(request, obj)
        report_compute_rates(report=report)
