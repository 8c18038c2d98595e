"""Signals of the reports app."""

from django.dispatch import Signal

# Sent after a status transition is committed: report=, old=, new= (status values). The public
# side listens to it, so that a newly approved or reopened report shows at once.
report_status_changed = Signal()
