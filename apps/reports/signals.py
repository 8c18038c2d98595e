"""Signals of the reports app."""

from django.dispatch import Signal

# Sent after a status transition is committed: report=, old=, new= (status values). The public
# side listens to it, so that a newly approved or reopened report shows at once.
report_status_changed = Signal()

# Sent inside the transaction of a transition into or out of "approved": report=, published=
# (bool). The public side's summary tables (apps.dashboards.stats) follow it in the same
# transaction, so they never disagree with what is published.
report_publication_changed = Signal()
