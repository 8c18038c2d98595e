"""Caching of the public pages.

Every public response is cached under the current publication version (apps.reports.models.
Publication), the language and the full URL, and carries an ETag and Last-Modified from the same
version. Approving or reopening a report bumps the version, so the next request renders afresh:
the cache follows approvals without anyone clearing it. Public pages touch neither the session
nor the user, so they set no cookie and can be cached by proxies as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

from apps.indicators.models import Indicator
from apps.organizations.models import Organisation
from apps.reports.models import Publication


def publication_state() -> tuple[int, float]:
    """(version, changed_at as a timestamp), from the cache or, once per change, the database."""
    state = cache.get(Publication.CACHE_KEY)
    if state is None:
        publication = Publication.current()
        state = (publication.version, publication.changed_at.timestamp())
        cache.set(Publication.CACHE_KEY, state, timeout=None)
    return state


@receiver(post_save, sender=Organisation)
@receiver(post_delete, sender=Organisation)
@receiver(post_save, sender=Indicator)
@receiver(post_delete, sender=Indicator)
def _names_changed(**kwargs: Any) -> None:
    """Names and the tree appear on every public page."""
    Publication.bump()


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve ``view`` from the cache of the current publication version, with validators."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        version, changed_at = publication_state()
        identity = f"{version}|{get_language()}|{request.get_full_path()}"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        etag = f'"{digest}"'
        if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
            response: HttpResponse = HttpResponseNotModified()
        else:
            key = f"unionreports:page:{digest}"
            response = cache.get(key)
            if response is None:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                if response.status_code == 200 and not response.streaming:
                    cache.set(key, response, timeout=settings.PUBLIC_CACHE_SECONDS)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(changed_at)
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_BROWSER_CACHE_SECONDS)
        return response

    return wrapped
