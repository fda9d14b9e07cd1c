"""WSGI entry point: `gunicorn -c services/unified_api/gunicorn.conf.py services.unified_api.wsgi:app`."""

import os

from gpujobs.json_logging import configure_logging
from services.unified_api.app import create_app

configure_logging("unified-api", os.environ.get("UNIFIED_API_LOG_LEVEL", "info").upper())
app = create_app()
