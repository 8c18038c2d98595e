"""The long-format export of published figures: one row per figure of an approved report.

The same rows feed the ``export_values`` command and the site's download, as CSV or XLSX.
Values are plain numbers in the indicator's unit (31800, not 3.18万); the qualifier is its
stable code (exact, more, at_least, nearly, about).
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from apps.indicators.numbers import format_count, plain

from .models import Figure, PreparedExport, Publication

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPORT_COLUMNS = [
    "org_code",
    "org_name",
    "period_start",
    "period_end",
    "indicator_code",
    "indicator_name",
    "value",
    "qualifier",
    "unit",
    "source",
]


def qualifier_number_format(value: Decimal | None, qualifier: str, unit: str) -> str:
    """An Excel number format that shows a figure as the pages do (390+, 近40,000, ≥96%), so the
    cell stays a number Excel can sum."""
    places = 0
    if value is not None:
        exponent = value.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    number = "#,##0" + ("." + "0" * places if places else "")
    if unit == "%":
        number += '"%"'
    prefix, suffix = {
        "more": ("", '"+"'),
        "at_least": ('"≥"', ""),
        "nearly": ('"近"', ""),
        "about": ('"约"', ""),
    }.get(qualifier, ("", ""))
    if unit == "%" and qualifier == "more":
        prefix, suffix = '"≥"', ""
    return f"{prefix}{number}{suffix}"


def published_figures() -> QuerySet[Figure]:
    return Figure.objects.published()


def value_rows(figures: QuerySet[Figure] | None = None) -> Iterator[list[str | int]]:
    """Rows of ``EXPORT_COLUMNS`` for ``figures`` (all published figures by default)."""
    figures = published_figures() if figures is None else figures
    rows = figures.order_by(
        "report__organisation__code",
        "period_start",
        "period_end",
        "indicator__position",
        "indicator__code",
    ).values_list(
        "report__organisation__code",
        "report__organisation__name",
        "period_start",
        "period_end",
        "indicator__code",
        "indicator__name",
        "value",
        "qualifier",
        "indicator__unit",
        "source",
    )
    for row in rows.iterator(chunk_size=2000):
        values = list(row)
        values[6] = plain(values[6])
        yield values


class _Echo:
    """A file-like object that hands back what is written (for streaming responses)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str | int]], *, bom: bool = False) -> Iterator[str]:
    """CSV text line by line, header first. ``bom`` adds the byte-order mark that makes Excel
    open UTF-8 files with Chinese text correctly."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    header = writer.writerow(EXPORT_COLUMNS)
    yield ("\ufeff" + header) if bom else header
    for row in rows:
        yield writer.writerow(row)


def write_csv(rows: Iterable[list[str | int]], stream: IO[str], *, bom: bool = False) -> int:
    lines = 0
    for line in csv_lines(rows, bom=bom):
        stream.write(line)
        lines += 1
    return lines - 1  # the header is not a figure


# --- the file of every figure, prepared ahead of time --------------------------------------


def prepared_export() -> PreparedExport | None:
    """The newest prepared file that is still in storage."""
    for export in PreparedExport.objects.order_by("-version", "-built_at", "-pk")[:3]:
        if default_storage.exists(export.file.name):
            return export
    return None


def prepared_export_is_current(version: int | None = None) -> bool:
    """Whether the newest prepared file holds the current (or given) publication version."""
    if version is None:
        version = Publication.current().version
    latest = prepared_export()
    return latest is not None and latest.version >= version


def prepare_export(
    *, force: bool = False, progress: Callable[[int], None] | None = None
) -> PreparedExport | None:
    """Write every published figure as CSV (with the byte-order mark Excel needs) into a zip
    in the media storage, record it and remove the files it replaces. Nothing is done, and
    None returned, when the newest file already holds the current publication version, unless
    ``force``. ``progress`` is told how many figures are written so far."""
    version = Publication.current().version  # read first: the file holds at least this
    if not force and prepared_export_is_current(version):
        return None
    built_at = timezone.now()
    stamp = f"{timezone.localtime(built_at):%Y%m%d-%H%M%S}"
    lines = 0
    with tempfile.TemporaryFile() as scratch:
        with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            member = zipfile.ZipInfo(
                f"unionreports-values-{stamp}.csv",
                date_time=timezone.localtime(built_at).timetuple()[:6],
            )
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as stream:
                batch: list[str] = []
                for line in csv_lines(value_rows(), bom=True):
                    batch.append(line)
                    lines += 1
                    if len(batch) == 10_000:
                        stream.write("".join(batch).encode())
                        batch.clear()
                        if progress:
                            progress(lines - 1)
                stream.write("".join(batch).encode())
        size = scratch.tell()
        scratch.seek(0)
        name = default_storage.save(f"exports/unionreports-values-{stamp}.zip", File(scratch))
    with transaction.atomic():
        PreparedExport.objects.create(
            file=name, version=version, figures=lines - 1, size=size, built_at=built_at
        )
        # Two runs at once: the file of the newer data stays, whichever finished last.
        newest, *older = PreparedExport.objects.select_for_update().order_by(
            "-version", "-built_at", "-pk"
        )
        PreparedExport.objects.filter(pk__in=[export.pk for export in older]).delete()
    for export in older:
        default_storage.delete(export.file.name)
    if progress:
        progress(lines - 1)
    return newest


# One worksheet holds at most this many rows, the header included.
EXCEL_MAX_ROWS = 1_048_576


def too_many_for_excel(count: int) -> str:
    """A message when ``count`` figures do not fit into one worksheet, else ""."""
    if count < EXCEL_MAX_ROWS:
        return ""
    return _(
        "There are %(count)s figures, more than an Excel worksheet holds (%(limit)s rows). "
        "Download them as CSV instead, or download the tables of a page."
    ) % {"count": format_count(count), "limit": format_count(EXCEL_MAX_ROWS)}


def written_on_request(count: int) -> bool:
    """Whether the site writes the file of ``count`` figures while someone waits; above
    EXPORT_ON_REQUEST_MAX_FIGURES it serves the file prepare_export wrote instead."""
    return count <= settings.EXPORT_ON_REQUEST_MAX_FIGURES


def workbook_refused_on_request(count: int) -> str:
    """A message when the site will not write a workbook of ``count`` figures on request (it
    does not fit into a worksheet, or would take too long), else ""."""
    if refused := too_many_for_excel(count):
        return refused
    if written_on_request(count):
        return ""
    return _(
        "There are %(count)s figures, too many to write into a workbook while you wait. "
        "Download them as CSV instead, or download the tables of a page."
    ) % {"count": format_count(count)}


def _append_header(sheet: Any, titles: Iterable[str]) -> None:
    """A bold header row on a write-only worksheet."""
    bold = Font(bold=True)
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)


def write_xlsx(rows: Iterable[list[str | int]], target: str | IO[bytes]) -> int:
    """An Excel workbook of the rows; values are stored as numbers so Excel can sum them."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("values")
    _append_header(sheet, EXPORT_COLUMNS)
    count = 0
    for row in rows:
        values = list(row)
        values[6] = Decimal(str(values[6]))  # a number cell, not text
        sheet.append(values)
        count += 1
    workbook.save(target)
    return count


