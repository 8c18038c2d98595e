"""The demo: the catalogue, the organisation tree and one approved report per organisation and
period that a seed document covers, taken figure by figure from the documents in ``seeds/``.

Everything is keyed on natural keys (organisation code, report period, indicator code,
position), so loading twice changes nothing the second time. Reports are written through the
same services as every other write: an approved demo report whose data file changed is reopened,
corrected and approved again, and all of it is in its change records.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction

from apps.indicators.catalogue import load_catalogue
from apps.indicators.models import Indicator
from apps.indicators.numbers import parse_figure
from apps.organizations.models import Membership, Organisation, Role
from apps.reports.models import (
    AuditEntry,
    AuditKind,
    AuditOrigin,
    Honour,
    Initiative,
    Report,
    ReportSection,
    Status,
)
from apps.reports.services import (
    FigureInput,
    record,
    record_changes,
    report_approve,
    report_create,
    report_reopen,
    report_save,
    report_submit,
)

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
SEEDS_DIR = HERE / "seeds"
DEFAULT_PASSWORD = "unionreports-demo"

# username, organisation code (None: administrator), role
DEMO_ACCOUNTS: list[tuple[str, str | None, str | None]] = [
    ("admin", None, None),
    ("gaoyou", "js-yz-gaoyou", Role.CLERK),
    ("jiangdu", "js-yz-jiangdu", Role.CLERK),
    ("yangzhou", "js-yz", Role.REVIEWER),
]


class DemoDataError(ValueError):
    pass


@dataclass
class DemoSummary:
    organisations: int = 0
    indicators: int = 0
    reports: int = 0
    figures: int = 0
    accounts: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


def _sync(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``instance`` and save it only when something changed."""
    changed = instance._state.adding
    for key, value in values.items():
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed = True
    if changed:
        instance.full_clean()
        instance.save()
    return changed


def squeeze(text: str) -> str:
    """Text without any whitespace: the seeds break lines in the middle of sentences."""
    return re.sub(r"\s+", "", text)


def missing_source_fragments(source: str, seed_text: str) -> list[str]:
    """Fragments of ``source`` ("…" separates fragments that the seed prints apart) that the
    seed document does not contain."""
    squeezed = squeeze(seed_text)
    return [part for part in source.split("…") if part.strip() and squeeze(part) not in squeezed]


def load_organisations(path: Path = DATA_DIR / "organisations.toml") -> int:
    with path.open("rb") as handle:
        entries = tomllib.load(handle)["organisation"]
    by_code = {
        o.code: o for o in Organisation.objects.filter(code__in=[e["code"] for e in entries])
    }
    for entry in entries:
        parent = by_code.get(entry["parent"]) if entry.get("parent") else None
        if entry.get("parent") and parent is None:
            raise DemoDataError(
                f"{entry['code']}: parent {entry['parent']!r} comes later or is missing"
            )
        organisation = by_code.get(entry["code"]) or Organisation(code=entry["code"])
        _sync(
            organisation,
            {
                "name": entry["name"],
                "short_name": entry["short_name"],
                "name_en": entry.get("name_en", ""),
                "short_name_en": entry.get("short_name_en", ""),
                "level": entry["level"],
                "parent": parent,
            },
        )
        by_code[organisation.code] = organisation
    return len(entries)


def _source_name(seed: str) -> str:
    name = f"sources/demo/{seed}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile((SEEDS_DIR / seed).read_bytes()))
        if saved != name:  # pragma: no cover - storage renamed it; keep what it chose
            name = saved
    return name


def _desired_figures(
    entry: dict[str, Any], seed: str, indicators: dict[str, Indicator]
) -> dict[str, FigureInput]:
    start, end = entry["period"]
    desired: dict[str, FigureInput] = {}
    for item in entry.get("figure", []):
        code = item["indicator"]
        indicator = indicators.get(code)
        if indicator is None:
            raise DemoDataError(f"{seed}: unknown indicator {code!r}")
        if code in desired:
            raise DemoDataError(
                f"{seed}: {entry['organisation']} {start}-{end} states {code} twice"
            )
        parsed = parse_figure(item["text"], indicator.unit)
        period = item.get("period", (start, end))
        desired[code] = FigureInput(
            value=parsed.value,
            qualifier=parsed.qualifier,
            note=item.get("note", ""),
            period=(period[0], period[1]),
            source=item["source"],
        )
    return desired


