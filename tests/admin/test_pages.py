"""Every admin page of every registered model renders, in Chinese and in English."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from apps.organizations.models import Organisation
from apps.reports.models import AuditEntry, ImportBatch, PreparedExport, Report

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Registered for looking only: the sign-in records of django-axes, our change records, import
# batches and the prepared file of every figure.
READ_ONLY = {AccessAttempt, AccessLog, AccessFailureLog, AuditEntry, ImportBatch, PreparedExport}


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def make_instance(model):
    """The few registered models the demo has no rows of."""
    if model is Group:
        return Group.objects.create(name="测试组")
    if model is AccessAttempt:
        return AccessAttempt.objects.create(
            username="gaoyou", ip_address="10.0.0.1", user_agent="test", failures_since_start=1
        )
    if model is AccessLog:
        return AccessLog.objects.create(username="gaoyou", ip_address="10.0.0.1", user_agent="test")
    if model is ImportBatch:
        from django.core.files.base import ContentFile

        batch = ImportBatch(kind="values", filename="demo.csv")
        batch.file.save("demo.csv", ContentFile(b"org_code\n"), save=False)
        batch.save()
        return batch
    if model is PreparedExport:
        return PreparedExport.objects.create(
            file="exports/demo.zip", version=1, figures=3, size=100
        )
    if model is AccessFailureLog:
        return AccessFailureLog.objects.create(
            username="gaoyou", ip_address="10.0.0.1", user_agent="test"
        )
    return None


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def a_deletable(model):
    """An object the administrator may delete: for reports only a draft qualifies."""
    if model is Report:
        organisation = Organisation.objects.get(code="js-yz-gaoyou")
        return Report.objects.create(organisation=organisation, period_start=2030, period_end=2030)
    return model._default_manager.order_by("pk").first() or make_instance(model)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_admin_page_renders(superuser_client, rf, model):
    """Each page renders, or is refused with 403 exactly where the admin says it may not be
    used (nobody adds a change record or deletes an approved report)."""
    instance = model._default_manager.order_by("pk").first() or make_instance(model)
    assert instance is not None, f"the demo has no {model._meta.label} to open"
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="admin")
    deletable = a_deletable(model)
    pages = [
        (url(model, "changelist"), True),
        (url(model, "changelist") + "?q=高邮", True),
        (url(model, "add"), model_admin.has_add_permission(request)),
        (url(model, "change", instance.pk), True),
        (url(model, "delete", deletable.pk), model_admin.has_delete_permission(request, deletable)),
        (url(model, "history", instance.pk), True),
    ]
    assert any(allowed for _page, allowed in pages[2:5]) or model in READ_ONLY, model
    for page, allowed in pages:
        response = superuser_client.get(page)
        assert response.status_code == (200 if allowed else 403), page


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_filters_render(superuser_client, model):
    """Each list filter of the change list can be applied."""
    model_admin = admin.site._registry[model]
    response = superuser_client.get(url(model, "changelist"))
    changelist = response.context["cl"]
    for spec in changelist.filter_specs:
        for choice in list(spec.choices(changelist))[1:3]:
            page = url(model, "changelist") + choice["query_string"]
            assert superuser_client.get(page).status_code == 200, page
    assert model_admin


def test_admin_is_chinese_by_default_and_english_on_request(superuser_client):
    chinese = superuser_client.get("/admin/")
    assert "工会年报" in chinese.content.decode()
    assert chinese.headers["Content-Language"] == "zh-hans"
    english = superuser_client.get("/en/admin/")
    assert "Union annual reports" in english.content.decode()
    assert english.headers["Content-Language"] == "en"


def test_sign_in_page_renders_for_anonymous_users(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert "登录" in response.content.decode()
