from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def languages(request: HttpRequest) -> dict[str, object]:
    """Links to the same page in each language (the language lives in the URL prefix)."""
    current = get_language()
    query = request.GET.urlencode()
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(request.path, code)
        if query:
            url = f"{url}?{query}"
        links.append({"code": code, "name": name, "url": url, "active": code == current})
    return {"language_links": links}
