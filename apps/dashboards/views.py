"""Public pages and their read API: approved data only, no sign-in, no cookies.

Each page has a builder (filters → selector result); the HTML view renders it, the API view
returns it as JSON, and ``?download=<table>&format=csv|xlsx`` returns any of its tables as shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.indicators.choices import WorkArea
from apps.indicators.numbers import format_count
from apps.reports.exports import (
    XLSX_TYPE,
    csv_lines,
    prepared_export,
    value_rows,
    workbook_refused_on_request,
    write_xlsx,
    written_on_request,
)

from . import selectors
from .caching import public_page
from .filters import (
    CompareFilter,
    IndicatorFilter,
    OverviewFilter,
    organisation_with_path,
    published_figures,
)
from .tables import Table, table_csv, table_xlsx


class InvalidFilters(Exception):
    def __init__(self, filterset):
        self.filterset = filterset
        super().__init__(dict(filterset.errors))


def _valid(filterset):
    if not filterset.is_valid():
        raise InvalidFilters(filterset)
    return filterset


# --- builders: request → result ------------------------------------------------------------


def build_overview(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    filterset = _valid(OverviewFilter(request.GET, queryset=published_figures()))
    organisation = filterset.form.cleaned_data.get("organisation") or selectors.root_organisation()
    if organisation is None:
        raise Http404(_("There are no organisations yet."))
    return selectors.overview(organisation), {"filterset": filterset}


def _with_parent(request: HttpRequest, default: Callable[[], str | None]):
    """The request's filters, with the default parent when the URL names none."""
    data = request.GET.copy()
    if not data.get("parent"):
        code = default()
        if code is None:
            raise Http404(_("There are no organisations yet."))
        data["parent"] = code
    return data


def build_compare(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    data = _with_parent(request, selectors.default_compare_parent)
    filterset = _valid(CompareFilter(data, queryset=published_figures()))
    cleaned = filterset.form.cleaned_data
    result = selectors.compare(
        cleaned["parent"],
        cleaned.get("period"),
        cleaned.get("area") or "",
        cleaned.get("per") or "",
    )
    return result, {"filterset": filterset, "areas": WorkArea.choices}


def build_indicator(request: HttpRequest, code: str) -> tuple[Any, dict[str, Any]]:
    indicator = selectors.active_indicator(code)
    data = _with_parent(request, lambda: selectors.default_indicator_parent(indicator))
    filterset = _valid(IndicatorFilter(data, queryset=published_figures()))
    cleaned = filterset.form.cleaned_data
    result = selectors.indicator_view(indicator, cleaned["parent"], cleaned.get("period"))
    return result, {
        "filterset": filterset,
        "parts": selectors.indicator_parts(indicator),
    }


def build_organisation(request: HttpRequest, code: str) -> tuple[Any, dict[str, Any]]:
    organisation = organisation_with_path(code)
    if organisation is None:
        raise Http404
    return selectors.profile(organisation), {}


class ReportResult:
    def __init__(self, report, areas):
        self.report, self.areas = report, areas

    @cached_property
    def table(self) -> Table:
        """The figures as one table, for downloads and the API (the page writes its own)."""
        return selectors.report_table(self.report, self.areas)

    @property
    def tables(self) -> dict[str, Table]:
        return {self.table.key: self.table}

    def as_json(self) -> dict[str, Any]:
        report = self.report
        return {
            "id": report.pk,
            "organisation": selectors.organisation_json(report.organisation),
            "period": {
                "start": report.period_start,
                "end": report.period_end,
                "term": report.is_term,
            },
            "title": report.title,
            "summary": report.summary,
            "plan": report.plan,
            "note": report.note,
            "source": report.source_name,
            "approved_at": report.approved_at.isoformat() if report.approved_at else None,
            "sections": [
                {"part": s.part, "work_area": s.work_area, "heading": s.heading, "text": s.body}
                for s in report.section_list
            ],
            "initiatives": [
                {
                    "title": i.title,
                    "work_area": i.work_area,
                    "description": i.description,
                    "participants": i.participants,
                    "figures": [f.indicator.code for f in i.figure_list],
                }
                for i in report.initiative_list
            ],
            "honours": [
                {
                    "title": h.title,
                    "level": h.level,
                    "conferred_by": h.conferred_by,
                    "recipient": h.recipient,
                }
                for h in report.honour_list
            ],
            "tables": {self.table.key: self.table.as_json()},
        }


def build_report(request: HttpRequest, pk: int) -> tuple[Any, dict[str, Any]]:
    report = selectors.published_report(pk)
    areas = selectors.report_figures_by_area(report)
    return ReportResult(report, areas), {}


# --- rendering ------------------------------------------------------------------------------


def _download(table: Table, fmt: str) -> HttpResponse:
    name = slugify(table.key) or "table"
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(table_xlsx(table), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    elif fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    else:
        raise Http404
    return response


def _page(
    request: HttpRequest,
    builder: Callable[..., tuple[Any, dict[str, Any]]],
    template: str,
    **kwargs: Any,
) -> HttpResponse:
    try:
        result, extra = builder(request, **kwargs)
    except InvalidFilters as error:
        return TemplateResponse(
            request, "dashboards/invalid.html", {"errors": error.filterset.errors}, status=400
        )
    key = request.GET.get("download")
    if key:
        table = result.tables.get(key)
        if table is None:
            raise Http404
        return _download(table, request.GET.get("format", "csv"))
    return TemplateResponse(request, template, {"view": result, **extra})


def _api(
    request: HttpRequest, builder: Callable[..., tuple[Any, dict[str, Any]]], **kwargs: Any
) -> JsonResponse:
    try:
        result, _extra = builder(request, **kwargs)
    except InvalidFilters as error:
        return JsonResponse({"errors": error.filterset.errors.get_json_data()}, status=400)
    except Http404 as error:
        return JsonResponse({"errors": {"__all__": [{"message": str(error)}]}}, status=404)
    return JsonResponse(result.as_json(), json_dumps_params={"ensure_ascii": False})


@public_page
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request, build_overview, "dashboards/overview.html")


@public_page
def compare(request: HttpRequest) -> HttpResponse:
    return _page(request, build_compare, "dashboards/compare.html")


@public_page
def indicator_index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "dashboards/indicator_index.html", {"groups": selectors.catalogue_by_area()}
    )


