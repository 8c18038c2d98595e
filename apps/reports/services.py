"""Writes to reports. Every write path (the admin's forms, actions and inlines, imports, the demo
loader) goes through these functions, so that access, the lock on submitted and approved
reports, the rules, the version check against concurrent edits and the audit trail hold the same
everywhere.

``user=None`` means the system (a management command); it may do anything, and is recorded as
such in the audit trail.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.indicators.choices import Qualifier
from apps.indicators.models import Indicator
from apps.indicators.numbers import as_written
from apps.indicators.rules import Finding, check_figures

from . import selectors
from .access import Action, require
from .models import (
    AuditEntry,
    AuditKind,
    AuditOrigin,
    Figure,
    Publication,
    Report,
    Status,
)
from .signals import report_publication_changed, report_status_changed

# Report fields whose changes are recorded: everything staff can edit.
AUDITED_FIELDS = Report.CONTENT_FIELDS


class ConcurrentEdit(ValidationError):
    """Someone else saved the report after this copy of it was opened. ``changes`` are their
    change records since that copy's version; ``current_version`` is the stored version."""

    def __init__(self, message: str, *, current_version: int, changes: list[AuditEntry]):
        super().__init__(message, code="concurrent")
        self.current_version = current_version
        self.changes = changes


class RulesFailed(ValidationError):
    """The figures break a rule, or raise warnings nobody has confirmed."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.is_error] or findings
        super().__init__([f.message for f in errors], code="rules")

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]


@dataclass(frozen=True)
class FigureInput:
    """What a person or a file says about one indicator of a report. ``period`` and ``source``
    left as None keep what the figure has (or the report's period for a new figure)."""

    value: Decimal
    qualifier: str = Qualifier.EXACT
    note: str = ""
    period: tuple[int, int] | None = None
    source: str | None = None


@dataclass
class SaveResult:
    report: Report
    changes: list[AuditEntry] = field(default_factory=list)


# --- the audit trail ----------------------------------------------------------------------


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, FieldFile):
        return value.name or ""
    return str(value)


def created_entry(report: Report, user, origin: str) -> AuditEntry:
    """The audit line of a report's creation (as a draft)."""
    return record(
        report, user, origin, AuditKind.STATUS, "status", "", Status.DRAFT.label, label=_("created")
    )


def record(
    report: Report,
    user,
    origin: str,
    kind: str,
    field_name: str,
    old: Any,
    new: Any,
    *,
    label: str = "",
    reason: str = "",
) -> AuditEntry:
    return AuditEntry(
        report=report,
        user=_user(user),
        origin=origin,
        kind=kind,
        field=field_name,
        label=label,
        old_value=_display(old),
        new_value=_display(new),
        reason=reason,
    )


def _save_entries(entries: Iterable[AuditEntry], version: int | None = None) -> list[AuditEntry]:
    entries = list(entries)
    for entry in entries:
        if entry.version is None:
            entry.version = version if version is not None else entry.report.version
    return AuditEntry.objects.bulk_create(entries)


# --- versions -----------------------------------------------------------------------------


def _concurrent_edit(report: Report, expected: int, current: int) -> ConcurrentEdit:
    changes = list(
        report.audit_entries.filter(version__gt=expected)
        .select_related("user")
        .order_by("at", "pk")
    )
    people = sorted(
        {
            (c.user.get_full_name() or c.user.get_username()) if c.user else _("the system")
            for c in changes
        }
    )
    items = "; ".join(
        f"{c.label or c.field}: {c.old_value or '—'} → {c.new_value or '—'}" for c in changes[:12]
    )
    if len(changes) > 12:
        items += " …"
    message = _(
        "%(who)s saved this report after you opened it. Nothing of yours was saved, and what "
        "you typed is still on this page. Their changes: %(changes)s. Check these, then save "
        "again to keep your values."
    ) % {"who": "、".join(people) or _("Someone"), "changes": items or _("(not recorded)")}
    return ConcurrentEdit(message, current_version=current, changes=changes)


def check_version(report: Report, expected: int | None) -> None:
    """Refuse when the stored report is newer than the copy being saved. Holds a row lock on
    PostgreSQL until the transaction ends, so the save that follows cannot be overtaken."""
    if expected is None:
        return
    current = (
        Report.objects.select_for_update().filter(pk=report.pk).values_list("version", flat=True)
    ).first()
    if current is not None and current != expected:
        raise _concurrent_edit(report, expected, current)


