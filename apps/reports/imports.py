"""Figures in from files: the one-report template and the long format (the export's columns).

Reading is careful (a file that is not what it claims, too large, with merged cells, formulas or
no data gets one clear message); planning reads every row with the same parser and rules as the
report form and says, per row, what would change — new, changed, unchanged, removed — or why it
cannot, with the sheet, row and cell. Nothing is written here: ``services.import_apply`` writes a
valid plan as a whole, or nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import iterparse

from django.conf import settings
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from apps.indicators.choices import Measure, Qualifier, Unit
from apps.indicators.models import Indicator
from apps.indicators.numbers import FigureParseError, as_written, parse_figure
from apps.indicators.rules import Previous, check_figures, value_findings
from apps.organizations.models import Organisation

from . import access
from .access import Action
from .models import FIRST_YEAR, LAST_YEAR, Figure, Report, Status, period_label

TEMPLATE_MARK = "unionreports-report-template"
PROGRESS_EVERY = 500

# Columns by key, with the headers each may have (the export's names first, then Chinese).
LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "org_code": ("org_code", "组织代码"),
    "org_name": ("org_name", "组织名称", "组织"),
    "period_start": ("period_start", "起始年份"),
    "period_end": ("period_end", "截止年份"),
    "indicator_code": ("indicator_code", "指标代码"),
    "indicator_name": ("indicator_name", "指标名称", "指标"),
    "value": ("value", "数值"),
    "qualifier": ("qualifier", "限定词"),
    "unit": ("unit", "单位"),
    "source": ("source", "来源", "原文语句"),
    "note": ("note", "备注"),
}
LONG_REQUIRED = ("org_code", "period_start", "period_end", "indicator_code", "value")
TEMPLATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator_code": ("指标代码", "indicator_code"),
    "work_area": ("工作领域", "work_area"),
    "indicator_name": ("指标名称", "indicator_name"),
    "unit": ("单位", "unit"),
    "previous": ("上期数值", "previous"),
    "value": ("数值", "value"),
    "qualifier": ("限定词", "qualifier"),
    "note": ("备注", "note"),
}
TEMPLATE_REQUIRED = ("indicator_code", "value")

# Qualifiers as a file may write them: the stable codes, the Chinese words, the symbols.
QUALIFIER_WORDS: dict[str, str] = {
    "exact": Qualifier.EXACT,
    "确数": Qualifier.EXACT,
    "more": Qualifier.MORE,
    "多于": Qualifier.MORE,
    "多": Qualifier.MORE,
    "余": Qualifier.MORE,
    "以上": Qualifier.MORE,
    "+": Qualifier.MORE,
    "at_least": Qualifier.AT_LEAST,
    "不少于": Qualifier.AT_LEAST,
    "≥": Qualifier.AT_LEAST,
    "nearly": Qualifier.NEARLY,
    "近": Qualifier.NEARLY,
    "about": Qualifier.ABOUT,
    "约": Qualifier.ABOUT,
}
QUALIFIER_LABELS = {
    Qualifier.EXACT: "确数",
    Qualifier.MORE: "多于",
    Qualifier.AT_LEAST: "不少于",
    Qualifier.NEARLY: "近",
    Qualifier.ABOUT: "约",
}


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for the person uploading."""


@dataclass
class Problem:
    """A row that cannot be imported (or needs a second look), and where it is."""

    sheet: str
    row: int
    cell: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceRow:
    sheet: str
    number: int  # the row number as the spreadsheet shows it
    values: dict[str, Any]
    cells: dict[str, str]  # column key → cell reference (F12)


@dataclass
class Table:
    sheet: str
    columns: dict[str, str]  # key → header as written
    rows: list[SourceRow]
    meta: dict[str, str] = field(default_factory=dict)


# --- reading --------------------------------------------------------------------------------


