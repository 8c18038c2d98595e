"""The demo loader: idempotent, faithful to the seed documents, and the source of the demo
accounts."""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.demo.loader import DATA_DIR, SEEDS_DIR, load_demo, missing_source_fragments, squeeze
from apps.indicators.models import Indicator
from apps.indicators.numbers import parse_figure
from apps.organizations.models import Membership, Organisation, OrganisationAncestry, Role
from apps.reports.models import Figure, Honour, Initiative, Report, ReportSection, Status
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

MODELS = [
    Organisation,
    OrganisationAncestry,
    Indicator,
    Report,
    Figure,
    ReportSection,
    Initiative,
    Honour,
    Membership,
    get_user_model(),
]


def snapshot() -> dict[str, object]:
    state: dict[str, object] = {m._meta.label: m._default_manager.count() for m in MODELS}
    state["figures"] = sorted(
        Figure.objects.values_list("pk", "value", "qualifier", "period_start")
    )
    state["reports"] = sorted(Report.objects.values_list("pk", "updated_at"))
    state["initiative figures"] = Initiative.figures.through.objects.count()
    return state


def test_loading_twice_changes_nothing():
    before = snapshot()
    load_demo(DEMO_PASSWORD)
    assert snapshot() == before


def test_the_command_loads_and_prints_the_accounts(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "another-demo-password" in text
    for username in ["admin", "gaoyou", "jiangdu", "yangzhou"]:
        assert username in text
    assert get_user_model().objects.get(username="gaoyou").check_password("another-demo-password")


def test_demo_accounts_and_roles():
    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    expected = {
        "gaoyou": ("高邮市总工会", Role.CLERK),
        "jiangdu": ("扬州市江都区总工会", Role.CLERK),
        "yangzhou": ("扬州市总工会", Role.REVIEWER),
    }
    for username, (organisation, role) in expected.items():
        user = User.objects.get(username=username)
        assert not user.is_superuser
        assert (user.membership.organisation.name, user.membership.role) == (organisation, role)
        assert user.check_password(DEMO_PASSWORD)
    # The accounts come from the demo loader alone: migrations create none.
    assert set(User.objects.values_list("username", flat=True)) == {"admin", *expected}


def demo_files() -> list[tuple[str, dict]]:
    files = sorted((DATA_DIR / "reports").glob("*.toml"))
    assert len(files) >= 5
    return [(path.name, tomllib.loads(path.read_text(encoding="utf-8"))) for path in files]


def test_every_seed_document_has_approved_reports():
    seeds = {path.name for path in SEEDS_DIR.glob("*.txt")}
    assert len(seeds) == 5
    assert {document["seed"] for _name, document in demo_files() if "seed" in document} == seeds
    for seed in seeds:
        reports = Report.objects.filter(source_document=f"sources/demo/{seed}")
        assert reports.filter(status=Status.APPROVED).exists(), seed


@pytest.mark.parametrize(
    ("name", "document"), demo_files(), ids=lambda value: value if isinstance(value, str) else None
)
def test_every_figure_is_quoted_from_its_seed(name, document):
    """The source sentence occurs in the seed document, the written figure occurs in the
    sentence, and the stored value is what the written figure says."""
    if "seed" not in document:
        assert all(not entry.get("figure") for entry in document["report"]), "figures need a source"
        return
    seed = (SEEDS_DIR / document["seed"]).read_text(encoding="utf-8")
    for entry in document["report"]:
        report = Report.objects.get(
            organisation__code=entry["organisation"],
            period_start=entry["period"][0],
            period_end=entry["period"][1],
        )
        for item in entry.get("figure", []):
            label = f"{name} {entry['organisation']} {item['indicator']}"
            assert missing_source_fragments(item["source"], seed) == [], label
            assert squeeze(item["text"]) in squeeze(item["source"]).replace("…", ""), label
            figure = report.figures.get(indicator__code=item["indicator"])
            parsed = parse_figure(item["text"], figure.indicator.unit)
            assert (figure.value, figure.qualifier) == (parsed.value, parsed.qualifier), label
            assert figure.source == item["source"]


D = Decimal


@pytest.mark.parametrize(
    ("organisation", "period", "indicator", "value", "qualifier", "figure_period"),
    [
        # 000: 高邮经济开发区工会, 2011
        ("js-yz-gaoyou-kfq", (2011, 2011), "unions_total", D(390), "more", None),
        ("js-yz-gaoyou-kfq", (2011, 2011), "members_total", D(31800), "exact", None),
        ("js-yz-gaoyou-kfq", (2011, 2011), "unionisation_rate", D(96), "more", None),
        ("js-yz-gaoyou-kfq", (2011, 2011), "grade_promotions", D(100), "more", (2009, 2011)),
        # 001: 高邮市总工会, 2011
        ("js-yz-gaoyou", (2011, 2011), "new_unions", D(660), "more", None),
        ("js-yz-gaoyou", (2011, 2011), "assistance_funds_raised", D(265), "exact", None),
        ("js-yz-gaoyou", (2011, 2011), "golden_autumn_funds", D("35.85"), "exact", None),
        ("js-yz-gaoyou", (2011, 2011), "union_accounts_opened", D(80), "nearly", None),
        ("js-yz-gaoyou", (2011, 2011), "wage_negotiation_rate", D(98), "more", None),
        ("js-yz-gaoyou", (2011, 2011), "rights_actions", D(12), "exact", None),
        ("js-yz-gaoyou", (2011, 2011), "harmonious_enterprises_star_1", D(270), "exact", None),
        # 002: 江都区总工会, the term 2014–2019
        ("js-yz-jiangdu", (2014, 2019), "unions_total", D(6299), "exact", None),
        ("js-yz-jiangdu", (2014, 2019), "unions_period_start", D(4081), "exact", None),
        ("js-yz-jiangdu", (2014, 2019), "members_total", D(283958), "exact", None),
        ("js-yz-jiangdu", (2014, 2019), "members_period_start", D(179584), "exact", None),
        ("js-yz-jiangdu", (2014, 2019), "knowledge_contest_participants", D(20000), "more", None),
        ("js-yz-jiangdu", (2014, 2019), "mutual_aid_members", D(7000), "more", None),
        ("js-yz-jiangdu", (2014, 2019), "golden_autumn_funds", D("95.88"), "exact", None),
        ("js-yz-jiangdu", (2014, 2019), "model_workers_national", D(2), "exact", None),
        # 003: 宝应县总工会, 2018
        ("js-yz-baoying", (2018, 2018), "mutual_aid_members", D(40000), "nearly", None),
        ("js-yz-baoying", (2018, 2018), "practical_projects_funds", D(30), "at_least", None),
        ("js-yz-baoying", (2018, 2018), "mutual_aid_payouts", D(200), "more", None),
        ("js-yz-baoying", (2018, 2018), "service_station_rate", D(100), "exact", None),
        # 004: the Suzhou newsletter, 2006
        ("js-sz-kunshan", (2006, 2006), "new_unions_independent", D(218), "exact", None),
        ("js-sz-kunshan", (2006, 2006), "new_unions_foreign", D(133), "exact", None),
        ("js-sz-kunshan", (2006, 2006), "new_members", D(18700), "more", None),
        ("js-sz-kunshan", (2006, 2006), "target_completion_new_unions", D("99.5"), "exact", None),
        ("js-sz", (2006, 2006), "hardship_households_assisted", D(300), "nearly", None),
        ("js-sz-canglang", (2006, 2006), "new_unions", D(68), "exact", None),
        ("js-sz-canglang", (2006, 2006), "target_completion_new_unions", D(88), "exact", None),
        ("js-sz-canglang", (2006, 2006), "owner_trainees", D(100), "more", None),
    ],
)
def test_figures_of_each_document(organisation, period, indicator, value, qualifier, figure_period):
    figure = Figure.objects.select_related("report").get(
        report__organisation__code=organisation,
        report__period_start=period[0],
        report__period_end=period[1],
        indicator__code=indicator,
    )
    assert figure.report.status == Status.APPROVED
    assert (figure.value, figure.qualifier) == (value, qualifier)
    assert (figure.period_start, figure.period_end) == (figure_period or period)
    assert figure.source


def test_computed_rates_are_derived_from_the_documents_figures():
    rate = Figure.objects.get(
        report__organisation__code="js-yz-gaoyou",
        report__period_start=2011,
        indicator__code="assisted_share",
    )
    assert rate.is_computed
    assert rate.value == D("66.0")  # 354 assisted of 536 on file


def test_reports_whose_year_is_not_stated_explain_the_inference():
    for code, period in [
        ("js-yz-gaoyou-kfq", (2011, 2011)),
        ("js-yz-jiangdu", (2014, 2019)),
        ("js-yz-baoying", (2018, 2018)),
        ("js-sz-kunshan", (2006, 2006)),
    ]:
        report = Report.objects.get(
            organisation__code=code, period_start=period[0], period_end=period[1]
        )
        assert "未注明" in report.note or "推断" in report.note, code


def test_narrative_initiatives_and_honours_are_loaded():
    gaoyou = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2011)
    assert gaoyou.sections.filter(part="review").count() == 5
    assert gaoyou.sections.filter(part="plan").count() == 5
    assert gaoyou.initiatives.count() >= 10
    assert gaoyou.honours.filter(recipient__contains="汤庄").exists()
    gaoyou_2017 = Report.objects.get(organisation__code="js-yz-gaoyou", period_start=2017)
    assert gaoyou_2017.honours.count() >= 6
    assert Initiative.figures.through.objects.exists()
