"""The demo: the catalogue, the organisation tree and one approved report per organisation and
period that a seed document covers, taken figure by figure from the documents in ``seeds/``.

Everything is keyed on natural keys (organisation code, report period, indicator code,
position), so loading twice changes nothing the second time.
"""

from __future__ import annotations

import os
import re
import tomllib
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
from apps.reports.models import Figure, Honour, Initiative, Report, ReportSection, Status
from apps.reports.services import report_compute_rates

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


def _attach_source(report: Report, seed: str) -> None:
    name = f"sources/demo/{seed}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile((SEEDS_DIR / seed).read_bytes()))
        if saved != name:  # pragma: no cover - storage renamed it; keep what it chose
            name = saved
    if report.source_document.name != name:
        report.source_document.name = name
        report.save(update_fields=["source_document"])


def _load_report(entry: dict[str, Any], seed: str, indicators: dict[str, Indicator]) -> int:
    try:
        organisation = Organisation.objects.get(code=entry["organisation"])
    except Organisation.DoesNotExist:
        raise DemoDataError(f"{seed}: unknown organisation {entry['organisation']!r}") from None
    start, end = entry["period"]
    report = Report.objects.filter(
        organisation=organisation, period_start=start, period_end=end
    ).first() or Report(organisation=organisation, period_start=start, period_end=end)
    _sync(
        report,
        {
            "status": entry.get("status", Status.APPROVED),
            "title": entry.get("title", ""),
            "summary": entry.get("summary", "").strip(),
            "plan": entry.get("plan", "").strip(),
            "note": entry.get("note", "").strip(),
            "source_name": entry.get("source_name", ""),
        },
    )
    _attach_source(report, seed)

    # Figures, keyed by indicator.
    existing = {f.indicator.code: f for f in report.figures.select_related("indicator")}
    wanted: set[str] = set()
    for item in entry.get("figure", []):
        code = item["indicator"]
        indicator = indicators.get(code)
        if indicator is None:
            raise DemoDataError(f"{seed}: unknown indicator {code!r}")
        if code in wanted:
            raise DemoDataError(f"{seed}: {organisation.code} {start}-{end} states {code} twice")
        wanted.add(code)
        parsed = parse_figure(item["text"], indicator.unit)
        figure_start, figure_end = item.get("period", (start, end))
        figure = existing.get(code) or Figure(report=report, indicator=indicator)
        try:
            _sync(
                figure,
                {
                    "value": parsed.value,
                    "qualifier": parsed.qualifier,
                    "period_start": figure_start,
                    "period_end": figure_end,
                    "note": item.get("note", ""),
                    "source": item["source"],
                },
            )
        except ValidationError as error:
            raise DemoDataError(f"{seed}: {code} = {item['text']!r}: {error.messages}") from error
        existing[code] = figure
    typed = [f for c, f in existing.items() if c not in wanted and not f.is_computed]
    for figure in typed:
        figure.delete()
    report_compute_rates(report=report)

    _sync_children(
        report,
        ReportSection,
        [
            {
                "part": s.get("part", "review"),
                "work_area": s.get("work_area", ""),
                "heading": s["heading"],
                "body": s["body"].strip(),
            }
            for s in entry.get("section", [])
        ],
    )
    initiatives = _sync_children(
        report,
        Initiative,
        [
            {
                "title": i["title"],
                "work_area": i.get("work_area", ""),
                "description": i.get("description", "").strip(),
                "participants": i.get("participants", "").strip(),
                "photo_caption": i.get("photo_caption", ""),
            }
            for i in entry.get("initiative", [])
        ],
    )
    figures_by_code = {f.indicator.code: f for f in report.figures.select_related("indicator")}
    for initiative, item in zip(initiatives, entry.get("initiative", []), strict=True):
        codes = item.get("figures", [])
        unknown = [c for c in codes if c not in figures_by_code]
        if unknown:
            raise DemoDataError(
                f"{seed}: initiative {item['title']!r} names figures {unknown} the report lacks"
            )
        wanted_ids = {figures_by_code[c].pk for c in codes}
        if set(initiative.figures.values_list("pk", flat=True)) != wanted_ids:
            initiative.figures.set(wanted_ids)
    _sync_children(
        report,
        Honour,
        [
            {
                "title": h["title"],
                "level": h["level"],
                "conferred_by": h.get("conferred_by", ""),
                "recipient": h.get("recipient", ""),
            }
            for h in entry.get("honour", [])
        ],
    )
    return len(wanted)


def _sync_children(
    report: Report, model: type[models.Model], rows: list[dict[str, Any]]
) -> list[Any]:
    """Make the report's children of ``model`` equal ``rows``, matched by position."""
    current = {child.position: child for child in model.objects.filter(report=report)}  # type: ignore[attr-defined]
    result = []
    for position, values in enumerate(rows, start=1):
        child = current.pop(position, None) or model(report=report, position=position)
        _sync(child, values)
        result.append(child)
    for stale in current.values():
        stale.delete()
    return result


def load_reports(directory: Path = DATA_DIR / "reports") -> tuple[int, int]:
    indicators = {i.code: i for i in Indicator.objects.all()}
    reports = figures = 0
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            document = tomllib.load(handle)
        seed = document["seed"]
        if not (SEEDS_DIR / seed).exists():
            raise DemoDataError(f"{path.name}: seed {seed!r} not found")
        for entry in document.get("report", []):
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
