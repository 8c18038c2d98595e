"""The long-format export of published figures: one row per figure of an approved report.

The same rows feed the ``export_values`` command and the site's download, as CSV or XLSX.
Values are plain numbers in the indicator's unit (31800, not 3.18万); the qualifier is its
stable code (exact, more, at_least, nearly, about).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from apps.indicators.numbers import plain

from .models import Figure

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


def write_xlsx(rows: Iterable[list[str | int]], target: str | IO[bytes]) -> int:
    """An Excel workbook of the rows; values are stored as numbers so Excel can sum them."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("values")
    bold = Font(bold=True)
    header = []
    for name in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        values = list(row)
        values[6] = Decimal(str(values[6]))  # a number cell, not text
        sheet.append(values)
        count += 1
    workbook.save(target)
    return count
