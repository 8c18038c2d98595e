"""The admin's fieldsets written in Python: the markup of Django's admin/includes/fieldset.html.

A report's admin page shows a fieldset for each part of the report form and for every narrative
section and initiative; through the template each took a few milliseconds (a dozen variable
lookups and loops per field), most of the page's rendering once reports have their narrative.
``templates/admin/includes/fieldset.html`` calls this tag instead; the tests render every
fieldset of the report pages both ways and compare them byte for byte with the template of the
installed Django.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.helpers import Fieldset
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

from apps.html import escape_text

register = template.Library()


def _text(value: Any) -> str:
    """``{{ value }}``: localized and escaped unless safe."""
    return escape_text(localize(value))


def _lookup(field: Any, name: str) -> Any:
    """``field.<name>`` as a template resolves it: a key of a dict (a read-only field's) or
    an attribute; missing is empty."""
    if isinstance(field, dict):
        return field.get(name, "")
    return getattr(field, name, "")


def _nl(indent: int) -> str:
    """A line break and the template's indentation of the next line."""
    return "\n" + " " * indent


def fieldset_html(
    fieldset: Fieldset, heading_level: Any, prefix: Any, id_prefix: Any, id_suffix: Any
) -> SafeString:
    """The template's output, its line breaks and indentation included."""
    name = fieldset.name
    collapsible = bool(name) and fieldset.is_collapsible
    heading_id = f"{_text(prefix)}-{_text(id_prefix)}-{_text(id_suffix)}-heading"
    out = [f'<fieldset class="module aligned {_text(fieldset.classes)}"']
    if name:
        out.append(f' aria-labelledby="{heading_id}"')
    out.append(">" + _nl(4))
    if name:
        level = _text(heading_level or 2)
        out.append(_nl(8) + ("<details><summary>" if collapsible else ""))
        out.append(
            f'{_nl(8)}<h{level} id="{heading_id}" class="fieldset-heading">{_text(name)}'
            f"</h{level}>{_nl(8)}"
        )
        out.append(("</summary>" if collapsible else "") + _nl(4))
    out.append(_nl(4))
    if fieldset.description:
        out.append(f'{_nl(8)}<div class="description">{fieldset.description}</div>{_nl(4)}')
    out.append(_nl(4))
    for line in fieldset:
        fields = list(line)
        single = len(line.fields) == 1
        line_errors = line.errors() if single else ""
        row = "form-row"
        if line_errors:
            row += " errors"
        if not line.has_visible_field:
            row += " hidden"
        for field in fields:
            field_name = _lookup(field.field, "name")
            if field_name:
                row += f" field-{_text(field_name)}"
        out.append(f'{_nl(8)}<div class="{row}">{_nl(12)}')
        out.append(_text(line_errors) if single else '<div class="flex-container form-multiline">')
        out.append(_nl(12))
        for field in fields:
            out.append(f"{_nl(16)}<div>{_nl(20)}")
            readonly = field.is_readonly
            field_errors = field.errors() if not single and not readonly else ""
            out.append(_text(field_errors))
            box = "flex-container"
            if not single:
                box += " fieldBox"
                field_name = _lookup(field.field, "name")
                if field_name:
                    box += f" field-{_text(field_name)}"
                if field_errors:
                    box += " errors"
                if _lookup(field.field, "is_hidden"):
                    box += " hidden"
            if field.is_checkbox:
                box += " checkbox-row"
            out.append(f'{_nl(24)}<div class="{box}">{_nl(28)}')
            if field.is_checkbox:
                out.append(f"{_nl(32)}{_text(field.field)}{_text(field.label_tag())}")
            else:
                out.append(f"{_nl(32)}{_text(field.label_tag())}{_nl(32)}")
                if readonly:
                    out.append(f'{_nl(36)}<div class="readonly">{_text(field.contents())}</div>')
                else:
                    out.append(f"{_nl(36)}{_text(field.field)}")
                out.append(_nl(32))
            out.append(f"{_nl(28)}{_nl(24)}</div>{_nl(20)}")
            help_text = _lookup(field.field, "help_text")
            if help_text:
                hidden = " hidden" if _lookup(field.field, "is_hidden") else ""
                label_id = _lookup(field.field, "id_for_label")
                described = f' id="{_text(label_id)}_helptext"' if label_id else ""
                out.append(
                    f'{_nl(24)}<div class="help{hidden}"{described}>'
                    f"{_nl(28)}<div>{help_text}</div>{_nl(24)}</div>{_nl(20)}"
                )
            out.append(f"{_nl(16)}</div>{_nl(12)}")
        out.append(_nl(12) + ("" if single else "</div>"))
        out.append(f"{_nl(8)}</div>{_nl(4)}")
    out.append(_nl(4) + ("</details>" if collapsible else "") + "\n</fieldset>")
    return mark_safe("".join(out))  # every value above is escaped or marked safe by Django


@register.simple_tag(takes_context=True)
def admin_fieldset(context: template.Context) -> SafeString:
    """The fieldset of the including template (``fieldset``, ``heading_level``, ``prefix``,
    ``id_prefix``, ``id_suffix``), as Django's admin/includes/fieldset.html writes it."""
    return fieldset_html(
        context["fieldset"],
        context.get("heading_level", ""),
        context.get("prefix", ""),
        context.get("id_prefix", ""),
        context.get("id_suffix", ""),
    )
