"""apps.i18n: the page's language read once, and choice labels remembered per language."""

from __future__ import annotations

from django.utils import translation

from apps.i18n import choice_label, current_language, is_english, page_language
from apps.indicators.choices import Unit
from apps.indicators.models import Indicator
from apps.organizations.models import Level, Organisation


def test_labels_follow_the_active_language_both_ways():
    # Asked alternately, so a label remembered for one language must never answer the other.
    for _ in range(2):
        with translation.override("zh-hans"):
            assert choice_label(Unit, Unit.PERSONS) == "人"
            assert choice_label(Level, Level.COUNTY) == "县级总工会"
        with translation.override("en"):
            assert choice_label(Unit, Unit.PERSONS) == "persons"
            assert choice_label(Level, Level.COUNTY) == "County-level federation"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    with translation.override("en"):
        assert choice_label(Unit, "furlongs") == "furlongs"
        assert Indicator(code="x", name="x", unit="furlongs").get_unit_display() == "furlongs"


def test_with_translation_deactivated_nothing_is_remembered_for_a_language():
    with translation.override(None):
        assert choice_label(Unit, Unit.PERSONS) == "persons"  # the source string
    with translation.override("zh-hans"):
        assert choice_label(Unit, Unit.PERSONS) == "人"


def test_the_page_language_wins_inside_its_block():
    with translation.override("zh-hans"):
        assert current_language() == "zh-hans"
        with page_language("en"):
            assert current_language() == "en"
            assert is_english()
            assert choice_label(Unit, Unit.PERSONS) == "persons"
            organisation = Organisation(name="高邮市总工会", name_en="Gaoyou Federation")
            assert organisation.display_name == "Gaoyou Federation"
        assert current_language() == "zh-hans"
        assert not is_english()
        assert organisation.display_name == "高邮市总工会"
