"""AWS Lambda entry point: the same Flask app behind API Gateway (HTTP API, payload v2) via apig-wsgi.

The app is built on the first invocation of a container (cold start) and reused after that, so
importing this module reads no configuration.
"""

import os
import threading
from typing import Any

from apig_wsgi import make_lambda_handler

from gpujobs.json_logging import configure_logging
from services.api.app import create_app

_lock = threading.Lock()
_handler: Any = None


def _build() -> Any:
    configure_logging("api", os.environ.get("API_LOG_LEVEL", "info").upper())
    return make_lambda_handler(create_app(), binary_support=False)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:
        with _lock:
            if _handler is None:
                _handler = _build()
    return _handler(event, context)
