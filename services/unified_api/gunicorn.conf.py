"""gunicorn settings: `gunicorn -c services/unified_api/gunicorn.conf.py services.unified_api.wsgi:app`.

One process: the websocket reader, the job watchers and the per-job locks live in it, and ComfyUI
keeps one socket per client_id. Threads give the concurrency (requests mostly wait on ComfyUI, S3
or an input download). Overrides: UNIFIED_API_BIND, UNIFIED_API_THREADS, ...
"""

import os

from gpujobs.env_values import env_bool, env_int

bind = os.environ.get("UNIFIED_API_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = env_int("UNIFIED_API_THREADS", 8, minimum=1, maximum=64)
# A submit may download three inputs (INPUT_FETCH_TIMEOUT_S, 20 s by default) before it answers.
timeout = env_int("UNIFIED_API_TIMEOUT_S", 60, minimum=10)
graceful_timeout = env_int("UNIFIED_API_GRACEFUL_TIMEOUT_S", 20, minimum=1)
keepalive = env_int("UNIFIED_API_KEEPALIVE_S", 75, minimum=0)
preload_app = False

logger_class = "services.api.gunicorn_logging.JsonLogger"
accesslog = "-" if env_bool("UNIFIED_API_ACCESS_LOG", False) else None
errorlog = "-"
loglevel = os.environ.get("UNIFIED_API_LOG_LEVEL", "info")
