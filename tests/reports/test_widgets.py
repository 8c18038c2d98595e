"""Widgets written in Python (the grid's input, and selects by the project's renderer): the markup
must be Django's, to the byte."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy

from apps.renderers import WidgetRenderer
from apps.reports.models import Figure, Report
from apps.reports.widgets import GridInput

# Django's own renderer: the project's (apps.renderers) writes some widgets in Python too.
DJANGO = DjangoTemplates()


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        ("390多", {"id": "id_value-x", "maxlength": "40", "aria-invalid": "true"}),
        ("", {"id": "id_note-x", "required": True, "disabled": False}),
        (None, {"id": 'a"b<c>'}),
        ('近4万 & "more"', {}),
    ],
)
def test_the_grid_inputs_render_exactly_as_djangos_text_inputs(value, attrs):
    base = {"class": "figure-input", "inputmode": "decimal"}
    fast = GridInput(attrs=base).render("value-x", value, attrs)
    django = forms.TextInput(attrs=base).render("value-x", value, attrs, renderer=DJANGO)
    assert fast == django


CHOICES = [
    ("", "---------"),
    ("province", gettext_lazy("Indicator")),  # a lazy label
    (7, "7 & <b>seven</b>"),
    ('a"b', "引号"),
    ("Groups", [("g1", "第一"), ("g2", "second")]),
]


@pytest.mark.parametrize("value", [None, "", "province", 7, "g2", ["g1", "x"]])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_level", "required": True, "disabled": False}])
def test_selects_render_exactly_as_djangos(value, attrs):
    fast = forms.Select(choices=CHOICES).render("level", value, attrs, renderer=WidgetRenderer())
    assert fast == forms.Select(choices=CHOICES).render("level", value, attrs, renderer=DJANGO)
    assert "<option" in fast


@pytest.mark.django_db
def test_the_figure_picker_renders_exactly_as_the_admins():
    report = Report.objects.filter(figures__isnull=False).order_by("pk").first()
    field = forms.ModelMultipleChoiceField(
        Figure.objects.filter(report=report).select_related("indicator")
    )
    chosen = [figure.pk for figure in field.queryset[:3]]
    rendered = {}
    for renderer in (WidgetRenderer(), DJANGO):
        widget = FilteredSelectMultiple("figures", False)
        widget.choices = field.choices
        rendered[type(renderer)] = widget.render(
            "figures", chosen, {"id": "id_figures"}, renderer=renderer
        )
    fast, django = rendered.values()
    assert fast == django
    assert fast.count("<option") == report.figures.count() > 3
    assert fast.count(" selected>") == 3


@pytest.mark.parametrize(
    ("attribute", "template", "not_written"),
    [
        ("option_template_name", "django/forms/widgets/input_option.html", "<option"),
        ("template_name", "django/forms/widgets/radio.html", "<select"),
    ],
)
def test_a_select_with_its_own_templates_is_left_to_django(attribute, template, not_written):
    Custom = type("Custom", (forms.Select,), {attribute: template})

    rendered = Custom(choices=[("a", "A")]).render("x", "a", renderer=WidgetRenderer())
    assert rendered == Custom(choices=[("a", "A")]).render("x", "a", renderer=DJANGO)
    assert not_written not in rendered
