"""Excel in: the long format (export then import changes nothing), the report's template, every
kind of bad file, scope, and the all-or-nothing rule."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from openpyxl import Workbook, load_workbook

from apps.organizations.models import Role
from apps.reports import batches, imports, services
from apps.reports.models import (
    AuditEntry,
    AuditKind,
    AuditOrigin,
    Figure,
    ImportBatch,
    ImportKind,
    ImportStatus,
    Report,
    Status,
)
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = [
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


def state() -> list[tuple]:
    """Everything an import could change."""
    return sorted(
        Figure.objects.values_list(
            "report_id",
            "indicator_id",
            "value",
            "qualifier",
            "note",
            "source",
            "period_start",
            "period_end",
        )
    ) + sorted(Report.objects.values_list("pk", "status", "version"))


def write_csv(path: Path, rows: list[list], *, header=HEADER, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list], *, header=HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def plan(path: Path, user=None) -> imports.ImportPlan:
    table = imports.read_table(path, path.name, imports.LONG_COLUMNS, imports.LONG_REQUIRED)
    return imports.plan_values(table, user)


def row(
    org="js-yz-gaoyou",
    start=2012,
    end=2012,
    code="new_unions",
    value="700多",
    qualifier="",
    unit="家",
):
    return [org, "", start, end, code, "", value, qualifier, unit, ""]


# --- the long format -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(tmp_path, fmt):
    target = tmp_path / f"values.{fmt}"
    if fmt == "csv":
        with target.open("w", encoding="utf-8") as handle:
            call_command("export_values", stdout=handle)
    else:
        call_command(
            "export_values", "--format", "xlsx", "--output", str(target), stderr=io.StringIO()
        )
    before = state()
    result = plan(target)
    assert result.is_valid, result.errors[:3]
    assert result.counts()["unchanged"] > 150
    assert result.changes == []
    services.import_apply(plan=result, user=None)
    assert state() == before


def test_import_creates_reports_and_records_every_change(tmp_path):
    path = write_csv(
        tmp_path / "new.csv",
        [
            row(),
            row(code="new_members", value="1.2万", unit="人"),
            row(org="js-yz-jiangdu", start=2020, end=2020, code="unions_total", value="6400"),
        ],
    )
    result = plan(path)
    assert result.is_valid, result.errors
    assert result.counts() | {} == result.counts()
    assert {(f.indicator.code, f.action) for f in result.figures} == {
        ("new_unions", "new"),
        ("new_members", "new"),
        ("unions_total", "new"),
    }
    services.import_apply(plan=result, user=None)
    report = Report.objects.get(organisation__code="js-yz-jiangdu", period_start=2020)
    assert report.status == Status.DRAFT
    assert report.figures.get(indicator__code="unions_total").value == 6400
    gaoyou = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2012)
    assert gaoyou.figures.get(indicator__code="new_members").value == 12000
    entries = AuditEntry.objects.filter(
        report=gaoyou, origin=AuditOrigin.IMPORT, kind=AuditKind.FIGURE
    )
    assert set(entries.values_list("field", "new_value")) == {
        ("new_unions", "700多"),
        ("new_members", "12000"),
    }
    again = plan(path)  # idempotent: the same file again changes nothing
    assert again.is_valid
    assert again.changes == []


def test_gbk_csv_as_excel_in_china_saves_it(tmp_path):
    header = [
        "组织代码",
        "组织名称",
        "起始年份",
        "截止年份",
        "指标代码",
        "指标名称",
        "数值",
        "限定词",
        "单位",
        "来源",
    ]
    rows = [
        [
            "js-yz-gaoyou",
            "高邮市总工会",
            2012,
            2012,
            "new_unions",
            "新建工会组织",
            "700",
            "多于",
            "家",
            "全市新建工会组织700多家",
        ]
    ]
    for encoding in ("gbk", "gb18030"):
        path = write_csv(tmp_path / f"{encoding}.csv", rows, header=header, encoding=encoding)
        result = plan(path)
        assert result.is_valid, result.errors
        figure = result.figures[0]
        assert (figure.value, figure.qualifier, figure.source) == (
            Decimal(700),
            "more",
            "全市新建工会组织700多家",
        )


def test_a_figure_of_another_period_in_a_yearly_report_round_trips(tmp_path):
    """近3年 figures (2009–2011) of the zone's 2011 report go back to that report."""
    path = write_csv(
        tmp_path / "own.csv",
        [
            [
                "js-yz-gaoyou-kfq",
                "",
                2009,
                2011,
                "grade_promotions",
                "",
                "100",
                "more",
                "人",
                "近3年,全区有100多名职工…通过竞赛晋升了技术等级",
            ]
        ],
    )
    result = plan(path)
    assert result.is_valid, result.errors
    assert [f.action for f in result.figures] == ["unchanged"]


