"""Public reads may go to a PostgreSQL replica (DATABASE_REPLICA_URL): the public pages only
read, and everything else reads and writes the primary.

A replica lags a little behind the primary. A page is cached under the publication version read
from the primary, so it must not be rendered from a replica that has not yet seen that version:
``public_reads(version)`` checks the replica's version first (one small query) and reads from the
primary for this request when the replica is behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_use_replica: ContextVar[bool] = ContextVar("unionreports_use_replica", default=False)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


def replica_is_current(version: int) -> bool:
    from apps.reports.models import Publication

    seen = Publication.objects.using(REPLICA).filter(pk=1).values_list("version", flat=True)
    return (seen.first() or 0) >= version


@contextmanager
def public_reads(version: int | None = None) -> Iterator[None]:
    """Within this block, reads go to the replica when there is one that has caught up with
    ``version`` (the publication version the response will be cached under)."""
    use = has_replica() and (version is None or replica_is_current(version))
    token = _use_replica.set(use)
    try:
        yield
    finally:
        _use_replica.reset(token)


class PublicReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _use_replica.get() else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
