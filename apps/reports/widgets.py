"""Widgets of the report form written in Python, with the markup of Django's own templates.

The report page of the admin renders a few hundred widgets: two inputs for each indicator of
the catalogue and, for the initiatives, a list of the report's figures to link. Rendering each
input and each option through Django's widget templates took most of the page's time; these
write the same markup directly (the tests compare them with Django's output).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.safestring import SafeString, mark_safe

from apps.html import escape_text
from apps.renderers import html_attrs

# The templates whose markup PythonOptionsMixin writes; a widget with others is left to Django.
SELECT_TEMPLATES = ("django/forms/widgets/select.html", "django/forms/widgets/select_option.html")


class GridInput(forms.TextInput):
    """A text input of the figure grid."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None):
        shown = self.format_value(value)
        html = f'<input type="{escape_text(self.input_type)}" name="{escape_text(name)}"'
        if shown is not None:
            html += f' value="{escape_text(shown)}"'
        html += html_attrs(self.build_attrs(self.attrs, attrs)) + ">"
        return mark_safe(html)  # every value above is escaped


class PythonOptionsMixin:
    """For Select widgets: django/forms/widgets/select.html and its options, in Python."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None
    ) -> SafeString:
        templates = (self.template_name, self.option_template_name)  # type: ignore[attr-defined]
        if templates != SELECT_TEMPLATES:
            return super().render(name, value, attrs, renderer)  # type: ignore[misc]
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        parts = [f'<select name="{escape_text(widget["name"])}"{html_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape_text(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape_text(option["value"])}"'
                    f"{html_attrs(option['attrs'])}>{escape_text(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value above is escaped


class PythonSelect(PythonOptionsMixin, forms.Select):
    pass


class PythonFilteredSelectMultiple(PythonOptionsMixin, FilteredSelectMultiple):
    pass
