"""The admin's fieldsets are written in Python (apps/reports/templatetags/admin_fieldsets.py):
every fieldset of the report pages, and fieldsets with every branch of the template, must come
out exactly as the installed Django's admin/includes/fieldset.html writes them."""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
import pytest
from django import forms
from django.contrib.admin import helpers
from django.template import Context, Engine
from django.template.loader import get_template
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe

from apps.indicators.choices import WorkArea
from apps.reports.models import Initiative, Report, ReportSection

from .test_report_form import form_data, signed_in, url

pytestmark = pytest.mark.django_db

DJANGOS = Engine(dirs=[Path(django.contrib.admin.__file__).parent / "templates"]).get_template(
    "admin/includes/fieldset.html"
)


def both(fieldset, heading_level, prefix, id_prefix, id_suffix) -> tuple[str, str]:
    context = {
        "fieldset": fieldset,
        "heading_level": heading_level,
        "prefix": prefix,
        "id_prefix": id_prefix,
        "id_suffix": id_suffix,
    }
    ours = get_template("admin/includes/fieldset.html").render(context)
    return ours, DJANGOS.render(Context(context))


def page_fieldsets(response) -> list[tuple]:
    """Every fieldset of an admin change page, with what change_form.html and stacked.html
    pass to the include."""
    found = [
        (fieldset, 2, "fieldset", 0, index)
        for index, fieldset in enumerate(response.context["adminform"])
    ]
    for inline in response.context["inline_admin_formsets"]:
        for counter, inline_form in enumerate(inline):
            found += [
                (fieldset, 4, fieldset.formset.prefix, counter, index)
                for index, fieldset in enumerate(inline_form)
            ]
    return found


@pytest.fixture
def draft(report):
    """The report form's draft (test_report_form) with a section and an initiative."""
    ReportSection.objects.create(
        report=report, part="review", work_area=WorkArea.SERVICES, heading="一、<帮扶>", body="正文"
    )
    Initiative.objects.create(report=report, title="金秋助学 & 送温暖", participants="职工")
    return report


def report_pages(clerk, draft) -> dict:
    """The report's admin page editable, refused (the page again, with errors in the report's
    form and in a new initiative without its title) and read-only (the approved demo report,
    with 25 initiatives)."""
    client = signed_in(clerk)
    approved = Report.objects.get(
        organisation__code="js-yz-gaoyou", period_start=2011, period_end=2011
    )
    data = form_data(client, draft, new_unions="abc")
    data.update(
        {
            "title": "x" * 300,
            "initiatives-TOTAL_FORMS": "1",
            "initiatives-0-title": "",
            "initiatives-0-work_area": WorkArea.SERVICES,
            "initiatives-0-position": "1",
            "initiatives-0-participants": "职工 <100>",
        }
    )
    responses = {
        "editable": client.get(url(draft)),
        "refused": client.post(url(draft), data),
        "read-only": client.get(url(approved)),
    }
    for kind, response in responses.items():
        assert response.status_code == 200, kind
    return responses


def test_every_fieldset_of_the_report_pages_is_the_templates(clerk, draft):
    responses = report_pages(clerk, draft)
    compared = 0
    for kind, response in responses.items():
        fieldsets = page_fieldsets(response)
        assert len(fieldsets) >= 3, kind
        for fieldset, *options in fieldsets:
            ours, djangos = both(fieldset, *options)
            assert ours == djangos, (kind, fieldset.name)
            compared += 1
    assert responses["refused"].context["adminform"].form.errors  # errors were rendered
    html = responses["read-only"].content.decode()
    assert 'class="readonly"' in html  # read-only fields, as the template shows them
    assert compared > 3 + 25  # the approved demo report has 25 initiatives


class Everything(forms.Form):
    agree = forms.BooleanField(label="同意", help_text="<b>必填</b>")
    secret = forms.CharField(widget=forms.HiddenInput, help_text="hidden help", required=False)
    title = forms.CharField(max_length=3, help_text=mark_safe("<i>短</i>"))
    count = forms.IntegerField()
    note = forms.CharField(widget=forms.Textarea, required=False)


