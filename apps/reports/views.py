"""Uploaded files (source documents, photos) are served through Django, never straight from
the media folder: a file of an unpublished report is visible only to those who may see the
report itself."""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest

from . import access
from .models import Report


def media(request: HttpRequest, name: str) -> FileResponse:
    report = (
        Report.objects.filter(source_document=name).first()
        or Report.objects.filter(initiatives__photo=name).first()
    )
    if report is None or not default_storage.exists(name):
        raise Http404
    if not report.is_published and not access.can(request.user, access.Action.VIEW, report):
        raise Http404
    content_type, _encoding = mimetypes.guess_type(name)
    if name.endswith(".txt"):
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=content_type or "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
