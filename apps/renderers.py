"""The form renderer: Django's, with the plainest widgets (inputs, text areas, selects, photo
pickers), labels and error lists written in Python.

A report's admin page renders hundreds of fields (the figure grid, and for every narrative
section, initiative and honour its inputs, text areas, selects, photo pickers and labels). Each
went through Django's templates (input.html including attrs.html, textarea.html, label.html, the
error list), which cost more than the rest of the field's work. ``WidgetRenderer`` writes those
same templates' markup directly (the tests compare it with Django's, byte for byte) and leaves
every other template to Django. A template that a project or app overrides is not Django's own
any more: the renderer then uses the template.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import django.contrib.admin
import django.forms
from django.forms.renderers import DjangoTemplates

from apps.html import escape_text

WIDGETS = "django/forms/widgets/"
# Django's own widget templates (the forms' and the admin's), which the renderer's engine finds
# unless something overrides them.
DJANGO_TEMPLATES = (
    Path(django.forms.__file__).parent / "templates",
    Path(django.contrib.admin.__file__).parent / "templates",
)


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


def input_html(input_type: str, name: str, value: Any, attrs: dict[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    shown = f' value="{escape_text(value)}"' if value is not None else ""
    return (
        f'<input type="{escape_text(input_type)}" '
        f'name="{escape_text(name)}"{shown}{html_attrs(attrs)}>'
    )


def _input(context: dict[str, Any]) -> str:
    widget = context["widget"]
    return input_html(widget["type"], widget["name"], widget["value"], widget["attrs"])


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


def _select(context: dict[str, Any]) -> str | None:
    """django/forms/widgets/select.html with its options (select_option.html); None when an
    option has a template of its own."""
    widget = context["widget"]
    parts = [f'<select name="{escape_text(widget["name"])}"{html_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape_text(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION:
                return None
            parts.append(
                f'\n  <option value="{escape_text(option["value"])}"'
                f"{html_attrs(option['attrs'])}>{escape_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _clearable_file_input(context: dict[str, Any], *, admin: bool) -> str:
    """django/forms/widgets/clearable_file_input.html, or the admin's
    admin/widgets/clearable_file_input.html (``admin``): the file input, and for a file already
    there its link and, unless required, the box that clears it."""
    widget = context["widget"]
    attrs = widget["attrs"]
    field = (
        f'<input type="{escape_text(widget["type"])}" '
        f'name="{escape_text(widget["name"])}"{html_attrs(attrs)}>'
    )
    if not widget["is_initial"]:
        return "\n" + field
    value = widget["value"]
    clear = ""
    if not widget["required"]:
        box_id = escape_text(widget["checkbox_id"])
        flags = (" disabled" if attrs.get("disabled") else "") + (
            " checked" if attrs.get("checked") else ""
        )
        box = (
            f'\n<input type="checkbox" name="{escape_text(widget["checkbox_name"])}" '
            f'id="{box_id}"{flags}>\n'
            f'<label for="{box_id}">{escape_text(widget["clear_checkbox_label"])}</label>'
        )
        clear = f'\n<span class="clearable-file-input">{box}</span>' if admin else box
    current = (
        f'{escape_text(widget["initial_text"])}: <a href="{escape_text(value.url)}">'
        f"{escape_text(value)}</a>{clear}<br>\n{escape_text(widget['input_text'])}:\n{field}"
    )
    return f'<p class="file-upload">{current}</p>' if admin else current


# Template → writer, with the templates it includes (each must be Django's own).
_INPUT_TEMPLATES = (WIDGETS + "input.html", WIDGETS + "attrs.html")
_ERROR_LIST = "django/forms/errors/list/ul.html"
_OPTION = WIDGETS + "select_option.html"
Writer = Callable[[dict[str, Any]], "str | None"]  # None: render the template after all
WRITERS: dict[str, tuple[Writer, tuple[str, ...]]] = {
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
WRITERS[WIDGETS + "select.html"] = (_select, (WIDGETS + "attrs.html", _OPTION))
WRITERS[WIDGETS + "clearable_file_input.html"] = (
    partial(_clearable_file_input, admin=False),
    (WIDGETS + "attrs.html",),
)
WRITERS["admin/widgets/clearable_file_input.html"] = (
    partial(_clearable_file_input, admin=True),
    (WIDGETS + "attrs.html",),
)
WRITERS["django/forms/label.html"] = (_label, ("django/forms/attrs.html",))
WRITERS[_ERROR_LIST] = (_error_list, ())
WRITERS["django/forms/errors/list/default.html"] = (_error_list, (_ERROR_LIST,))


class WidgetRenderer(DjangoTemplates):
    """Django's template renderer; the templates in ``WRITERS`` written in Python while they
    are Django's own."""

    def __init__(self) -> None:
        super().__init__()
        self._writers: dict[str, Writer | None] = {}

    def is_djangos(self, template_name: str) -> bool:
        """Whether the engine loads Django's own file for this name."""
        origin = Path(self.get_template(template_name).template.origin.name)
        return any(origin.is_relative_to(folder) for folder in DJANGO_TEMPLATES)

    def writer(self, template_name: str) -> Writer | None:
        """The writer of this template while it and what it includes are Django's own
        (decided once for each name)."""
        if template_name not in self._writers:
            write, included = WRITERS.get(template_name, (None, ()))
            own = write is not None and all(map(self.is_djangos, (template_name, *included)))
            self._writers[template_name] = write if own else None
        return self._writers[template_name]

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        write = self.writer(template_name)
        html = write(context) if write is not None else None
        if html is not None:
            return html.strip()  # as Django's renderer strips
        return super().render(template_name, context, request)
