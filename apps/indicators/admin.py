from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.organizations.admin import AdministratorsEditMixin

from .models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(AdministratorsEditMixin, admin.ModelAdmin):
    """The catalogue: administrators maintain it; staff with a role can look it up."""

    list_display = [
        "name",
        "code",
        "unit",
        "work_area",
        "kind",
        "part_of",
        "is_computed_display",
        "is_active",
    ]
    list_filter = ["work_area", "kind", "unit", "is_headline", "is_active"]
    search_fields = ["code", "name", "name_en", "definition"]
    list_select_related = ["part_of"]
    autocomplete_fields = ["part_of", "numerator", "denominator"]
    fieldsets = [
        (None, {"fields": ["name", "name_en", "code", "work_area", "definition"]}),
        (
            _("How it is counted"),
            {
                "fields": [
                    "unit",
                    "kind",
                    "decimal_places",
                    "higher_is_better",
                    "min_value",
                    "max_value",
                ]
            },
        ),
        (_("Breakdown"), {"fields": ["part_of", "breakdown"]}),
        (_("Computed rate"), {"fields": ["numerator", "denominator"]}),
        (_("Display"), {"fields": ["position", "is_headline", "is_active"]}),
    ]

    @admin.display(description=_("computed"), boolean=True)
    def is_computed_display(self, obj: Indicator) -> bool:
        return obj.is_computed
