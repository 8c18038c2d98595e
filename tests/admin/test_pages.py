"""Every admin page of every registered model renders, in Chinese and in English."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_admin_page_renders(superuser_client, model):
    instance = model._default_manager.order_by("pk").first()
    if instance is None and model is Group:
        instance = Group.objects.create(name="测试组")
    assert instance is not None, f"the demo has no {model._meta.label} to open"
    pages = [
        url(model, "changelist"),
        url(model, "changelist") + "?q=高邮",
        url(model, "add"),
        url(model, "change", instance.pk),
        url(model, "delete", instance.pk),
        url(model, "history", instance.pk),
    ]
    for page in pages:
        response = superuser_client.get(page)
        assert response.status_code == 200, page


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
