"""Caching of the public pages.

Public responses are cached under their language and full URL together with the publication
version (apps.reports.models.Publication) they were rendered at; approving or reopening a report
increments the version, so the next request renders afresh: the cache follows approvals without
anyone clearing it. ``PublicCacheMiddleware`` sits first in the stack and answers a cached page
with one cache round trip (version and page fetched together), before sessions, authentication or
the database are touched; the ``public_page`` decorator marks what may be cached and handles
conditional requests. Public pages touch neither the session nor the user, so they set no cookie
and carry ETag and Last-Modified for browsers and proxies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language, get_language_from_path

from apps.i18n import page_language
from apps.indicators.models import Indicator
from apps.organizations.models import Organisation
from apps.reports.models import Publication

from .routing import public_reads

PAGE_PREFIX = "unionreports:page:"


# The state a public page is being rendered at (set by ``public_page``).
_page_state: ContextVar[tuple[int, float] | None] = ContextVar("page_state", default=None)


def publication_state() -> tuple[int, float]:
    """(version, changed_at as a timestamp), from the cache or, once per change, the database.
    Within a public page, the state it began at: read once, where the page asks five or six
    times (its ETag, the catalogue, the organisations …), each a round trip with Redis; and
    what the page shows is kept under the version its ETag names."""
    state = _page_state.get()
    if state is not None:
        return state
    state = cache.get(Publication.CACHE_KEY)
    if state is None:
        state = _stored_state()
    return state


@contextmanager
def _page_at(state: tuple[int, float]) -> Iterator[None]:
    """Within this block, ``publication_state()`` is ``state`` without asking the cache."""
    token = _page_state.set(state)
    try:
        yield
    finally:
        _page_state.reset(token)


Kept = TypeVar("Kept")
Arguments = ParamSpec("Arguments")


def kept_per_publication(
    maxsize: int,
) -> Callable[[Callable[Arguments, Kept]], Callable[Arguments, Kept]]:
    """A read kept in this process while the publication state is unchanged, by its (hashable)
    arguments: approving or reopening a report, and any change to an organisation or indicator,
    move the state on, and the next call reads afresh. What it returns is shared by requests,
    so it must be treated as read-only (tuples rather than lists)."""

    def decorate(read: Callable[Arguments, Kept]) -> Callable[Arguments, Kept]:
        @lru_cache(maxsize=maxsize)
        def kept(state: tuple[int, float], *args: Any, **kwargs: Any) -> Kept:
            return read(*args, **kwargs)

        @wraps(read)
        def current(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Kept:
            return kept(publication_state(), *args, **kwargs)

        return current

    return decorate


def _stored_state() -> tuple[int, float]:
    publication = Publication.current()
    state = (publication.version, publication.changed_at.timestamp())
    cache.set(Publication.CACHE_KEY, state, timeout=settings.PUBLICATION_STATE_SECONDS)
    return state


@receiver(post_save, sender=Organisation)
@receiver(post_delete, sender=Organisation)
@receiver(post_save, sender=Indicator)
@receiver(post_delete, sender=Indicator)
def _names_changed(**kwargs: Any) -> None:
    """Names and the tree appear on every public page."""
    Publication.bump()


def _page_key(language: str, full_path: str) -> str:
    return PAGE_PREFIX + hashlib.sha256(f"{language}|{full_path}".encode()).hexdigest()[:40]


def _etag(version: int, language: str, full_path: str) -> str:
    digest = hashlib.sha256(f"{version}|{language}|{full_path}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _validators(response: HttpResponse, version: int, changed_at: float, etag: str) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(changed_at)
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_BROWSER_CACHE_SECONDS)


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page: read from the replica when there is one, answered 304 when the browser
    holds the current version, and cached by PublicCacheMiddleware."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        state = publication_state()
        version, changed_at = state
        full_path = request.get_full_path()
        etag = _etag(version, get_language(), full_path)
        if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
            response: HttpResponse = HttpResponseNotModified()
        else:
            with _page_at(state), public_reads(version), page_language(get_language()):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
            if response.status_code == 200 and not response.streaming:
                response.public_cache = (_page_key(get_language(), full_path), version)
        _validators(response, version, changed_at, etag)
        return response

    return wrapped


class PublicCacheMiddleware:
    """First in the stack: serve a cached public page at once; store public pages on the way
    out, with every header the rest of the stack added."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and settings.PUBLIC_CACHE_SECONDS > 0:
            language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
            full_path = request.get_full_path()
            key = _page_key(language, full_path)
            found = cache.get_many([Publication.CACHE_KEY, key])
            state = found.get(Publication.CACHE_KEY)
            entry = found.get(key)
            if state is not None and entry is not None and entry[0] == state[0]:
                version, changed_at = state
                etag = _etag(version, language, full_path)
                if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
                    response: HttpResponse = HttpResponseNotModified()
                    _validators(response, version, changed_at, etag)
                    return response
                _version, status, headers, content = entry
                response = HttpResponse(content, status=status)
                for header, value in headers:
                    response[header] = value
                return response
        response = self.get_response(request)
        marked = getattr(response, "public_cache", None)
        if marked and response.status_code == 200 and settings.PUBLIC_CACHE_SECONDS > 0:
            key, version = marked
            entry = (version, response.status_code, list(response.items()), response.content)
            cache.set(key, entry, timeout=settings.PUBLIC_CACHE_SECONDS)
        return response
