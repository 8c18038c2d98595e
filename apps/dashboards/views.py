"""Public pages: approved data only, no sign-in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.reports.exports import csv_lines, value_rows, write_xlsx

from . import selectors

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboards/home.html",
        {
            "tree": selectors.organisation_tree_with_reports(),
            "latest": selectors.latest_published_reports(),
        },
    )


def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.published_report(pk)
    return render(
        request,
        "dashboards/report_detail.html",
        {"report": report, "areas": selectors.report_figures_by_area(report)},
    )


def _export_name(extension: str) -> str:
    return f"unionreports-values-{timezone.localdate():%Y%m%d}.{extension}"


def export_values_csv(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(value_rows(), bom=True), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


def export_values_xlsx(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    write_xlsx(value_rows(), response)
    return response
