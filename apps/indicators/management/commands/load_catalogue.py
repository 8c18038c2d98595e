from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.indicators.catalogue import CATALOGUE_PATH, load_catalogue


class Command(BaseCommand):
    help = "Create or update the indicator catalogue from its TOML file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=CATALOGUE_PATH)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        result = load_catalogue(file)
        self.stdout.write(
            f"Indicator catalogue: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged."
        )
