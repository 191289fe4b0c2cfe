"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from contractor.startup import settings_check

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contractor.settings")
settings_check()  # refuses (ImproperlyConfigured, one line) a secret key that is not safe to start with

application = get_wsgi_application()
