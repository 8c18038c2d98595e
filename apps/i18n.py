"""The request's language on the hot path of the public pages.

Django keeps the active language in an ``asgiref`` Local: each ``get_language()`` costs about a
microsecond, and each lazy choice label (``Unit.PERSONS.label``) costs a gettext lookup on top.
A national table asks for them thousands of times (names, units, links, numbers), so a public
page sets its language once (``page_language``) and the code below reads it from a ContextVar,
and remembers each choice label per language. Outside such a block everything falls back to
Django's own ``get_language()``: the admin, commands and tests behave as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum

from django.conf import settings
from django.utils.translation import get_language

_page_language: ContextVar[str | None] = ContextVar("unionreports_page_language", default=None)


@contextmanager
def page_language(language: str) -> Iterator[None]:
    """Within this block ``current_language()`` is ``language`` without asking Django. The
    caller promises the language does not change inside it (a public page's request)."""
    token = _page_language.set(language)
    try:
        yield
    finally:
        _page_language.reset(token)


def current_language() -> str:
    return _page_language.get() or get_language() or settings.LANGUAGE_CODE


def is_english() -> bool:
    return current_language().startswith("en")


# (choices class, value, language) → label. Labels come from the compiled catalogues, which do
# not change while the process runs; the key holds the language, so a switch is never mixed up.
_labels: dict[tuple[type[Enum], str, str], str] = {}


def choice_label(choices: type[Enum], value: str) -> str:
    """The label of one of a TextChoices' values in the current language; the value itself
    when it is not one of the choices (data older than the catalogue)."""
    language = _page_language.get() or get_language()
    key = (choices, value, language or "")
    label = _labels.get(key)
    if label is None:
        try:
            label = str(choices(value).label)  # type: ignore[attr-defined]
        except ValueError:
            return value
        if language:  # with translation deactivated (None) labels are the source strings
            _labels[key] = label
    return label
