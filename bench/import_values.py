"""Benchmark: import 100,000 figures in the long format (CSV), checked and applied.

    .venv/bin/python bench/import_values.py [--rows 100000]            # a throwaway SQLite file
    DATABASE_URL=postgres://… .venv/bin/python bench/import_values.py  # its own database

Builds organisations and indicators enough for the rows, writes the CSV, then times reading,
checking (parser and rules) and applying (one transaction), and prints the figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    os.environ["DEBUG"] = "0"
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        sys.path.insert(0, str(ROOT / "tests"))
        from browser.conftest import _postgres_database  # a database of its own

        os.environ["DATABASE_URL"] = _postgres_database(database_url, "unionreports_bench_import")
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(folder / "bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "unionreports.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.indicators.catalogue import load_catalogue
    from apps.indicators.models import Indicator
    from apps.organizations.models import Level, Organisation, OrganisationAncestry
    from apps.reports import imports, services

    call_command("migrate", verbosity=0)
    load_catalogue()
    indicators = list(
        Indicator.objects.typed()
        .filter(unit__in=["家", "人", "个", "场", "项"], part_of__isnull=True)
        .order_by("position")[:60]
    )
    per_org = len(indicators)
    count = -(-args.rows // per_org)
    root = Organisation.objects.create(
        code="bench", name="基准测试省总工会", short_name="基准", level=Level.PROVINCE
    )
    Organisation.objects.bulk_create(
        Organisation(
            code=f"bench-{n}",
            name=f"基准测试{n}县总工会",
            short_name=f"基准{n}",
            level=Level.COUNTY,
            parent=root,
        )
        for n in range(count)
    )
    OrganisationAncestry.rebuild()
    path = folder / "values.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["org_code", "period_start", "period_end", "indicator_code", "value", "qualifier"]
        )
        written = 0
        for n in range(count):
            for i, indicator in enumerate(indicators):
                if written == args.rows:
                    break
                writer.writerow(
                    [
                        f"bench-{n}",
                        2020,
                        2020,
                        indicator.code,
                        100 + (n * 7 + i * 13) % 900,
                        "exact",
                    ]
                )
                written += 1
    vendor = connection.vendor
    started = time.perf_counter()
    table = imports.read_table(path, path.name, imports.LONG_COLUMNS, imports.LONG_REQUIRED)
    read = time.perf_counter()
    plan = imports.plan_values(table, None)
    checked = time.perf_counter()
    assert plan.is_valid, plan.errors[:3]
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(services.import_apply, plan=plan, user=None)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        services.import_apply(plan=plan, user=None)
    applied = time.perf_counter()
    again = imports.plan_values(
        imports.read_table(path, path.name, imports.LONG_COLUMNS, imports.LONG_REQUIRED), None
    )
    rechecked = time.perf_counter()
    print(f"import of {written:,} figures into {count:,} new reports ({vendor}):")
    print(f"  read file   {read - started:7.2f} s")
    print(f"  check       {checked - read:7.2f} s   ({written / (checked - read):,.0f} rows/s)")
    print(
        f"  apply       {applied - checked:7.2f} s   ({written / (applied - checked):,.0f} rows/s)"
    )
    print(f"  total       {applied - started:7.2f} s")
    print(
        f"  re-import check (all unchanged: {len(again.changes) == 0}) {rechecked - applied:.2f} s"
    )
    connection.close()
    if database_url.startswith("postgres"):
        _postgres_database(database_url, "unionreports_bench_import", drop_only=True)


if __name__ == "__main__":
    main()