def _claim_version(report: Report, expected: int | None) -> None:
    expected = report.version if expected is None else expected
    claimed = Report.objects.filter(pk=report.pk, version=expected).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not claimed:
        current = Report.objects.filter(pk=report.pk).values_list("version", flat=True).first()
        raise _concurrent_edit(report, expected, current or 0)
    report.version = expected + 1


# --- creating and editing -----------------------------------------------------------------


@transaction.atomic
def report_create(*, user, report: Report, origin: str = AuditOrigin.FORM) -> Report:
    """Create ``report`` (an unsaved Report with its fields set) as a draft."""
    require(user, Action.ADD, organisation=report.organisation)
    report.status = Status.DRAFT
    report.full_clean()
    report.save()
    _save_entries([created_entry(report, user, origin)])
    return report


def _field_changes(report: Report, user, origin: str) -> list[AuditEntry]:
    stored = Report.objects.get(pk=report.pk)
    entries = []
    for name in AUDITED_FIELDS:
        old, new = getattr(stored, name), getattr(report, name)
        if _display(old) != _display(new):
            label = str(Report._meta.get_field(name).verbose_name)
            entries.append(
                record(report, user, origin, AuditKind.FIELD, name, old, new, label=label)
            )
    return entries


@transaction.atomic
def report_save(
    *,
    report: Report,
    user,
    figures: Mapping[str, FigureInput | None] | None = None,
    origin: str = AuditOrigin.FORM,
    expected_version: int | None = None,
    confirm_warnings: bool | Collection[str] = False,
) -> SaveResult:
    """Save an existing report's fields (already set on ``report``) and, when given, its
    figures, as one change: checked, versioned and audited."""
    require(user, Action.CHANGE, Report.objects.get(pk=report.pk))
    check_version(report, expected_version)
    entries = _field_changes(report, user, origin)
    if figures:
        prepared = _prepare_figures(report, figures, confirm_warnings)
    _claim_version(report, expected_version)
    report.save()
    if figures:
        entries += _write_figures(report, user, origin, prepared)
    return SaveResult(report, _save_entries(entries))


@transaction.atomic
def report_set_figures(
    *,
    report: Report,
    user,
    figures: Mapping[str, FigureInput | None],
    origin: str,
    expected_version: int | None = None,
    confirm_warnings: bool | Collection[str] = False,
) -> SaveResult:
    """Set some of the report's figures (``None`` removes one), after the rules."""
    report = Report.objects.select_related("organisation__parent").get(pk=report.pk)
    require(user, Action.CHANGE, report)
    check_version(report, expected_version)
    prepared = _prepare_figures(report, figures, confirm_warnings)
    _claim_version(report, expected_version)
    return SaveResult(report, _save_entries(_write_figures(report, user, origin, prepared)))


@dataclass
class _Prepared:
    catalogue: dict[str, Indicator]
    existing: dict[str, Figure]
    figures: Mapping[str, FigureInput | None]


def figure_findings(
    report: Report, figures: Mapping[str, FigureInput | None], catalogue: dict[str, Indicator]
) -> tuple[list[Finding], dict[str, Figure]]:
    """The rules' findings if ``figures`` were applied to ``report``: errors anywhere, warnings
    for the figures that change."""
    existing = {f.indicator.code: f for f in report.figures.select_related("indicator")}
    values = {code: f.value for code, f in existing.items() if not f.is_computed}
    changed: set[str] = set()
    for code, entry in figures.items():
        if code not in catalogue:
            raise ValidationError(_("Unknown indicator %(code)s.") % {"code": code})
        before = existing.get(code)
        if entry is None:
            values.pop(code, None)
            continue
        values[code] = entry.value
        if before is None or before.value != entry.value:
            changed.add(code)
    findings = check_figures(
        values,
        catalogue,
        previous=selectors.previous_figures(report),
        children_sums=selectors.children_sums(report),
    )
    findings = [f for f in findings if f.is_error or f.indicator in changed]
    return findings, existing


