"""Sign-in and accounts: Argon2, passwords of at least 12 characters, throttling that pauses
(never locks forever), and staff sessions that end after 30 idle minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from apps.organizations.models import Membership, Organisation, Role
from unionreports import settings as project_settings

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = get_user_model().objects.create_user("s-argon", password="a-long-enough-password")
    assert user.password.startswith("argon2")
    assert user.check_password("a-long-enough-password")


@pytest.mark.parametrize(
    ("password", "valid"),
    [
        ("short-pass1", False),  # 11 characters
        ("twelve-chars", True),  # no composition rules: letters and a hyphen suffice
        ("aaaabbbbccccdddd", True),
        ("password1234", False),  # too common
    ],
)
def test_password_policy(password, valid):
    try:
        validate_password(password)
    except ValidationError:
        assert not valid
    else:
        assert valid


def attempt(client: Client, username: str, password: str, address: str = "10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_pause_the_account_for_a_period():
    get_user_model().objects.filter(username="gaoyou").update(is_active=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "gaoyou", "wrong-password-000").status_code == 200
    assert attempt(client, "gaoyou", "wrong-password-000").status_code == 429
    # Even the right password, from another address, waits.
    locked = attempt(client, "gaoyou", "demo-password-for-tests", address="10.9.9.9")
    assert locked.status_code == 429
    assert "登录已暂停 15 分钟" in locked.content.decode()
    # …for a period, never forever: once the cool-off has passed, the right password works.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert (
        attempt(client, "gaoyou", "demo-password-for-tests", address="10.9.9.9").status_code == 302
    )


def test_repeated_failures_from_one_address_pause_that_address():
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"nobody-{n}", "wrong-password-000", address="10.2.2.2")
    assert (
        attempt(client, "jiangdu", "demo-password-for-tests", address="10.2.2.2").status_code == 429
    )
    assert (
        attempt(client, "jiangdu", "demo-password-for-tests", address="10.3.3.3").status_code == 302
    )


def test_a_deactivated_account_cannot_sign_in(client):
    user = get_user_model().objects.get(username="jiangdu")
    user.is_active = False
    user.save()
    assert attempt(client, "jiangdu", "demo-password-for-tests").status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_sessions_end_after_30_idle_minutes(client):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert attempt(client, "gaoyou", "demo-password-for-tests").status_code == 302
    first = client.session.get_expiry_date()
    assert timedelta(minutes=29) < first - timezone.now() <= timedelta(minutes=30)
    # Activity moves the end; an idle session past it is signed out.
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/admin/").status_code == 302


def test_public_pages_set_no_session_cookie(client):
    response = client.get("/")
    assert "sessionid" not in response.cookies


def test_administrator_assigns_organisation_and_role_and_can_reset_passwords(admin_client):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "new-clerk",
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
            "usable_password": "true",
            "membership-TOTAL_FORMS": "1",
            "membership-INITIAL_FORMS": "0",
            "membership-0-organisation": Organisation.objects.get(code="js-yz-baoying").pk,
            "membership-0-role": Role.CLERK,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = get_user_model().objects.get(username="new-clerk")
    assert user.is_staff  # a role implies working in the admin
    assert Membership.objects.get(user=user).organisation.code == "js-yz-baoying"
    page = admin_client.get(f"/admin/auth/user/{user.pk}/password/")
    assert page.status_code == 200
    admin_client.post(
        "/admin/auth/user/",
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    user.refresh_from_db()
    assert not user.is_active


def test_only_administrators_manage_accounts(client):
    client.force_login(get_user_model().objects.get(username="yangzhou"))
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/organizations/membership/").status_code == 403
