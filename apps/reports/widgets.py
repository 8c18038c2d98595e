"""The figure grid's input, written in Python with the markup of Django's input template.

The report form has two inputs for each indicator of the catalogue; this one writes its markup
directly, without building the widget context the renderer would be given (the tests compare it
with Django's output). Other widgets are written by the project's form renderer
(apps/renderers.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.safestring import mark_safe

from apps.renderers import input_html


class GridInput(forms.TextInput):
    """A text input of the figure grid."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        html = input_html(self.input_type, name, self.format_value(value), attrs)
        return mark_safe(html)  # input_html escapes every value