def _figure_changes(
    report: Report, desired: dict[str, FigureInput]
) -> dict[str, FigureInput | None]:
    """The figure changes that make the report hold exactly ``desired``."""
    changes: dict[str, FigureInput | None] = {}
    existing = {
        f.indicator.code: f for f in report.figures.select_related("indicator") if not f.is_computed
    }
    for code, entry in desired.items():
        figure = existing.get(code)
        if figure is None or (
            figure.value,
            figure.qualifier,
            figure.note,
            (figure.period_start, figure.period_end),
            figure.source,
        ) != (entry.value, entry.qualifier, entry.note, entry.period, entry.source):
            changes[code] = entry
    for code in existing.keys() - desired.keys():
        changes[code] = None
    return changes


CHILD_KINDS: dict[type[models.Model], str] = {
    ReportSection: AuditKind.SECTION,
    Initiative: AuditKind.INITIATIVE,
    Honour: AuditKind.HONOUR,
}


def content_rows(entry: dict[str, Any]) -> dict[type[models.Model], list[dict[str, Any]]]:
    """A report entry's narrative sections, initiatives and honours as model field values."""
    return {
        ReportSection: [
            {
                "part": s.get("part", "review"),
                "work_area": s.get("work_area", ""),
                "heading": s["heading"],
                "body": s["body"].strip(),
            }
            for s in entry.get("section", [])
        ],
        Initiative: [
            {
                "title": i["title"],
                "work_area": i.get("work_area", ""),
                "description": i.get("description", "").strip(),
                "participants": i.get("participants", "").strip(),
                "photo_caption": i.get("photo_caption", ""),
            }
            for i in entry.get("initiative", [])
        ],
        Honour: [
            {
                "title": h["title"],
                "level": h["level"],
                "conferred_by": h.get("conferred_by", ""),
                "recipient": h.get("recipient", ""),
            }
            for h in entry.get("honour", [])
        ],
    }


def _children_differ(report: Report, model: type[models.Model], rows: list[dict[str, Any]]) -> bool:
    children = model.objects.filter(report=report).order_by("position")  # type: ignore[attr-defined]
    if not rows:
        return children.exists()
    current = list(children.values(*rows[0].keys(), "position"))
    return current != [{**row, "position": n} for n, row in enumerate(rows, start=1)]


def _sync_children(
    report: Report, model: type[models.Model], rows: list[dict[str, Any]]
) -> list[AuditEntry]:
    """Make the report's children of ``model`` equal ``rows`` (matched by position) and return
    the change records."""
    kind, label = CHILD_KINDS[model], str(model._meta.verbose_name)
    current = {c.position: c for c in model.objects.filter(report=report)}  # type: ignore[attr-defined]
    entries = []
    for position, values in enumerate(rows, start=1):
        child = current.pop(position, None)
        before = str(child) if child is not None else ""
        child = child or model(report=report, position=position)
        if _sync(child, values):
            entries.append(
                record(
                    report,
                    None,
                    AuditOrigin.DEMO,
                    kind,
                    str(position),
                    before,
                    str(child),
                    label=label,
                )
            )
    for stale in current.values():
        entries.append(
            record(
                report,
                None,
                AuditOrigin.DEMO,
                kind,
                str(stale.position),
                str(stale),
                "",
                label=label,
            )
        )
        stale.delete()
    return entries


def _initiative_links(report: Report, entry: dict[str, Any], seed: str) -> list[set[int]]:
    figures = {f.indicator.code: f.pk for f in report.figures.select_related("indicator")}
    links = []
    for item in entry.get("initiative", []):
        codes = item.get("figures", [])
        unknown = [c for c in codes if c not in figures]
        if unknown:
            raise DemoDataError(
                f"{seed}: initiative {item['title']!r} names figures {unknown} the report lacks"
            )
        links.append({figures[c] for c in codes})
    return links


def _current_links(report: Report) -> list[set[int]]:
    return [
        set(initiative.figures.values_list("pk", flat=True))
        for initiative in report.initiatives.order_by("position")
    ]


