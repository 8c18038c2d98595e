"""The project's form renderer writes the plainest widgets in Python: to the byte what Django's
templates write, and Django's templates again wherever they are overridden."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from apps.renderers import WRITERS, WidgetRenderer

DJANGO = DjangoTemplates()

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"class": "vTextField", "maxlength": 200}),
    forms.NumberInput(attrs={"min": "0"}),
    forms.HiddenInput(),
    forms.CheckboxInput(),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.Textarea(),
    forms.Textarea(attrs={"cols": 40, "rows": 10}),
    admin_widgets.AdminTextInputWidget(),
    admin_widgets.AdminIntegerFieldWidget(),
    admin_widgets.AdminTextareaWidget(),
    admin_widgets.AdminEmailInputWidget(),
]
VALUES = [
    None,
    "",
    0,
    7,
    True,
    False,
    "建功十二五 & <b>“比”</b> 'quoted' \"double\"",
    "\nfirst line\nsecond line\n",
    mark_safe("<i>safe</i> & sound"),
    gettext_lazy("Indicator"),
]
ATTRS = [
    None,
    {"id": "id_initiatives-0-title", "required": True, "disabled": False},
    {"id": 'a"b<c>', "aria-describedby": mark_safe("x&y"), "placeholder": gettext_lazy("Unit")},
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_widgets_render_exactly_as_with_djangos_templates(widget, value, attrs):
    fast = widget.render("field", value, attrs, renderer=WidgetRenderer())
    assert fast == widget.render("field", value, attrs, renderer=DJANGO)
    assert fast.startswith(("<input", "<textarea"))


def test_the_project_uses_it_and_whole_forms_render_the_same():
    assert isinstance(get_default_renderer(), WidgetRenderer)

    class Form(forms.Form):
        title = forms.CharField(max_length=20, initial="<x>", help_text="标题")
        count = forms.IntegerField(min_value=0)
        text = forms.CharField(widget=forms.Textarea, required=False)
        flag = forms.BooleanField(required=False)
        level = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")])

    data = {"title": "a" * 30, "count": "-1", "text": "甲\n<乙>", "flag": "on", "level": "b"}
    for args in ((), (data,)):  # unbound, and bound with errors (aria-invalid, messages)
        ours = Form(*args).as_div()
        assert ours == Form(*args, renderer=DJANGO).as_div()
        assert "<textarea" in ours
        assert "<input" in ours


def test_an_overridden_widget_template_is_rendered_from_the_template(tmp_path: Path):
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text('<input class="ours" name="{{ widget.name }}">')
    (override / "select_option.html").write_text('<option class="ours">{{ widget.label }}</option>')

    class Overridden(WidgetRenderer):
        @property
        def engine(self):
            engine = super().engine
            engine.engine.dirs = [str(tmp_path), *engine.engine.dirs]
            return engine

    renderer = Overridden()
    assert forms.TextInput().render("x", "1", renderer=renderer) == '<input class="ours" name="x">'
    # A select whose option template is overridden is the template's, options and all.
    select = forms.Select(choices=[("a", "甲")]).render("x", "a", renderer=renderer)
    assert '<option class="ours">甲</option>' in select
    # The others are still Django's own and still written in Python.
    assert renderer.is_djangos("django/forms/widgets/number.html")
    assert forms.NumberInput().render("x", 1, renderer=renderer) == forms.NumberInput().render(
        "x", 1, renderer=DJANGO
    )


class StoredPhoto:
    """A file already saved (what a FieldFile offers the widget: its name and its URL)."""

    url = "/media/photos/a&b.jpg"

    def __str__(self) -> str:
        return "photos/甲<1>.jpg"


def _file_widget(kind: type[forms.ClearableFileInput], required: bool, checked: bool):
    widget = kind()
    widget.is_required = required
    widget.checked = checked
    return widget


@pytest.mark.parametrize("kind", [forms.ClearableFileInput, admin_widgets.AdminFileWidget])
@pytest.mark.parametrize("value", [None, "", StoredPhoto()], ids=["none", "empty", "stored"])
@pytest.mark.parametrize("required", [False, True])
@pytest.mark.parametrize("checked", [False, True])
@pytest.mark.parametrize("attrs", [None, {"id": "id_photo", "disabled": True}])
def test_photo_pickers_render_exactly_as_with_djangos_templates(
    kind, value, required, checked, attrs
):
    renderer = WidgetRenderer()
    ours = _file_widget(kind, required, checked).render("photo", value, attrs, renderer=renderer)
    assert renderer.writer(kind.template_name) is not None  # written in Python, not the template
    djangos = _file_widget(kind, required, checked).render("photo", value, attrs, renderer=DJANGO)
    assert ours == djangos
    assert ('<a href="/media/photos/a&amp;b.jpg">' in ours) is isinstance(value, StoredPhoto)


def test_the_writers_cover_the_plain_templates_and_the_photo_pickers():
    assert set(WRITERS) >= {
        "django/forms/widgets/text.html",
        "django/forms/widgets/textarea.html",
        "django/forms/widgets/checkbox.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/clearable_file_input.html",
        "admin/widgets/clearable_file_input.html",
    }
    # A widget with more markup is Django's: its template still renders it.
    assert "django/forms/widgets/radio.html" not in WRITERS
    choices = [("a", "甲"), ("b", "乙")]
    rendered = forms.RadioSelect(choices=choices).render("kind", "a", renderer=WidgetRenderer())
    assert rendered == forms.RadioSelect(choices=choices).render("kind", "a", renderer=DJANGO)


class Labelled(forms.Form):
    title = forms.CharField(label="标题 & <名称>", max_length=5)
    count = forms.IntegerField(label=mark_safe("<b>件数</b>"), required=False)
    plain = forms.CharField(label="Plain?", required=False, widget=forms.HiddenInput)
    spaced = forms.CharField(label=" 空格 ", required=False)

    required_css_class = "required"

    def clean(self):
        raise forms.ValidationError([mark_safe("<b>safe</b> message"), "not <safe>"])


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("data", [None, {"title": "too long a title", "count": "x"}])
def test_labels_and_error_lists_render_exactly_as_with_djangos_templates(auto_id, data):
    ours, djangos = (
        Labelled(data, auto_id=auto_id),
        Labelled(data, auto_id=auto_id, renderer=DJANGO),
    )
    for name in ours.fields:
        for options in (
            {},
            {"label_suffix": ""},  # the label unescaped until the template (or we) escape it
            {"attrs": {"class": "x", "data-a": True}},
            {"tag": "legend"},
        ):
            assert ours[name].label_tag(**options) == djangos[name].label_tag(**options)
        assert ours[name].legend_tag() == djangos[name].legend_tag()
        assert str(ours[name].errors) == str(djangos[name].errors)
        assert ours[name].errors.as_ul() == djangos[name].errors.as_ul()
    assert str(ours.non_field_errors()) == str(djangos.non_field_errors())
    if data:
        assert 'class="errorlist"' in str(ours["title"].errors)
        assert "<b>safe</b> message" in str(ours.non_field_errors())
        assert "not &lt;safe&gt;" in str(ours.non_field_errors())
    assert ours.as_div() == djangos.as_div()
