"""The way in: the overview from the top of the tree down, the report page, the language
switch and uploaded files; nothing unapproved is ever visible."""

from __future__ import annotations

import pytest

from apps.indicators.models import Indicator
from apps.organizations.models import Organisation
from apps.reports.models import Report, Status
from tests import factories

pytestmark = pytest.mark.django_db


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_overview_leads_from_the_top_down_to_every_approved_report(client):
    html = page(client, "/")  # the top of the tree
    assert "中华全国总工会" in html
    assert "/?organisation=js" in html
    html = page(client, "/?organisation=js")
    assert "/?organisation=js-yz" in html
    assert "/?organisation=js-sz" in html
    html = page(client, "/?organisation=js-yz")
    for name in ["高邮市总工会", "扬州市江都区总工会", "宝应县总工会"]:
        assert name in html
    gaoyou_2011 = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    assert f'href="/reports/{gaoyou_2011.pk}/"' in html
    profile = page(client, "/organisations/js-yz-jiangdu/")
    assert "2014—2019年" in profile  # Jiangdu's term report, labelled as a term


def test_home_never_links_an_unapproved_report(client):
    organisation = factories.organisation(
        Organisation.objects.get(code="js-yz"), code="test-hidden", name="未发布工会"
    )
    hidden = [
        factories.report(organisation, year, status=status)
        for year, status in [
            (2030, Status.DRAFT),
            (2031, Status.SUBMITTED),
            (2032, Status.RETURNED),
        ]
    ]
    html = page(client, "/?organisation=js-yz") + page(client, "/organisations/test-hidden/")
    for report in hidden:
        assert f"/reports/{report.pk}/" not in html
        assert client.get(f"/reports/{report.pk}/").status_code == 404


def test_report_page_shows_figures_with_qualifiers_and_sources(client):
    report = Report.objects.get(organisation__code="js-yz-gaoyou-kfq", period_start=2011)
    html = page(client, f"/reports/{report.pk}/")
    assert "高邮经济开发区工会" in html
    assert "390+" in html
    assert "≥96%" in html
    assert "至2011年底,全区共建工会组织390多家" in html
    assert "全省工会工作模范开发区" in html
    assert "2009—2011年" in html  # a figure with its own period is labelled


def test_report_page_in_english_uses_english_names(client):
    report = Report.objects.get(organisation__code="js-yz-gaoyou-kfq", period_start=2011)
    html = page(client, f"/en/reports/{report.pk}/")
    assert "Gaoyou Economic Development Zone Trade Union" in html
    assert Indicator.objects.get(code="unions_total").name_en in html
    assert 'lang="en"' in html


def test_language_switch_links_to_the_same_page(client):
    report = Report.objects.get(organisation__code="js-yz-gaoyou-kfq", period_start=2011)
    html = page(client, f"/reports/{report.pk}/")
    assert f'href="/en/reports/{report.pk}/"' in html
    html = page(client, f"/en/reports/{report.pk}/")
    assert f'href="/reports/{report.pk}/"' in html


def test_source_documents_are_served_only_for_approved_reports(client, admin_client):
    report = Report.objects.get(organisation__code="js-yz-gaoyou-kfq", period_start=2011)
    response = client.get(report.source_document.url)
    assert response.status_code == 200
    assert "高邮经济开发区工会" in b"".join(response.streaming_content).decode()

    factories.move_to(report, Status.RETURNED)
    assert client.get(report.source_document.url).status_code == 404
    assert admin_client.get(report.source_document.url).status_code == 200
    assert client.get("/media/sources/demo/../../settings.py").status_code == 404