def _load_report(entry: dict[str, Any], seed: str, indicators: dict[str, Indicator]) -> int:
    try:
        organisation = Organisation.objects.get(code=entry["organisation"])
    except Organisation.DoesNotExist:
        raise DemoDataError(f"{seed}: unknown organisation {entry['organisation']!r}") from None
    start, end = entry["period"]
    fields = {
        "title": entry.get("title", ""),
        "summary": entry.get("summary", "").strip(),
        "plan": entry.get("plan", "").strip(),
        "note": entry.get("note", "").strip(),
        "source_name": entry.get("source_name", ""),
    }
    report = Report.objects.filter(
        organisation=organisation, period_start=start, period_end=end
    ).first() or report_create(
        user=None,
        report=Report(organisation=organisation, period_start=start, period_end=end, **fields),
        origin=AuditOrigin.DEMO,
    )
    desired = _desired_figures(entry, seed, indicators)
    figure_changes = _figure_changes(report, desired)
    rows = content_rows(entry)
    source = _source_name(seed) if seed else ""
    differs = (
        bool(figure_changes)
        or any(getattr(report, key) != value for key, value in fields.items())
        or report.source_document.name != source
        or any(_children_differ(report, model, model_rows) for model, model_rows in rows.items())
        or _current_links(report) != _initiative_links(report, entry, seed)
    )
    if differs:
        if not report.is_editable:
            # An approved demo report changes only through the workflow, like any other.
            report_reopen(
                report=report, user=None, reason="演示数据已更新", origin=AuditOrigin.DEMO
            )
        for key, value in fields.items():
            setattr(report, key, value)
        report.source_document.name = source
        try:
            report_save(
                report=report,
                user=None,
                figures=figure_changes,
                origin=AuditOrigin.DEMO,
                confirm_warnings=True,
            )
        except ValidationError as error:
            raise DemoDataError(
                f"{seed}: {organisation.code} {start}-{end}: {error.messages}"
            ) from error
        for model, model_rows in rows.items():
            record_changes(_sync_children(report, model, model_rows))
        links = _initiative_links(report, entry, seed)
        for initiative, wanted in zip(report.initiatives.order_by("position"), links, strict=True):
            if set(initiative.figures.values_list("pk", flat=True)) != wanted:
                initiative.figures.set(wanted)
    if entry.get("status", Status.APPROVED) == Status.APPROVED and report.status != Status.APPROVED:
        if report.status != Status.SUBMITTED:
            report_submit(report=report, user=None, origin=AuditOrigin.DEMO)
        report_approve(report=report, user=None, origin=AuditOrigin.DEMO)
    return len(desired)


def report_entries(directory: Path = DATA_DIR / "reports") -> Iterator[tuple[dict[str, Any], str]]:
    """Every report entry of the demo data with the name of its seed document."""
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            document = tomllib.load(handle)
        seed = document.get("seed", "")
        if seed and not (SEEDS_DIR / seed).exists():
            raise DemoDataError(f"{path.name}: seed {seed!r} not found")
        for entry in document.get("report", []):
            yield entry, seed


def load_reports(directory: Path = DATA_DIR / "reports") -> tuple[int, int]:
    indicators = {i.code: i for i in Indicator.objects.all()}
    reports = figures = 0
    for entry, seed in report_entries(directory):
        figures += _load_report(entry, seed, indicators)
        reports += 1
    return reports, figures


def load_accounts(password: str) -> list[tuple[str, str]]:
    User = get_user_model()
    created = []
    for username, organisation_code, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.is_active = True
        user.is_staff = True
        user.is_superuser = organisation_code is None
        user.set_password(password)
        user.save()
        if organisation_code is None:
            Membership.objects.filter(user=user).delete()
            created.append((username, "administrator"))
            continue
        organisation = Organisation.objects.get(code=organisation_code)
        Membership.objects.update_or_create(
            user=user, defaults={"organisation": organisation, "role": role}
        )
        created.append((username, f"{role} · {organisation.name}"))
    return created


@transaction.atomic
def load_demo(password: str | None = None) -> DemoSummary:
    summary = DemoSummary(password=password or demo_password())
    summary.indicators = load_catalogue().total
    summary.organisations = load_organisations()
    summary.reports, summary.figures = load_reports()
    summary.accounts = load_accounts(summary.password)
    return summary