# --- the report's Excel template ----------------------------------------------------------

TEMPLATE_HEADERS = [
    "指标代码",
    "工作领域",
    "指标名称",
    "单位",
    "上期数值",
    "数值",
    "限定词",
    "备注",
]


def _places_format(places: int, unit: str) -> str:
    number = "0" + ("." + "0" * places if places else "")
    return number + ('"%"' if unit == "%" else "")


def report_template(report) -> bytes:
    """The report as a workbook to fill in: every indicator of the catalogue with its code,
    work area, unit and the previous period's value; the value, qualifier and note columns hold
    the current figures and are the only ones open for editing. A hidden sheet says which
    report it belongs to, so it cannot be imported into another one."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from apps.indicators.choices import WorkArea
    from apps.indicators.models import Indicator
    from apps.indicators.numbers import format_figure

    from .imports import QUALIFIER_LABELS, TEMPLATE_MARK
    from .selectors import previous_figures, previous_report

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    title = f"{report.organisation.name} · {report.period_label} · 数据填报"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            "在“数值”列填写数字（可写 31800、3.18万、390多、近4万），“限定词”列可选：确数、多于、"
            "不少于、近、约。清空“数值”即删除该数据。保存后在报告页上传，先预览再确认。"
        ]
    )
    sheet["A2"].font = Font(color="59636E")
    before = previous_report(report)
    headers = list(TEMPLATE_HEADERS)
    if before is not None:
        headers[4] = f"上期数值（{before.period_label}）"
    sheet.append([])
    sheet.append(headers)
    header_row = sheet.max_row
    fill = PatternFill("solid", fgColor="F6F8FA")
    for column in range(1, len(headers) + 1):
        cell = sheet.cell(row=header_row, column=column)
        cell.font = Font(bold=True)
        cell.fill = fill
    previous = previous_figures(report)
    current = {f.indicator.code: f for f in report.figures.select_related("indicator")}
    editable = PatternFill("solid", fgColor="FFFBEA")
    computed_fill = PatternFill("solid", fgColor="EEEEEE")
    validation = DataValidation(
        type="list", formula1='"' + ",".join(QUALIFIER_LABELS.values()) + '"', allow_blank=True
    )
    validation.error = "请从列表中选择：确数、多于、不少于、近、约"
    sheet.add_data_validation(validation)
    depth: dict[int, int] = {}
    for indicator in Indicator.objects.active().order_by("position", "code"):
        depth[indicator.pk] = depth.get(indicator.part_of_id, -1) + 1 if indicator.part_of_id else 0
        figure = current.get(indicator.code)
        before_figure = previous.get(indicator.code)
        row = [
            indicator.code,
            str(WorkArea(indicator.work_area).label),
            "　" * depth[indicator.pk] + indicator.name,
            indicator.unit,
            float(before_figure.value) if before_figure else None,
            float(figure.value) if figure else None,
            QUALIFIER_LABELS.get(figure.qualifier, "") if figure else "",
            figure.note if figure and not figure.is_computed else "",
        ]
        sheet.append(row)
        line = sheet.max_row
        number_format = _places_format(indicator.decimal_places, indicator.unit)
        sheet.cell(row=line, column=5).number_format = number_format
        sheet.cell(row=line, column=6).number_format = number_format
        if before_figure is not None:
            sheet.cell(row=line, column=5).comment = Comment(
                format_figure(before_figure.value, before_figure.qualifier, indicator.unit),
                "unionreports",
            )
        if indicator.is_computed:
            for column in (6, 7, 8):
                sheet.cell(row=line, column=column).fill = computed_fill
            sheet.cell(row=line, column=8).value = "计算得出，不必填写"
            continue
        for column in (6, 7, 8):
            cell = sheet.cell(row=line, column=column)
            cell.protection = Protection(locked=False)
            cell.fill = editable
        validation.add(sheet.cell(row=line, column=7))
    for index, width in enumerate([30, 22, 40, 8, 16, 16, 10, 30], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=4)
    sheet.auto_filter.ref = f"A{header_row}:H{sheet.max_row}"
    sheet.protection.sheet = True  # codes, names and units stay as they are; no password
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    meta = workbook.create_sheet("_meta")
    for key, value in [
        ("kind", TEMPLATE_MARK),
        ("report", str(report.pk)),
        ("organisation", report.organisation.code),
        ("period_start", str(report.period_start)),
        ("period_end", str(report.period_end)),
        ("title", f"{report.organisation.name} · {report.period_label}"),
        ("version", str(report.version)),
    ]:
        meta.append([key, value])
    meta.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


REPORTS_HEADERS = [
    "组织代码",
    "组织",
    "起始年份",
    "截止年份",
    "工作领域",
    "指标代码",
    "指标",
    "数值",
    "单位",
    "限定词",
    "备注",
    "来源",
]


def reports_workbook(figures: QuerySet[Figure]) -> bytes:
    """Figures of reports as a workbook for people: Chinese headers, units, numbers that stay
    numbers and show their qualifier (390+, 近40,000, ≥96%). It imports back unchanged."""
    from apps.indicators.choices import WorkArea

    from .imports import QUALIFIER_LABELS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("数据")
    sheet.freeze_panes = "A2"
    for index, width in enumerate([18, 24, 9, 9, 20, 28, 36, 14, 8, 8, 20, 50], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _append_header(sheet, REPORTS_HEADERS)
    rows = figures.select_related("report__organisation", "indicator").order_by(
        "report__organisation__code", "period_start", "period_end", "indicator__position"
    )
    for figure in rows.iterator(chunk_size=2000):
        indicator = figure.indicator
        value = WriteOnlyCell(sheet, value=Decimal(plain(figure.value)))
        value.number_format = qualifier_number_format(
            figure.value, figure.qualifier, indicator.unit
        )
        sheet.append(
            [
                figure.report.organisation.code,
                figure.report.organisation.name,
                figure.period_start,
                figure.period_end,
                str(WorkArea(indicator.work_area).label),
                indicator.code,
                indicator.name,
                value,
                indicator.unit,
                QUALIFIER_LABELS.get(figure.qualifier, ""),
                figure.note,
                figure.source,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
