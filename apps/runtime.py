"""The application server's processes: memory work out of the requests' way.

Garbage collection.

A report's admin page builds hundreds of thousands of objects, many in reference cycles (forms,
bound fields, widgets) that only the garbage collector frees. Python runs a full collection
after ten young ones, which a single such page reaches several times: the request that happened
to trigger it waited ~75 ms more (measured on the bench data; one admin request in eight).
Here full collections run after the response has gone out instead, as often as Python would
run them; Python's own full collection stays as a safety net for long work outside requests
(imports in a background thread), a hundred times less often.

Young collections likewise. Python collects the young generation every 700 new objects, so a
national comparison (thousands of rows, cells and dicts, all alive until its response is
written) was traversed some thirty times while it ran, and the survivors again in the middle
generation: ~0.5 ms of a 12 ms page. Inside a request the young generation now waits for
50,000 new objects (a request that makes more is still collected inside it); after the response,
when most of the request's objects are gone, the young and middle generations are collected as
Python would have by then. Garbage outlives its request by at most that moment.

The frame stack. CPython (3.11 and later) keeps the frames of Python calls on a stack of its own,
in 16 KB chunks: a call that does not fit in the current chunk maps a new one, and returning
from it unmaps it again. A deep page (the admin's report form: templates within templates, a
widget per field) goes back and forth across such a boundary thousands of times; each time costs
a map, an unmap and a page fault. Measured with one gunicorn sync worker on the bench's county
report, in the same minute: 3,543 page faults a request, p50 233 ms; with the reserve below
1,359 and 128 ms (the public pages, shallower, are unchanged). Each request runs inside a call
whose frame asks for room enough (512 KB of address space, of which only as much as the calls
use is ever touched), so the calls it makes stay in one chunk.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.core.signals import request_finished

# Python's defaults, applied after each response: a young collection after 700 new objects,
# a middle one in place of the eleventh young one, a full one after ten middle ones.
YOUNG_AFTER = 700
MIDDLE_AFTER = 10
FULL_AFTER = 10
# New objects a request may make before the young generation is collected inside it.
YOUNG_IN_REQUEST = 50_000
# Python's own full collection, for work that never finishes a request.
SAFETY_NET = 1000
# Room for a request's frames, in slots of the frame stack (8 bytes each): 512 KB, far more than
# the deepest page uses; a deeper request would take further chunks as before, nothing worse.
FRAME_STACK_RESERVE = 64 * 1024

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def collect_after_response(**kwargs: Any) -> None:
    """After a response: the collection Python would have run by now, if one is due."""
    young, middle, old = gc.get_count()
    if old >= FULL_AFTER:
        gc.collect()
    elif young > YOUNG_AFTER:
        gc.collect(1 if middle > MIDDLE_AFTER else 0)


def tune_garbage_collection() -> None:
    """For a WSGI server process, once the application is loaded."""
    # Everything loaded so far (Django, the apps, the URL and template machinery) lives as long
    # as the process: out of every full collection's way (~50 ms each, measured by make bench).
    gc.freeze()
    gc.set_threshold(YOUNG_IN_REQUEST, MIDDLE_AFTER, SAFETY_NET)
    request_finished.connect(collect_after_response, dispatch_uid="collect_after_response")


def _call(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


def with_frame_stack_reserve(slots: int = FRAME_STACK_RESERVE) -> Callable[..., Any]:
    """``_call`` with a frame of ``slots`` more slots: the interpreter places it at the start of
    a chunk of its own, large enough for it and what it calls. The extra slots are the frame's
    evaluation stack, which the interpreter neither fills nor reads beyond what the code needs.
    """
    if sys.implementation.name != "cpython":
        return _call
    code = _call.__code__
    reserved = code.replace(co_stacksize=code.co_stacksize + slots)
    return types.FunctionType(reserved, _call.__globals__, "reserved_call")


def reserve_frame_stack(app: WSGIApplication) -> WSGIApplication:
    """``app``, with each request's calls kept within one chunk of the frame stack."""
    return partial(with_frame_stack_reserve(), app)