def _match_columns(header: list[Any], known: dict[str, tuple[str, ...]]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        text = re.sub(r"\s+", "", str(title or "")).lower()
        text = re.sub(r"[（(].*[）)]$", "", text)  # 上期数值（2010年）
        for key, names in known.items():
            if key not in positions and text in {n.lower() for n in names}:
                positions[key] = index
    return positions


def _require_columns(
    positions: dict[str, int], required: tuple[str, ...], known: dict[str, tuple[str, ...]]
) -> None:
    missing = [key for key in required if key not in positions]
    if missing:
        raise ImportFileError(
            _("The file lacks the columns %(missing)s. Expected columns: %(expected)s.")
            % {
                "missing": "、".join(known[key][0] for key in missing),
                "expected": ", ".join(names[0] for names in known.values()),
            }
        )


def _check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            _(
                "The file is %(size)s MB; files up to %(limit)s MB can be imported. Split it "
                "into parts."
            )
            % {"size": f"{size / 1_048_576:.1f}", "limit": f"{limit / 1_048_576:.0f}"}
        )


def _merged_cells(path: Path, sheet_file: str) -> list[str]:
    """Merged ranges of a worksheet, read from its XML without loading the workbook."""
    ranges = []
    with zipfile.ZipFile(path) as archive, archive.open(sheet_file) as handle:
        for _event, element in iterparse(handle):
            if element.tag.endswith("}mergeCell"):
                ranges.append(element.get("ref", ""))
            element.clear()
    return ranges


