"""The indicator catalogue: what can be reported, in which unit, and how to read it."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.i18n import choice_label, is_english

from .choices import COUNT_UNITS, Breakdown, Kind, Measure, Unit, WorkArea, measure_of

indicator_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _("Use lower-case letters, digits and underscores, starting with a letter."),
)


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def active(self):
        return self.filter(is_active=True)

    def typed(self):
        """Indicators that staff enter (computed rates are derived, not typed)."""
        return self.filter(numerator__isnull=True)

    def computed(self):
        return self.filter(numerator__isnull=False)


class Indicator(models.Model):
    code = models.CharField(
        _("code"),
        max_length=64,
        unique=True,
        validators=[indicator_code_validator],
        help_text=_("Stable identifier used in imports and exports; never reused."),
    )
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    work_area = models.CharField(_("work area"), max_length=16, choices=WorkArea.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places"), default=0, help_text=_("0 for whole numbers.")
    )
    higher_is_better = models.BooleanField(
        _("higher is better"),
        null=True,
        blank=True,
        help_text=_("Leave empty when neither direction is better."),
    )
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    definition = models.TextField(_("definition"), blank=True)
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text=_(
            "The whole this indicator is a part of (new unions of all unions; national "
            "demonstration libraries of all demonstration libraries). A part never exceeds "
            "its whole."
        ),
    )
    breakdown = models.CharField(
        _("breakdown"),
        max_length=24,
        choices=Breakdown.choices,
        blank=True,
        help_text=_("What distinguishes this part from its whole (level, stars …)."),
    )
    numerator = models.ForeignKey(
        "self",
        verbose_name=_("numerator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a computed rate: numerator / denominator × 100."),
    )
    denominator = models.ForeignKey(
        "self",
        verbose_name=_("denominator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Order in the catalogue, across work areas.")
    )
    is_headline = models.BooleanField(
        _("headline figure"), default=False, help_text=_("Shown first on overview pages.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z][a-z0-9_]*$"), name="indicator_code_format"
            ),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="indicator_unit_valid"),
            models.CheckConstraint(
                condition=Q(work_area__in=WorkArea.values), name="indicator_work_area_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="indicator_kind_valid"),
            models.CheckConstraint(
                condition=Q(decimal_places__lte=4), name="indicator_decimal_places_at_most_4"
            ),
            models.CheckConstraint(
                condition=~Q(unit__in=COUNT_UNITS) | Q(decimal_places=0),
                name="indicator_counts_are_whole",
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.RATE) & Q(unit=Unit.PERCENT))
                | (~Q(kind=Kind.RATE) & ~Q(unit=Unit.PERCENT)),
                name="indicator_rate_iff_percent",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="indicator_min_not_above_max",
            ),
            models.CheckConstraint(
                condition=(Q(numerator__isnull=True) & Q(denominator__isnull=True))
                | (
                    Q(numerator__isnull=False)
                    & Q(denominator__isnull=False)
                    & Q(kind=Kind.RATE)
                    & ~Q(numerator=F("denominator"))
                ),
                name="indicator_computed_rate_has_both_parts",
            ),
            models.CheckConstraint(
                condition=Q(breakdown="") | Q(part_of__isnull=False),
                name="indicator_breakdown_needs_whole",
            ),
            models.CheckConstraint(
                condition=~Q(part_of=F("pk")), name="indicator_not_part_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name}（{self.get_unit_display()}）"

    def get_unit_display(self) -> str:
        """The unit's label in the current language. Replaces Django's generated method, which
        rebuilds a dictionary of every choice on each call: the pages call this per row."""
        return choice_label(Unit, self.unit)

    @property
    def display_name(self) -> str:
        if self.name_en and is_english():
            return self.name_en
        return self.name

    @property
    def measure(self) -> Measure:
        return measure_of(self.unit)

    @property
    def is_computed(self) -> bool:
        return self.numerator_id is not None

    def allowed_range(self) -> tuple[Decimal | None, Decimal | None]:
        """The range a value must lie in: the catalogue's own bounds within what the unit allows."""
        low, high = self.min_value, self.max_value
        floor = Decimal(0)
        low = floor if low is None else max(low, floor)
        if self.measure == Measure.RATE:
            high = Decimal(100) if high is None else min(high, Decimal(100))
        return low, high

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.unit in COUNT_UNITS and self.decimal_places:
            errors.setdefault("decimal_places", []).append(
                _("Counts in %(unit)s are whole numbers: decimal places must be 0.")
                % {"unit": self.get_unit_display()}
            )
        if self.decimal_places > 4:
            errors.setdefault("decimal_places", []).append(_("At most 4 decimal places."))
        if (self.kind == Kind.RATE) != (self.unit == Unit.PERCENT):
            errors.setdefault("unit", []).append(
                _("A rate is measured in per cent, and only a rate is.")
            )
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            errors.setdefault("max_value", []).append(
                _("The maximum must not be below the minimum.")
            )
        if (self.numerator_id is None) != (self.denominator_id is None):
            errors.setdefault("denominator", []).append(
                _("A computed rate needs both a numerator and a denominator.")
            )
        elif self.numerator_id is not None:
            if self.kind != Kind.RATE:
                errors.setdefault("kind", []).append(
                    _("Only a rate can be computed from a numerator and a denominator.")
                )
            if self.numerator_id == self.denominator_id:
                errors.setdefault("denominator", []).append(
                    _("The numerator and the denominator must differ.")
                )
            if self.pk is not None and self.pk in (self.numerator_id, self.denominator_id):
                errors.setdefault("numerator", []).append(
                    _("A rate cannot be computed from itself.")
                )
        if self.breakdown and self.part_of_id is None:
            errors.setdefault("part_of", []).append(
                _("A breakdown describes a part: choose the whole it is part of.")
            )
        if self.part_of_id is not None:
            if self.pk is not None and self.part_of_id == self.pk:
                errors.setdefault("part_of", []).append(_("An indicator cannot be part of itself."))
            elif self.part_of.unit != self.unit:
                errors.setdefault("part_of", []).append(
                    _("A part must be counted in the same unit as its whole (%(unit)s).")
                    % {"unit": self.part_of.get_unit_display()}
                )
            elif self.pk is not None and self._part_chain_returns_to_self():
                errors.setdefault("part_of", []).append(
                    _("This would make the indicator a part of one of its own parts.")
                )
        if self.pk is not None:
            self._refuse_unit_change_with_figures(errors)
        if errors:
            raise ValidationError(errors)

    def _part_chain_returns_to_self(self) -> bool:
        seen: set[int] = set()
        current = self.part_of
        while current is not None and current.pk not in seen:
            if current.pk == self.pk:
                return True
            seen.add(current.pk)
            current = current.part_of
        return False

    def _refuse_unit_change_with_figures(self, errors: dict[str, list[str]]) -> None:
        stored = Indicator.objects.filter(pk=self.pk).values("unit", "decimal_places").first()
        if stored is None or (
            stored["unit"] == self.unit and stored["decimal_places"] <= self.decimal_places
        ):
            return
        if self.figures.exists():
            errors.setdefault("unit", []).append(
                _(
                    "Figures have been reported in this indicator: its unit cannot change and "
                    "its decimal places cannot shrink. Create a new indicator instead."
                )
            )
