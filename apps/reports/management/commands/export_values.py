"""python manage.py export_values > values.csv
python manage.py export_values --format xlsx --output values.xlsx"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.commands import counted, figures_bar
from apps.reports.exports import (
    published_figures,
    too_many_for_excel,
    value_rows,
    write_csv,
    write_xlsx,
)


class Command(BaseCommand):
    help = "Export every figure of every approved report, one row per figure (CSV or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--output", help="File to write; standard output when omitted (CSV only)."
        )
        parser.add_argument(
            "--bom",
            action="store_true",
            help="Start the CSV with a byte-order mark, for Excel.",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(
        self,
        *args: Any,
        format: str,
        output: str | None,
        bom: bool,
        quiet: bool,
        **options: Any,
    ) -> None:
        if format == "xlsx":
            if not output:
                raise CommandError("--format xlsx needs --output FILE (a workbook is binary).")
            refused = too_many_for_excel(published_figures().count())
            if refused:
                raise CommandError(refused)
        # On standard error, so that a CSV written to standard output stays clean.
        bar = figures_bar(self.stderr, quiet=quiet)
        rows = counted(value_rows(), bar)  # finishes the bar when the last row is read
        with bar:  # and closes it on an error
            if format == "xlsx":
                count = write_xlsx(rows, output)
            elif output:
                with open(output, "w", encoding="utf-8", newline="") as stream:
                    count = write_csv(rows, stream, bom=bom)
            else:
                # Every CSV line ends in "\n", so the wrapper adds nothing to it.
                count = write_csv(rows, self.stdout, bom=bom)  # type: ignore[arg-type]
        if output:
            self.stderr.write(f"{count} figures written to {output}")