def test_changing_an_approved_report_is_refused_and_nothing_changes(tmp_path):
    path = write_csv(
        tmp_path / "approved.csv", [row(start=2011, end=2011, value="661"), row(value="5")]
    )
    before = state()
    result = plan(path)
    assert not result.is_valid
    [problem] = result.errors
    assert problem.row == 2
    assert problem.cell == "G2"
    assert "已批准" in problem.reason
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
        services.import_apply(plan=result, user=None)
    assert state() == before


def test_a_clerk_imports_only_into_its_own_organisation(tmp_path, member):
    clerk = member("i-clerk", "js-yz-gaoyou", Role.CLERK)
    path = write_csv(
        tmp_path / "mixed.csv", [row(), row(org="js-yz-baoying", start=2019, end=2019)]
    )
    result = plan(path, clerk)
    assert [(p.row, p.cell) for p in result.errors] == [(3, "A3")]
    assert "不能导入" in result.errors[0].reason or "may not import" in result.errors[0].reason
    alone = plan(write_csv(tmp_path / "own.csv", [row()]), clerk)
    assert alone.is_valid
    services.import_apply(plan=alone, user=clerk)
    assert Report.objects.filter(organisation__code="js-yz-gaoyou", period_start=2012).exists()


def test_a_reviewer_imports_within_its_subtree_only(tmp_path, member):
    reviewer = member("i-reviewer", "js-yz", Role.REVIEWER)
    ok = plan(
        write_csv(
            tmp_path / "in.csv", [row(), row(org="js-yz-baoying-anyi", start=2019, end=2019)]
        ),
        reviewer,
    )
    assert ok.is_valid, ok.errors
    outside = plan(
        write_csv(tmp_path / "out.csv", [row(org="js-sz-kunshan", start=2019, end=2019)]), reviewer
    )
    assert len(outside.errors) == 1


def test_a_submitted_report_is_locked_against_imports_too(tmp_path, member):
    clerk = member("i-clerk2", "js-yz-gaoyou", Role.CLERK)
    report = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2018)
    factories.figure(
        report, Figure._meta.get_field("indicator").related_model.objects.get(code="new_unions"), 10
    )
    factories.move_to(report, Status.SUBMITTED)
    result = plan(
        write_csv(tmp_path / "locked.csv", [row(start=2018, end=2018, value="20")]), clerk
    )
    assert not result.is_valid
    assert "已提交" in result.errors[0].reason


def test_rules_apply_as_in_the_form(tmp_path):
    rows = [
        row(code="new_unions", value="800"),
        row(code="unions_total", value="600"),  # a part above its whole
        row(code="unionisation_rate", value="120", unit="%"),
        row(code="hardship_files", value="3.5", unit="人"),
    ]
    result = plan(write_csv(tmp_path / "rules.csv", rows))
    reasons = {p.row: p.reason for p in result.errors}
    assert "不能大于" in reasons[2]
    assert "不能高于100" in reasons[4]
    assert "有小数" in reasons[5]


def test_warnings_are_listed_and_do_not_block(tmp_path):
    result = plan(write_csv(tmp_path / "warn.csv", [row(value="2000")]))  # 660多 in 2011
    assert result.is_valid
    assert next(p.reason for p in result.warnings).startswith("“新建工会组织”比2011年")


