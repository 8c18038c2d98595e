"""The vocabulary of figures: units, work areas, kinds, qualifiers, breakdowns.

Kept apart from the models so that parsing and formatting (``numbers.py``) can use it without
touching the database layer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Unit(models.TextChoices):
    """The unit a figure is counted in. The stored value is the Chinese unit itself, which is what
    the source documents, the exports and union staff all write."""

    ORGANISATIONS = "家", pgettext_lazy("unit", "organisations")
    ITEMS = "个", pgettext_lazy("unit", "items")
    PERSONS = "人", pgettext_lazy("unit", "persons")
    PERSON_TIMES = "人次", pgettext_lazy("unit", "person-times")
    EVENTS = "场", pgettext_lazy("unit", "events")
    PROJECTS = "项", pgettext_lazy("unit", "projects")
    SUGGESTIONS = "条", pgettext_lazy("unit", "suggestions")
    ARTICLES = "篇", pgettext_lazy("unit", "articles")
    HOUSEHOLDS = "户", pgettext_lazy("unit", "households")
    COPIES = "份", pgettext_lazy("unit", "copies")
    TEN_THOUSAND_YUAN = "万元", pgettext_lazy("unit", "10,000 yuan")
    PERCENT = "%", pgettext_lazy("unit", "per cent")


class Measure(models.TextChoices):
    """What kind of number a unit makes, which decides the invariants on its values."""

    COUNT = "count", _("count")  # a non-negative whole number
    AMOUNT = "amount", _("amount")  # a non-negative decimal (money in 万元)
    RATE = "rate", _("rate")  # a percentage between 0 and 100


def measure_of(unit: str) -> Measure:
    if unit == Unit.PERCENT:
        return Measure.RATE
    if unit == Unit.TEN_THOUSAND_YUAN:
        return Measure.AMOUNT
    return Measure.COUNT


COUNT_UNITS = [u for u in Unit.values if measure_of(u) == Measure.COUNT]


class WorkArea(models.TextChoices):
    """The recurring areas of union work (see domain.md); documents name them differently."""

    POLITICAL = "political", _("Political guidance and education")
    ACHIEVEMENT = "achievement", _("Labour competitions, skills and innovation")
    ORGANISATION = "organisation", _("Building the organisation")
    RIGHTS = "rights", _("Rights and labour relations")
    SERVICES = "services", _("Services and hardship assistance")
    CULTURE = "culture", _("Quality, culture and publicity")
    SELF_BUILDING = "self_building", _("The union's own building")


class Kind(models.TextChoices):
    STOCK = "stock", _("Stock at the end of the period")
    FLOW = "flow", _("Flow within the period")
    RATE = "rate", _("Rate")


class Qualifier(models.TextChoices):
    """How exact the stated figure is: 390多家 is "more than 390", 近4万 "nearly 40,000"."""

    EXACT = "exact", _("exact")
    MORE = "more", _("more than (多/余/以上)")
    AT_LEAST = "at_least", _("at least (不少于)")
    NEARLY = "nearly", _("nearly (近)")
    ABOUT = "about", _("about (约)")


class Breakdown(models.TextChoices):
    """What distinguishes a part from its whole (see ``Indicator.part_of``)."""

    NATIONAL = "national", _("national level")
    PROVINCIAL = "provincial", _("provincial level")
    PROVINCIAL_CITY = "provincial_city", _("provincial and city level")
    CITY = "city", _("city level")
    COUNTY = "county", _("county level")
    TOWN = "town", _("town level")
    URBAN = "urban", _("urban area")
    STAR_1 = "star_1", _("one star")
    STAR_2 = "star_2", _("two stars")
    STAR_3 = "star_3", _("three stars")
    STAR_2_3 = "star_2_3", _("two or three stars")
    FOREIGN_INVESTED = "foreign_invested", _("foreign-invested enterprises")
    INDEPENDENT = "independent", _("independent unions")
    JOINT = "joint", _("joint unions")
    BUILDING = "building", _("office-building unions")
    SUBSET = "subset", _("of which")
