"""The organisation tree (工会组织) and who belongs to which organisation.

The tree is stored twice: as ``parent`` (the truth) and as a closure table
(``OrganisationAncestry``: one row per ancestor/descendant pair, itself included). The closure
table makes "everything below X" a single indexed lookup on SQLite and PostgreSQL alike, which
the dashboards, the scoping of every query and the national-scale tree (~33,000 federations)
depend on. ``Organisation.save()`` keeps it in step.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Q, Subquery
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from apps.i18n import choice_label, is_english

# Sent inside Organisation.save() when an organisation is added to the tree or moved within it
# (organisation=, created=, former_parent_id=); summaries of the tree follow it.
organisation_placed = Signal()
# Sent inside Organisation.save() when an existing organisation is deactivated or activated
# again (organisation=): the count of organisations below its ancestors follows it.
organisation_activity_set = Signal()


class Level(models.TextChoices):
    NATIONAL = "national", _("National federation")
    PROVINCE = "province", _("Provincial federation")
    CITY = "city", _("City federation")
    COUNTY = "county", _("County-level federation")
    TOWN = "town", _("Town, street or park union")
    GRASSROOTS = "grassroots", _("Grassroots union")
    INDUSTRY = "industry", _("Industry or system union")
    SECTOR = "sector", _("Sector union")


# Territorial levels from the top down. Industry, system and sector unions sit anywhere below a
# territorial federation, so they have no rank.
TERRITORIAL_RANK: dict[str, int] = {
    Level.NATIONAL: 0,
    Level.PROVINCE: 1,
    Level.CITY: 2,
    Level.COUNTY: 3,
    Level.TOWN: 4,
    Level.GRASSROOTS: 5,
}

code_validator = RegexValidator(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    _("Use lower-case letters and digits, separated by single hyphens (e.g. js-yz-gaoyou)."),
)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def below(self, organisation: Organisation | int, *, include_self: bool = True):
        """Organisations in the subtree of ``organisation``."""
        pk = organisation if isinstance(organisation, int) else organisation.pk
        links = OrganisationAncestry.objects.filter(ancestor_id=pk)
        if not include_self:
            links = links.filter(depth__gt=0)
        return self.filter(pk__in=links.values("descendant_id"))

    def above(self, organisation: Organisation | int, *, include_self: bool = True):
        """Ancestors of ``organisation``."""
        pk = organisation if isinstance(organisation, int) else organisation.pk
        links = OrganisationAncestry.objects.filter(descendant_id=pk)
        if not include_self:
            links = links.filter(depth__gt=0)
        return self.filter(pk__in=links.values("ancestor_id"))

    def roots(self):
        return self.filter(parent__isnull=True)

    def with_path(self, code: str) -> Organisation | None:
        """The organisation of this queryset with ``code``, and its ancestors in the same
        query: ``path_from_root`` lists them from the root down, and ``parent`` is set."""
        # A scalar subquery rather than a join: PostgreSQL plans it in half the time, and
        # planning is most of this query's cost.
        chain = list(
            Organisation.objects.filter(
                descendant_links__descendant_id=Subquery(self.filter(code=code).values("pk")[:1])
            ).order_by("-descendant_links__depth")
        )
        if not chain:
            return None
        organisation = chain[-1]
        organisation.path_from_root = chain[:-1]
        organisation.parent = chain[-2] if len(chain) > 1 else None
        return organisation

    def active(self):
        return self.filter(is_active=True)


class Organisation(models.Model):
    code = models.CharField(
        _("code"),
        max_length=64,
        unique=True,
        validators=[code_validator],
        help_text=_("Stable identifier used in imports and exports; never reused."),
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. 高邮市总工会"))
    short_name = models.CharField(_("short name"), max_length=40, help_text=_("e.g. 高邮"))
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    short_name_en = models.CharField(_("English short name"), max_length=60, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationQuerySet.as_manager()
    # Set by OrganisationQuerySet.with_path(): the ancestors, from the root down.
    path_from_root: list[Organisation] | None = None

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="organisation_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="organisation_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
                name="organisation_code_format",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_level_display(self) -> str:
        """The level's label in the current language, without the dictionary of every choice
        that Django's generated method builds on each call (tables list many organisations)."""
        return choice_label(Level, self.level)

    @property
    def display_name(self) -> str:
        if self.name_en and is_english():
            return self.name_en
        return self.name

    @property
    def display_short_name(self) -> str:
        if self.short_name_en and is_english():
            return self.short_name_en
        return self.short_name

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An organisation cannot be its own parent.")})
        if (
            self.pk is not None
            and OrganisationAncestry.objects.filter(
                ancestor_id=self.pk, descendant_id=self.parent_id
            ).exists()
        ):
            raise ValidationError(
                {"parent": _("The parent cannot be one of this organisation's own descendants.")}
            )
        parent = self.parent
        mine, theirs = TERRITORIAL_RANK.get(self.level), TERRITORIAL_RANK.get(parent.level)
        if mine is not None and theirs is not None and mine <= theirs:
            raise ValidationError(
                {
                    "level": _(
                        "A %(level)s cannot sit below a %(parent_level)s: choose a lower level "
                        "or another parent."
                    )
                    % {
                        "level": self.get_level_display(),
                        "parent_level": parent.get_level_display(),
                    }
                }
            )

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            old_parent_id: int | None = None
            was_active = self.is_active
            is_new = self._state.adding
            if not is_new:
                old_parent_id, was_active = (
                    Organisation.objects.filter(pk=self.pk)
                    .values_list("parent_id", "is_active")
                    .first()
                ) or (None, self.is_active)
            super().save(*args, **kwargs)
            if is_new:
                OrganisationAncestry.link_new(self)
            elif old_parent_id != self.parent_id:
                OrganisationAncestry.relink_subtree(self)
            if is_new or old_parent_id != self.parent_id:
                organisation_placed.send(
                    sender=Organisation,
                    organisation=self,
                    created=is_new,
                    former_parent_id=old_parent_id,
                )
            elif was_active != self.is_active:
                organisation_activity_set.send(sender=Organisation, organisation=self)

    def ancestors(self, *, include_self: bool = False) -> list[Organisation]:
        """Ancestors from the root down."""
        links = (
            OrganisationAncestry.objects.filter(descendant=self)
            .select_related("ancestor")
            .order_by("-depth")
        )
        if not include_self:
            links = links.filter(depth__gt=0)
        return [link.ancestor for link in links]

    def is_below(self, other: Organisation, *, include_self: bool = True) -> bool:
        links = OrganisationAncestry.objects.filter(ancestor=other, descendant=self)
        if not include_self:
            links = links.filter(depth__gt=0)
        return links.exists()


