"""The permission matrix: every role × (own, child, sibling, parent, unrelated organisation) ×
(view, add, change, delete, submit, return, approve, reopen), expecting exactly the allowed
cases — both in the access helper and through the admin and the services that people use."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from apps.organizations.models import Level, Membership, Role
from apps.reports import imports, services
from apps.reports.access import Action, can, visible_reports
from apps.reports.models import Report, Status
from tests import factories

pytestmark = pytest.mark.django_db

RELATIONS = ["own", "child", "sibling", "parent", "unrelated"]
ROLES = ["clerk", "reviewer", "administrator"]

# The allowed cases; everything else must be refused.
ALLOWED: dict[str, dict[str, set[Action]]] = {
    "clerk": {
        "own": {
            Action.VIEW,
            Action.ADD,
            Action.CHANGE,
            Action.DELETE,
            Action.SUBMIT,
            Action.IMPORT,
        },
    },
    "reviewer": {
        "own": {Action.VIEW, Action.IMPORT},
        "child": {Action.VIEW, Action.RETURN, Action.APPROVE, Action.REOPEN, Action.IMPORT},
    },
    "administrator": {relation: set(Action) for relation in RELATIONS},
}

# The status a report must have for each action to make sense.
STATUS_FOR = {
    Action.VIEW: Status.DRAFT,
    Action.CHANGE: Status.DRAFT,
    Action.DELETE: Status.DRAFT,
    Action.SUBMIT: Status.DRAFT,
    Action.RETURN: Status.SUBMITTED,
    Action.APPROVE: Status.SUBMITTED,
    Action.REOPEN: Status.APPROVED,
    Action.IMPORT: Status.DRAFT,
}


@pytest.fixture
def world():
    """parent → (own → child, sibling); unrelated elsewhere. Users sit at `own`."""
    root = factories.organisation(level=Level.PROVINCE, code="m-root")
    parent = factories.organisation(root, Level.CITY, code="m-parent")
    own = factories.organisation(parent, Level.COUNTY, code="m-own")
    child = factories.organisation(own, Level.TOWN, code="m-child")
    sibling = factories.organisation(parent, Level.COUNTY, code="m-sibling")
    other_city = factories.organisation(root, Level.CITY, code="m-other-city")
    unrelated = factories.organisation(other_city, Level.COUNTY, code="m-unrelated")
    organisations = {
        "own": own,
        "child": child,
        "sibling": sibling,
        "parent": parent,
        "unrelated": unrelated,
    }
    User = get_user_model()
    users = {}
    for role in ROLES:
        user = User.objects.create_user(
            f"m-{role}",
            password="a-long-test-password",
            is_staff=True,
            is_superuser=role == "administrator",
        )
        if role != "administrator":
            Membership.objects.create(user=user, organisation=own, role=Role(role))
        users[role] = user
    indicator = factories.indicator()
    reports = {}
    for relation, organisation in organisations.items():
        for status in {Status.DRAFT, Status.SUBMITTED, Status.APPROVED}:
            report = factories.report(
                organisation,
                {Status.DRAFT: 2020, Status.SUBMITTED: 2021, Status.APPROVED: 2022}[status],
            )
            factories.figure(report, indicator, 10)
            reports[relation, status] = factories.move_to(report, status)
    return organisations, users, reports


CASES = list(itertools.product(ROLES, RELATIONS, list(Action)))


@pytest.mark.parametrize(("role", "relation", "action"), CASES)
def test_the_access_helper_allows_exactly_the_matrix(world, role, relation, action):
    organisations, users, reports = world
    expected = action in ALLOWED[role].get(relation, set())
    user = users[role]
    if action == Action.ADD:
        assert can(user, action, organisation=organisations[relation]) == expected
    else:
        assert can(user, action, reports[relation, STATUS_FOR[action]]) == expected


def _refused(callable_) -> bool:
    try:
        callable_()
    except (PermissionDenied, ValidationError):
        return True
    return False


@pytest.mark.parametrize(("role", "relation", "action"), CASES)
def test_the_admin_and_services_enforce_the_matrix(world, role, relation, action):
    """The same cases through the paths people use: admin pages for view, add, change and
    delete; the workflow service for the transitions."""
    organisations, users, reports = world
    expected = action in ALLOWED[role].get(relation, set())
    user = users[role]
    client = Client()
    client.force_login(user)
    report = reports.get((relation, STATUS_FOR.get(action, Status.DRAFT)))
    if action == Action.VIEW:
        response = client.get(f"/admin/reports/report/{report.pk}/change/")
        assert (response.status_code == 200) == expected
        assert (response.status_code == 404) == (not expected)
    elif action == Action.ADD:
        response = client.post(
            "/admin/reports/report/add/",
            {"organisation": organisations[relation].pk, "period_start": 2030, "period_end": 2030},
        )
        created = Report.objects.filter(
            organisation=organisations[relation], period_start=2030
        ).exists()
        assert created == expected, response.status_code
    elif action == Action.CHANGE:
        page = client.get(f"/admin/reports/report/{report.pk}/change/")
        data = {
            "period_start": report.period_start,
            "period_end": report.period_end,
            "title": "changed by the matrix",
            "version": report.version,
            **_empty_inlines(),
        }
        client.post(f"/admin/reports/report/{report.pk}/change/", data)
        report.refresh_from_db()
        assert (report.title == "changed by the matrix") == expected, page.status_code
    elif action == Action.DELETE:
        client.post(f"/admin/reports/report/{report.pk}/delete/", {"post": "yes"})
        assert (not Report.objects.filter(pk=report.pk).exists()) == expected
    elif action == Action.IMPORT:
        figure = report.figures.select_related("indicator").get()
        assert _refused(lambda: _import(user, report, figure.indicator.code, 11)) == (not expected)
        figure.refresh_from_db()
        assert (figure.value == 11) == expected
    else:
        reason = "matrix reason"
        refused = _refused(
            lambda: services.report_transition(
                report=report, user=user, action=action, reason=reason
            )
        )
        assert refused == (not expected)


def _import(user, report, indicator_code: str, value: int) -> None:
    """Import one changed figure of ``report`` from a CSV file, as ``user``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.csv"
        path.write_text(
            "org_code,period_start,period_end,indicator_code,value\n"
            f"{report.organisation.code},{report.period_start},{report.period_end},{indicator_code},{value}\n",
            encoding="utf-8",
        )
        table = imports.read_table(path, path.name, imports.LONG_COLUMNS, imports.LONG_REQUIRED)
        plan = imports.plan_values(table, user)
        if not plan.is_valid:
            raise ValidationError([p.reason for p in plan.errors])
        services.import_apply(plan=plan, user=user)


