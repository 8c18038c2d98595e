"""Configuration from the environment: loud on bad values, safe by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "unionreports.example.org",
    "DATABASE_URL": "sqlite:////tmp/unionreports-settings-test.sqlite3",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_outside_debug_stops_with_a_clear_message():
    result = run("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_bad_boolean_is_refused():
    result = run("check", DEBUG="maybe", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("url", ["postgres://u:p@db.example.org:5432/unionreports"])
def test_database_url_selects_postgresql(url):
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'unionreports.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x" * 60},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"no Redis at {url}")
    return url


def node(code: str, **env: str) -> str:
    """Run ``code`` as one app node would: its own process, production-like settings."""
    prelude = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'unionreports.settings'; "
        "django.setup(); "
    )
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x" * 60, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_with_redis_the_app_nodes_share_sessions_and_the_cache(tmp_path):
    env = {"REDIS_URL": _redis_url(), "CACHE_KEY_PREFIX": f"test-{os.getpid()}-{tmp_path.name}"}
    assert node(
        "from django.conf import settings; print(settings.SESSION_ENGINE, "
        "settings.CACHES['default']['BACKEND'])",
        **env,
    ) == ("django.contrib.sessions.backends.cache apps.dashboards.redis_cache.RedisCache")
    # A session started on one node is there on another, as is what one node cached.
    key = node(
        "from django.contrib.sessions.backends.cache import SessionStore; "
        "from django.core.cache import cache; "
        "s = SessionStore(); s['who'] = 'reviewer'; s.save(); cache.set('shared', 42); "
        "print(s.session_key)",
        **env,
    )
    seen = node(
        "from django.contrib.sessions.backends.cache import SessionStore; "
        "from django.core.cache import cache; "
        f"s = SessionStore(session_key={key!r}); print(s.get('who'), cache.get('shared')); "
        # Only what this test wrote: clear() would empty the Redis database under another run.
        "s.delete(); cache.delete('shared')",
        **env,
    )
    assert seen == "reviewer 42"


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    from apps.dashboards.redis_cache import RedisCache

    url = _redis_url()
    cache = RedisCache(url, {"KEY_PREFIX": f"test-client-{os.getpid()}"})
    first = cache._cache.get_client("a", write=True)
    # Django's own backend builds a new client per call; this one hands out the same.
    assert cache._cache.get_client("b", write=True) is first
    assert cache._cache.get_client("c") is first  # one server: reads use the same pool
    cache.set("k", {"v": 1})
    assert cache.get_many(["k", "missing"]) == {"k": {"v": 1}}
    cache.delete("k")
    assert cache.get("k") is None


def test_uploaded_files_go_to_the_configured_storage():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.base_location)"
    )
    shown = node(
        code,
        MEDIA_STORAGE="django.core.files.storage.FileSystemStorage",
        MEDIA_STORAGE_OPTIONS='{"location": "/srv/shared-media"}',
    )
    assert shown == "FileSystemStorage /srv/shared-media"
