"""The report form of the admin: the report's own fields plus one input per indicator of the
catalogue, grouped by work area, each with its unit and the previous period's value.

Inputs take what staff type (31800, 3.18万, 390多, 96%以上, 近4万 …). A value that cannot be read,
or that breaks a rule, is refused at its field with a message; warnings (a change above 50%
against the previous period, a parent below the sum of its children) are shown at their fields
and need an explicit confirmation. Whatever happens, every typed value stays on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.html import escape_text
from apps.indicators.choices import WorkArea
from apps.indicators.models import Indicator
from apps.indicators.numbers import FigureParseError, as_written, format_figure, parse_figure
from apps.indicators.rules import Finding, Previous

from . import selectors
from .models import AuditEntry, AuditKind, Figure, Report
from .services import ConcurrentEdit, FigureInput, check_version, figure_findings
from .widgets import GridInput

VALUE_PREFIX = "value__"
NOTE_PREFIX = "note__"


@dataclass
class FigureRow:
    indicator: Indicator
    depth: int
    value: forms.BoundField | None
    note: forms.BoundField | None
    figure: Figure | None
    previous: Previous | None
    warnings: list[str] = field(default_factory=list)
    conflict: AuditEntry | None = None

    @property
    def previous_display(self) -> str:
        if self.previous is None:
            return ""
        return format_figure(self.previous.value, self.previous.qualifier, self.indicator.unit)

    @property
    def current_display(self) -> str:
        if self.figure is None:
            return ""
        return format_figure(self.figure.value, self.figure.qualifier, self.indicator.unit)


@dataclass
class FigureGroup:
    work_area: str
    label: str
    rows: list[FigureRow]

    @property
    def filled(self) -> int:
        return sum(1 for row in self.rows if row.figure is not None)

    def rows_html(self, editable: bool) -> SafeString:
        """The group's table rows. Written in Python rather than by the template, as the public
        tables are: the form has a row for each of the catalogue's indicators, and the template
        loop took a fifth of the form's time. ``editable``: inputs, or the values as text."""
        e = escape_text
        computed = e(_("computed"))
        parts: list[str] = []
        for row in self.rows:
            indicator, value, figure = row.indicator, row.value, row.figure
            css = f"figure-row depth-{row.depth}"
            if value is not None and value.errors:
                css += " has-error"
            if row.warnings:
                css += " has-warning"
            name = e(indicator.name)
            if value is not None:
                name = f'<label for="{e(value.id_for_label)}">{name}</label>'
            parts.append(f'<tr class="{css}"><th scope="row">{name}')
            if indicator.definition:
                title = e(indicator.definition)
                parts.append(f' <span class="definition" title="{title}">ⓘ</span>')
            if figure is not None and figure.has_own_period:
                parts.append(f' <span class="tag">{e(figure.period_label)}</span>')
            parts.append('</th><td class="value">')
            if indicator.is_computed:
                shown = e(row.current_display or "—")
                parts.append(f'<output>{shown}</output> <span class="muted">{computed}</span>')
            elif editable and value is not None:
                parts.append(str(value))
                parts.extend(f'<div class="field-error">{e(error)}</div>' for error in value.errors)
                parts.extend(f'<div class="field-warning">{e(text)}</div>' for text in row.warnings)
                if row.conflict is not None:
                    message = _("%(who)s changed this to %(value)s.") % {
                        "who": row.conflict.user or _("someone"),
                        "value": row.conflict.new_value or "—",
                    }
                    parts.append(f'<div class="field-warning">{e(message)}</div>')
            else:
                parts.append(e(row.current_display or "—"))
            parts.append(f'</td><td class="unit">{e(indicator.get_unit_display())}</td>')
            if row.previous is not None:
                parts.append(
                    f'<td class="previous">{e(row.previous_display)} '
                    f'<span class="muted">{e(row.previous.period_label)}</span></td>'
                )
            else:
                parts.append('<td class="previous"><span class="muted">—</span></td>')
            if editable and row.note is not None:
                note = str(row.note)
            else:
                note = e(figure.note if figure is not None else "")
            parts.append(f'<td class="note">{note}</td></tr>\n')
        return mark_safe("".join(parts))  # every value above is escaped


def _depths(indicators: list[Indicator]) -> dict[int, int]:
    parents = {i.pk: i.part_of_id for i in indicators}
    depths = {}
    for indicator in indicators:
        depth, parent = 0, indicator.part_of_id
        while parent is not None and depth < 5:
            depth, parent = depth + 1, parents.get(parent)
        depths[indicator.pk] = depth
    return depths


class ReportForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_warnings = forms.BooleanField(
        required=False,
        label=gettext_lazy("I have checked the figures marked for checking and want to save them."),
    )
    confirmed_warnings = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Report
        fields = Report.CONTENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.figure_entries: dict[str, FigureInput | None] = {}
        self.findings: list[Finding] = []
        self.pending_warnings: list[Finding] = []
        self.conflicts: dict[str, AuditEntry] = {}
        self.confirmed_keys: set[str] = set()
        self.indicators: list[Indicator] = []
        self.existing: dict[str, Figure] = {}
        if self.instance.pk is None:
            return
        self.fields["version"].initial = self.instance.version
        self.indicators = list(Indicator.objects.active().order_by("position", "code"))
        self.existing = {
            f.indicator.code: f for f in self.instance.figures.select_related("indicator")
        }
        self.previous = selectors.previous_figures(self.instance)
        for indicator in self.indicators:
            if indicator.is_computed:
                continue
            figure = self.existing.get(indicator.code)
            self.fields[VALUE_PREFIX + indicator.code] = forms.CharField(
                required=False,
                max_length=40,
                label=indicator.name,
                initial=as_written(figure.value, figure.qualifier, indicator.unit)
                if figure
                else "",
                widget=GridInput(attrs={"class": "figure-input", "inputmode": "decimal"}),
            )
            self.fields[NOTE_PREFIX + indicator.code] = forms.CharField(
                required=False,
                max_length=300,
                label=_("note"),
                initial=figure.note if figure else "",
                widget=GridInput(attrs={"class": "figure-note"}),
            )

    # --- validation -------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        try:
            check_version(self.instance, cleaned.get("version"))
        except ConcurrentEdit as error:
            # Keep everything typed; the form now carries the stored version, so saving again
            # after reading the message keeps these values deliberately.
            self.data = self.data.copy()
            self.data["version"] = str(error.current_version)
            self.conflicts = {c.field: c for c in error.changes if c.kind == AuditKind.FIGURE}
            raise ValidationError(error.messages, code="concurrent") from error
        self._read_figures()
        # The rules run on whatever could be read, so every field gets its message at once.
        catalogue = {i.code: i for i in Indicator.objects.all()}
        self.findings, _existing = figure_findings(self.instance, self.figure_entries, catalogue)
        warnings = []
        for finding in self.findings:
            name = VALUE_PREFIX + finding.indicator
            if finding.is_error:
                self.add_error(name if name in self.fields else None, finding.message)
            else:
                warnings.append(finding)
        confirmed = set(filter(None, (cleaned.get("confirmed_warnings") or "").split(",")))
        unconfirmed = [
            w for w in warnings if not (cleaned.get("confirm_warnings") and w.key in confirmed)
        ]
        if unconfirmed:
            self.pending_warnings = warnings
            # The hidden field lists what was shown, so the confirmation covers exactly that.
            self.data = self.data.copy()
            self.data["confirmed_warnings"] = ",".join(sorted(w.key for w in warnings))
            self.data["confirm_warnings"] = ""
        if unconfirmed and not self.errors:
            raise ValidationError(
                _(
                    "Please check the figures marked below. If they are right, tick the box "
                    "“I have checked …” and save again."
                ),
                code="warnings",
            )
        self.confirmed_keys = {w.key for w in warnings}
        return cleaned

    def _read_figures(self) -> None:
        for indicator in self.indicators:
            name = VALUE_PREFIX + indicator.code
            if name not in self.fields:
                continue
            text = (self.cleaned_data.get(name) or "").strip()
            note = (self.cleaned_data.get(NOTE_PREFIX + indicator.code) or "").strip()
            figure = self.existing.get(indicator.code)
            if not text:
                if figure is not None:
                    self.figure_entries[indicator.code] = None
                continue
            try:
                parsed = parse_figure(text, indicator.unit)
            except FigureParseError as error:
                self.add_error(name, str(error))
                continue
            entry = FigureInput(parsed.value, parsed.qualifier, note)
            if figure is None or (figure.value, figure.qualifier, figure.note) != (
                entry.value,
                entry.qualifier,
                entry.note,
            ):
                self.figure_entries[indicator.code] = entry

    # --- rendering --------------------------------------------------------------------

    def figure_groups(self) -> list[FigureGroup]:
        warnings: dict[str, list[str]] = {}
        for finding in self.pending_warnings:
            warnings.setdefault(finding.indicator, []).append(finding.message)
        depths = _depths(self.indicators)
        groups: dict[str, list[FigureRow]] = {area: [] for area in WorkArea.values}
        for indicator in self.indicators:
            name = VALUE_PREFIX + indicator.code
            groups[indicator.work_area].append(
                FigureRow(
                    indicator=indicator,
                    depth=depths[indicator.pk],
                    value=self[name] if name in self.fields else None,
                    note=self[NOTE_PREFIX + indicator.code] if name in self.fields else None,
                    figure=self.existing.get(indicator.code),
                    previous=self.previous.get(indicator.code),
                    warnings=warnings.get(indicator.code, []),
                    conflict=self.conflicts.get(indicator.code),
                )
            )
        return [
            FigureGroup(area, WorkArea(area).label, rows) for area, rows in groups.items() if rows
        ]

    @property
    def figure_errors(self) -> int:
        return sum(1 for name in self.errors if name.startswith(VALUE_PREFIX))


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        required=False,
        help_text=gettext_lazy("Say what must be changed; the clerk sees this."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".xlsm", ".csv")):
            raise ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _(
                    "The file is %(size)s MB; files up to %(limit)s MB can be imported. Split it "
                    "into parts."
                )
                % {
                    "size": f"{upload.size / 1_048_576:.1f}",
                    "limit": f"{settings.IMPORT_MAX_BYTES / 1_048_576:.0f}",
                }
            )
        return upload