BAD_FILES = {
    "wrong columns": lambda d: write_csv(
        d / "a.csv", [["x"]], header=["organisation", "year", "value"]
    ),
    "missing column": lambda d: write_csv(
        d / "b.csv",
        [["js-yz-gaoyou", 2012, 2012, "5"]],
        header=["org_code", "period_start", "period_end", "value"],
    ),
    "empty csv": lambda d: ((d / "c.csv").write_bytes(b"") and d / "c.csv") or d / "c.csv",
    "header only": lambda d: write_csv(d / "d.csv", []),
    "empty sheet": lambda d: _empty_workbook(d / "e.xlsx"),
    "not really xlsx": lambda d: (
        (d / "f.xlsx").write_bytes(b"%PDF-1.4 this is a pdf") and d / "f.xlsx"
    ),
    "zip but not xlsx": lambda d: _zip_not_xlsx(d / "g.xlsx"),
    "merged cells": lambda d: _merged(d / "h.xlsx"),
    "wrong extension": lambda d: (d / "i.pdf").write_bytes(b"%PDF") and d / "i.pdf",
}


def _empty_workbook(path: Path) -> Path:
    Workbook().save(path)
    return path


def _zip_not_xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def _merged(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(row())
    sheet.append(row(code="new_members", value="5", unit="人"))
    sheet.merge_cells("A2:A3")
    workbook.save(path)
    return path


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_get_a_clear_message_and_change_nothing(tmp_path, case):
    path = BAD_FILES[case](tmp_path)
    before = state()
    with pytest.raises(imports.ImportFileError) as caught:
        plan(path)
    message = str(caught.value)
    assert len(message) > 10
    expected = {
        "wrong columns": "缺少",
        "missing column": "indicator_code",
        "empty csv": "空",
        "header only": "没有数据",
        "empty sheet": "表头",
        "not really xlsx": "不是",
        "zip but not xlsx": "不是",
        "merged cells": "合并单元格",
        "wrong extension": ".xlsx",
    }[case]
    assert expected in message, message
    assert state() == before


@override_settings(IMPORT_MAX_BYTES=2048)
def test_a_file_far_too_large_is_refused(tmp_path):
    path = write_csv(tmp_path / "big.csv", [row(value=str(n)) for n in range(200)])
    with pytest.raises(imports.ImportFileError, match="MB"):
        plan(path)


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"org_code": "no-such-org"}, "A2", "没有代码为"),
        ({"indicator_code": "no_such_indicator"}, "E2", "没有代码为"),
        ({"value": "很多"}, "G2", "不是数字"),
        ({"value": "=1+1"}, "G2", "公式"),
        ({"period_start": "二〇一二"}, "C2", "年份"),
        ({"qualifier": "大约吧"}, "H2", "限定词"),
        ({"unit": "人"}, "I2", "家"),
    ],
)
def test_bad_rows_say_where_and_why(tmp_path, cells, column, reason):
    values = dict(zip(HEADER, row(), strict=True)) | cells
    path = write_xlsx(tmp_path / "rows.xlsx", [list(values.values())])
    result = plan(path)
    assert not result.is_valid
    problem = result.errors[0]
    assert problem.cell == column, problem
    assert reason in problem.reason, problem.reason
    assert problem.sheet == "Sheet"


def test_a_duplicate_row_is_an_error(tmp_path):
    result = plan(write_csv(tmp_path / "dup.csv", [row(), row(value="5")]))
    assert "第2行" in result.errors[0].reason or "row 2" in result.errors[0].reason


# --- the command ---------------------------------------------------------------------------


def test_the_command_dry_run_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "cmd.csv", [row()])
    before = state()
    out = io.StringIO()
    call_command("import_values", str(path), "--dry-run", "--quiet", stdout=out)
    assert "1 new" in out.getvalue()
    assert state() == before
    call_command("import_values", str(path), "--quiet", stdout=out)
    assert Report.objects.filter(organisation__code="js-yz-gaoyou", period_start=2012).exists()


def test_the_command_writes_an_error_report(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [row(value="很多"), row(code="nope")])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_values", str(path), "--quiet", stdout=io.StringIO())
    report = (tmp_path / "bad.csv.problems.csv").read_text(encoding="utf-8-sig")
    assert "G2" in report
    assert "E3" in report


def test_the_command_needs_accept_warnings(tmp_path):
    path = write_csv(tmp_path / "warn.csv", [row(value="2000")])
    with pytest.raises(CommandError, match="accept-warnings"):
        call_command("import_values", str(path), "--quiet", stdout=io.StringIO())
    call_command("import_values", str(path), "--quiet", "--accept-warnings", stdout=io.StringIO())


