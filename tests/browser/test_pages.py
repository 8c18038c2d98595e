"""The public pages and the report form in a real browser: they render without errors, pass
axe-core, draw their charts, change with their filters, download, switch language, fit a phone
and print on A4."""

from __future__ import annotations

import csv
import io
import re

import pytest

from .conftest import PASSWORD

PAGES = [
    "/",
    "/?organisation=js-sz",
    "/compare/",
    "/compare/?parent=js-sz&period=2006&area=organisation&per=members",
    "/indicators/",
    "/indicators/new_members/?parent=js-sz",
    "/indicators/unions_total/?parent=js-yz",
    "/organisations/js-yz-gaoyou/",
    "/organisations/js-yz-jiangdu/",
    "/api/",
    "/en/",
    "/en/compare/?parent=js-sz&period=2006",
    "/en/indicators/new_members/?parent=js-sz",
]


def report_path(site) -> str:
    """高邮's 2011 report, the longest of the demo."""
    page = site.open("/organisations/js-yz-gaoyou/")
    return page.get_attribute("a[href^='/reports/']:has-text('2011年全市')", "href")


def option(page, chart_id: str) -> dict:
    """The ECharts option of the chart drawn in ``chart_id``."""
    return page.evaluate(
        "id => echarts.getInstanceByDom(document.getElementById(id)).getOption()", chart_id
    )


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_cleanly_and_pass_axe(site, path):
    page = site.open(path)
    assert page.locator("h1").count() == 1
    assert site.axe_violations() == []


def test_the_report_page_passes_axe_and_prints_on_a4(site, tmp_path):
    page = site.open(report_path(site))
    assert site.axe_violations() == []
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".language-switch").is_visible()
    assert page.locator("table.figures").first.is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2  # a long report runs over pages


def test_charts_render_with_the_data_of_their_tables(site):
    page = site.open("/indicators/new_members/?parent=js-sz")
    page.wait_for_selector("#chart-ranking canvas")
    data = option(page, "chart-ranking")["series"][0]["data"]
    rows = page.locator("#table-ranking tbody tr").count()
    assert len(data) == rows == 2
    assert data == [18700, 1620]
    page.wait_for_selector("#chart-trend canvas")
    categories = option(page, "chart-trend")["xAxis"][0]["data"]
    assert categories == ["2006年"]
    # A term report is listed apart, not drawn as a year.
    page = site.open("/indicators/unions_total/?parent=js-yz")
    assert page.locator("#chart-trend").count() == 0
    assert "6299" in page.locator("#table-terms").inner_text()


def test_a_chart_saves_as_png(site):
    page = site.open("/indicators/new_members/?parent=js-sz")
    page.wait_for_selector("#chart-ranking canvas")
    with page.expect_download() as download:
        page.click("button.save-png[data-chart-target='chart-ranking']")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".png")
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_changing_filters_changes_the_url_and_the_table(site):
    page = site.open("/compare/?parent=js-sz&period=2006")
    rows_all = page.locator("#table-compare tbody tr").count()
    page.select_option("select[name=area]", "organisation")
    page.wait_for_url(re.compile(r"area=organisation"))
    page.wait_for_load_state("networkidle")
    rows_area = page.locator("#table-compare tbody tr").count()
    assert 0 < rows_area < rows_all
    assert "area=organisation" in page.url
    page.select_option("select[name=per]", "members")
    page.wait_for_url(re.compile(r"per=members"))
    # The state is in the URL: opening it again shows the same.
    same = site.open(page.url.replace(site.base, ""))
    assert same.locator("select[name=area]").input_value() == "organisation"


def test_a_table_downloads_as_csv(site):
    page = site.open("/compare/?parent=js-sz&period=2006&area=organisation")
    with page.expect_download() as download:
        page.click("#table-compare .downloads a:text('CSV')")
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:2] == ["指标", "单位"]
    assert any(row and row[0] == "新发展会员" for row in rows)


