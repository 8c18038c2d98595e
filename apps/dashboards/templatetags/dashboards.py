"""Links: to the site's pages, and to the current page with one thing changed."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

from apps.dashboards.selectors import url_with

register = template.Library()


@register.simple_tag
def page_url(name: str, *args: Any) -> str:
    """``{% url %}`` for the site's pages, from the ``reverse()`` remembered per language: the
    header and footer alone link nine pages, and each ``{% url %}`` resolves and reverses anew."""
    return url_with(name, *args)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current URL's query with ``changes`` applied (None or "" removes a parameter)."""
    request = context["request"]
    query: QueryDict = request.GET.copy()
    for key in ("download", "format"):
        if key not in changes:
            query.pop(key, None)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def download_url(context, table_key: str, fmt: str) -> str:
    """This page's URL asking for one of its tables as a file."""
    return context["request"].path + query_with(context, download=table_key, format=fmt)