@pytest.mark.parametrize("data", [None, {"title": "too long", "count": "x", "secret": "s"}])
@pytest.mark.parametrize(
    ("name", "classes", "description"),
    [
        (None, (), None),
        ("第一部分 <1>", ("collapse",), mark_safe("<p>说明 &amp; 提示</p>")),
        ("Second", ("wide", "collapse"), "plain"),
    ],
)
@pytest.mark.parametrize("heading_level", [None, 3])
def test_every_branch_of_the_template(data, name, classes, description, heading_level):
    form = Everything(data)
    form.is_valid()
    fieldset = helpers.Fieldset(
        form,
        name=name,
        fields=["agree", ("title", "count"), "secret", ("note", "secret"), ("agree", "note")],
        classes=classes,
        description=description,
    )
    ours, djangos = both(fieldset, heading_level, "fieldset", 0, 1)
    assert ours == djangos
    assert "checkbox-row" in ours
    assert ("errorlist" in ours) == bool(data)


# --- stacked inlines (the report's sections and initiatives) ----------------------------------

STACKED = "admin/reports/edit_inline/stacked.html"
DJANGOS_STACKED = Engine(
    dirs=[Path(django.contrib.admin.__file__).parent / "templates"],
    libraries={
        "i18n": "django.templatetags.i18n",
        "admin_urls": "django.contrib.admin.templatetags.admin_urls",
    },
).get_template("admin/edit_inline/stacked.html")


def stacked_both(formset) -> tuple[str, str]:
    context = {"inline_admin_formset": formset}
    ours = get_template(formset.opts.template).render(context)
    return ours, DJANGOS_STACKED.render(Context(context))


def collapsed(formset) -> None:
    formset.classes = "collapse wide"
    formset.__dict__.pop("is_collapsible", None)  # read (and kept) when the page rendered


def single(formset) -> None:
    formset.formset.max_num = 1  # the heading names one, not many
    formset.opts.verbose_name_plural = "多条 <举措>"


def form_error(formset) -> None:
    for form in formset.formset.forms:
        if form.is_bound:
            form.add_error(None, "整体 <错误>")


def on_site(formset) -> None:
    formset.opts.get_view_on_site_url = lambda obj: f"/view/{obj.pk}/?a=1&b=<2>"


@pytest.mark.parametrize("change", [None, collapsed, single, on_site, form_error])
def test_the_report_pages_stacked_inlines_are_the_templates(clerk, draft, change):
    """Sections and initiatives as Django's stacked.html writes them: with a blank form to add
    another, with errors, and read-only (the approved report's 25 initiatives)."""
    responses = report_pages(clerk, draft)
    compared = 0
    for kind, response in responses.items():
        for formset in response.context["inline_admin_formsets"]:
            if formset.opts.template != STACKED:
                continue
            if change is not None:
                change(formset)
            ours, djangos = stacked_both(formset)
            assert ours == djangos, (kind, formset.formset.prefix)
            compared += 1
    assert compared == 6  # sections and initiatives on each of the three pages
    assert "errorlist" in stacked_both(responses["refused"].context["inline_admin_formsets"][1])[0]


def test_an_inline_with_change_links_is_left_to_djangos_template(clerk, report):
    def linked(report: Report):
        response = signed_in(clerk).get(url(report))
        formset = response.context["inline_admin_formsets"][1]  # the initiatives
        formset.opts.show_change_link = True
        formset.opts.has_registered_model = True
        return formset

    ours, djangos = stacked_both(linked(report))  # only the blank form: no link to write
    assert ours == djangos
    # With an initiative, Django's template links it to its admin page (which this project
    # does not have): the same template, so the same failure to find that page.
    Initiative.objects.create(report=report, title="金秋助学")
    with pytest.raises(NoReverseMatch):
        get_template(STACKED).render({"inline_admin_formset": linked(report)})
