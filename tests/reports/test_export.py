"""The long-format export: every figure of an approved report, nothing else."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from apps.dashboards.selectors import published_figure_count
from apps.indicators.choices import Qualifier, Unit
from apps.indicators.models import Indicator
from apps.reports.exports import EXPORT_COLUMNS
from apps.reports.models import Figure, PreparedExport, Publication, Status
from tests import factories

pytestmark = pytest.mark.django_db

COLUMNS = [
    "org_code",
    "org_name",
    "period_start",
    "period_end",
    "indicator_code",
    "indicator_name",
    "value",
    "qualifier",
    "unit",
    "source",
]


def export_csv(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_values", *args, stdout=out)
    text = out.getvalue()
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_columns_are_the_documented_ones():
    assert EXPORT_COLUMNS == COLUMNS


def test_every_published_figure_once_with_plain_values_and_stable_qualifiers():
    rows = export_csv()
    assert len(rows) == Figure.objects.filter(report__status=Status.APPROVED).count() > 100
    keys = {(r["org_code"], r["period_start"], r["period_end"], r["indicator_code"]) for r in rows}
    assert len(keys) == len(rows)
    for row in rows:
        assert re.fullmatch(r"\d+(\.\d+)?", row["value"]), row
        assert row["qualifier"] in Qualifier.values
        assert row["unit"] in Unit.values


def test_values_are_plain_numbers_in_the_indicator_unit():
    rows = {(r["org_code"], r["indicator_code"]): r for r in export_csv()}
    members = rows[("js-yz-gaoyou-kfq", "members_total")]
    assert (members["value"], members["qualifier"], members["unit"]) == ("31800", "exact", "人")
    unions = rows[("js-yz-gaoyou-kfq", "unions_total")]
    assert (unions["value"], unions["qualifier"]) == ("390", "more")
    assert "390多家" in unions["source"]
    funds = rows[("js-yz-gaoyou", "golden_autumn_funds")]
    assert (funds["value"], funds["unit"]) == ("35.85", "万元")
    rate = rows[("js-yz-gaoyou-kfq", "unionisation_rate")]
    assert (rate["value"], rate["qualifier"], rate["unit"]) == ("96", "more", "%")


def test_drafts_submitted_and_returned_reports_never_appear():
    indicator = Indicator.objects.get(code="unions_total")
    organisation = factories.organisation(code="test-unpublished")
    for year, status in enumerate([Status.DRAFT, Status.SUBMITTED, Status.RETURNED], start=2030):
        report = factories.report(organisation, year)
        factories.figure(report, indicator, 777001)
        factories.move_to(report, status)
    assert not [r for r in export_csv() if r["org_code"] == "test-unpublished"]

    report = factories.report(organisation, 2040)
    factories.figure(report, indicator, 777002)
    factories.move_to(report, Status.APPROVED)
    published = [r for r in export_csv() if r["org_code"] == "test-unpublished"]
    assert [(r["period_start"], r["value"]) for r in published] == [("2040", "777002")]


def test_a_figure_carries_its_own_period():
    rows = export_csv()
    promotions = next(
        r
        for r in rows
        if r["org_code"] == "js-yz-gaoyou-kfq" and r["indicator_code"] == "grade_promotions"
    )
    assert (promotions["period_start"], promotions["period_end"]) == ("2009", "2011")
    jiangdu = next(
        r
        for r in rows
        if r["org_code"] == "js-yz-jiangdu" and r["indicator_code"] == "unions_total"
    )
    assert (jiangdu["period_start"], jiangdu["period_end"]) == ("2014", "2019")


def test_xlsx_export_holds_the_same_rows_as_numbers(tmp_path):
    target = tmp_path / "values.xlsx"
    call_command("export_values", "--format", "xlsx", "--output", str(target), stderr=io.StringIO())
    sheet = load_workbook(target, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert len(rows) - 1 == len(export_csv())
    values = [row[6] for row in rows[1:]]
    assert all(isinstance(v, int | float | Decimal) for v in values)
    members = next(r for r in rows[1:] if r[0] == "js-yz-gaoyou-kfq" and r[4] == "members_total")
    assert members[6] == 31800


def test_xlsx_needs_an_output_file():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_values", "--format", "xlsx")


def test_csv_to_a_file(tmp_path):
    target = tmp_path / "values.csv"
    call_command("export_values", "--output", str(target), stderr=io.StringIO())
    with target.open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(export_csv())


def test_site_download_matches_the_command(client):
    response = client.get("/export/values.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM lets Excel read the Chinese text"
    downloaded = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert downloaded == export_csv()


def test_site_xlsx_download(client):
    response = client.get("/en/export/values.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert next(workbook.active.iter_rows(values_only=True)) == tuple(COLUMNS)


def test_more_figures_than_a_worksheet_holds_are_refused_with_a_message(client, monkeypatch):
    from apps.reports import exports

    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 5)
    response = client.get("/en/export/values.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert "more than an Excel worksheet holds" in page
    assert "CSV" in page
    with pytest.raises(CommandError, match="Excel worksheet"):
        call_command("export_values", "--format", "xlsx", "--output", "/tmp/never.xlsx")


# --- more figures than the site writes on request: the prepared file -------------------------


def _unzipped(data: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (member,) = archive.infolist()
        assert member.filename.endswith(".csv")
        assert member.date_time[0] >= 2026, "dated when it was prepared"
        name = member.filename
        text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM lets Excel read the Chinese text"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def prepare(*args: str) -> str:
    out = io.StringIO()
    call_command("prepare_export", "--quiet", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def many_figures(settings):
    """The site treats the demo's figures as too many to write on request."""
    settings.EXPORT_ON_REQUEST_MAX_FIGURES = 10


