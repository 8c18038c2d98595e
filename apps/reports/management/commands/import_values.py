"""python manage.py import_values FILE [--dry-run] [--user NAME] [--errors PATH] [--accept-warnings]

Imports the long format (the columns of export_values) from .xlsx or .csv (UTF-8 or GBK): all
of the file or nothing. Without --user it runs as the system; with it, that account's scope
applies (a reviewer imports only within its subtree)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.commands import follow, progress_bar
from apps.reports import imports, services


class Command(BaseCommand):
    help = "Import figures of many organisations and periods from a .xlsx or .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; change nothing."
        )
        parser.add_argument("--user", help="Import as this account, within its scope.")
        parser.add_argument(
            "--errors", type=Path, help="Where to write the list of problems (CSV)."
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="Import even when figures raise warnings "
            "(changes above 50%%, parents below children).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(
        self,
        *args: Any,
        file: Path,
        dry_run: bool,
        user: str | None,
        errors: Path | None,
        accept_warnings: bool,
        quiet: bool,
        **options: Any,
    ) -> None:
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        account = None
        if user:
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"No active account {user!r}.")
        try:
            table = imports.read_table(file, file.name, imports.LONG_COLUMNS, imports.LONG_REQUIRED)
        except imports.ImportFileError as error:
            raise CommandError(str(error)) from error
        bar = progress_bar(
            self.stderr, quiet=quiet, total=len(table.rows), unit="rows", desc="checking"
        )
        plan = imports.plan_values(table, account, follow(bar))
        bar.close()
        counts = plan.counts()
        self.stdout.write(
            f"{counts['rows']} rows: {counts['new']} new, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged figures; {counts['new_reports']} new reports; "
            f"{counts['errors']} errors, {counts['warnings']} warnings."
        )
        problems = plan.errors + plan.warnings
        if problems:
            target = errors or file.with_name(file.name + ".problems.csv")
            target.write_text(imports.problems_csv(problems), encoding="utf-8")
            self.stdout.write(f"Problems listed in {target}")
            for problem in problems[:10]:
                self.stdout.write(
                    f"  {problem.sheet} row {problem.row} {problem.cell}: {problem.reason}"
                )
        if plan.errors:
            raise CommandError("The file has errors; nothing was imported.")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if plan.warnings and not accept_warnings:
            raise CommandError(
                "Some figures need checking (see above); run again with --accept-warnings to "
                "import them."
            )
        try:
            with progress_bar(
                self.stderr, quiet=quiet, total=1, desc="importing", bar_format="{desc}: {elapsed}"
            ) as spinner:
                services.import_apply(plan=plan, user=account)
                spinner.update(1)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError("; ".join(getattr(error, "messages", [str(error)]))) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {counts['new'] + counts['changed']} figures into {counts['reports']} "
                f"reports."
            )
        )
