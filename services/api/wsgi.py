"""WSGI entry point for gunicorn: `gunicorn -c services/api/gunicorn.conf.py services.api.wsgi:app`.

The app is built when gunicorn imports this module in a worker; configuration errors stop the
worker at start with the name of the missing setting.
"""

import os

from gpujobs.json_logging import configure_logging
from services.api.app import create_app

configure_logging("api", os.environ.get("API_LOG_LEVEL", "info").upper())
app = create_app()
