"""apps.html.escape_text: the templates' ``{{ value }}`` escaping for markup written in Python."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from apps.html import escape_text


class Marked:
    """Not a string at all, but says how it is written in HTML (as forms and widgets do)."""

    def __html__(self) -> str:
        return "<b>as is</b>"


class Shown:
    def __str__(self) -> str:
        return "R&D <unit>"


@pytest.mark.parametrize(
    "value",
    [
        "3.18万",
        "",
        "<script>alert('x')</script> & \"quotes\"",
        mark_safe("<em>safe</em> & kept"),
        gettext_lazy("Indicator"),
        Decimal("35.85"),
        12,
        None,
        Marked(),
        Shown(),
    ],
    ids=repr,
)
def test_escapes_as_django_does(value):
    assert escape_text(value) == conditional_escape(value)
