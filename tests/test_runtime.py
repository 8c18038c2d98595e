"""The WSGI processes collect garbage after responses, not inside requests (apps/runtime.py)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from apps import runtime


class FakeGC:
    def __init__(self, count: tuple[int, int, int]):
        self.count, self.collected = count, 0

    def get_count(self) -> tuple[int, int, int]:
        return self.count

    def collect(self) -> int:
        self.collected += 1
        return 0


@pytest.mark.parametrize(
    ("count", "collected"), [((500, 3, 0), 0), ((10, 9, 9), 0), ((0, 0, 10), 1), ((1, 2, 40), 1)]
)
def test_a_full_collection_runs_after_a_response_when_python_would_have_run_one(
    monkeypatch, count, collected
):
    fake = FakeGC(count)
    monkeypatch.setattr(runtime, "gc", fake)
    runtime.collect_after_response(sender=None)
    assert fake.collected == collected


def test_the_wsgi_application_tunes_its_process_and_serves_through_the_frame_reserve():
    """In a process of its own: freezing and thresholds would change the test process's."""
    code = (
        "import gc, json\n"
        "from django.core.handlers.wsgi import WSGIHandler\n"
        "from django.core.signals import request_finished\n"
        "import unionreports.wsgi\n"
        "from apps.runtime import collect_after_response\n"
        "app = unionreports.wsgi.application\n"
        "connected = [r[1]() for r in request_finished.receivers]\n"
        "print(json.dumps({'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(),\n"
        "  'connected': collect_after_response in connected,\n"
        "  'handler': isinstance(app.args[0], WSGIHandler),\n"
        "  'slots': app.func.__code__.co_stacksize}))"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "unionreports.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["threshold"][2] == runtime.SAFETY_NET
    assert state["frozen"] > 10_000  # Django and the apps, out of the collector's way
    assert state["connected"]
    # Each request's calls within one chunk of the frame stack (below).
    assert state["handler"]
    assert state["slots"] >= runtime.FRAME_STACK_RESERVE


# --- the frame stack --------------------------------------------------------------------------


def _deep(n: int) -> int:
    return _deep(n - 1) if n else 0


def _at_depth(depth: int, work) -> None:
    if depth:
        return _at_depth(depth - 1, work)
    return work()


def _page_faults(work) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    work()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _worst_oscillation() -> int:
    """Page faults of calls that go 30 frames deeper and back, 500 times, from each of 200 depths
    in turn: at least one of them straddles a boundary between chunks of the frame stack."""

    def oscillate() -> None:
        for _ in range(500):
            _deep(30)

    def at(depth: int) -> int:
        return _page_faults(lambda: _at_depth(depth, oscillate))

    return max(at(depth) for depth in range(200))


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's frame stack")
def test_a_request_s_calls_stay_within_one_chunk_of_the_frame_stack():
    seen = []

    def app(environ, start_response):
        seen.append((environ, start_response, _worst_oscillation()))
        return [b"ok"]

    assert runtime.reserve_frame_stack(app)({"PATH_INFO": "/"}, print) == [b"ok"]
    environ, start_response, faults_inside = seen[0]
    assert (environ, start_response) == ({"PATH_INFO": "/"}, print)
    # Without the reserve, crossing a boundary maps a chunk, touches it and unmaps it each time.
    assert _worst_oscillation() >= 400
    assert faults_inside < 50
