"""Running an import: check the file (nothing changes), then, once confirmed, apply it.

Small files run within the request; larger ones in a background thread of the web process while
the page polls the batch's progress from the database. The batch row holds everything: status,
progress, the preview, errors and warnings, so any app node can show it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import imports, services
from .models import ImportBatch, ImportKind, ImportStatus, Report

log = logging.getLogger(__name__)
PREVIEW_ROWS = 500
PROBLEM_ROWS = 2000


def batch_create(
    *, user, upload: UploadedFile, kind: str, report: Report | None = None
) -> ImportBatch:
    batch = ImportBatch(kind=kind, user=user, report=report, filename=Path(upload.name).name[:255])
    batch.file.save(upload.name, upload, save=False)
    batch.save()
    return batch


@contextmanager
def _local_copy(batch: ImportBatch):
    """The uploaded file as a local path, whatever the storage."""
    suffix = Path(batch.filename).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with batch.file.open("rb") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def _plan(
    batch: ImportBatch, progress: Callable[[int, int], None] | None = None
) -> imports.ImportPlan:
    with _local_copy(batch) as path:
        if batch.kind == ImportKind.REPORT:
            table = imports.read_table(
                path, batch.filename, imports.TEMPLATE_COLUMNS, imports.TEMPLATE_REQUIRED
            )
            return imports.plan_report(table, batch.report, batch.user)
        table = imports.read_table(
            path, batch.filename, imports.LONG_COLUMNS, imports.LONG_REQUIRED
        )
        ImportBatch.objects.filter(pk=batch.pk).update(total_rows=len(table.rows))
        return imports.plan_values(table, batch.user, progress)


def fingerprint(plan: imports.ImportPlan) -> str:
    """What the plan would change, so that a confirmation covers exactly the preview."""
    digest = hashlib.sha256()
    for figure in sorted(plan.changes, key=lambda f: (f.report_key, f.indicator.code)):
        digest.update(
            json.dumps(
                [figure.report_key, figure.indicator.code, figure.action, figure.after]
            ).encode()
        )
    return digest.hexdigest()


def batch_check(batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_related("user", "report__organisation__parent").get(
        pk=batch_id
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.CHECKING)

    def progress(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=done, total_rows=total)

    try:
        plan = _plan(batch, progress)
    except imports.ImportFileError as error:
        batch.status, batch.message = ImportStatus.INVALID, str(error)
        batch.errors = [imports.Problem("", 0, "", "", str(error)).as_dict()]
        batch.summary = {"errors": 1}
    else:
        counts = plan.counts()
        batch.status = ImportStatus.READY if plan.is_valid else ImportStatus.INVALID
        batch.summary = {**counts, "fingerprint": fingerprint(plan)}
        batch.total_rows = batch.processed_rows = plan.total_rows
        batch.errors = [p.as_dict() for p in plan.errors[:PROBLEM_ROWS]]
        batch.warnings = [p.as_dict() for p in plan.warnings[:PROBLEM_ROWS]]
        batch.changes = [f.as_preview(plan.organisations) for f in plan.changes[:PREVIEW_ROWS]]
        if not plan.is_valid:
            batch.message = _("%(count)d rows cannot be imported; nothing was changed.") % {
                "count": len(plan.errors)
            }
        elif not plan.changes:
            batch.message = _("The file holds nothing new: every figure is already as it says.")
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def batch_apply(batch_id: int) -> ImportBatch:
    """Apply a checked batch, if what it would change is still exactly what was previewed."""
    batch = ImportBatch.objects.select_related("user", "report__organisation__parent").get(
        pk=batch_id
    )
    try:
        plan = _plan(batch)
        if not plan.is_valid or fingerprint(plan) != batch.summary.get("fingerprint"):
            raise ValidationError(
                _(
                    "The figures changed after the preview was made; check the file again before "
                    "importing it."
                )
            )
        counts = services.import_apply(plan=plan, user=batch.user)
    except (ValidationError, PermissionDenied, imports.ImportFileError) as error:
        batch.status = ImportStatus.FAILED
        batch.message = "; ".join(getattr(error, "messages", [str(error)]))
    else:
        batch.status = ImportStatus.APPLIED
        batch.summary = {**batch.summary, **counts}
        batch.message = (
            _(
                "Imported: %(new)d new, %(changed)d changed and %(removed)d removed figures in "
                "%(reports)d reports."
            )
            % counts
        )
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _in_background(step: Callable[[int], ImportBatch], batch_id: int, language: str) -> None:
    def run() -> None:
        close_old_connections()
        try:
            with override(language):
                step(batch_id)
        except Exception:  # a crash must not leave the batch "running" for ever
            log.exception("import batch %s failed", batch_id)
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportStatus.FAILED,
                message=_("The import stopped because of an internal error; nothing was changed."),
                finished_at=timezone.now(),
            )
        finally:
            connection.close()

    threading.Thread(target=run, name=f"import-{batch_id}", daemon=True).start()


def start(batch: ImportBatch, step: str, language: str) -> None:
    """Run ``step`` ("check" or "apply") now for a small file, else in the background once the
    request's transaction has committed."""
    function = {"check": batch_check, "apply": batch_apply}[step]
    if step == "apply":
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.APPLYING)
    if batch.file.size <= settings.IMPORT_BACKGROUND_BYTES:
        function(batch.pk)
        return
    transaction.on_commit(lambda: _in_background(function, batch.pk, language))