def _sheet_files(path: Path) -> dict[str, str]:
    """Worksheet names → their XML file in the package."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        relations = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', relations))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', relations)})
    sheets = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(rid, "").lstrip("/")
        target = target if target.startswith("xl/") else f"xl/{target}"
        if target in names:
            sheets[name] = target
    return sheets


def read_table(
    path: Path, filename: str, known: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> Table:
    """Read the first worksheet (or the CSV) whose header has the required columns."""
    _check_size(path.stat().st_size)
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, known, required)
    if suffix not in (".xlsx", ".xlsm"):
        raise ImportFileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    return _read_xlsx(path, known, required)


def _read_csv(path: Path, known: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK/GB18030 text."))
    if "\x00" in text[:4096]:
        raise ImportFileError(_("This is not a CSV text file."))
    reader = csv.reader(io.StringIO(text))
    lines = list(reader)
    while lines and not any(cell.strip() for cell in lines[0]):
        lines.pop(0)
    if not lines:
        raise ImportFileError(_("The file is empty: there is nothing to import."))
    positions = _match_columns(lines[0], known)
    _require_columns(positions, required, known)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        values = {
            key: (line[index].strip() if index < len(line) else "")
            for key, index in positions.items()
        }
        cells = {key: f"{get_column_letter(index + 1)}{number}" for key, index in positions.items()}
        rows.append(SourceRow("CSV", number, values, cells))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows: there is nothing to import."))
    return Table("CSV", {key: lines[0][index] for key, index in positions.items()}, rows)


def _read_xlsx(path: Path, known: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    if not zipfile.is_zipfile(path):
        raise ImportFileError(
            _("This file is not an Excel workbook (.xlsx), whatever its name says.")
        )
    try:
        sheet_files = _sheet_files(path)
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportFileError(
            _("This file is not an Excel workbook (.xlsx) that can be read: %(error)s")
            % {"error": error}
        ) from error
    try:
        meta = {}
        if "_meta" in workbook.sheetnames:
            for row in workbook["_meta"].iter_rows(values_only=True):
                if row and row[0]:
                    meta[str(row[0])] = str(row[1] if len(row) > 1 and row[1] is not None else "")
        seen_header = False
        for sheet in workbook.worksheets:
            if sheet.title == "_meta":
                continue
            rows_iter = sheet.iter_rows()
            # The header is among the first rows (a template has a title above it).
            head: list[Any] | None = None
            for _i in range(12):
                try:
                    cells = next(rows_iter)
                except StopIteration:
                    break
                values = [c.value for c in cells]
                positions = _match_columns(values, known)
                if all(key in positions for key in required):
                    head, _header_row = (
                        values,
                        cells[0].row if cells and hasattr(cells[0], "row") else _i + 1,
                    )
                    break
            if head is None:
                continue
            seen_header = True
            merged = (
                _merged_cells(path, sheet_files[sheet.title]) if sheet.title in sheet_files else []
            )
            if merged:
                raise ImportFileError(
                    _(
                        "Sheet “%(sheet)s” has merged cells (%(ranges)s). Unmerge them so that "
                        "every row has its own values."
                    )
                    % {"sheet": sheet.title, "ranges": "、".join(merged[:5])}
                )
            positions = _match_columns(head, known)
            rows = []
            for cells in rows_iter:
                if not cells:
                    continue
                number = next((c.row for c in cells if getattr(c, "row", None)), None)
                values: dict[str, Any] = {}
                refs: dict[str, str] = {}
                for key, index in positions.items():
                    cell = cells[index] if index < len(cells) else None
                    value = getattr(cell, "value", None)
                    values[key] = value
                    refs[key] = f"{get_column_letter(index + 1)}{number}"
                    if getattr(cell, "data_type", None) == "f" or (
                        isinstance(value, str) and value.startswith("=")
                    ):
                        values[key] = _Formula(str(value))
                if all(
                    v is None or (isinstance(v, str) and not v.strip()) for v in values.values()
                ):
                    continue
                rows.append(SourceRow(sheet.title, number or 0, values, refs))
            if not rows:
                raise ImportFileError(
                    _("Sheet “%(sheet)s” has a header but no rows: there is nothing to import.")
                    % {"sheet": sheet.title}
                )
            return Table(
                sheet.title, {key: str(head[index]) for key, index in positions.items()}, rows, meta
            )
        if not seen_header:
            known_names = ", ".join(names[0] for names in known.values())
            raise ImportFileError(
                _(
                    "No sheet of this workbook has the expected header. Its first row should "
                    "name the columns: %(columns)s."
                )
                % {"columns": known_names}
            )
        raise ImportFileError(
            _("The file is empty: there is nothing to import.")
        )  # pragma: no cover
    finally:
        workbook.close()


class _Formula(str):
    """A cell holding a formula: refused, because its computed value is not in the file."""


# --- planning -------------------------------------------------------------------------------


@dataclass
class PlannedFigure:
    report_key: tuple[int, int, int]  # organisation id, first year, last year of the report
    indicator: Indicator
    value: Decimal | None  # None: remove the figure
    qualifier: str
    note: str | None
    source: str | None
    period: tuple[int, int] | None  # the figure's own period, when it differs
    action: str  # new, changed, unchanged, removed
    before: str
    after: str
    where: str  # sheet!cell of the row

    def as_preview(self, organisations: dict[int, Organisation]) -> dict[str, Any]:
        organisation = organisations[self.report_key[0]]
        return {
            "organisation": organisation.name,
            "period": period_label(self.report_key[1], self.report_key[2]),
            "indicator": self.indicator.name,
            "unit": self.indicator.get_unit_display(),
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "where": self.where,
        }


@dataclass
class ImportPlan:
    figures: list[PlannedFigure] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    new_reports: dict[tuple[int, int, int], Organisation] = field(default_factory=dict)
    organisations: dict[int, Organisation] = field(default_factory=dict)
    total_rows: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> list[PlannedFigure]:
        return [f for f in self.figures if f.action != "unchanged"]

    def counts(self) -> dict[str, int]:
        counts = {"new": 0, "changed": 0, "unchanged": 0, "removed": 0}
        for figure in self.figures:
            counts[figure.action] += 1
        counts.update(
            errors=len(self.errors),
            warnings=len(self.warnings),
            rows=self.total_rows,
            new_reports=len(self.new_reports),
            reports=len({f.report_key for f in self.changes}),
        )
        return counts


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_value(value: Any, indicator: Indicator) -> tuple[Decimal, str]:
    """A value cell as (value, qualifier): numbers as they are, text through the parser."""
    if isinstance(value, _Formula):
        raise FigureParseError(
            _("This cell holds a formula; paste the value itself (Paste Special → Values).")
        )
    if isinstance(value, bool):
        raise FigureParseError(_("This cell holds TRUE/FALSE, not a number."))
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        except InvalidOperation:  # pragma: no cover
            raise FigureParseError(_("This is not a number.")) from None
        if not number.is_finite():
            raise FigureParseError(_("This is not a number."))
        return number.normalize() if number != number.to_integral_value() else number.quantize(
            Decimal(1)
        ), Qualifier.EXACT
    parsed = parse_figure(str(value), indicator.unit)
    return parsed.value, parsed.qualifier


def _read_qualifier(text: str) -> str | None:
    text = re.sub(r"\s+", "", text)
    if not text:
        return None
    if text in QUALIFIER_WORDS:
        return QUALIFIER_WORDS[text]
    raise FigureParseError(
        _(
            "“%(text)s” is not a qualifier. Use exact, more, at_least, nearly or about "
            "(确数、多于、不少于、近、约)."
        )
        % {"text": text}
    )


def _read_year(text: str) -> int:
    try:
        year = int(Decimal(text))
    except (InvalidOperation, ValueError):
        raise FigureParseError(_("“%(text)s” is not a year.") % {"text": text}) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FigureParseError(_("%(year)d is not a plausible year.") % {"year": year})
    return year


def _figure_text(value: Decimal | None, qualifier: str, note: str, indicator: Indicator) -> str:
    if value is None:
        return ""
    text = as_written(value, qualifier, indicator.unit)
    return f"{text}（{note}）" if note else text


class _Planner:
    """Shared by both kinds of file: resolves rows to reports, reads values, applies rules."""

    def __init__(self, user, progress: Callable[[int, int], None] | None = None):
        self.user = user
        self.progress = progress or (lambda done, total: None)
        self.plan = ImportPlan()
        self.catalogue = {i.code: i for i in Indicator.objects.all()}
        self.importable = (
            set(access.importable_organisations(user).values_list("pk", flat=True))
            if user is not None
            else None
        )

    def problem(self, row: SourceRow, key: str, reason: str, *, warning: bool = False) -> None:
        target = self.plan.warnings if warning else self.plan.errors
        value = row.values.get(key)
        target.append(Problem(row.sheet, row.number, row.cells.get(key, ""), _text(value), reason))

    def indicator(self, row: SourceRow) -> Indicator | None:
        """The row's indicator, or None with the problem noted."""
        code = _text(row.values.get("indicator_code"))
        indicator = self.catalogue.get(code)
        if indicator is None:
            self.problem(
                row,
                "indicator_code",
                _("There is no indicator with the code “%(code)s”.") % {"code": code},
            )
        return indicator

    def value_and_qualifier(
        self, row: SourceRow, indicator: Indicator
    ) -> tuple[Decimal, str] | None:
        raw = row.values.get("value")
        try:
            value, qualifier = _read_value(raw, indicator)
            written = _read_qualifier(_text(row.values.get("qualifier")))
        except FigureParseError as error:
            key = "qualifier" if "qualifier" in str(error) or "限定词" in str(error) else "value"
            self.problem(row, key if not isinstance(raw, _Formula) else "value", str(error))
            return None
        if written is not None:
            if qualifier != Qualifier.EXACT and written != qualifier:
                self.problem(
                    row,
                    "qualifier",
                    _("The value and the qualifier column say different things; keep one."),
                )
                return None
            qualifier = written
        for finding in value_findings(indicator, value):
            self.problem(row, "value", finding.message)
            return None
        unit = _text(row.values.get("unit"))
        if unit and unit not in (indicator.unit, str(Unit(indicator.unit).label)):
            self.problem(
                row,
                "unit",
                _("%(name)s is counted in %(unit)s, but this row says %(written)s.")
                % {"name": indicator.name, "unit": indicator.unit, "written": unit},
            )
            return None
        return value, qualifier

    def check_rules(
        self,
        reports: dict[tuple[int, int, int], Report | None],
        rows_by_figure: dict[tuple[tuple[int, int, int], str], SourceRow],
    ) -> None:
        """The form's rules per report: errors (part above whole), and warnings (change above
        50%, parent below children) for the figures that change."""
        existing = self._existing_values(reports)
        previous = self._previous_values(reports)
        children = self._children_sums(reports)
        planned: dict[tuple[int, int, int], list[PlannedFigure]] = defaultdict(list)
        for figure in self.plan.figures:
            planned[figure.report_key].append(figure)
        for key, figures in planned.items():
            values = dict(existing.get(key, {}))
            changed = set()
            for figure in figures:
                if figure.value is None:
                    values.pop(figure.indicator.code, None)
                else:
                    values[figure.indicator.code] = figure.value
                if figure.action in ("new", "changed"):
                    changed.add(figure.indicator.code)
            for finding in check_figures(
                values,
                self.catalogue,
                previous=previous.get(key, {}),
                children_sums=children.get(key, {}),
            ):
                row = rows_by_figure.get((key, finding.indicator))
                if row is None:
                    continue  # about figures the file does not touch
                if finding.is_error:
                    self.problem(row, "value", finding.message)
                elif finding.indicator in changed:
                    self.problem(row, "value", finding.message, warning=True)

    def _existing_values(self, reports) -> dict[tuple[int, int, int], dict[str, Decimal]]:
        ids = {r.pk: key for key, r in reports.items() if r is not None}
        values: dict[tuple[int, int, int], dict[str, Decimal]] = defaultdict(dict)
        for report_id, code, value in (
            Figure.objects.filter(report_id__in=ids, is_computed=False)
            .values_list("report_id", "indicator__code", "value")
            .iterator(chunk_size=5000)
        ):
            values[ids[report_id]][code] = value
        return values

    def _previous_values(self, reports) -> dict[tuple[int, int, int], dict[str, Previous]]:
        yearly = {key for key in reports if key[1] == key[2]}
        if not yearly:
            return {}
        organisations = {key[0] for key in yearly}
        years = {key[1] - 1 for key in yearly}
        result: dict[tuple[int, int, int], dict[str, Previous]] = defaultdict(dict)
        rows = (
            Figure.objects.filter(
                report__organisation_id__in=organisations,
                report__period_start__in=years,
                report__period_end=F("report__period_start"),
                period_start=F("report__period_start"),
                period_end=F("report__period_end"),
            )
            .values_list(
                "report__organisation_id",
                "report__period_start",
                "indicator__code",
                "value",
                "qualifier",
            )
            .iterator(chunk_size=5000)
        )
        for organisation_id, year, code, value, qualifier in rows:
            key = (organisation_id, year + 1, year + 1)
            if key in yearly:
                result[key][code] = Previous(value, qualifier, period_label(year, year))
        return result

    def _children_sums(self, reports) -> dict[tuple[int, int, int], dict[str, Decimal]]:
        organisations = {key[0] for key in reports}
        periods = {(key[1], key[2]) for key in reports}
        if not organisations:
            return {}
        rows = (
            Figure.objects.filter(
                report__organisation__parent_id__in=organisations,
                report__status=Status.APPROVED,
                report__period_start__in={p[0] for p in periods},
                report__period_end__in={p[1] for p in periods},
                period_start=F("report__period_start"),
                period_end=F("report__period_end"),
            )
            .exclude(measure=Measure.RATE)
            .values(
                "report__organisation__parent_id",
                "report__period_start",
                "report__period_end",
                "indicator__code",
            )
            .annotate(total=Sum("value"))
        )
        sums: dict[tuple[int, int, int], dict[str, Decimal]] = defaultdict(dict)
        for row in rows:
            key = (
                row["report__organisation__parent_id"],
                row["report__period_start"],
                row["report__period_end"],
            )
            if key in reports:
                sums[key][row["indicator__code"]] = row["total"]
        return sums


