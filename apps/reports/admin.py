"""The data-entry and review screens. Every queryset, permission, choice list and action is
scoped through ``apps.reports.access``; every write goes through ``apps.reports.services``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.indicators.numbers import format_count
from apps.organizations.models import Organisation, OrganisationAncestry

from . import access, batches, selectors, services
from .access import Action, ScopedAdminMixin
from .exports import EXPORT_COLUMNS as EXPORT_COLUMNS_LONG
from .exports import XLSX_TYPE, csv_lines, report_template, reports_workbook, value_rows
from .forms import ImportUploadForm, ReportForm, TransitionForm
from .imports import Problem, problems_csv
from .models import (
    AuditEntry,
    AuditKind,
    AuditOrigin,
    Figure,
    Honour,
    ImportBatch,
    ImportKind,
    ImportStatus,
    Initiative,
    PreparedExport,
    Publication,
    Report,
    ReportSection,
    Status,
)

STATUS_COLOURS = {
    Status.DRAFT: "#6e7781",
    Status.SUBMITTED: "#9a6700",
    Status.RETURNED: "#b3261e",
    Status.APPROVED: "#1a7f37",
    "term": "#0b57a4",
    "missing": "#d0d7de",
}


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span class="status-badge status-{}" style="--badge:{}">{}</span>',
        status,
        STATUS_COLOURS.get(status, "#6e7781"),
        label,
    )


# --- inlines: sections, initiatives, honours ---------------------------------------------


class ReportContentInline(admin.options.InlineModelAdmin):
    """Inline content follows its report: editable while the report is, by those who may."""

    extra = 0
    audit_kind: str = ""

    def has_view_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return obj is None or access.can(request.user, Action.VIEW, obj)

    def _may_edit(self, request: HttpRequest, obj: Report | None) -> bool:
        return obj is not None and access.can(request.user, Action.CHANGE, obj)

    def has_add_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return self._may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return self._may_edit(request, obj)


# Django's stacked inline, written in Python (apps/reports/templatetags/admin_fieldsets.py).
STACKED_TEMPLATE = "admin/reports/edit_inline/stacked.html"


class SectionInline(ReportContentInline, admin.StackedInline):
    model = ReportSection
    template = STACKED_TEMPLATE
    audit_kind = AuditKind.SECTION
    fields = [("part", "work_area", "position"), "heading", "body"]


class ReadChoices(BaseChoiceIterator):
    """Choices read once and given to many fields as they are: Django takes an iterator of
    choices without normalising it again for each field (on the bench's 25-initiative report,
    3,328 → 196 calls of Django's normalize_choices a request)."""

    def __init__(self, choices: list[tuple[Any, Any]]) -> None:
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.choices)


class InitiativeFormSet(BaseInlineFormSet):
    """Every initiative links figures of the same report: the picker's options are read once
    for all the forms (and the blank one), not once for each."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        field = form.fields.get("figures")
        if isinstance(field, forms.ModelMultipleChoiceField):
            if not hasattr(self, "_figure_choices"):
                self._figure_choices = ReadChoices(list(field.choices))
            field.choices = self._figure_choices


class InitiativeInline(ReportContentInline, admin.StackedInline):
    model = Initiative
    template = STACKED_TEMPLATE
    audit_kind = AuditKind.INITIATIVE
    fields = [
        ("title", "work_area", "position"),
        "description",
        "participants",
        "figures",
        ("photo", "photo_caption"),
    ]
    filter_horizontal = ["figures"]
    formset = InitiativeFormSet

    def get_queryset(self, request: HttpRequest) -> QuerySet[Initiative]:
        # Each initiative's linked figures, with their indicators (read-only pages name them):
        # one query for all of them instead of two or three for each initiative.
        figures = Figure.objects.select_related("indicator")
        return super().get_queryset(request).prefetch_related(Prefetch("figures", figures))

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "figures":
            match = request.resolver_match
            report_id = match.kwargs.get("object_id") if match else None
            kwargs["queryset"] = Figure.objects.filter(report_id=report_id).select_related(
                "indicator"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HonourInline(ReportContentInline, admin.TabularInline):
    model = Honour
    audit_kind = AuditKind.HONOUR
    fields = ["title", "level", "conferred_by", "recipient", "position"]


class InlineFormSetMedia(helpers.InlineAdminFormSet):
    """An inline whose media is its formset's. Django adds every form's media in turn,
    wrapping each form for the admin and merging the same lists again (~20 ms for a report
    with a dozen initiatives); the forms of one formset have the same widgets, so the sum is
    the formset's own (a test compares the two)."""

    @property
    def media(self) -> forms.Media:
        return self.opts.media + self.formset.media


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, QuerySet | list | tuple):
        return "、".join(str(item) for item in value)
    return str(value)


