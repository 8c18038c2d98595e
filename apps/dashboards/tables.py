"""Tables as shown on the public pages, and the same tables as CSV, XLSX and JSON.

A table is built once by a selector; the page renders it, the download writes exactly what is
shown (with units), and the read API returns it with the numbers behind each cell.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from apps.html import escape_text
from apps.indicators.choices import Qualifier
from apps.indicators.numbers import format_figure, plain
from apps.reports.exports import qualifier_number_format

from .sparklines import sparkline


@dataclass(slots=True)
class Cell:
    """One cell: the text shown, and the number behind it when there is one."""

    text: str
    value: Decimal | None = None
    qualifier: str = ""
    unit: str = ""
    href: str = ""
    css: str = ""
    hint: str = ""  # a short remark shown after the text (rank, change …)
    # Yearly values drawn as a small line on the page; such a column is left out of files.
    trend: list[Decimal | None] | None = None

    @classmethod
    def figure(
        cls,
        value: Decimal | None,
        qualifier: str,
        unit: str,
        *,
        css: str = "",
        hint: str = "",
        href: str = "",
        chinese: bool | None = None,
    ) -> Cell:
        """``chinese``: the page's language, when the caller knows it (tables of thousands)."""
        if value is None:
            return cls.missing()
        return cls(
            format_figure(value, qualifier, unit, chinese=chinese),
            value,
            qualifier,
            unit,
            href,
            f"num {css}".strip() if css else "num",
            hint,
        )

    @classmethod
    def missing(cls) -> Cell:
        return cls("—", css="num missing")

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.value is not None:
            data["value"] = float(self.value) if self.value % 1 else int(self.value)
            data["qualifier"] = self.qualifier or Qualifier.EXACT
        if self.unit:
            data["unit"] = self.unit
        if self.hint:
            data["note"] = self.hint
        return data


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    # Rows that start a group (a work area), by index: label.
    groups: dict[int, str] = field(default_factory=dict)
    # Columns drawn on the page only (trend lines): files and the API leave them out.
    page_only: tuple[int, ...] = ()

    def _kept(self) -> list[int]:
        return [i for i in range(len(self.columns)) if i not in self.page_only]

    @property
    def file_columns(self) -> list[str]:
        return [self.columns[i] for i in self._kept()]

    def file_rows(self) -> list[list[Cell]]:
        """The rows without the page-only columns."""
        if not self.page_only:
            return self.rows
        kept = self._kept()
        return [[row[i] for i in kept if i < len(row)] for row in self.rows]

    @property
    def header(self) -> list[tuple[str, bool]]:
        """Column labels with whether the column holds numbers (for alignment)."""
        numeric = [
            any("num" in row[i].css for row in self.rows if len(row) > i)
            for i in range(len(self.columns))
        ]
        return list(zip(self.columns, numeric, strict=True))

    def body_html(self) -> SafeString:
        """The table's rows as HTML. Built in Python rather than in the template: a national
        comparison has thousands of cells, and this is many times faster."""
        best = format_html(' <span class="best-mark" title="{}">★</span>', gettext("best value"))
        width = len(self.columns)
        parts: list[str] = []
        # A cell's opening tag for each class (a table has a handful), escaped once.
        opening: dict[str, str] = {}
        for index, row in enumerate(self.rows):
            group = self.groups.get(index)
            if group is not None:
                parts.append(
                    f'<tr class="group-row"><th scope="rowgroup" colspan="{width}">'
                    f"{conditional_escape(group)}</th></tr>"
                )
            parts.append("<tr>")
            for position, cell in enumerate(row):
                if cell.trend is not None:
                    content = sparkline(cell.trend)
                else:
                    content = escape_text(cell.text)
                if cell.href:
                    content = f'<a href="{escape_text(cell.href)}">{content}</a>'
                css = cell.css
                if "best" in css:
                    content += best
                if cell.hint:
                    content += f'<span class="hint">{escape_text(cell.hint)}</span>'
                if position == 0:
                    parts.append(f'<th scope="row" class="{escape_text(css)}">{content}</th>')
                else:
                    tag = opening.get(css)
                    if tag is None:
                        tag = opening[css] = f'<td class="{escape_text(css)}">'
                    parts.append(f"{tag}{content}</td>")
            parts.append("</tr>\n")
        return mark_safe("".join(parts))  # every piece above is escaped

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.file_columns,
            "rows": [[cell.as_json() for cell in row] for row in self.file_rows()],
            "note": self.note,
        }


def _cell_text(cell: Cell) -> str:
    return f"{cell.text}（{cell.hint}）" if cell.hint else cell.text


def table_csv(table: Table) -> str:
    """What is shown, as CSV (UTF-8 with a byte-order mark so that Excel reads the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([table.title])
    writer.writerow(table.file_columns)
    for row in table.file_rows():
        writer.writerow([_cell_text(cell) for cell in row])
    if table.note:
        writer.writerow([])
        writer.writerow([table.note])
    return out.getvalue()


def _number_format(cell: Cell) -> str:
    return qualifier_number_format(cell.value, cell.qualifier, cell.unit)


def table_xlsx(table: Table) -> bytes:
    """The table as a workbook: numbers are numbers (Excel can sum them) whose format shows the
    qualifier (390+, 近40,000, ≥96%); headers in the page's language; units in their column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31] or "table"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    columns, rows = table.file_columns, table.file_rows()
    sheet.append(columns)
    header_fill = PatternFill("solid", fgColor="F6F8FA")
    for column in range(1, len(columns) + 1):
        cell = sheet.cell(row=2, column=column)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        values: list[Any] = []
        for cell in row:
            values.append(
                cell.value
                if cell.value is not None
                else _cell_text(cell)
                if cell.text != "—"
                else None
            )
        sheet.append(values)
        current = sheet.max_row
        for index, cell in enumerate(row, start=1):
            if cell.value is not None:
                sheet.cell(row=current, column=index).number_format = _number_format(cell)
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    for index, title in enumerate(columns, start=1):
        width = max(
            [len(str(title))]
            + [len(_cell_text(row[index - 1])) for row in rows if len(row) >= index]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(max(8, width * 1.6), 48)
    sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain_value(cell: Cell) -> str:
    return plain(cell.value) if cell.value is not None else ""