def _empty_inlines() -> dict[str, int]:
    data = {}
    for prefix in ("sections", "initiatives", "honours"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def test_lists_show_only_what_is_in_scope(world, client):
    organisations, users, _reports = world
    expectations = {
        "clerk": {"own"},
        "reviewer": {"own", "child"},
    }
    for role, relations in expectations.items():
        visible = set(visible_reports(users[role]).values_list("organisation__code", flat=True))
        assert visible == {organisations[r].code for r in relations}
        client.force_login(users[role])
        html = client.get("/admin/reports/report/").content.decode()
        for relation, organisation in organisations.items():
            assert (organisation.name in html) == (relation in relations), (role, relation)


def test_editing_an_id_in_the_url_is_a_404(world, client):
    organisations, users, reports = world
    client.force_login(users["clerk"])
    foreign = reports["sibling", Status.DRAFT]
    for page in ["change", "history", "delete", "transition/submit"]:
        response = client.get(f"/admin/reports/report/{foreign.pk}/{page}/")
        assert response.status_code == 404, page
    response = client.get(
        f"/admin/organizations/organisation/{organisations['sibling'].pk}/change/"
    )
    assert response.status_code == 404


def test_choices_search_and_autocomplete_are_scoped(world, client):
    organisations, users, _reports = world
    client.force_login(users["clerk"])
    form = client.get("/admin/reports/report/add/").context["adminform"].form
    assert list(form.fields["organisation"].queryset) == [organisations["own"]]
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "reports",
            "model_name": "report",
            "field_name": "organisation",
            "term": "m-",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(organisations["own"].pk)]
    html = client.get("/admin/reports/report/", {"q": "测试"}).content.decode()
    assert organisations["sibling"].name not in html


def test_the_admin_export_action_is_scoped(world, client):
    _organisations, users, _reports = world
    client.force_login(users["reviewer"])
    every = Report.objects.filter(organisation__code__startswith="m-").values_list("pk", flat=True)
    response = client.post(
        "/admin/reports/report/",
        {"action": "export_figures", "_selected_action": list(every)},
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    codes = {line.split(",")[0] for line in text.splitlines()[1:]}
    assert codes == {"m-own", "m-child"}


def test_unpublished_files_follow_the_scope(world, client):
    _organisations, users, reports = world
    report = reports["sibling", Status.DRAFT]
    from django.core.files.base import ContentFile

    report.source_document.save("sibling.txt", ContentFile("内部材料".encode()), save=False)
    Report.objects.filter(pk=report.pk).update(source_document=report.source_document.name)
    client.force_login(users["clerk"])
    assert client.get(report.source_document.url).status_code == 404
    client.force_login(users["administrator"])
    assert client.get(report.source_document.url).status_code == 200