def inline_changes(request: HttpRequest, report: Report, formset, kind: str) -> list[AuditEntry]:
    """Change records for what an inline formset is about to save."""
    label = str(formset.model._meta.verbose_name)
    entries = []
    deleted = set(formset.deleted_forms)
    for form in formset.forms:
        instance = form.instance
        if form in deleted:
            if instance.pk is not None:
                entries.append(
                    services.record(
                        report,
                        request.user,
                        AuditOrigin.FORM,
                        kind,
                        str(instance.pk),
                        str(instance),
                        "",
                        label=label,
                    )
                )
            continue
        if not form.has_changed():
            continue
        if instance.pk is None:
            title = form.cleaned_data.get("title") or form.cleaned_data.get("heading") or ""
            entries.append(
                services.record(
                    report, request.user, AuditOrigin.FORM, kind, "new", "", title, label=label
                )
            )
            continue
        for name in form.changed_data:
            entries.append(
                services.record(
                    report,
                    request.user,
                    AuditOrigin.FORM,
                    kind,
                    f"{instance.pk}.{name}",
                    _value_text(form.initial.get(name)),
                    _value_text(form.cleaned_data.get(name)),
                    label=f"{label}「{instance}」: {form.fields[name].label}",
                )
            )
    return entries


# --- reports ------------------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ReportForm
    change_form_template = "admin/reports/report/change_form.html"
    list_display = [
        "organisation",
        "period_display",
        "status_display",
        "figure_count",
        "updated_at",
    ]
    list_filter = ["status", "period_end", "organisation__level"]
    search_fields = [
        "organisation__name",
        "organisation__short_name",
        "organisation__code",
        "title",
    ]
    list_select_related = ["organisation"]
    inlines = [SectionInline, InitiativeInline, HonourInline]
    actions = ["submit_selected", "approve_selected", "export_figures", "export_workbook"]

    # Scope and permissions, all from apps.reports.access.

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return (
            access.visible_reports(request.user)
            .select_related("organisation", "organisation__parent")
            .annotate(figure_count=Count("figures"))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return access.can(request.user, Action.VIEW, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.ADD)

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return access.can(request.user, Action.CHANGE, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return access.can(request.user, Action.DELETE, obj)

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.SUBMIT)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.APPROVE)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "organisation":
            kwargs["queryset"] = access.editable_organisations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_autocomplete_fields(self, request: HttpRequest):
        # A clerk chooses among one organisation: a plain, preselected list is clearer.
        return ["organisation"] if request.user.is_superuser else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        organisations = list(access.editable_organisations(request.user)[:2])
        if len(organisations) == 1:
            initial.setdefault("organisation", organisations[0].pk)
        year = timezone.localdate().year - 1
        initial.setdefault("period_start", year)
        initial.setdefault("period_end", year)
        return initial

    def get_inlines(self, request: HttpRequest, obj: Report | None):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj: Report | None = None):
        return [
            (None, {"fields": ["organisation", ("period_start", "period_end"), "title"]}),
            (gettext_lazy("Narrative"), {"fields": ["summary", "plan"]}),
            (
                gettext_lazy("Source"),
                {"fields": ["source_name", "source_document", "note"], "classes": ["collapse"]},
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Report | None = None):
        return ["organisation"] if obj is not None else []

    @admin.display(description=gettext_lazy("period"), ordering="period_end")
    def period_display(self, obj: Report) -> str:
        return obj.period_label

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, obj: Report) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=gettext_lazy("figures"), ordering="figure_count")
    def figure_count(self, obj: Report) -> int:
        return obj.figure_count  # type: ignore[attr-defined]

    # Saving goes through the services (checked, versioned, audited).

    def save_model(self, request: HttpRequest, obj: Report, form: ReportForm, change: bool) -> None:
        if not change:
            services.report_create(user=request.user, report=obj, origin=AuditOrigin.FORM)
            return
        services.report_save(
            report=obj,
            user=request.user,
            figures=form.figure_entries,
            origin=AuditOrigin.FORM,
            expected_version=form.cleaned_data.get("version"),
            confirm_warnings=form.confirmed_keys,
        )

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        entries = inline_changes(request, form.instance, formset, self._kind(formset))
        super().save_formset(request, form, formset, change)
        services.record_changes(entries)

    @staticmethod
    def _kind(formset) -> str:
        return {
            ReportSection: AuditKind.SECTION,
            Initiative: AuditKind.INITIATIVE,
            Honour: AuditKind.HONOUR,
        }[formset.model]

    def delete_model(self, request: HttpRequest, obj: Report) -> None:
        services.report_delete(report=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset:
            services.report_delete(report=report, user=request.user)

    def response_add(self, request: HttpRequest, obj: Report, post_url_continue=None):
        # A new report goes straight to its figures.
        messages.success(request, _("The report was created. Enter its figures below."))
        return HttpResponseRedirect(reverse("admin:reports_report_change", args=[obj.pk]))

    # The change page: figures grid, workflow panel, history.

    def get_inline_formsets(self, request: HttpRequest, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(
            request, formsets, inline_instances, obj
        )
        for inline_admin_formset in inline_admin_formsets:
            inline_admin_formset.__class__ = InlineFormSetMedia
        return inline_admin_formsets

    def render_change_form(
        self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None
    ):
        # The report the form was built from: the workflow panel needs no second query.
        if obj is not None:
            context.update(self.workflow_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_context(self, request: HttpRequest, report: Report) -> dict[str, Any]:
        actions = []
        for action in (Action.SUBMIT, Action.RETURN, Action.APPROVE, Action.REOPEN):
            if access.can(request.user, action, report):
                actions.append(
                    {
                        "action": action.value,
                        "label": TRANSITION_LABELS[action],
                        "url": reverse(
                            "admin:reports_report_transition", args=[report.pk, action.value]
                        ),
                    }
                )
        lock = "" if report.is_editable else report.lock_message()
        return {
            "excel_url": reverse("admin:reports_report_excel", args=[report.pk]),
            "import_url": reverse("admin:reports_report_import", args=[report.pk])
            if access.can(request.user, Action.IMPORT, report)
            else "",
            "report": report,
            "status_badge": status_badge(report.status, report.get_status_display()),
            "workflow_actions": actions,
            "lock_message": lock,
            "status_history": selectors.status_history(report),
            "history_url": reverse("admin:reports_report_history", args=[report.pk]),
            "public_url": reverse("dashboards:report", args=[report.pk])
            if report.is_published
            else "",
        }

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        report = self.get_object(request, object_id)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        entries = report.audit_entries.select_related("user").order_by("-at", "-pk")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Change history: %(report)s") % {"report": report},
            "report": report,
            "entries": entries,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/reports/report/history.html", context)

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="reports_report_transition",
            ),
            path(
                "completeness/",
                self.admin_site.admin_view(self.completeness_view),
                name="reports_report_completeness",
            ),
            path(
                "<path:object_id>/excel/",
                self.admin_site.admin_view(self.template_view),
                name="reports_report_excel",
            ),
            path(
                "<path:object_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="reports_report_import",
            ),
        ]
        return custom + super().get_urls()

    def transition_view(self, request: HttpRequest, object_id: str, action: str):
        report = self.get_object(request, object_id)
        try:
            action = Action(action)
        except ValueError:
            raise PermissionDenied from None
        if action not in services.TRANSITIONS:
            raise PermissionDenied
        decision = access.decide(request.user, action, report)
        change_url = reverse("admin:reports_report_change", args=[report.pk])
        if not decision:
            if decision.about_status:
                messages.error(request, decision.reason)
                return HttpResponseRedirect(change_url)
            raise PermissionDenied(decision.reason)
        form = TransitionForm(request.POST or None, initial={"version": report.version})
        if request.method == "POST" and form.is_valid():
            expected = form.cleaned_data.get("version")
            if expected is not None and expected != report.version:
                messages.error(
                    request,
                    _(
                        "The report changed while you were looking at it. Look at it again "
                        "before you decide."
                    ),
                )
                return HttpResponseRedirect(change_url)
            try:
                services.report_transition(
                    report=report,
                    user=request.user,
                    action=action,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        for item in errors:
                            form.add_error(field if field in form.fields else None, item)
                else:
                    form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("%(report)s: %(done)s.")
                    % {"report": report, "done": services.action_label(action)},
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": TRANSITION_LABELS[action],
            "report": report,
            "form": form,
            "action": action.value,
            "needs_reason": action in services.NEEDS_REASON,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/reports/report/transition.html", context)

    def template_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The report as an Excel workbook to fill in (and the way to export one report)."""
        report = self.get_object(request, object_id)
        response = HttpResponse(report_template(report), content_type=XLSX_TYPE)
        name = f"{report.organisation.code}-{report.period_start}"
        if report.is_term:
            name += f"-{report.period_end}"
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response

    def import_view(self, request: HttpRequest, object_id: str):
        """Upload a filled-in template: checked and previewed first, applied on confirmation."""
        report = self.get_object(request, object_id)
        access.require_or_403(request.user, Action.IMPORT, report)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            batch = batches.batch_create(
                user=request.user,
                upload=form.cleaned_data["file"],
                kind=ImportKind.REPORT,
                report=report,
            )
            batches.start(batch, "check", request.LANGUAGE_CODE)
            return HttpResponseRedirect(
                reverse("admin:reports_importbatch_change", args=[batch.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import figures from Excel: %(report)s") % {"report": report},
            "report": report,
            "form": form,
            "template_url": reverse("admin:reports_report_excel", args=[report.pk]),
            "change_url": reverse("admin:reports_report_change", args=[report.pk]),
        }
        return TemplateResponse(request, "admin/reports/report/import.html", context)

    def completeness_view(self, request: HttpRequest):
        if not (access.can(request.user, Action.APPROVE) or request.user.is_superuser):
            raise PermissionDenied
        reviewable = access.reviewable_organisations(request.user)
        visible = access.visible_organisations(request.user)
        actor = access.actor_for(request.user)
        root_id = request.GET.get("organisation") or actor.organisation_id
        if root_id is None:
            root = Organisation.objects.roots().order_by("code").first()
        else:
            root = get_object_or_404(visible, pk=root_id)
        depth_choice = request.GET.get("levels", "1")
        links = OrganisationAncestry.objects.filter(ancestor=root, depth__gt=0).select_related(
            "descendant"
        )
        if depth_choice != "all":
            links = links.filter(depth=1)
        allowed = set(reviewable.values_list("pk", flat=True))
        organisations = [
            (link.descendant, link.depth)
            for link in links.order_by("depth", "descendant__code")
            if link.descendant_id in allowed
        ]
        years = sorted(
            set(
                Report.objects.yearly()
                .filter(organisation__in=[o for o, _d in organisations])
                .values_list("period_end", flat=True)
            ),
            reverse=True,
        )
        default_year = years[0] if years else timezone.localdate().year - 1
        try:
            year = int(request.GET.get("year", default_year))
        except ValueError:
            year = default_year
        rows = selectors.completeness(organisations, year)
        order = [
            Status.APPROVED,
            Status.SUBMITTED,
            Status.RETURNED,
            Status.DRAFT,
            "term",
            "missing",
        ]
        labels = {
            **{s.value: s.label for s in Status},
            "term": _("covered by a term report"),
            "missing": _("no report"),
        }
        counts = {key: sum(1 for row in rows if row.status == key) for key in order}
        total = len(rows) or 1
        summary = [
            {
                "status": key,
                "label": labels[key],
                "count": counts[key],
                "percent": round(100 * counts[key] / total, 1),
                "colour": STATUS_COLOURS[key],
            }
            for key in order
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Who has reported: %(organisation)s, %(year)s")
            % {"organisation": root.name, "year": year},
            "root": root,
            "year": year,
            "years": sorted(set(years) | {year}, reverse=True),
            "levels": depth_choice,
            "rows": [
                {
                    "row": row,
                    "label": labels[row.status],
                    "badge": status_badge(row.status, labels[row.status]),
                    "url": reverse(
                        "admin:reports_report_change", args=[(row.report or row.term).pk]
                    )
                    if (row.report or row.term)
                    else "",
                }
                for row in rows
            ],
            "summary": summary,
            "roots": visible.filter(
                Q(level__in=["national", "province", "city", "county"])
            ).order_by("code")[:200],
        }
        return TemplateResponse(request, "admin/reports/report/completeness.html", context)

    # Bulk actions: each report goes through the same service, with its own outcome.

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Report], action: Action) -> None:
        done, refused = 0, []
        for report in queryset:
            try:
                services.report_transition(report=report, user=request.user, action=action)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                reason = "; ".join(getattr(error, "messages", [str(error)]))
                refused.append(f"{report}: {reason}")
        if done:
            messages.success(
                request,
                _("%(count)d reports %(done)s.")
                % {"count": done, "done": services.action_label(action)},
            )
        for item in refused:
            messages.warning(request, item)

    @admin.action(
        description=gettext_lazy("Submit the selected reports for review"), permissions=["submit"]
    )
    def submit_selected(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk(request, queryset, Action.SUBMIT)

    @admin.action(description=gettext_lazy("Approve the selected reports"), permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk(request, queryset, Action.APPROVE)

    @admin.action(description=gettext_lazy("Download the figures of the selected reports (CSV)"))
    def export_figures(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse:
        figures = Figure.objects.filter(
            report__in=access.visible_reports(request.user).filter(pk__in=queryset.values("pk"))
        )
        response = StreamingHttpResponse(
            csv_lines(value_rows(figures), bom=True), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="reports-{timezone.localdate():%Y%m%d}.csv"'
        )
        return response

    @admin.action(description=gettext_lazy("Download the figures of the selected reports (Excel)"))
    def export_workbook(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse:
        visible = access.visible_reports(request.user).filter(pk__in=queryset.values("pk"))
        response = HttpResponse(
            reports_workbook(Figure.objects.filter(report__in=visible)), content_type=XLSX_TYPE
        )
        response["Content-Disposition"] = (
            f'attachment; filename="reports-{timezone.localdate():%Y%m%d}.xlsx"'
        )
        return response

    def changelist_view(self, request: HttpRequest, extra_context=None):
        context = {
            **(extra_context or {}),
            "completeness_url": reverse("admin:reports_report_completeness")
            if access.can(request.user, Action.APPROVE)
            else "",
        }
        return super().changelist_view(request, context)


TRANSITION_LABELS = {
    Action.SUBMIT: gettext_lazy("Submit for review"),
    Action.RETURN: gettext_lazy("Return for correction"),
    Action.APPROVE: gettext_lazy("Approve"),
    Action.REOPEN: gettext_lazy("Reopen"),
}


# --- figures and the audit trail ----------------------------------------------------------


@admin.register(Figure)
class FigureAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """All figures in one list, to search and filter across the reports one may see. A figure's
    period and source sentence are edited here; values usually in the report's own form."""

    list_display = ["indicator", "display_value", "report", "period_start", "period_end"]
    list_filter = ["report__status", "indicator__work_area", "qualifier", "period_end"]
    search_fields = ["indicator__name", "indicator__code", "report__organisation__name", "source"]
    list_select_related = ["indicator", "report__organisation"]
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Figure]:
        return Figure.objects.filter(
            report__in=access.visible_reports(request.user)
        ).select_related("indicator", "report__organisation__parent")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Figure | None = None) -> bool:
        return access.can(request.user, Action.VIEW, obj.report if obj else None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # figures are added in their report's form

    def has_change_permission(self, request: HttpRequest, obj: Figure | None = None) -> bool:
        if obj is not None and obj.is_computed:
            return False
        return access.can(request.user, Action.CHANGE, obj.report if obj else None)

    def has_delete_permission(self, request: HttpRequest, obj: Figure | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Figure | None = None):
        return ["report", "indicator"]

    @admin.display(description=gettext_lazy("value"), ordering="value")
    def display_value(self, obj: Figure) -> str:
        return obj.display

    def save_model(self, request: HttpRequest, obj: Figure, form, change: bool) -> None:
        services.report_set_figures(
            report=obj.report,
            user=request.user,
            figures={
                obj.indicator.code: services.FigureInput(
                    obj.value,
                    obj.qualifier,
                    obj.note,
                    (obj.period_start, obj.period_end),
                    obj.source,
                )
            },
            origin=AuditOrigin.FORM,
            confirm_warnings=True,
        )

    def delete_model(self, request: HttpRequest, obj: Figure) -> None:
        services.report_set_figures(
            report=obj.report,
            user=request.user,
            figures={obj.indicator.code: None},
            origin=AuditOrigin.FORM,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Figure]) -> None:
        for figure in queryset.select_related("report", "indicator"):
            self.delete_model(request, figure)


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The change records of the reports one may see; nobody can alter them."""

    list_display = [
        "at",
        "report",
        "kind",
        "label_or_field",
        "old_value",
        "new_value",
        "user",
        "origin",
    ]
    list_filter = ["kind", "origin", "at"]
    search_fields = [
        "report__organisation__name",
        "label",
        "field",
        "old_value",
        "new_value",
        "reason",
    ]
    list_select_related = ["report__organisation", "user"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(report__in=access.visible_reports(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.VIEW)

    def has_view_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return access.can(request.user, Action.VIEW, obj.report if obj else None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("field"), ordering="field")
    def label_or_field(self, obj: AuditEntry) -> str:
        return obj.label or obj.field


# --- imports ------------------------------------------------------------------------------


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Files coming in: upload (the long format here; a report's template from its page), see
    the check's progress, preview what would change, confirm, download the error report."""

    list_display = ["created_at", "filename", "kind", "status", "user", "rows_display"]
    list_filter = ["kind", "status"]
    list_select_related = ["user", "report__organisation"]
    change_form_template = "admin/reports/importbatch/detail.html"
    add_form_template = "admin/reports/importbatch/upload.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportBatch]:
        batches_ = super().get_queryset(request)
        return batches_ if request.user.is_superuser else batches_.filter(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.IMPORT)

    def has_view_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return access.can(request.user, Action.IMPORT)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The long format: administrators and reviewers (clerks fill their report's template).
        actor = access.actor_for(request.user)
        return actor.is_admin or actor.role == "reviewer"

    def has_change_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=gettext_lazy("rows"))
    def rows_display(self, obj: ImportBatch) -> str:
        return f"{obj.processed_rows}/{obj.total_rows}" if obj.total_rows else "—"

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            batch = batches.batch_create(
                user=request.user, upload=form.cleaned_data["file"], kind=ImportKind.VALUES
            )
            batches.start(batch, "check", request.LANGUAGE_CODE)
            return HttpResponseRedirect(
                reverse("admin:reports_importbatch_change", args=[batch.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import figures of many reports"),
            "form": form,
            "columns": ", ".join(EXPORT_COLUMNS_LONG),
            "export_url": reverse("dashboards:export_values_csv"),
        }
        return TemplateResponse(request, self.add_form_template, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        batch = self.get_object(request, object_id)
        counts = batch.summary or {}
        shares = []
        total = sum(counts.get(k, 0) for k in ("new", "changed", "unchanged", "removed")) or 1
        for key, label, colour in [
            ("new", _("new"), "#1a7f37"),
            ("changed", _("changed"), "#9a6700"),
            ("removed", _("removed"), "#b3261e"),
            ("unchanged", _("unchanged"), "#8c959f"),
        ]:
            shares.append(
                {
                    "key": key,
                    "label": label,
                    "count": counts.get(key, 0),
                    "percent": round(100 * counts.get(key, 0) / total, 1),
                    "colour": colour,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(batch),
            "batch": batch,
            "shares": shares,
            "progress_url": reverse("admin:reports_importbatch_progress", args=[batch.pk]),
            "confirm_url": reverse("admin:reports_importbatch_confirm", args=[batch.pk]),
            "errors_url": reverse("admin:reports_importbatch_errors", args=[batch.pk]),
            "report_url": reverse("admin:reports_report_change", args=[batch.report_id])
            if batch.report_id
            else "",
            "can_confirm": batch.status == ImportStatus.READY
            and counts.get("new", 0) + counts.get("changed", 0) + counts.get("removed", 0) > 0,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="reports_importbatch_progress",
            ),
            path(
                "<path:object_id>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="reports_importbatch_confirm",
            ),
            path(
                "<path:object_id>/errors.csv",
                self.admin_site.admin_view(self.errors_view),
                name="reports_importbatch_errors",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        batch = self.get_object(request, object_id)
        return JsonResponse(
            {
                "status": batch.status,
                "status_label": batch.get_status_display(),
                "progress": batch.progress,
                "rows": batch.total_rows,
                "checked": batch.processed_rows,
                "finished": batch.is_finished,
            }
        )

    def confirm_view(self, request: HttpRequest, object_id: str):
        batch = self.get_object(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:reports_importbatch_change", args=[batch.pk])
            )
        if batch.status != ImportStatus.READY or batch.user_id != request.user.pk:
            raise PermissionDenied(_("Only the person who uploaded a checked file can confirm it."))
        batches.start(batch, "apply", request.LANGUAGE_CODE)
        return HttpResponseRedirect(reverse("admin:reports_importbatch_change", args=[batch.pk]))

    def errors_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        batch = self.get_object(request, object_id)
        problems = [Problem(**p) for p in batch.errors + batch.warnings]
        response = HttpResponse(problems_csv(problems), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-problems.csv"'
        return response


# --- the prepared file of every figure -------------------------------------------------------


@admin.register(PreparedExport)
class PreparedExportAdmin(admin.ModelAdmin):
    """What ``prepare_export`` (cron) wrote, for administrators: whether the file the site
    serves holds what is published now. Read-only: the command writes and removes them."""

    list_display = ["built_at", "version", "is_current", "figures_display", "size_display"]
    ordering = ["-version", "-built_at", "-pk"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: PreparedExport | None = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PreparedExport | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PreparedExport | None = None
    ) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": _(
                "Written by “python manage.py prepare_export” (run it from cron) when there are "
                "more than %(limit)s published figures; the site serves the newest as the "
                "download of all figures. Current publication version: %(version)s."
            )
            % {
                "limit": format_count(settings.EXPORT_ON_REQUEST_MAX_FIGURES),
                "version": Publication.current().version,
            },
        }
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PreparedExport]:
        # Whether each holds the current version, in the list's own query (not one per row).
        version = Publication.current().version
        return (
            super()
            .get_queryset(request)
            .annotate(
                holds_current=ExpressionWrapper(
                    Q(version__gte=version), output_field=BooleanField()
                )
            )
        )

    @admin.display(
        description=gettext_lazy("holds what is published now"),
        boolean=True,
        ordering="holds_current",
    )
    def is_current(self, obj: PreparedExport) -> bool:
        return obj.holds_current

    @admin.display(description=gettext_lazy("figures"), ordering="figures")
    def figures_display(self, obj: PreparedExport) -> str:
        return format_count(obj.figures)

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def size_display(self, obj: PreparedExport) -> str:
        return filesizeformat(obj.size)
