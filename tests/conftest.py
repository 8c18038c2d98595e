"""Shared fixtures. The test database is created once per run with the demo loaded into it
(the catalogue, the organisation tree and the reports from the seed documents); each test runs
in a transaction that is rolled back, so tests may change anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from apps.demo.loader import load_demo

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_PASSWORD = "demo-password-for-tests"


TEST_SETTINGS = {
    "PASSWORD_HASHERS": FAST_HASHERS,
    # The test client speaks plain HTTP, and static files come from the source folders.
    "SECURE_SSL_REDIRECT": False,
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Uploaded files of the whole run go to a temporary folder, never into the checkout."""
    root = tmp_path_factory.mktemp("media")
    static = tmp_path_factory.mktemp("static")
    with override_settings(MEDIA_ROOT=root, STATIC_ROOT=static, **TEST_SETTINGS):
        yield root


@pytest.fixture(scope="session")
def django_db_setup(media_root, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo(DEMO_PASSWORD)


@pytest.fixture
def member(db):
    """``member(username, organisation_code, role)``: a staff account with a role."""

    def make(username: str, organisation_code: str, role: str):
        from django.contrib.auth import get_user_model

        from apps.organizations.models import Membership, Organisation

        user = get_user_model().objects.create_user(
            username, password="a-long-test-password", is_staff=True
        )
        Membership.objects.create(
            user=user, organisation=Organisation.objects.get(code=organisation_code), role=role
        )
        return user

    return make


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, media_root: Path) -> None:
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = media_root


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request to /en/ in an earlier test
    leaves English active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages and the cached publication version never leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