def plan_values(
    table: Table, user, progress: Callable[[int, int], None] | None = None
) -> ImportPlan:
    """Plan an import of the long format: rows for any organisations and periods."""
    planner = _Planner(user, progress)
    plan = planner.plan
    rows = table.rows
    plan.total_rows = len(rows)
    codes = {_text(r.values.get("org_code")) for r in rows}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    plan.organisations = {o.pk: o for o in organisations.values()}
    reports_by_org: dict[int, list[Report]] = defaultdict(list)
    for report in Report.objects.filter(organisation__in=organisations.values()).select_related(
        "organisation__parent"
    ):
        reports_by_org[report.organisation_id].append(report)
    targets: dict[tuple[int, int, int], Report | None] = {}
    seen: dict[tuple[tuple[int, int, int], str], SourceRow] = {}
    parsed: list[
        tuple[SourceRow, tuple[int, int, int], Indicator, Decimal, str, tuple[int, int] | None]
    ] = []
    for index, row in enumerate(rows, start=1):
        if index % PROGRESS_EVERY == 0:
            planner.progress(index, len(rows))
        code = _text(row.values.get("org_code"))
        organisation = organisations.get(code)
        if organisation is None:
            planner.problem(
                row,
                "org_code",
                _("There is no organisation with the code “%(code)s”.") % {"code": code},
            )
            continue
        if planner.importable is not None and organisation.pk not in planner.importable:
            planner.problem(
                row,
                "org_code",
                _("Your account may not import figures of %(name)s.") % {"name": organisation.name},
            )
            continue
        indicator = planner.indicator(row)
        if indicator is None:
            continue
        if indicator.is_computed:
            continue  # computed from the other figures, whatever the file says
        try:
            start = _read_year(_text(row.values.get("period_start")))
            end = _read_year(_text(row.values.get("period_end")))
        except FigureParseError as error:
            planner.problem(row, "period_start", str(error))
            continue
        if start > end:
            planner.problem(row, "period_end", _("The first year must not be after the last year."))
            continue
        report, own_period = _target_report(reports_by_org[organisation.pk], start, end)
        if report is _AMBIGUOUS:
            planner.problem(
                row,
                "period_end",
                _(
                    "Several reports of this organisation cover %(period)s; give the report's "
                    "own period."
                )
                % {"period": period_label(start, end)},
            )
            continue
        key = (
            (organisation.pk, report.period_start, report.period_end)
            if report is not None
            else (organisation.pk, start, end)
        )
        if (key, indicator.code) in seen:
            first = seen[(key, indicator.code)]
            planner.problem(
                row,
                "indicator_code",
                _("This figure is also in row %(row)d.") % {"row": first.number},
            )
            continue
        seen[(key, indicator.code)] = row
        read = planner.value_and_qualifier(row, indicator)
        if read is None:
            continue
        targets[key] = report
        if report is None:
            plan.new_reports[key] = organisation
        parsed.append((row, key, indicator, read[0], read[1], own_period))
    planner.progress(len(rows), len(rows))
    existing = _existing_figures(targets)
    for row, key, indicator, value, qualifier, own_period in parsed:
        figure = existing.get((key, indicator.code))
        source = _text(row.values.get("source")) if "source" in table.columns else None
        note = _text(row.values.get("note")) if "note" in table.columns else None
        planned = _planned(
            key,
            indicator,
            value,
            qualifier,
            note,
            source,
            own_period,
            figure,
            f"{row.sheet}!{row.cells.get('value', '')}",
        )
        report = targets[key]
        if (
            planned.action != "unchanged"
            and report is not None
            and not access.can(user, Action.IMPORT, report)
        ):
            planner.problem(row, "value", access.decide(user, Action.IMPORT, report).reason)
            continue
        plan.figures.append(planned)
    planner.check_rules(targets, seen)
    return plan


