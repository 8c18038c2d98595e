"""Annual reports and what they hold: figures, narrative sections, initiatives and honours."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Round
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.i18n import is_english
from apps.indicators.choices import Measure, Qualifier, WorkArea
from apps.indicators.models import Indicator
from apps.indicators.numbers import format_figure, plain
from apps.indicators.rules import value_findings
from apps.organizations.models import Organisation

FIRST_YEAR = 1949
LAST_YEAR = 2100
year_validators = [MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


# Staff edit a report only while it is a draft or has been returned to them.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})


class ReportLocked(ValidationError):
    """A write to a report that is submitted or approved. The message says why and who can
    unlock it."""


def period_label(start: int, end: int) -> str:
    """2011年 / 2014—2019年 in Chinese; 2011 / 2014–2019 in English."""
    english = is_english()
    if start == end:
        return str(start) if english else f"{start}年"
    return f"{start}–{end}" if english else f"{start}—{end}年"


class ReportQuerySet(models.QuerySet["Report"]):
    def published(self):
        """Only approved reports are public: dashboards, exports and the read API use this."""
        return self.filter(status=Status.APPROVED)

    def for_year(self, year: int):
        return self.filter(period_start=year, period_end=year)

    def yearly(self):
        return self.filter(period_start=F("period_end"))

    def terms(self):
        return self.filter(period_start__lt=F("period_end"))


class Report(models.Model):
    """One organisation's report for one period: a year, or a multi-year term (江都's covers the
    term between two congresses)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,  # the unique (organisation, period) constraint's index serves
    )
    period_start = models.PositiveSmallIntegerField(_("first year"), validators=year_validators)
    period_end = models.PositiveSmallIntegerField(
        _("last year"),
        validators=year_validators,
        help_text=_("The same as the first year for an annual report."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    plan = models.TextField(
        _("plan for the next year"),
        blank=True,
        help_text=_("The overall plan; plans per work area go into the sections."),
    )
    note = models.TextField(
        _("editorial note"),
        blank=True,
        help_text=_(
            "How the data was taken from the source, e.g. how an unstated year was inferred."
        ),
    )
    source_name = models.CharField(_("source document"), max_length=300, blank=True)
    source_document = models.FileField(
        _("source file"), upload_to="sources/%Y/", blank=True, max_length=300
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    # Bumped by every save, so a second editor working from an old copy is refused.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    objects = ReportQuerySet.as_manager()

    # The fields staff edit (the status changes only through the workflow).
    CONTENT_FIELDS = [
        "organisation",
        "period_start",
        "period_end",
        "title",
        "summary",
        "plan",
        "note",
        "source_name",
        "source_document",
    ]

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["organisation__code", "-period_end", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start", "period_end"],
                name="report_one_per_organisation_and_period",
                violation_error_message=_(
                    "This organisation already has a report for this period."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="report_period_in_order",
                violation_error_message=_("The first year must not be after the last year."),
            ),
            models.CheckConstraint(
                condition=Q(period_start__gte=FIRST_YEAR) & Q(period_end__lte=LAST_YEAR),
                name="report_period_plausible",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="report_status_valid"
            ),
            # Approval has a time (the public side lists the latest approvals by it).
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="report_approved_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "period_end", "period_start"], name="report_status_period"
            ),
            models.Index(fields=["organisation", "period_end"], name="report_org_period"),
            # The latest approvals below an organisation (the overview's list).
            models.Index(
                fields=["-approved_at", "-id"],
                name="report_recent_approved",
                condition=Q(status="approved"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.period_label}"

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)

    @property
    def is_term(self) -> bool:
        return self.period_start != self.period_end

    @property
    def is_published(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def lock_message(self) -> str:
        """Why this report cannot be changed now, and who can change that."""
        parent = self.organisation.parent
        reviewers = (
            _("a reviewer at %(organisation)s") % {"organisation": parent.name}
            if parent
            else _("a reviewer above it")
        )
        if self.status == Status.APPROVED:
            return _(
                "This report was approved and is locked. To change it, %(reviewers)s or an "
                "administrator must reopen it first."
            ) % {"reviewers": reviewers}
        if self.status == Status.SUBMITTED:
            return _(
                "This report has been submitted for review and cannot be changed. Ask "
                "%(reviewers)s to return it if something must be corrected."
            ) % {"reviewers": reviewers}
        return ""

    def ensure_editable(self) -> None:
        if not self.is_editable:
            raise ReportLocked(self.lock_message(), code="locked")

    def clean(self) -> None:
        super().clean()
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_start > self.period_end
        ):
            raise ValidationError(
                {"period_end": _("The last year must not be before the first year.")}
            )

    def save(self, *args, **kwargs) -> None:
        old = None
        if not self._state.adding:
            old = (
                Report.objects.filter(pk=self.pk)
                .values("status", "period_start", "period_end")
                .first()
            )
        if old is not None:
            # Status changes are transitions (apps.reports.services), recorded and checked there;
            # the content of a submitted or approved report cannot change at all.
            if old["status"] != self.status:
                raise ValueError("A report's status changes only through the workflow services.")
            if old["status"] not in EDITABLE_STATUSES:
                raise ReportLocked(self.lock_message(), code="locked")
        super().save(*args, **kwargs)
        if old and (old["period_start"], old["period_end"]) != (
            self.period_start,
            self.period_end,
        ):
            # Figures that covered the report's whole period move with it.
            self.figures.filter(
                period_start=old["period_start"], period_end=old["period_end"]
            ).update(period_start=self.period_start, period_end=self.period_end)

    def delete(self, *args, **kwargs):
        if self.status != Status.DRAFT:
            raise ReportLocked(
                self.lock_message() or _("Only a draft can be deleted."), code="locked"
            )
        return super().delete(*args, **kwargs)


class FigureQuerySet(models.QuerySet["Figure"]):
    def published(self):
        return self.filter(report__status=Status.APPROVED)


class Figure(models.Model):
    """One indicator in one report: a value, how exact it is, and where it came from."""

    # No separate indexes on the two keys: the unique (report, indicator) constraint and the
    # (indicator, period) index lead with them, and at 30 million figures each index costs
    # gigabytes and slows every load.
    report = models.ForeignKey(
        Report,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="figures",
        db_index=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="figures",
        db_index=False,
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    qualifier = models.CharField(
        _("qualifier"), max_length=10, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    # The indicator's measure, copied so that the database itself can hold counts to whole
    # non-negative numbers and rates to 0–100 (a CHECK cannot look into another table).
    measure = models.CharField(max_length=8, choices=Measure.choices, editable=False)
    period_start = models.PositiveSmallIntegerField(
        _("first year"),
        validators=year_validators,
        blank=True,
        help_text=_("Leave empty to use the report's period. 近三年 in a 2011 report: 2009."),
    )
    period_end = models.PositiveSmallIntegerField(
        _("last year"), validators=year_validators, blank=True
    )
    is_computed = models.BooleanField(_("computed"), default=False, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.TextField(
        _("source sentence"), blank=True, help_text=_("The sentence the figure was taken from.")
    )

    objects = FigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        ordering = ["indicator__position", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator"],
                name="figure_one_per_report_and_indicator",
                violation_error_message=_("This report already has a figure for this indicator."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="figure_value_not_negative",
                violation_error_message=_("A figure cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(measure=Measure.RATE) | Q(value__lte=100),
                name="figure_rate_at_most_100",
                violation_error_message=_("A rate lies between 0 and 100 per cent."),
            ),
            models.CheckConstraint(
                condition=~Q(measure=Measure.COUNT) | Q(value=Round(F("value"))),
                name="figure_count_is_whole",
                violation_error_message=_("A count is a whole number."),
            ),
            models.CheckConstraint(
                condition=Q(measure__in=Measure.values), name="figure_measure_valid"
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values), name="figure_qualifier_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="figure_period_in_order",
                violation_error_message=_("The first year must not be after the last year."),
            ),
        ]
        indexes = [
            # One indicator, one period, many organisations (comparisons, rankings).
            models.Index(
                fields=["indicator", "period_end", "period_start"], name="figure_indicator_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.display}"

    @property
    def display(self) -> str:
        return format_figure(self.value, self.qualifier, self.indicator.unit)

    @property
    def plain_value(self) -> str:
        return plain(self.value)

    @property
    def has_own_period(self) -> bool:
        return (self.period_start, self.period_end) != (
            self.report.period_start,
            self.report.period_end,
        )

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)

    @classmethod
    def new(cls, report: Report, indicator: Indicator, **fields) -> Figure:
        """A figure of ``report`` covering its period, with the indicator's measure set (for
        bulk inserts, which skip save())."""
        return cls(
            report=report,
            indicator=indicator,
            measure=indicator.measure,
            period_start=report.period_start,
            period_end=report.period_end,
            **fields,
        )

    def fill_defaults(self) -> None:
        if self.report_id is not None:
            if self.period_start is None:
                self.period_start = self.report.period_start
            if self.period_end is None:
                self.period_end = self.report.period_end
        if self.indicator_id is not None:
            self.measure = self.indicator.measure

    def clean_fields(self, exclude=None) -> None:
        self.fill_defaults()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        super().clean()
        self.fill_defaults()
        if self.indicator_id is None or self.value is None:
            return
        indicator = self.indicator
        errors: dict[str, list[str]] = {}
        if indicator.is_computed and not self.is_computed:
            errors.setdefault("indicator", []).append(
                _("%(name)s is computed from other figures and cannot be entered.")
                % {"name": indicator.name}
            )
        for finding in value_findings(indicator, self.value):
            errors.setdefault("value", []).append(finding.message)
        if self.report_id is not None and self.period_end is not None:
            report = self.report
            if not (report.period_start <= self.period_end <= report.period_end):
                errors.setdefault("period_end", []).append(
                    _("A figure of this report must end within %(period)s.")
                    % {"period": report.period_label}
                )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.fill_defaults()
        self.report.ensure_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.report.ensure_editable()
        return super().delete(*args, **kwargs)


class ReportContent(models.Model):
    """A part of a report's content: it can change only while the report is editable."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.report.ensure_editable()  # type: ignore[attr-defined]
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.report.ensure_editable()  # type: ignore[attr-defined]
        return super().delete(*args, **kwargs)


class SectionPart(models.TextChoices):
    REVIEW = "review", _("Review of the period")
    PLAN = "plan", _("Plan for the next period")


class ReportSection(ReportContent):
    """A part of the narrative: the review or the plan of one work area."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    part = models.CharField(_("part"), max_length=8, choices=SectionPart.choices)
    work_area = models.CharField(
        _("work area"), max_length=16, choices=WorkArea.choices, blank=True
    )
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("text"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("narrative section")
        verbose_name_plural = _("narrative sections")
        ordering = ["part", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(part__in=SectionPart.values), name="section_part_valid"
            ),
            models.CheckConstraint(
                condition=Q(work_area="") | Q(work_area__in=WorkArea.values),
                name="section_work_area_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.heading


class Initiative(ReportContent):
    """A named activity of the report (建功十二五 labour competition, 金秋助学 …)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(_("title"), max_length=200)
    work_area = models.CharField(
        _("work area"), max_length=16, choices=WorkArea.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    participants = models.TextField(
        _("participants"),
        blank=True,
        help_text=_("The units, people and numbers the initiative names."),
    )
    figures = models.ManyToManyField(
        Figure,
        verbose_name=_("figures"),
        blank=True,
        related_name="initiatives",
        help_text=_("Figures of this report that the initiative produced."),
    )
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/", blank=True)
    photo_caption = models.CharField(_("photo caption"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_area="") | Q(work_area__in=WorkArea.values),
                name="initiative_work_area_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class HonourLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    OTHER = "other", _("Other")


class Honour(ReportContent):
    """An honour received (全省工会工作模范开发区, 全国百家示范乡镇工会 …)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="honours")
    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=12, choices=HonourLevel.choices)
    conferred_by = models.CharField(_("conferred by"), max_length=120, blank=True)
    recipient = models.CharField(
        _("recipient"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty when the reporting organisation itself was honoured."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=HonourLevel.values), name="honour_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AuditOrigin(models.TextChoices):
    FORM = "form", _("data-entry form")
    ADMIN = "admin", _("administration")
    WORKFLOW = "workflow", _("workflow")
    IMPORT = "import", _("import")
    SERVICE = "service", _("service")
    COMPUTED = "computed", _("computed")
    DEMO = "demo", _("demo loader")


class AuditKind(models.TextChoices):
    FIGURE = "figure", _("figure")
    FIELD = "field", _("report field")
    STATUS = "status", _("status")
    SECTION = "section", _("narrative section")
    INITIATIVE = "initiative", _("initiative")
    HONOUR = "honour", _("honour")


class AuditEntry(models.Model):
    """One change to a report: who, when, what, from which value to which, and why."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="audit_entries"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    origin = models.CharField(_("through"), max_length=10, choices=AuditOrigin.choices)
    kind = models.CharField(_("what"), max_length=10, choices=AuditKind.choices)
    field = models.CharField(_("field"), max_length=120)
    label = models.CharField(_("label"), max_length=200, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The report's version this change produced: what changed since a version is then known.
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["report", "-at"], name="audit_report_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__in=AuditOrigin.values), name="audit_origin_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=AuditKind.values), name="audit_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.field}: {self.old_value} → {self.new_value}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(_("Change records cannot be altered."))
        super().save(*args, **kwargs)


@receiver(m2m_changed, sender=Initiative.figures.through)
def _initiative_figures_follow_the_lock(sender, instance, action: str, **kwargs) -> None:
    """Linking figures to an initiative changes the report: only while it is editable."""
    if action in {"pre_add", "pre_remove", "pre_clear"} and isinstance(instance, Initiative):
        instance.report.ensure_editable()


class Publication(models.Model):
    """The version of the public data: bumped whenever what the public sees changes (a report
    approved or reopened, an organisation or indicator renamed). Public pages are cached under
    this version, so a change shows at once. A single row."""

    CACHE_KEY = "unionreports:publication"

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("publication state")
        verbose_name_plural = _("publication state")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="publication_single_row")]

    def __str__(self) -> str:
        return f"{self.version} @ {self.changed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def current(cls) -> Publication:
        publication, _created = cls.objects.get_or_create(pk=1)
        return publication

    @classmethod
    def bump(cls) -> None:
        cls.current()
        cls.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())
        # Cached copies of the version go now, and again once the change is visible to others.
        cache.delete(cls.CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(cls.CACHE_KEY))


class PreparedExport(models.Model):
    """The file of every published figure, written ahead of time (``prepare_export``) for when
    there are too many to write while someone waits: at national scale the download would take
    minutes of database and worker time. The newest one is served; older ones are removed."""

    file = models.FileField(_("file"), upload_to="exports/", max_length=200)
    # The publication version read before the figures were: the file holds at least that.
    version = models.PositiveBigIntegerField(_("publication version"))
    figures = models.PositiveBigIntegerField(_("figures"))
    size = models.PositiveBigIntegerField(_("size in bytes"))
    built_at = models.DateTimeField(_("prepared at"), default=timezone.now)

    class Meta:
        verbose_name = _("prepared export")
        verbose_name_plural = _("prepared exports")
        get_latest_by = "built_at"

    def __str__(self) -> str:
        return f"{self.file.name} ({self.figures} @ {self.version})"


class ImportKind(models.TextChoices):
    REPORT = "report", _("one report (template)")
    VALUES = "values", _("many reports (long format)")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    CHECKING = "checking", _("checking the file")
    INVALID = "invalid", _("has errors: nothing changed")
    READY = "ready", _("checked: waiting for confirmation")
    APPLYING = "applying", _("importing")
    APPLIED = "applied", _("imported")
    FAILED = "failed", _("failed: nothing changed")


class ImportBatch(models.Model):
    """An uploaded file on its way in: checked first (nothing changes), then, once someone
    confirms what it will change, applied as a whole or not at all."""

    kind = models.CharField(_("kind"), max_length=8, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.ForeignKey(
        Report,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="imports",
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    # Counts of new, changed, unchanged and removed figures, errors and warnings.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # The first changes, errors and warnings, for the preview and the error report.
    changes = models.JSONField(_("changes"), default=list, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def progress(self) -> int:
        if self.status in (ImportStatus.APPLIED, ImportStatus.READY, ImportStatus.INVALID):
            return 100
        if not self.total_rows:
            return 0
        return min(99, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (
            ImportStatus.INVALID,
            ImportStatus.READY,
            ImportStatus.APPLIED,
            ImportStatus.FAILED,
        )