def test_switching_language_keeps_the_page(site):
    page = site.open("/compare/?parent=js-sz&period=2006")
    assert "对比" in page.title()
    page.click(".language-switch a[hreflang=en]")
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(site.base + "/en/compare/")
    assert "parent=js-sz" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Kunshan" in page.content()
    page.click(".language-switch a[hreflang=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert "/en/" not in page.url


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/compare/?parent=js-sz&period=2006",
        "/indicators/new_members/?parent=js-sz",
        "/organisations/js-yz-gaoyou/",
    ],
)
def test_pages_fit_a_phone(browser, live_site, path):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        locale="zh-CN",
        device_scale_factor=2,
        is_mobile=True,
    )
    page = context.new_page()
    page.goto(live_site + path, wait_until="networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    context.close()
    assert width <= 375, f"{path} is {width}px wide"


def test_a_clerk_enters_figures_in_the_browser(site):
    page = site.open("/admin/login/")
    page.fill("#id_username", "gaoyou")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(site.base + "/admin/reports/report/?q=2018")
    page.click("text=高邮市总工会")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=value__unions_total]", "很多")
    page.fill("input[name=value__new_unions]", "700多")
    page.click("input[name=_continue]")
    page.wait_for_load_state("networkidle")
    assert "不是数字" in page.content()
    assert page.input_value("input[name=value__new_unions]") == "700多"  # nothing typed is lost
    page.fill("input[name=value__unions_total]", "3.18万")
    page.click("input[name=_continue]")
    page.wait_for_load_state("networkidle")
    assert page.input_value("input[name=value__unions_total]") == "31800"
    assert page.input_value("input[name=value__new_unions]") == "700多"

    # An initiative linked to one of the report's figures through the admin's picker.
    page.click("#initiatives-group .add-row a")
    page.fill("input[name=initiatives-0-title]", "职工服务中心")
    page.select_option("select[name=initiatives-0-work_area]", "services")
    available = page.locator("#id_initiatives-0-figures_from option")
    assert available.count() == 2  # the report's two figures, and only those
    page.select_option("#id_initiatives-0-figures_from", label="新建工会组织: 700+")
    page.click("#initiatives-group .selector-add")
    page.click("input[name=_continue]")
    page.wait_for_load_state("networkidle")
    chosen = page.locator("#id_initiatives-0-figures_to option")
    assert chosen.all_inner_texts() == ["新建工会组织: 700+"]
    assert page.locator("#id_initiatives-1-figures_from option").count() == 0  # no second form
    assert page.locator("#id_initiatives-0-figures_from option").count() == 1


def test_the_api_answers_json(site):
    response = site.page.request.get(site.base + "/api/compare?parent=js-sz&period=2006")
    assert response.status == 200
    body = response.json()
    assert body["parent"]["code"] == "js-sz"
    assert io.StringIO(response.text()).read().startswith("{")


def test_a_reviewer_imports_a_file_with_progress_then_confirms(site, tmp_path):
    rows = ["org_code,period_start,period_end,indicator_code,value,qualifier"]
    figures = {"unions_total": 1000, "new_unions": 50, "members_total": 90000, "new_members": 3000}
    rows += [f"js-yz-baoying,2019,2019,{code},{value},exact" for code, value in figures.items()]
    path = tmp_path / "baoying-2019.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page = site.open("/admin/login/")
    page.fill("#id_username", "yangzhou")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(site.base + "/admin/reports/importbatch/add/")
    page.set_input_files("input[type=file]", str(path))
    page.click("input[type=submit]")
    # The check runs in the background; the page follows it and shows the preview.
    page.wait_for_selector("text=导入这些变动", timeout=20000)
    assert "新增" in page.content()
    assert page.locator(".import-table tbody tr").count() == 4
    page.click("input[type=submit][value='导入这些变动']")
    page.wait_for_selector("text=已导入", timeout=20000)
    assert "新增 4 个" in page.content()
