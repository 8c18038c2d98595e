"""The report form's figure grid."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from apps.reports.forms import FigureGroup

register = template.Library()


@register.simple_tag
def figure_rows(group: FigureGroup, editable: bool) -> SafeString:
    """A work area's rows of the grid: inputs where the user may change the report."""
    return group.rows_html(bool(editable))
