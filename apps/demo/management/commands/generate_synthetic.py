"""python manage.py generate_synthetic --orgs 33000 --years 15

A national tree with annual reports and figures for load tests and benchmarks (see
apps.demo.synthetic). --replace removes an earlier synthetic tree first."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.commands import follow, progress_bar
from apps.demo import synthetic
from apps.indicators.catalogue import load_catalogue
from apps.organizations.models import Organisation


class Command(BaseCommand):
    help = "Generate a synthetic national tree of organisations with reports and figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=1000, help="About this many organisations.")
        parser.add_argument("--years", type=int, default=5, help="Annual reports per organisation.")
        parser.add_argument("--first-year", type=int, default=2010)
        parser.add_argument("--indicators", type=int, default=60, help="Indicators per report.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="Remove earlier synthetic data.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        orgs, years, quiet = options["orgs"], options["years"], options["quiet"]
        if orgs < 5 or years < 1:
            raise CommandError("Generate at least 5 organisations and 1 year.")
        if Organisation.objects.filter(code=synthetic.PREFIX).exists():
            if not options["replace"]:
                raise CommandError(
                    "Synthetic data exists already; use --replace to generate it again."
                )
            self.stdout.write(
                f"Removed {synthetic.remove():,} earlier synthetic organisations and their reports."
            )
        load_catalogue()
        shape = synthetic.shape_for(orgs)
        reports = shape.total * years
        started = time.perf_counter()
        bar = progress_bar(self.stderr, quiet=quiet, total=reports, unit="reports", smoothing=0.1)

        def stage(text: str) -> None:
            bar.close()
            if not quiet:
                self.stderr.write(text)

        result = synthetic.generate(
            orgs,
            years,
            first_year=options["first_year"],
            indicators=options["indicators"],
            seed=options["seed"],
            progress=follow(bar),
            stage=stage,
        )
        bar.close()
        self.stdout.write(
            f"Generated {result.organisations:,} organisations, {result.reports:,} reports "
            f"({result.unapproved:,} not approved, {result.narrated:,} with narrative and "
            f"initiatives) and {result.figures:,} figures in {time.perf_counter() - started:.0f} s."
        )