class OrganisationAncestry(models.Model):
    """Closure table of the organisation tree: ``ancestor`` is ``depth`` levels above
    ``descendant`` (depth 0 is the organisation itself)."""

    ancestor = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="descendant_links", db_index=False
    )
    descendant = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="ancestor_links"
    )
    depth = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("organisation ancestry")
        verbose_name_plural = _("organisation ancestries")
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="ancestry_unique_pair"),
            models.CheckConstraint(
                condition=Q(depth__gt=0) | Q(ancestor=F("descendant")),
                name="ancestry_depth_zero_is_self",
            ),
        ]
        indexes = [models.Index(fields=["ancestor", "depth"], name="ancestry_ancestor_depth")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} → {self.descendant_id} ({self.depth})"

    @classmethod
    def link_new(cls, organisation: Organisation) -> None:
        rows = [cls(ancestor=organisation, descendant=organisation, depth=0)]
        if organisation.parent_id is not None:
            rows += [
                cls(ancestor_id=link.ancestor_id, descendant=organisation, depth=link.depth + 1)
                for link in cls.objects.filter(descendant_id=organisation.parent_id)
            ]
        cls.objects.bulk_create(rows)

    @classmethod
    def relink_subtree(cls, organisation: Organisation) -> None:
        """After ``organisation`` moved: replace the links from its old ancestors to its subtree
        with links from its new ancestors."""
        subtree = list(
            cls.objects.filter(ancestor=organisation).values_list("descendant_id", "depth")
        )
        subtree_ids = [pk for pk, _depth in subtree]
        cls.objects.filter(descendant_id__in=subtree_ids).exclude(
            ancestor_id__in=subtree_ids
        ).delete()
        if organisation.parent_id is None:
            return
        new_ancestors = list(
            cls.objects.filter(descendant_id=organisation.parent_id).values_list(
                "ancestor_id", "depth"
            )
        )
        cls.objects.bulk_create(
            cls(ancestor_id=ancestor_id, descendant_id=pk, depth=up + 1 + down)
            for ancestor_id, up in new_ancestors
            for pk, down in subtree
        )

    @classmethod
    def rebuild(cls) -> int:
        """Rebuild the whole closure table from ``parent`` (after bulk inserts)."""
        parents = dict(Organisation.objects.values_list("pk", "parent_id"))
        cls.objects.all().delete()
        batch: list[OrganisationAncestry] = []
        count = 0
        for pk in parents:
            depth, node = 0, pk
            while node is not None:
                batch.append(cls(ancestor_id=node, descendant_id=pk, depth=depth))
                node, depth = parents[node], depth + 1
            if len(batch) >= 5000:
                cls.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        cls.objects.bulk_create(batch)
        return count + len(batch)


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    REVIEWER = "reviewer", _("Reviewer")


class Membership(models.Model):
    """The one organisation an account works for, and in which role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"
