"""The form renderer: Django's, with the plainest widgets, labels and error lists written in
Python.

A report's admin page renders hundreds of fields (the figure grid, and for every narrative
section, initiative and honour its inputs, text areas and labels). Each went through Django's
templates (input.html including attrs.html, textarea.html, label.html, the error list), which
cost more than the rest of the field's work. ``WidgetRenderer`` writes those same templates'
markup directly (the tests compare it with Django's, byte for byte) and leaves every other
template to Django. A template that a project or app overrides is not Django's own any more:
the renderer then uses the template.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates

from apps.html import escape_text

WIDGETS = "django/forms/widgets/"
# Django's own widget templates, which the renderer's engine finds unless something overrides.
DJANGO_FORMS_TEMPLATES = Path(django.forms.__file__).parent / "templates"


def html_attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: in order, False left out, True bare, values escaped
    unless already safe (the template's ``stringformat`` keeps safe strings safe)."""
    parts = []
    for attribute, setting in attrs.items():
        if setting is True:
            parts.append(f" {escape_text(attribute)}")
        elif setting is not False:
            parts.append(f' {escape_text(attribute)}="{escape_text(setting)}"')
    return "".join(parts)


def _input(context: dict[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    widget = context["widget"]
    value = widget["value"]
    shown = f' value="{escape_text(value)}"' if value is not None else ""
    return (
        f'<input type="{escape_text(widget["type"])}" '
        f'name="{escape_text(widget["name"])}"{shown}{html_attrs(widget["attrs"])}>'
    )


def _textarea(context: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    widget = context["widget"]
    value = widget["value"]
    return (
        f'<textarea name="{escape_text(widget["name"])}"{html_attrs(widget["attrs"])}>\n'
        f"{escape_text(value) if value else ''}</textarea>"
    )


def _label(context: dict[str, Any]) -> str:
    """django/forms/label.html: a field's label, in its tag when the field has an id."""
    label = escape_text(context["label"])
    if not context["use_tag"]:
        return label
    tag = escape_text(context["tag"])
    return f"<{tag}{html_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _error_list(context: dict[str, Any]) -> str:
    """django/forms/errors/list/ul.html: a field's (or form's) errors."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_ = f' id="{escape_text(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{escape_text(error)}</li>" for error in errors)
    return f'<ul class="{escape_text(context["error_class"])}"{id_}>{items}</ul>'


# Template → writer, with the templates it includes (each must be Django's own).
_INPUT_TEMPLATES = (WIDGETS + "input.html", WIDGETS + "attrs.html")
_ERROR_LIST = "django/forms/errors/list/ul.html"
WRITERS: dict[str, tuple[Callable[[dict[str, Any]], str], tuple[str, ...]]] = {
    WIDGETS + name: (_input, _INPUT_TEMPLATES)
    for name in (
        "input.html",
        "text.html",
        "number.html",
        "hidden.html",
        "checkbox.html",
        "email.html",
        "url.html",
        "password.html",
        "search.html",
        "tel.html",
    )
}
WRITERS[WIDGETS + "textarea.html"] = (_textarea, (WIDGETS + "attrs.html",))
WRITERS["django/forms/label.html"] = (_label, ("django/forms/attrs.html",))
WRITERS[_ERROR_LIST] = (_error_list, ())
WRITERS["django/forms/errors/list/default.html"] = (_error_list, (_ERROR_LIST,))


class WidgetRenderer(DjangoTemplates):
    """Django's template renderer; the templates in ``WRITERS`` written in Python while they
    are Django's own."""

    def __init__(self) -> None:
        super().__init__()
        self._own: dict[str, bool] = {}

    def is_djangos(self, template_name: str) -> bool:
        """Whether the engine loads Django's own file for this name (checked once)."""
        own = self._own.get(template_name)
        if own is None:
            origin = Path(self.get_template(template_name).template.origin.name)
            own = self._own[template_name] = origin.is_relative_to(DJANGO_FORMS_TEMPLATES)
        return own

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        found = WRITERS.get(template_name)
        if found is not None:
            write, included = found
            if self.is_djangos(template_name) and all(map(self.is_djangos, included)):
                return write(context).strip()  # as Django's renderer strips
        return super().render(template_name, context, request)
