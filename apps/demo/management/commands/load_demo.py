from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.demo.loader import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo: the indicator catalogue, the organisation tree, the reports taken from "
        "the seed documents, and the demo accounts (password from DEMO_PASSWORD). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo()
        except DemoDataError as error:
            raise CommandError(f"The demo data is inconsistent: {error}") from error
        self.stdout.write(
            f"Demo loaded: {summary.indicators} indicators, {summary.organisations} organisations, "
            f"{summary.reports} reports with {summary.figures} figures."
        )
        self.stdout.write(f"Demo accounts (password: {summary.password}):")
        for username, role in summary.accounts:
            self.stdout.write(f"  {username:<10} {role}")
