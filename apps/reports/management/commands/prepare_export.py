"""python manage.py prepare_export [--force]

Writes the file of every published figure (a zip holding the CSV) into the media storage, for
the site to serve when there are more figures than it writes on request
(EXPORT_ON_REQUEST_MAX_FIGURES). Run it from cron, every hour say: it does nothing while no
report has been approved or reopened since the last file."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.commands import figures_bar, finish, follow
from apps.reports.exports import prepare_export, prepared_export_is_current


class Command(BaseCommand):
    help = "Prepare the download of every published figure (a zip of the CSV) in the storage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Write it again even if nothing has changed."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, force: bool, quiet: bool, **options: Any) -> None:
        if not force and prepared_export_is_current():
            self.stdout.write("The prepared file is up to date: nothing was written.")
            return
        started = time.perf_counter()
        bar = figures_bar(self.stderr, quiet=quiet)
        export = prepare_export(force=force, progress=follow(bar))
        finish(bar)
        if export is None:  # prepared by another run in the meantime
            self.stdout.write("The prepared file is up to date: nothing was written.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Prepared {export.figures:,} figures ({export.size / 1e6:,.1f} MB) at "
                f"publication version {export.version} in {time.perf_counter() - started:.0f} s: "
                f"{export.file.name}"
            )
        )
