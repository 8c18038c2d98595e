"""python manage.py rebuild_stats

Recompute the public summaries (apps.dashboards.models) from the reports. Approvals keep them in
step by themselves; run this after writing reports or figures into the database by other means
(a bulk load, a restore, a hand-made fix), or to check them: --check reports any difference
and changes nothing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.dashboards import stats


class Command(BaseCommand):
    help = "Recompute the public summary tables from the approved reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only compare; exit 1 if they differ."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["check"]:
            differences = stats.differences()
            if differences:
                raise CommandError(
                    "The summaries differ from the reports in: " + ", ".join(differences)
                )
            self.stdout.write("The summaries match the reports.")
            return
        with transaction.atomic():
            counts = stats.rebuild()
        self.stdout.write(
            "Rebuilt "
            + ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in counts.items())
            + f" in {time.perf_counter() - started:.1f} s."
        )