_AMBIGUOUS = object()


def _target_report(reports: list[Report], start: int, end: int):
    """The report a figure of (start, end) belongs to: the report of exactly that period, or
    the one whose period contains its last year (a 近三年 figure of a yearly report); None
    when a new report is needed."""
    for report in reports:
        if (report.period_start, report.period_end) == (start, end):
            return report, None
    containing = [
        r for r in reports if r.period_start <= end <= r.period_end and start <= r.period_start
    ]
    yearly = [r for r in containing if r.period_start == r.period_end]
    candidates = yearly or containing
    if len(candidates) > 1:
        return _AMBIGUOUS, None
    if candidates:
        return candidates[0], (start, end)
    return None, None


class ExistingFigure(NamedTuple):
    """What planning needs of a stored figure (plain values: fast for 100,000 rows)."""

    value: Decimal
    qualifier: str
    note: str
    source: str
    period_start: int
    period_end: int


def _existing_figures(
    targets: dict[tuple[int, int, int], Report | None],
) -> dict[tuple[tuple[int, int, int], str], ExistingFigure]:
    ids = {r.pk: key for key, r in targets.items() if r is not None}
    rows = Figure.objects.filter(report_id__in=ids).values_list(
        "report_id",
        "indicator__code",
        "value",
        "qualifier",
        "note",
        "source",
        "period_start",
        "period_end",
    )
    return {
        (ids[report_id], code): ExistingFigure(*values)
        for report_id, code, *values in rows.iterator(chunk_size=5000)
    }


