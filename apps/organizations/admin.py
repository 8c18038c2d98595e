from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "level", "parent", "report_count", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "short_name", "name_en", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "code", "level", "parent", "is_active"]}),
        (_("English"), {"fields": ["name_en", "short_name_en"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(description=_("reports"), ordering="report_count")
    def report_count(self, obj: Organisation) -> int:
        return obj.report_count  # type: ignore[attr-defined]


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    autocomplete_fields = ["organisation"]
    verbose_name = _("organisation and role")
    verbose_name_plural = _("organisation and role")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "last_name",
        "first_name",
        "membership_organisation",
        "membership_role",
        "is_staff",
        "is_active",
    ]
    list_select_related = ["membership__organisation"]
    list_filter = ["is_active", "is_staff", "is_superuser", "membership__role"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "membership__organisation__name",
    ]

    @admin.display(description=_("organisation"), ordering="membership__organisation__name")
    def membership_organisation(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return str(membership.organisation) if membership else "—"

    @admin.display(description=_("role"), ordering="membership__role")
    def membership_role(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "organisation__name", "organisation__code"]
    autocomplete_fields = ["user", "organisation"]