@public_page
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, build_indicator, "dashboards/indicator.html", code=code)


@public_page
def organisation(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, build_organisation, "dashboards/organisation.html", code=code)


@public_page
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, build_report, "dashboards/report_detail.html", pk=pk)


@public_page
def api_index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "dashboards/api.html", {})


@public_page
def api_overview(request: HttpRequest) -> JsonResponse:
    return _api(request, build_overview)


@public_page
def api_compare(request: HttpRequest) -> JsonResponse:
    return _api(request, build_compare)


@public_page
def api_indicator(request: HttpRequest, code: str) -> JsonResponse:
    return _api(request, build_indicator, code=code)


@public_page
def api_organisation(request: HttpRequest, code: str) -> JsonResponse:
    return _api(request, build_organisation, code=code)


@public_page
def api_report(request: HttpRequest, pk: int) -> JsonResponse:
    return _api(request, build_report, pk=pk)


@public_page
def api_indicators(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"indicators": [selectors.indicator_json(i) for i in selectors.active_catalogue()]},
        json_dumps_params={"ensure_ascii": False},
    )


# --- the full export -------------------------------------------------------------------------


def _export_name(extension: str) -> str:
    return f"unionreports-values-{timezone.localdate():%Y%m%d}.{extension}"


def export_values_csv(request: HttpRequest) -> HttpResponse:
    count = selectors.published_figure_count()
    if not written_on_request(count):
        return _prepared_export(request, count)
    response = StreamingHttpResponse(
        csv_lines(value_rows(), bom=True), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


def _prepared_export(request: HttpRequest, count: int) -> HttpResponse:
    """Too many figures to write while someone waits (minutes of database and worker time at
    national scale): the file prepare_export wrote, as of the time in its name."""
    export = prepared_export()
    if export is None:
        response: HttpResponse = TemplateResponse(
            request,
            "dashboards/export_unavailable.html",
            {"count": format_count(count)},
            status=503,
        )
        response["Retry-After"] = "3600"
        return response
    stamp = timezone.localtime(export.built_at)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"unionreports-values-{stamp:%Y%m%d-%H%M}.zip",
        content_type="application/zip",
    )
    response["Last-Modified"] = http_date(export.built_at.timestamp())
    return response


def export_values_xlsx(request: HttpRequest) -> HttpResponse:
    # At national scale the data outgrows a worksheet, and long before that a workbook takes
    # too long to write on request: say so at once.
    refused = workbook_refused_on_request(selectors.published_figure_count())
    if refused:
        return TemplateResponse(
            request, "dashboards/invalid.html", {"errors": {"format": [refused]}}, status=400
        )
    response = HttpResponse(content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    write_xlsx(value_rows(), response)
    return response
