"""Fixtures of the report form's tests (test_report_form, test_admin_fieldsets)."""

from __future__ import annotations

import pytest

from apps.organizations.models import Organisation, Role
from apps.reports import services
from apps.reports.models import Report


@pytest.fixture
def clerk(member):
    return member("f-clerk", "js-yz-gaoyou", Role.CLERK)


@pytest.fixture
def report(clerk):
    """高邮 2012, the year after the demo's 2011 report (whose figures are the previous period)."""
    return services.report_create(
        user=clerk,
        report=Report(
            organisation=Organisation.objects.get(code="js-yz-gaoyou"),
            period_start=2012,
            period_end=2012,
        ),
    )
