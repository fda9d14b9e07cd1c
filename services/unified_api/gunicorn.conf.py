"""gunicorn settings: `gunicorn -c services/unified_api/gunicorn.conf.py services.unified_api.wsgi:app`.

One process: the websocket reader, the job watchers and the per-job locks live in it, and ComfyUI
keeps one socket per client_id. Threads give the concurrency (requests mostly wait on ComfyUI, S3
or an input download). Overrides: UNIFIED_API_BIND, UNIFIED_API_THREADS, ...
"""

from gpujobs.settings import load_settings

_env = load_settings(None)

bind = _env.get("UNIFIED_API_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = _env.integer("UNIFIED_API_THREADS", 8, minimum=1, maximum=64)
# A submit may download three inputs (INPUT_FETCH_TIMEOUT_S, 20 s by default) before it answers.
timeout = _env.integer("UNIFIED_API_TIMEOUT_S", 60, minimum=10)
graceful_timeout = _env.integer("UNIFIED_API_GRACEFUL_TIMEOUT_S", 20, minimum=1)
keepalive = _env.integer("UNIFIED_API_KEEPALIVE_S", 75, minimum=0)
preload_app = False

logger_class = "services.api.gunicorn_logging.JsonLogger"
accesslog = "-" if _env.flag("UNIFIED_API_ACCESS_LOG", False) else None
errorlog = "-"
loglevel = _env.get("UNIFIED_API_LOG_LEVEL", "info")