def _prepare_figures(
    report: Report, figures: Mapping[str, FigureInput | None], confirm: bool | Collection[str]
) -> _Prepared:
    catalogue = {i.code: i for i in Indicator.objects.all()}
    for code in figures:
        indicator = catalogue.get(code)
        if indicator is not None and indicator.is_computed and figures[code] is not None:
            raise ValidationError(
                _("%(name)s is computed from other figures and cannot be entered.")
                % {"name": indicator.name}
            )
    findings, existing = figure_findings(report, figures, catalogue)
    warnings = [f for f in findings if not f.is_error]
    confirmed = confirm is True or (
        not isinstance(confirm, bool) and {w.key for w in warnings} <= set(confirm)
    )
    if any(f.is_error for f in findings) or (warnings and not confirmed):
        raise RulesFailed(findings)
    return _Prepared(catalogue, existing, figures)


def figure_label(indicator: Indicator) -> str:
    """How a change record names a figure: 新建工会组织（家）."""
    return f"{indicator.name}（{indicator.unit}）"


def _figure_text(figure: Figure | None, indicator: Indicator) -> str:
    if figure is None:
        return ""
    text = as_written(figure.value, figure.qualifier, indicator.unit)
    return f"{text}（{figure.note}）" if figure.note and not figure.is_computed else text


def _write_figures(report: Report, user, origin: str, prepared: _Prepared) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for code, entry in prepared.figures.items():
        indicator = prepared.catalogue[code]
        figure = prepared.existing.get(code)
        before = _figure_text(figure, indicator)
        label = figure_label(indicator)
        if entry is None:
            if figure is not None:
                figure.report = report
                figure.delete()
                entries.append(
                    record(report, user, origin, AuditKind.FIGURE, code, before, "", label=label)
                )
            continue
        if figure is None:
            figure = Figure(report=report, indicator=indicator)
        period = entry.period or (figure.period_start, figure.period_end)
        source = figure.source if entry.source is None else entry.source
        if figure.pk is not None and (
            figure.value,
            figure.qualifier,
            figure.note,
            (figure.period_start, figure.period_end),
            figure.source,
        ) == (entry.value, entry.qualifier, entry.note, period, source):
            continue
        figure.report = report
        figure.value, figure.qualifier, figure.note = entry.value, entry.qualifier, entry.note
        figure.period_start, figure.period_end = period
        figure.source = source
        figure.full_clean()
        figure.save()
        entries.append(
            record(
                report,
                user,
                origin,
                AuditKind.FIGURE,
                code,
                before,
                _figure_text(figure, indicator),
                label=label,
            )
        )
    entries += _compute_rates(report, user)
    return entries


def _compute_rates(report: Report, user) -> list[AuditEntry]:
    return _compute_rates_for([report], user)


def _compute_rates_for(reports: list[Report], user) -> list[AuditEntry]:
    """(Re)compute the computed rates of ``reports`` from their numerator and denominator
    figures, in a few queries however many reports. A computed rate exists only while both of
    its parts do, the denominator is not zero and the result is a valid rate; otherwise any
    stale value is removed."""
    computed = list(
        Indicator.objects.computed().active().select_related("numerator", "denominator")
    )
    if not computed or not reports:
        return []
    by_id = {r.pk: r for r in reports}
    needed = {i.numerator_id for i in computed} | {i.denominator_id for i in computed}
    computed_ids = {i.pk for i in computed}
    parts: dict[tuple[int, int], Figure] = {}
    current: dict[tuple[int, int], Figure] = {}
    for figure in Figure.objects.filter(
        report_id__in=by_id, indicator_id__in=needed | computed_ids
    ):
        target = current if figure.indicator_id in computed_ids else parts
        target[(figure.report_id, figure.indicator_id)] = figure
    entries, creates, updates, deletes = [], [], [], []
    for report in reports:
        for indicator in computed:
            numerator = parts.get((report.pk, indicator.numerator_id))
            denominator = parts.get((report.pk, indicator.denominator_id))
            figure = current.get((report.pk, indicator.pk))
            value: Decimal | None = None
            if numerator is not None and denominator is not None and denominator.value > 0:
                quantum = Decimal(1).scaleb(-indicator.decimal_places)
                value = (numerator.value / denominator.value * 100).quantize(
                    quantum, rounding=ROUND_HALF_UP
                )
                if not (0 <= value <= 100):
                    value = None
            before = _figure_text(figure, indicator)
            if value is None:
                if figure is None:
                    continue
                deletes.append(figure.pk)
                after = ""
            else:
                exact = numerator.qualifier == denominator.qualifier == Qualifier.EXACT
                qualifier = Qualifier.EXACT if exact else Qualifier.ABOUT
                if figure is not None and (figure.value, figure.qualifier) == (value, qualifier):
                    continue
                note = f"= {indicator.numerator.name} ÷ {indicator.denominator.name} × 100"
                if figure is None:
                    figure = Figure.new(report, indicator, is_computed=True)
                    creates.append(figure)
                else:
                    updates.append(figure)
                figure.value, figure.qualifier, figure.note = value, qualifier, note
                after = _figure_text(figure, indicator)
            entries.append(
                record(
                    report,
                    user,
                    AuditOrigin.COMPUTED,
                    AuditKind.FIGURE,
                    indicator.code,
                    before,
                    after,
                    label=figure_label(indicator),
                )
            )
    # The reports are editable (checked by the callers); computed figures follow their parts.
    Figure.objects.filter(pk__in=deletes).delete()
    Figure.objects.bulk_create(creates, batch_size=2000)
    Figure.objects.bulk_update(updates, ["value", "qualifier", "note"], batch_size=2000)
    return entries