def test_the_command_applies_an_account_scope(tmp_path, member):
    member("i-cmd-clerk", "js-yz-baoying", Role.CLERK)
    path = write_csv(tmp_path / "scope.csv", [row()])
    with pytest.raises(CommandError):
        call_command(
            "import_values", str(path), "--user", "i-cmd-clerk", "--quiet", stdout=io.StringIO()
        )


# --- the report's template -------------------------------------------------------------------


@pytest.fixture
def clerk(member):
    return member("t-clerk", "js-yz-gaoyou", Role.CLERK)


@pytest.fixture
def draft():
    return Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2018)


def template(client: Client, report: Report):
    response = client.get(f"/admin/reports/report/{report.pk}/excel/")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def filled(workbook, values: dict[str, object]) -> SimpleUploadedFile:
    sheet = workbook["数据"]
    header = next(r for r in sheet.iter_rows(min_row=1, max_row=6) if r[0].value == "指标代码")[
        0
    ].row
    for line in sheet.iter_rows(min_row=header + 1):
        if line[0].value in values:
            line[5].value = values[line[0].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("filled.xlsx", buffer.getvalue())


def test_the_template_holds_every_indicator_with_units_and_the_previous_period(client, clerk):
    client.force_login(clerk)
    report = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    workbook = template(client, report)
    sheet = workbook["数据"]
    rows = list(sheet.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r and r[0] == "指标代码")
    assert list(rows[header_index][:4]) == ["指标代码", "工作领域", "指标名称", "单位"]
    body = {r[0]: r for r in rows[header_index + 1 :]}
    assert body["new_unions"][3] == "家"
    assert body["new_unions"][5] == 660  # the current figure
    assert body["new_unions"][6] == "多于"
    assert workbook["_meta"].sheet_state == "hidden"
    assert sheet.protection.sheet


def test_a_filled_template_is_previewed_then_applied(client, clerk, draft):
    client.force_login(clerk)
    upload = filled(
        template(client, draft), {"new_unions": 700, "new_members": "1.2万", "unions_total": None}
    )
    response = client.post(f"/admin/reports/report/{draft.pk}/import/", {"file": upload})
    assert response.status_code == 302
    batch = ImportBatch.objects.get(report=draft)
    assert batch.status == ImportStatus.READY
    assert batch.summary["new"] == 2
    assert draft.figures.count() == 0  # nothing changes before the confirmation
    page = client.get(response["Location"]).content.decode()
    assert "新建工会组织" in page
    assert "导入这些变动" in page
    client.post(f"/admin/reports/importbatch/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, batch.message
    figures = dict(draft.figures.values_list("indicator__code", "value"))
    assert figures == {"new_unions": 700, "new_members": 12000}
    assert AuditEntry.objects.filter(
        report=draft, origin=AuditOrigin.IMPORT, field="new_unions", new_value="700"
    ).exists()


def test_an_emptied_value_removes_the_figure(client, clerk, draft):
    factories.figure(
        draft, Figure._meta.get_field("indicator").related_model.objects.get(code="new_unions"), 500
    )
    client.force_login(clerk)
    upload = filled(template(client, draft), {"new_unions": None})
    client.post(f"/admin/reports/report/{draft.pk}/import/", {"file": upload})
    batch = ImportBatch.objects.get(report=draft)
    assert batch.summary["removed"] == 1
    client.post(f"/admin/reports/importbatch/{batch.pk}/confirm/")
    assert not draft.figures.exists()


def test_a_template_with_errors_shows_sheet_row_cell_and_changes_nothing(client, clerk, draft):
    client.force_login(clerk)
    upload = filled(template(client, draft), {"new_unions": "很多", "unionisation_rate": 120})
    client.post(f"/admin/reports/report/{draft.pk}/import/", {"file": upload})
    batch = ImportBatch.objects.get(report=draft)
    assert batch.status == ImportStatus.INVALID
    cells = {(e["sheet"], e["cell"]) for e in batch.errors}
    assert all(sheet == "数据" for sheet, _cell in cells)
    assert all(cell.startswith("F") for _sheet, cell in cells)
    assert len(cells) == 2
    assert draft.figures.count() == 0
    assert client.post(f"/admin/reports/importbatch/{batch.pk}/confirm/").status_code == 403
    errors = client.get(f"/admin/reports/importbatch/{batch.pk}/errors.csv").content.decode(
        "utf-8-sig"
    )
    assert "不是数字" in errors


def test_the_template_of_another_report_is_refused(client, clerk, draft):
    client.force_login(clerk)
    other = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    upload = filled(template(client, other), {})
    client.post(f"/admin/reports/report/{draft.pk}/import/", {"file": upload})
    batch = ImportBatch.objects.get(report=draft)
    assert batch.status == ImportStatus.INVALID
    assert "另一份报告" in batch.message


def test_an_approved_report_refuses_its_template(client, clerk):
    client.force_login(clerk)
    report = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    assert client.get(f"/admin/reports/report/{report.pk}/import/").status_code == 403


def test_a_preview_is_confirmed_only_if_the_figures_did_not_change_meanwhile(client, clerk, draft):
    client.force_login(clerk)
    upload = filled(template(client, draft), {"new_unions": 700})
    client.post(f"/admin/reports/report/{draft.pk}/import/", {"file": upload})
    batch = ImportBatch.objects.get(report=draft)
    factories.figure(
        draft, Figure._meta.get_field("indicator").related_model.objects.get(code="new_unions"), 650
    )
    client.post(f"/admin/reports/importbatch/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert draft.figures.get(indicator__code="new_unions").value == 650


def test_reviewers_upload_the_long_format_in_the_admin(client, tmp_path):
    reviewer = get_user_model().objects.get(username="yangzhou")
    client.force_login(reviewer)
    path = write_csv(
        tmp_path / "bulk.csv", [row(org="js-yz-baoying", start=2019, end=2019, value="120")]
    )
    response = client.post(
        "/admin/reports/importbatch/add/",
        {"file": SimpleUploadedFile("bulk.csv", path.read_bytes())},
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get(user=reviewer)
    assert batch.kind == ImportKind.VALUES
    assert batch.status == ImportStatus.READY
    progress = client.get(f"/admin/reports/importbatch/{batch.pk}/progress/").json()
    assert progress["finished"] is True
    assert progress["progress"] == 100
    client.post(f"/admin/reports/importbatch/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    clerk = get_user_model().objects.get(username="gaoyou")
    client.force_login(clerk)
    assert client.get("/admin/reports/importbatch/add/").status_code == 403
    assert (
        client.get(f"/admin/reports/importbatch/{batch.pk}/change/").status_code == 404
    )  # not theirs


def test_a_large_upload_is_checked_in_the_background(tmp_path, settings):
    """The background path, run here inline at the commit, fills in progress and the result."""
    settings.IMPORT_BACKGROUND_BYTES = 0
    path = write_csv(
        tmp_path / "bulk.csv", [row(org="js-yz-baoying", start=2019, end=2019, value="120")]
    )
    batch = batches.batch_create(
        user=None, upload=SimpleUploadedFile("bulk.csv", path.read_bytes()), kind=ImportKind.VALUES
    )
    started = []
    settings.IMPORT_BACKGROUND_BYTES = 0
    from apps.reports import batches as module

    original = module._in_background
    module._in_background = lambda step, batch_id, language: started.append(step(batch_id))
    try:
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            batches.start(batch, "check", "zh-hans")
    finally:
        module._in_background = original
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    assert batch.total_rows == batch.processed_rows == 1


def test_the_excel_export_of_reports_is_chinese_and_imports_back_unchanged(client, tmp_path):
    client.force_login(get_user_model().objects.get(username="admin"))
    reports = list(
        Report.objects.filter(organisation__code__startswith="js-yz").values_list("pk", flat=True)
    )
    response = client.post(
        "/admin/reports/report/", {"action": "export_workbook", "_selected_action": reports}
    )
    assert response.status_code == 200
    path = tmp_path / "reports.xlsx"
    path.write_bytes(response.content)
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["组织代码", "组织", "起始年份", "截止年份"]
    assert "单位" in header
    row = next(
        r
        for r in sheet.iter_rows(min_row=2)
        if r[5].value == "unions_total" and r[0].value == "js-yz-gaoyou-kfq"
    )
    value = row[header.index("数值")]
    assert value.value == 390
    assert value.number_format.endswith('"+"')
    result = plan(path)
    assert result.is_valid, result.errors[:3]
    assert result.changes == []