def _planned(
    key: tuple[int, int, int],
    indicator: Indicator,
    value: Decimal | None,
    qualifier: str,
    note: str | None,
    source: str | None,
    own_period: tuple[int, int] | None,
    figure: ExistingFigure | Figure | None,
    where: str,
) -> PlannedFigure:
    before = _figure_text(figure.value, figure.qualifier, figure.note, indicator) if figure else ""
    if value is None:
        return PlannedFigure(
            key,
            indicator,
            None,
            "",
            None,
            None,
            None,
            "removed" if figure else "unchanged",
            before,
            "",
            where,
        )
    after_note = figure.note if note is None and figure else (note or "")
    after = _figure_text(value, qualifier, after_note, indicator)
    if figure is None:
        action = "new"
    else:
        same = (figure.value, figure.qualifier, figure.note) == (value, qualifier, after_note)
        if source is not None and source != figure.source:
            same = False
        if own_period is not None and own_period != (figure.period_start, figure.period_end):
            same = False
        action = "unchanged" if same else "changed"
    return PlannedFigure(
        key, indicator, value, qualifier, note, source, own_period, action, before, after, where
    )


def plan_report(table: Table, report: Report, user) -> ImportPlan:
    """Plan an import of a report's template: one row per indicator; an emptied value cell
    removes the figure."""
    mark = table.meta.get("kind")
    if mark == TEMPLATE_MARK and table.meta.get("report") != str(report.pk):
        raise ImportFileError(
            _(
                "This is the template of another report (%(other)s); download the template of "
                "this report."
            )
            % {"other": table.meta.get("title", table.meta.get("report", "?"))}
        )
    planner = _Planner(user)
    plan = planner.plan
    plan.total_rows = len(table.rows)
    key = (report.organisation_id, report.period_start, report.period_end)
    plan.organisations = {report.organisation_id: report.organisation}
    existing = {f.indicator.code: f for f in report.figures.select_related("indicator")}
    seen: dict[tuple[tuple[int, int, int], str], SourceRow] = {}
    for row in table.rows:
        indicator = planner.indicator(row)
        if indicator is None:
            continue
        code = indicator.code
        if indicator.is_computed:
            continue
        if (key, code) in seen:
            planner.problem(
                row,
                "indicator_code",
                _("This figure is also in row %(row)d.") % {"row": seen[(key, code)].number},
            )
            continue
        seen[(key, code)] = row
        figure = existing.get(code)
        note = _text(row.values.get("note")) if "note" in table.columns else None
        where = f"{row.sheet}!{row.cells.get('value', '')}"
        if row.values.get("value") is None or _text(row.values.get("value")) == "":
            if figure is not None:
                plan.figures.append(
                    _planned(key, indicator, None, "", None, None, None, figure, where)
                )
            continue
        read = planner.value_and_qualifier(row, indicator)
        if read is None:
            continue
        plan.figures.append(
            _planned(key, indicator, read[0], read[1], note, None, None, figure, where)
        )
    if plan.changes and not access.can(user, Action.IMPORT, report):
        plan.errors.append(
            Problem(table.sheet, 0, "", "", access.decide(user, Action.IMPORT, report).reason)
        )
    planner.check_rules({key: report}, seen)
    return plan


def problems_csv(problems: Iterable[Problem]) -> str:
    """An error report people open in Excel: where, what, why."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_("Sheet"), _("Row"), _("Cell"), _("Value"), _("Problem")])
    for problem in problems:
        writer.writerow(
            [problem.sheet, problem.row or "", problem.cell, problem.value, problem.reason]
        )
    return out.getvalue()
