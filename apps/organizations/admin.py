"""Organisations and accounts. Administrators manage both; clerks and reviewers may look at the
organisations within their scope (for choices and context) but change nothing here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.reports import access
from apps.reports.access import ScopedAdminMixin

from .models import Membership, Organisation


class AdministratorsEditMixin:
    """Everyone with a role may look; only administrators may change."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.actor_for(request.user).role is not None

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, AdministratorsEditMixin, admin.ModelAdmin):
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
        # Search and autocomplete (the report form's organisation field) are scoped too.
        return (
            access.visible_organisations(request.user)
            .annotate(report_count=Count("reports"))
            .order_by("code")
        )

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
    """Accounts: create, assign an organisation and a role, deactivate, reset the password
    (the "password" link on the account's page). Administrators only."""

    inlines = [MembershipInline]
    list_display = [
        "username",
        "last_name",
        "first_name",
        "membership_organisation",
        "membership_role",
        "is_active",
        "last_login",
    ]
    list_select_related = ["membership__organisation"]
    list_filter = ["is_active", "is_superuser", "membership__role"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "membership__organisation__name",
    ]
    actions = ["deactivate", "activate"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("organisation"), ordering="membership__organisation__name")
    def membership_organisation(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return str(membership.organisation) if membership else "—"

    @admin.display(description=_("role"), ordering="membership__role")
    def membership_role(self, obj) -> str:
        if obj.is_superuser:
            return str(_("Administrator"))
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        # Clerks and reviewers work in the admin: a role implies staff status.
        if Membership.objects.filter(user=user).exists() and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])

    @admin.action(description=_("Deactivate the selected accounts"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.exclude(pk=request.user.pk).update(is_active=False)
        messages.success(
            request,
            ngettext("%(count)d account deactivated.", "%(count)d accounts deactivated.", count)
            % {"count": count},
        )

    @admin.action(description=_("Activate the selected accounts"))
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_active=True)
        messages.success(
            request,
            ngettext("%(count)d account activated.", "%(count)d accounts activated.", count)
            % {"count": count},
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "organisation__name", "organisation__code"]
    autocomplete_fields = ["user", "organisation"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