def report_compute_rates(*, report: Report, user=None) -> list[AuditEntry]:
    return _save_entries(_compute_rates(report, user))


@transaction.atomic
def report_delete(*, report: Report, user) -> None:
    require(user, Action.DELETE, report)
    report.delete()


def record_changes(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Store change records built with ``record`` (the admin's inlines use this)."""
    return _save_entries(entries)


# --- the workflow -------------------------------------------------------------------------

TRANSITIONS: dict[Action, str] = {
    Action.SUBMIT: Status.SUBMITTED,
    Action.RETURN: Status.RETURNED,
    Action.APPROVE: Status.APPROVED,
    Action.REOPEN: Status.RETURNED,
}
NEEDS_REASON = {Action.RETURN, Action.REOPEN}


def action_label(action: Action) -> str:
    return {
        Action.SUBMIT: _("submitted"),
        Action.RETURN: _("returned"),
        Action.APPROVE: _("approved"),
        Action.REOPEN: _("reopened"),
    }[action]


@transaction.atomic
def report_transition(
    *, report: Report, user, action: Action, reason: str = "", origin: str = AuditOrigin.WORKFLOW
) -> Report:
    """Move the report through the workflow: draft → submitted → approved; submitted →
    returned (with a reason) → submitted again; approved → reopened (with a reason), which
    returns it to its organisation for correction."""
    if action not in TRANSITIONS:
        raise ValueError(f"{action} is not a transition")
    current = (
        Report.objects.select_for_update(of=("self",))
        .select_related("organisation__parent")
        .get(pk=report.pk)
    )
    require(user, action, current)
    reason = (reason or "").strip()
    if action in NEEDS_REASON and not reason:
        raise ValidationError(
            {"reason": _("Give a reason, so that the clerk knows what to change.")}
        )
    if action == Action.SUBMIT and not (current.figures.exists() or current.summary.strip()):
        raise ValidationError(
            _("The report has no figures and no summary yet: there is nothing to submit.")
        )
    new_status = TRANSITIONS[action]
    now = timezone.now()
    Report.objects.filter(pk=current.pk).update(
        status=new_status,
        approved_at=now if new_status == Status.APPROVED else None,
        version=F("version") + 1,
        updated_at=now,
    )
    report.refresh_from_db()
    if Status.APPROVED in (current.status, new_status):
        Publication.bump()  # what the public sees changes with this transition
        report_publication_changed.send(
            sender=Report, report=report, published=new_status == Status.APPROVED
        )
    _save_entries(
        [
            record(
                report,
                user,
                origin,
                AuditKind.STATUS,
                "status",
                Status(current.status).label,
                Status(new_status).label,
                label=action_label(action),
                reason=reason,
            )
        ]
    )
    transaction.on_commit(
        lambda: report_status_changed.send(
            sender=Report, report=report, old=current.status, new=new_status
        )
    )
    return report


def report_submit(*, report: Report, user, origin: str = AuditOrigin.WORKFLOW) -> Report:
    return report_transition(report=report, user=user, action=Action.SUBMIT, origin=origin)


def report_return(
    *, report: Report, user, reason: str, origin: str = AuditOrigin.WORKFLOW
) -> Report:
    return report_transition(
        report=report, user=user, action=Action.RETURN, reason=reason, origin=origin
    )


def report_approve(*, report: Report, user, origin: str = AuditOrigin.WORKFLOW) -> Report:
    return report_transition(report=report, user=user, action=Action.APPROVE, origin=origin)


def report_reopen(
    *, report: Report, user, reason: str, origin: str = AuditOrigin.WORKFLOW
) -> Report:
    return report_transition(
        report=report, user=user, action=Action.REOPEN, reason=reason, origin=origin
    )


# --- imports ------------------------------------------------------------------------------


@transaction.atomic
def import_apply(*, plan, user, origin: str = AuditOrigin.IMPORT) -> dict[str, int]:
    """Write a checked import plan (apps.reports.imports) as a whole, or nothing: every report
    it changes is locked, checked again (it may have been submitted meanwhile), versioned and
    its changes recorded."""
    if not plan.is_valid:
        raise ValidationError(_("The file has errors; nothing was imported."))
    changes = plan.changes
    counts = plan.counts()
    if not changes:
        return counts
    keys = {figure.report_key for figure in changes}
    organisations = {key[0] for key in keys}
    reports: dict[tuple[int, int, int], Report] = {
        (r.organisation_id, r.period_start, r.period_end): r
        for r in Report.objects.select_for_update(of=("self",))
        .select_related("organisation__parent")
        .filter(organisation_id__in=organisations)
        if (r.organisation_id, r.period_start, r.period_end) in keys
    }
    entries: list[AuditEntry] = []
    for key in sorted(keys):
        report = reports.get(key)
        if report is not None:
            require(user, Action.IMPORT, report)
            continue
        organisation = plan.new_reports.get(key) or plan.organisations[key[0]]
        require(user, Action.IMPORT, organisation=organisation)
        report = Report(
            organisation=organisation, period_start=key[1], period_end=key[2], status=Status.DRAFT
        )
        report.full_clean(validate_unique=False, validate_constraints=False)
        reports[key] = report
    created = [r for r in reports.values() if r.pk is None]
    Report.objects.bulk_create(created, batch_size=2000)
    for report in created:
        entries.append(created_entry(report, user, origin))
    # Existing figures of the touched reports, by report and indicator.
    touched = {reports[key].pk: key for key in keys}
    existing = {
        (f.report_id, f.indicator_id): f
        for f in Figure.objects.filter(report_id__in=touched).iterator(chunk_size=5000)
    }
    creates, updates, deletes = [], [], []
    for planned in changes:
        report = reports[planned.report_key]
        indicator = planned.indicator
        figure = existing.get((report.pk, indicator.pk))
        label = figure_label(indicator)
        if planned.value is None:
            if figure is not None:
                deletes.append(figure.pk)
                entries.append(
                    record(
                        report,
                        user,
                        origin,
                        AuditKind.FIGURE,
                        indicator.code,
                        planned.before,
                        "",
                        label=label,
                    )
                )
            continue
        if figure is None:
            figure = Figure.new(report, indicator)
            creates.append(figure)
        else:
            updates.append(figure)
        figure.value, figure.qualifier = planned.value, planned.qualifier
        if planned.note is not None:
            figure.note = planned.note
        if planned.source is not None:
            figure.source = planned.source
        if planned.period is not None:
            figure.period_start, figure.period_end = planned.period
        entries.append(
            record(
                report,
                user,
                origin,
                AuditKind.FIGURE,
                indicator.code,
                planned.before,
                planned.after,
                label=label,
            )
        )
    Figure.objects.filter(pk__in=deletes).delete()
    Figure.objects.bulk_create(creates, batch_size=2000)
    Figure.objects.bulk_update(
        updates,
        ["value", "qualifier", "note", "source", "period_start", "period_end"],
        batch_size=2000,
    )
    touched_reports = [reports[key] for key in keys]
    entries += _compute_rates_for(touched_reports, user)
    Report.objects.filter(pk__in=[r.pk for r in touched_reports]).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    versions = dict(
        Report.objects.filter(pk__in=[r.pk for r in touched_reports]).values_list("pk", "version")
    )
    for entry in entries:
        entry.version = versions[entry.report.pk]
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return counts
