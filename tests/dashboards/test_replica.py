"""Public reads go to the replica named by DATABASE_REPLICA_URL, unless it has not caught up
with what is published; everything else stays on the primary. Run in a separate process with
its own settings (two SQLite files stand in for a primary and a lagging replica)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import shutil, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.core.cache import cache
from apps.demo.loader import load_demo
from apps.reports.models import Publication

primary, replica = sys.argv[1], sys.argv[2]
call_command("migrate", verbosity=0)
load_demo("a-long-demo-password")
connections.close_all()
shutil.copyfile(primary, replica)  # the replica has caught up

def visit(url):
    cache.clear()
    with CaptureQueriesContext(connections["default"]) as on_primary, \
            CaptureQueriesContext(connections["replica"]) as on_replica:
        response = Client().get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(on_primary), len(on_replica)

primary_count, replica_count = visit("/compare/?parent=js-sz")
print("current", primary_count, replica_count)

Publication.bump()  # something was approved; the replica has not seen it yet
primary_count, replica_count = visit("/compare/?parent=js-sz")
print("behind", primary_count, replica_count)

admin_primary, admin_replica = 0, 0
with CaptureQueriesContext(connections["default"]) as on_primary, \
        CaptureQueriesContext(connections["replica"]) as on_replica:
    Client().get("/admin/login/")
print("admin", len(on_primary), len(on_replica))
"""


def test_public_pages_read_from_a_current_replica_and_never_from_a_lagging_one(tmp_path):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "unionreports.settings",
        "SECRET_KEY": "replica-test-secret-key",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SQLITE_PATH": str(primary),
        "DATABASE_REPLICA_URL": f"sqlite:///{replica}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(primary), str(replica)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {
        parts[0]: (int(parts[1]), int(parts[2]))
        for parts in (line.split() for line in result.stdout.splitlines() if line)
    }
    # Caught up: the page's data comes from the replica; the primary gives only the version.
    on_primary, on_replica = lines["current"]
    assert on_replica >= 4
    assert on_primary <= 1
    # Behind: the replica is asked for its version once, and the page reads the primary.
    on_primary, on_replica = lines["behind"]
    assert on_replica == 1
    assert on_primary >= 4
    # Signing in and everything else never touch the replica.
    assert lines["admin"][1] == 0
