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
        self.count, self.collected = count, []

    def get_count(self) -> tuple[int, int, int]:
        return self.count

    def collect(self, generation: int = 2) -> int:
        self.collected.append(generation)
        return 0


@pytest.mark.parametrize(
    ("count", "collected"),
    [
        ((500, 3, 0), []),  # too few new objects for a young collection
        ((700, 3, 0), []),
        ((10, 9, 9), []),
        ((701, 3, 0), [0]),  # young
        ((701, 10, 9), [0]),
        ((701, 11, 0), [1]),  # the eleventh young collection is a middle one
        ((50_000, 30, 9), [1]),
        ((0, 0, 10), [2]),  # full, after ten middle ones
        ((1, 2, 40), [2]),
        ((5000, 11, 10), [2]),
    ],
)
def test_after_a_response_the_collection_python_would_have_run_runs(monkeypatch, count, collected):
    fake = FakeGC(count)
    monkeypatch.setattr(runtime, "gc", fake)
    runtime.collect_after_response(sender=None)
    assert fake.collected == collected


def in_a_process_of_its_own(code: str) -> str:
    """What ``code`` prints, run by Python in a new process with the project's settings."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "unionreports.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


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
    state = json.loads(in_a_process_of_its_own(code).strip().splitlines()[-1])
    assert state["threshold"] == [runtime.YOUNG_IN_REQUEST, 10, runtime.SAFETY_NET]
    assert state["frozen"] > 10_000  # Django and the apps, out of the collector's way
    assert state["connected"]
    # Each request's calls within one chunk of the frame stack (below).
    assert state["handler"]
    assert state["slots"] >= runtime.FRAME_STACK_RESERVE


def test_garbage_a_request_makes_waits_for_its_response_and_goes_then():
    """In a process of its own, as the application server's: objects in reference cycles made
    during a request are not collected inside it (below 50,000), and are once it has ended."""
    code = (
        "import gc, weakref\n"
        "from django.core.signals import request_finished\n"
        "import unionreports.wsgi\n"
        "class Node:\n"
        "    pass\n"
        "def garbage():\n"
        "    node = Node()\n"
        "    node.itself = node\n"
        "    return weakref.ref(node)\n"
        "refs = [garbage() for _ in range(5000)]\n"
        "during = sum(ref() is not None for ref in refs)\n"
        "request_finished.send(sender=None)\n"
        "after = sum(ref() is not None for ref in refs)\n"
        "print(during, after)"
    )
    during, after = map(int, in_a_process_of_its_own(code).split()[-2:])
    assert during == 5000
    assert after == 0


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
