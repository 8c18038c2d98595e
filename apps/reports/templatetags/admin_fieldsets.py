"""The admin's fieldsets and stacked inlines written in Python: the markup of Django's
admin/includes/fieldset.html and admin/edit_inline/stacked.html.

A report's admin page shows a fieldset for each part of the report form and for every narrative
section and initiative; through the template each took a few milliseconds (a dozen variable
lookups and loops per field), most of the page's rendering once reports have their narrative.
``templates/admin/includes/fieldset.html`` calls this tag instead; the tests render every
fieldset of the report pages both ways and compare them byte for byte with the template of the
installed Django. The report's narrative sections and initiatives are stacked inlines: the loop
over their forms, with a heading, a delete box and the hidden keys for each, cost another ~13% of
the page (18 of 133 ms in-process); their inlines' template,
``templates/admin/reports/edit_inline/stacked.html``, writes them in Python in the same way.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.helpers import Fieldset, InlineAdminFormSet
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

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


# Django's own template, for an inline whose forms link to their own admin pages.
DJANGO_STACKED = "admin/edit_inline/stacked.html"


def stacked_inline_html(formset: InlineAdminFormSet) -> SafeString:
    """admin/edit_inline/stacked.html's output (without its final line break) for an inline whose
    model has no admin page of its own (no change links)."""
    prefix = _text(formset.formset.prefix)
    opts = formset.opts
    collapsible = formset.is_collapsible
    name = opts.verbose_name if formset.formset.max_num == 1 else opts.verbose_name_plural
    out = [
        '\n<div class="js-inline-admin-formset inline-group"\n'
        f'     id="{prefix}-group"\n'
        '     data-inline-type="stacked"\n'
        f'     data-inline-formset="{_text(formset.inline_formset_data())}">\n'
        f'<fieldset class="module {_text(formset.classes)}" aria-labelledby="{prefix}-heading">'
        f"\n  {'<details><summary>' if collapsible else ''}\n"
        f'  <h2 id="{prefix}-heading" class="inline-heading">\n  \n'
        f"    {_text(capfirst(name))}\n  \n  </h2>\n"
        f"  {'</summary>' if collapsible else ''}\n"
        f"{_text(formset.formset.management_form)}\n"
        f"{_text(formset.formset.non_form_errors())}\n\n"
    ]
    label = _text(capfirst(opts.verbose_name))
    forms = list(formset)
    for counter0, form in enumerate(forms):
        empty = counter0 == len(forms) - 1 and formset.has_add_permission
        classes = "inline-related"
        if form.original or form.show_url:
            classes += " has_original"
        if empty:
            classes += " empty-form last-related"
        suffix = "empty" if empty else _text(counter0)
        title = f"{_text(form.original)}\n" if form.original else f"#{_text(counter0 + 1)}"
        out.append(
            f'<div class="{classes}" id="{prefix}-{suffix}">\n'
            f'  <h3><b>{label}:</b> <span class="inline_label">{title}</span>\n      '
        )
        if form.show_url:
            out.append(f'<a href="{_text(form.absolute_url)}">{_text(gettext("View on site"))}</a>')
        out.append("\n    ")
        if formset.formset.can_delete and formset.has_delete_permission and form.original:
            deletion = form.deletion_field()
            out.append(
                f'<span class="delete">{_text(deletion.field)} {_text(deletion.label_tag())}</span>'
            )
        out.append("\n  </h3>\n  ")
        errors = form.form.non_field_errors()
        if errors:
            out.append(_text(errors))
        out.append("\n\n  \n    ")
        for counter, fieldset in enumerate(form):
            out.append(
                "\n      "
                + fieldset_html(fieldset, 4, fieldset.formset.prefix, counter0, counter)
                + "\n\n    "
            )
        out.append("\n  \n\n  ")
        if form.needs_explicit_pk_field():
            out.append(_text(form.pk_field().field))
        out.append("\n  ")
        fk = form.fk_field()
        if fk:
            out.append(_text(fk.field))
        out.append("\n</div>")
    out.append(f"\n  {'</details>' if collapsible else ''}\n</fieldset>\n</div>")
    return mark_safe("".join(out))  # every value above is escaped or marked safe by Django


@register.simple_tag(takes_context=True)
def admin_stacked_inline(context: template.Context) -> SafeString:
    """The including template's ``inline_admin_formset`` as Django's stacked.html writes it;
    an inline whose forms link to their own admin pages is left to that template."""
    formset = context["inline_admin_formset"]
    if formset.opts.show_change_link and formset.opts.has_registered_model:
        djangos = context.template.engine.get_template(DJANGO_STACKED)
        return mark_safe(djangos.render(context).removesuffix("\n"))
    return stacked_inline_html(formset)
