"""Who may see and do what: the one place where access is decided.

Roles come from the account's membership: a clerk (填报员) works on its own organisation's
reports; a reviewer (审核员) sees the reports of its organisation and of every organisation below
it, and returns, approves or reopens those below; an administrator (superuser) may do everything.
Whether an action is possible also depends on the report's status: only drafts and returned
reports can be edited or submitted, only submitted ones returned or approved, only approved ones
reopened. Admin pages, services, exports, search and autocomplete all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from apps.organizations.models import Organisation, OrganisationAncestry, Role

from .models import EDITABLE_STATUSES, Report, ReportLocked, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    REOPEN = "reopen"
    # Bring figures in from a file (the report's template, or the long format).
    IMPORT = "import"


# The statuses in which each action makes sense at all.
ACTION_STATUSES: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset(Status.values),
    Action.ADD: frozenset(Status.values),
    Action.CHANGE: EDITABLE_STATUSES,
    Action.DELETE: frozenset({Status.DRAFT}),
    Action.SUBMIT: EDITABLE_STATUSES,
    Action.RETURN: frozenset({Status.SUBMITTED}),
    Action.APPROVE: frozenset({Status.SUBMITTED}),
    Action.REOPEN: frozenset({Status.APPROVED}),
    Action.IMPORT: EDITABLE_STATUSES,
}

# What each role may do, relative to the organisation of the report.
OWN_ACTIONS = {
    Role.CLERK: {
        Action.VIEW,
        Action.ADD,
        Action.CHANGE,
        Action.DELETE,
        Action.SUBMIT,
        Action.IMPORT,
    },
    # A reviewer collects the figures of its whole subtree from files, but does not edit them
    # by hand.
    Role.REVIEWER: {Action.VIEW, Action.IMPORT},
}
BELOW_ACTIONS = {
    Role.CLERK: set(),
    Role.REVIEWER: {Action.VIEW, Action.RETURN, Action.APPROVE, Action.REOPEN, Action.IMPORT},
}


@dataclass(frozen=True)
class Actor:
    """The account acting, reduced to what access depends on. ``None`` user = the system
    (management commands and the demo loader), which may do everything."""

    user_id: int | None
    is_admin: bool
    organisation_id: int | None
    role: str | None
    # Organisations found below (or not below) the actor's, for as long as the actor lives
    # (one request: it is kept on the request's user). A page asks once per inline row.
    below: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_system(self) -> bool:
        return self.user_id is None


SYSTEM = Actor(user_id=None, is_admin=True, organisation_id=None, role=None)


def actor_for(user: AbstractBaseUser | AnonymousUser | None) -> Actor:
    if user is None:
        return SYSTEM
    cached = getattr(user, "_unionreports_actor", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        actor = Actor(user_id=None, is_admin=False, organisation_id=None, role=None)
    elif user.is_superuser:
        actor = Actor(user_id=user.pk, is_admin=True, organisation_id=None, role=None)
    else:
        membership = getattr(user, "membership", None)
        actor = Actor(
            user_id=user.pk,
            is_admin=False,
            organisation_id=membership.organisation_id if membership else None,
            role=membership.role if membership else None,
        )
    user._unionreports_actor = actor  # type: ignore[union-attr]
    return actor


def visible_organisations(user) -> QuerySet[Organisation]:
    actor = actor_for(user)
    if actor.is_admin:
        return Organisation.objects.all()
    if actor.role == Role.REVIEWER:
        return Organisation.objects.below(actor.organisation_id)
    if actor.role == Role.CLERK:
        return Organisation.objects.filter(pk=actor.organisation_id)
    return Organisation.objects.none()


def reviewable_organisations(user) -> QuerySet[Organisation]:
    """Organisations whose reports the user may return, approve and reopen."""
    actor = actor_for(user)
    if actor.is_admin:
        return Organisation.objects.all()
    if actor.role == Role.REVIEWER:
        return Organisation.objects.below(actor.organisation_id, include_self=False)
    return Organisation.objects.none()


def importable_organisations(user) -> QuerySet[Organisation]:
    """Organisations whose reports the user may fill from a file: those the user sees."""
    return visible_organisations(user)


def editable_organisations(user) -> QuerySet[Organisation]:
    """Organisations for which the user may create and edit reports."""
    actor = actor_for(user)
    if actor.is_admin:
        return Organisation.objects.all()
    if actor.role == Role.CLERK:
        return Organisation.objects.filter(pk=actor.organisation_id)
    return Organisation.objects.none()


def visible_reports(user) -> QuerySet[Report]:
    actor = actor_for(user)
    if actor.is_admin:
        return Report.objects.all()
    if actor.organisation_id is None:
        return Report.objects.none()
    return Report.objects.filter(organisation__in=visible_organisations(user))


def _relation_actions(actor: Actor, organisation_id: int) -> set[Action]:
    if actor.is_admin:
        return set(Action)
    if actor.organisation_id is None or actor.role is None:
        return set()
    if organisation_id == actor.organisation_id:
        return OWN_ACTIONS[actor.role]
    below = actor.below.get(organisation_id)
    if below is None:
        below = actor.below[organisation_id] = OrganisationAncestry.objects.filter(
            ancestor_id=actor.organisation_id, descendant_id=organisation_id
        ).exists()
    return BELOW_ACTIONS[actor.role] if below else set()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    # True when the refusal is about the report's status, not about who asks.
    about_status: bool = False

    def __bool__(self) -> bool:
        return self.allowed


def decide(
    user, action: Action, report: Report | None = None, *, organisation: Organisation | None = None
) -> Decision:
    """May ``user`` do ``action`` on ``report`` (or, for ADD, in ``organisation``)? When not,
    ``reason`` says why, in words for the user."""
    actor = actor_for(user)
    target = report.organisation_id if report is not None else getattr(organisation, "pk", None)
    if target is None:
        # Questions without an object: may the user do this anywhere at all?
        if actor.is_admin:
            return Decision(True)
        possible = OWN_ACTIONS.get(actor.role, set()) | BELOW_ACTIONS.get(actor.role, set())
        return Decision(action in possible, _("Your account has no role for this."))
    if action not in _relation_actions(actor, target):
        return Decision(False, _("This report is outside what your account may do."))
    if report is not None and report.status not in ACTION_STATUSES[action]:
        if (
            action in (Action.CHANGE, Action.DELETE, Action.SUBMIT, Action.IMPORT)
            and not report.is_editable
        ):
            return Decision(False, report.lock_message(), about_status=True)
        return Decision(
            False,
            _("This cannot be done while the report is “%(status)s”.")
            % {"status": report.get_status_display()},
            about_status=True,
        )
    return Decision(True)


def can(user, action: Action, report: Report | None = None, **kwargs) -> bool:
    return decide(user, action, report, **kwargs).allowed


def require(user, action: Action, report: Report | None = None, **kwargs) -> None:
    """Raise ``ReportLocked`` when the report's status forbids the action, ``PermissionDenied``
    when the user may not do it; both carry the reason for the user."""
    decision = decide(user, action, report, **kwargs)
    if not decision:
        if decision.about_status:
            raise ReportLocked(decision.reason, code="locked")
        raise PermissionDenied(decision.reason)


class ScopedAdminMixin:
    """For ModelAdmins: an object outside the user's scope (``get_queryset`` is scoped through
    this module) is a 404 on every object page (change, delete, history, custom views), never
    a redirect that hints it exists."""

    def get_object(self, request, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(_("Nothing with this id is within your account's scope."))
        return obj


def require_or_403(user, action: Action, report: Report | None = None, **kwargs) -> None:
    """For views: refuse with 403 and the reason, whether it is about the user or the status."""
    decision = decide(user, action, report, **kwargs)
    if not decision:
        raise PermissionDenied(decision.reason)
