"""gunicorn settings for the API: `gunicorn -c services/api/gunicorn.conf.py services.api.wsgi:app`.

Defaults suit a 2-core host: 2 worker processes x 8 threads (gthread). A submit spends most of its
time waiting on DynamoDB and SQS, so threads give the concurrency and processes use the cores.
Every value can be overridden from the environment (API_BIND, API_WORKERS, API_THREADS, ...).
"""

from gpujobs.settings import load_settings

_env = load_settings(None)

bind = _env.get("API_BIND", "127.0.0.1:8080")
workers = _env.integer("API_WORKERS", 2, minimum=1, maximum=64)
# gthread, answering gunicorn's own errors (over-long request line or headers, malformed requests) as JSON.
worker_class = "services.api.gunicorn_worker.JsonErrorWorker"
threads = _env.integer("API_THREADS", 8, minimum=1, maximum=256)
# A request never needs long: DynamoDB + SQS round trips; 30 s covers boto3's retries.
timeout = _env.integer("API_TIMEOUT_S", 30, minimum=5)
graceful_timeout = _env.integer("API_GRACEFUL_TIMEOUT_S", 20, minimum=1)
keepalive = _env.integer("API_KEEPALIVE_S", 75, minimum=0)
max_requests = _env.integer("API_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = _env.integer("API_MAX_REQUESTS_JITTER", 0, minimum=0)
# What gunicorn parses before the app sees a request (414 and 431 past them); its defaults, named here.
limit_request_line = _env.integer("API_LIMIT_REQUEST_LINE", 4094, minimum=256, maximum=8190)
limit_request_fields = _env.integer("API_LIMIT_REQUEST_FIELDS", 100, minimum=10, maximum=32768)
limit_request_field_size = _env.integer("API_LIMIT_REQUEST_FIELD_SIZE", 8190, minimum=256)
# Build the app in each worker (after fork): boto3 clients and their sockets are per process.
preload_app = False

logger_class = "services.api.gunicorn_logging.JsonLogger"
accesslog = "-" if _env.flag("API_ACCESS_LOG", True) else None
errorlog = "-"
loglevel = _env.get("API_LOG_LEVEL", "info")

