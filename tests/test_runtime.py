"""The WSGI processes collect garbage after responses, not inside requests (apps/runtime.py)."""

from __future__ import annotations

import json
import os
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


def test_the_wsgi_application_tunes_its_process():
    """In a process of its own: freezing and thresholds would change the test process's."""
    code = (
        "import gc, json\n"
        "from django.core.signals import request_finished\n"
        "import unionreports.wsgi\n"
        "from apps.runtime import collect_after_response\n"
        "connected = [r[1]() for r in request_finished.receivers]\n"
        "print(json.dumps({'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(),\n"
        "  'connected': collect_after_response in connected}))"
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
