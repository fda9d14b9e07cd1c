"""gunicorn settings for the API: `gunicorn -c services/api/gunicorn.conf.py services.api.wsgi:app`.

Defaults suit a 2-core host: 2 worker processes x 8 threads (gthread). A submit spends most of its
time waiting on DynamoDB and SQS, so threads give the concurrency and processes use the cores.
Every value can be overridden from the environment (API_BIND, API_WORKERS, API_THREADS, ...).
"""

import os

from gpujobs.env_values import env_bool, env_int

bind = os.environ.get("API_BIND", "127.0.0.1:8080")
workers = env_int("API_WORKERS", 2, minimum=1, maximum=64)
worker_class = "gthread"
threads = env_int("API_THREADS", 8, minimum=1, maximum=256)
# A request never needs long: DynamoDB + SQS round trips; 30 s covers boto3's retries.
timeout = env_int("API_TIMEOUT_S", 30, minimum=5)
graceful_timeout = env_int("API_GRACEFUL_TIMEOUT_S", 20, minimum=1)
keepalive = env_int("API_KEEPALIVE_S", 75, minimum=0)
max_requests = env_int("API_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = env_int("API_MAX_REQUESTS_JITTER", 0, minimum=0)
# Build the app in each worker (after fork): boto3 clients and their sockets are per process.
preload_app = False

logger_class = "services.api.gunicorn_logging.JsonLogger"
accesslog = "-" if env_bool("API_ACCESS_LOG", True) else None
errorlog = "-"
loglevel = os.environ.get("API_LOG_LEVEL", "info")

