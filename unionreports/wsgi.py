"""WSGI entry point (gunicorn unionreports.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from apps.runtime import tune_garbage_collection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionreports.settings")

application = get_wsgi_application()

# Garbage collection between requests rather than inside them (apps/runtime.py).
tune_garbage_collection()
