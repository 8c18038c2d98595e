"""The organisation tree and its closure table."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from apps.organizations.models import Level, Organisation, OrganisationAncestry
from tests import factories

pytestmark = pytest.mark.django_db


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


@pytest.fixture
def tree():
    """province → city → (county a → town a1, county b)"""
    province = factories.organisation(level=Level.PROVINCE, code="t-p")
    city = factories.organisation(province, Level.CITY, code="t-c")
    county_a = factories.organisation(city, Level.COUNTY, code="t-a")
    county_b = factories.organisation(city, Level.COUNTY, code="t-b")
    town = factories.organisation(county_a, Level.TOWN, code="t-a1")
    return province, city, county_a, county_b, town


def test_below_and_above(tree):
    province, city, county_a, county_b, town = tree
    assert codes(Organisation.objects.below(city)) == {"t-c", "t-a", "t-b", "t-a1"}
    assert codes(Organisation.objects.below(city, include_self=False)) == {"t-a", "t-b", "t-a1"}
    assert codes(Organisation.objects.above(town, include_self=False)) == {"t-a", "t-c", "t-p"}
    assert [o.code for o in town.ancestors()] == ["t-p", "t-c", "t-a"]
    assert town.is_below(province)
    assert not county_b.is_below(county_a)


def test_below_is_one_query_whatever_the_depth(tree):
    province = tree[0]
    with CaptureQueriesContext(connection) as queries:
        list(Organisation.objects.below(province))
    assert len(queries) == 1


def test_moving_a_subtree_relinks_every_descendant(tree):
    province, _city, county_a, county_b, town = tree
    county_a.parent = county_b
    county_a.level = Level.TOWN  # a town-level unit may sit below a county
    county_a.save()
    town.refresh_from_db()
    assert codes(Organisation.objects.above(town)) == {"t-a1", "t-a", "t-b", "t-c", "t-p"}
    assert OrganisationAncestry.objects.get(ancestor=province, descendant=town).depth == 4
    assert codes(Organisation.objects.below(county_b)) == {"t-b", "t-a", "t-a1"}


def test_closure_matches_a_rebuild_from_parents(tree):
    before = set(OrganisationAncestry.objects.values_list("ancestor", "descendant", "depth"))
    OrganisationAncestry.rebuild()
    after = set(OrganisationAncestry.objects.values_list("ancestor", "descendant", "depth"))
    assert before == after


def test_a_cycle_is_refused(tree):
    city, town = tree[1], tree[4]
    city.parent = town
    with pytest.raises(ValidationError, match="parent"):
        city.full_clean()


def test_an_organisation_cannot_be_its_own_parent(tree):
    city = tree[1]
    city.parent = city
    with pytest.raises(ValidationError):
        city.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=city.pk).update(parent=F("pk"))


def test_a_territorial_level_must_be_below_its_parents_level(tree):
    county_a = tree[2]
    wrong = Organisation(
        code="t-wrong", name="错层级", short_name="错", level=Level.CITY, parent=county_a
    )
    with pytest.raises(ValidationError, match="level"):
        wrong.full_clean()
    sector = Organisation(
        code="t-sector", name="行业工会", short_name="行业", level=Level.SECTOR, parent=county_a
    )
    sector.full_clean()


def test_codes_are_unique_and_well_formed():
    duplicate = Organisation(code="js-yz", name="重复", short_name="重复", level=Level.CITY)
    with pytest.raises(ValidationError, match="code"):
        duplicate.full_clean()
    bad = Organisation(code="Bad Code", name="坏代码", short_name="坏", level=Level.CITY)
    with pytest.raises(ValidationError, match="code"):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.bulk_create([bad])


def test_the_demo_tree_matches_the_documents():
    yangzhou = Organisation.objects.get(name="扬州市总工会")
    assert codes(
        Organisation.objects.below(yangzhou, include_self=False).filter(level=Level.COUNTY)
    ) == {
        "js-yz-gaoyou",
        "js-yz-jiangdu",
        "js-yz-baoying",
    }
    suzhou = Organisation.objects.get(name="苏州市总工会")
    names = set(Organisation.objects.below(suzhou).values_list("name", flat=True))
    assert {"昆山市总工会", "吴江市总工会", "金阊区总工会", "沧浪区总工会", "吴中区总工会"} <= names
    zone = Organisation.objects.get(name="高邮经济开发区工会")
    assert [o.name for o in zone.ancestors()] == [
        "中华全国总工会",
        "江苏省总工会",
        "扬州市总工会",
        "高邮市总工会",
    ]
