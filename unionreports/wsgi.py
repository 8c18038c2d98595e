"""WSGI entry point (gunicorn unionreports.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from apps.runtime import reserve_frame_stack, tune_garbage_collection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionreports.settings")

# Each request's calls within one chunk of CPython's frame stack (apps/runtime.py).
application = reserve_frame_stack(get_wsgi_application())

# Garbage collection between requests rather than inside them (apps/runtime.py).
tune_garbage_collection()