def test_too_many_figures_and_no_prepared_file_says_so_without_reading_them(
    client, many_figures, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = client.get("/en/export/values.csv")
    assert response.status_code == 503
    assert response["Retry-After"] == "3600"
    page = response.content.decode()
    assert "The file of all figures is not ready yet" in page
    count = published_figure_count()  # from the summary: counting 30 million rows takes long
    assert count > 100
    assert f"There are about {count:,} published figures" in page
    chinese = client.get("/export/values.csv").content.decode()
    assert "全部公开数据的文件尚未准备好" in chinese


def test_the_prepared_file_holds_what_export_values_writes_and_the_site_serves_it(
    client, many_figures
):
    assert "Prepared" in prepare()
    export = PreparedExport.objects.get()
    assert export.version == Publication.current().version
    assert export.figures == len(export_csv())
    response = client.get("/export/values.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert re.search(
        r'attachment; filename="unionreports-values-\d{8}-\d{4}\.zip"',
        response["Content-Disposition"],
    )
    assert response["Last-Modified"]
    data = b"".join(response.streaming_content)
    assert len(data) == export.size
    assert _unzipped(data) == export_csv()


def test_the_prepared_file_is_written_again_only_after_a_publication(client, many_figures):
    prepare()
    first = PreparedExport.objects.get()
    assert "up to date" in prepare()
    assert PreparedExport.objects.get() == first

    organisation = factories.organisation(code="test-prepared")
    report = factories.report(organisation, 2041)
    factories.figure(report, Indicator.objects.get(code="unions_total"), 123)
    factories.move_to(report, Status.APPROVED)  # the approval moves the version on
    assert "Prepared" in prepare()
    second = PreparedExport.objects.get()  # the earlier one is gone, and its file with it
    assert second.version > first.version
    assert not default_storage.exists(first.file.name)
    assert default_storage.exists(second.file.name)
    rows = _unzipped(b"".join(client.get("/export/values.csv").streaming_content))
    assert rows == export_csv()
    assert [r["value"] for r in rows if r["org_code"] == "test-prepared"] == ["123"]

    assert "Prepared" in prepare("--force")
    assert PreparedExport.objects.get().pk != second.pk


def test_a_prepared_file_missing_from_the_storage_is_not_served(client, many_figures):
    prepare()
    default_storage.delete(PreparedExport.objects.get().file.name)
    assert client.get("/export/values.csv").status_code == 503
    assert "Prepared" in prepare(), "a file that is gone is written again"


def test_few_figures_are_still_written_on_request_even_with_a_prepared_file(client):
    prepare()
    response = client.get("/export/values.csv")
    assert response["Content-Type"].startswith("text/csv")


def test_a_workbook_of_too_many_figures_to_write_on_request_is_refused(
    client, many_figures, monkeypatch
):
    from apps.dashboards import selectors

    count = 600_000  # fits into a worksheet, but not to be written while someone waits
    monkeypatch.setattr(selectors, "published_figure_count", lambda: count)
    response = client.get("/en/export/values.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert "too many to write into a workbook while you wait" in page
    assert f"There are {count:,} figures" in page
    chinese = client.get("/export/values.xlsx").content.decode()
    assert f"共有 {count} 个数据" in chinese  # Chinese writes no thousands separator
    assert f"{count:,}" not in chinese


def test_administrators_see_whether_the_prepared_file_is_current(client, many_figures):
    prepare()
    export = PreparedExport.objects.get()
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/en/admin/reports/preparedexport/").content.decode()
    assert f"Current publication version: {Publication.current().version}" in page
    assert f"{export.figures:,}" in page
    assert page.count('alt="True"') == 1  # holds what is published now

    Publication.bump()  # an approval or a reopening
    page = client.get("/admin/reports/preparedexport/").content.decode()
    assert "当前发布版本" in page
    assert page.count('alt="False"') == 1

    client.force_login(get_user_model().objects.get(username="gaoyou"))
    assert client.get("/admin/reports/preparedexport/").status_code == 403


def test_export_shows_progress_on_stderr_and_leaves_the_csv_clean():
    out, err = io.StringIO(), io.StringIO()
    call_command("export_values", stdout=out, stderr=err)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows
    assert rows == export_csv()
    assert out.getvalue().splitlines()[0] == ",".join(COLUMNS), "nothing but the CSV"
    assert f"{len(rows)}/{len(rows)}" in err.getvalue()
    assert "100%" in err.getvalue()
    quiet = io.StringIO()
    call_command("export_values", "--quiet", stdout=io.StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""
