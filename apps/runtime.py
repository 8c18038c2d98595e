"""The application server's processes: garbage collection out of the requests' way.

A report's admin page builds hundreds of thousands of objects, many in reference cycles (forms,
bound fields, widgets) that only the garbage collector frees. Python runs a full collection
after ten young ones, which a single such page reaches several times: the request that happened
to trigger it waited ~75 ms more (measured on the bench data; one admin request in eight).
Here full collections run after the response has gone out instead, as often as Python would
run them; Python's own full collection stays as a safety net for long work outside requests
(imports in a background thread), a hundred times less often.
"""

from __future__ import annotations

import gc
from typing import Any

from django.core.signals import request_finished

# Young (generation 1) collections between two full ones, after a response: Python's default.
FULL_AFTER = 10
# Python's own full collection, for work that never finishes a request.
SAFETY_NET = 1000


def collect_after_response(**kwargs: Any) -> None:
    """After a response: the full collection Python would have run by now, if it is due."""
    if gc.get_count()[2] >= FULL_AFTER:
        gc.collect()


def tune_garbage_collection() -> None:
    """For a WSGI server process, once the application is loaded."""
    # Everything loaded so far (Django, the apps, the URL and template machinery) lives as long
    # as the process: out of every full collection's way (~50 ms each, measured by make bench).
    gc.freeze()
    threshold0, threshold1, _threshold2 = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, SAFETY_NET)
    request_finished.connect(collect_after_response, dispatch_uid="collect_after_response")
