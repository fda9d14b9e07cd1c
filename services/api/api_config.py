"""The API's own knobs (limits, caches), parsed strictly from its Settings.

Resource names (queue, tables, instance) stay in the Settings; these are behaviour settings that have
safe defaults, so a bare environment runs the API.
"""

from dataclasses import dataclass

from gpujobs.aws_clients import REQUEST_PATH, Deadlines
from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from gpujobs.url_guard import is_bucket_name

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
DEFAULT_INSTANCE_STATE_TTL_S = 5.0
# A revoked key must fail within 10 s: the key cache may hold an answer at most that long.
MAX_KEY_CACHE_S = 10.0
# AWS calls a request makes one after another at most. A submit: read the key (cached), count the
# tenant's waiting jobs (cached), claim the Idempotency-Key, write the task, send the message, then
# either wake the GPU (DescribeInstances and StartInstances, or a fleet's DescribeAutoScalingGroups and
# SetDesiredCapacity) or, the send failed, fail the row and,
# only if the table answered that with an error, delete it; and record the idempotent answer.
SEQUENTIAL_CALLS = 8
# The API Lambda's own limit (terraform: var.api.timeout, default 29 s, under the HTTP API's 30 s). A
# request that times out every call in turn must still end before it, so no submit is cut between the
# task write and the enqueue.
LAMBDA_TIMEOUT_S = 29.0
# A presigned URL made with a role's temporary credentials stops working when they expire anyway, whatever it
# says; SigV4 allows at most 7 days.
MAX_PRESIGN_S = 7 * 24 * 3600


@dataclass(frozen=True)
class ApiConfig:
    """Behaviour settings of the API; tests build one directly."""

    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    instance_state_ttl_s: float = DEFAULT_INSTANCE_STATE_TTL_S
    task_retention_s: int = 30 * 24 * 3600
    key_cache_s: float = 5.0
    # Requests per second of a key without a limit of its own, and the burst allowed (seconds' worth).
    rate_limit: float = 10.0
    rate_burst_s: float = 2.0
    # Jobs of one tenant pending at once; the count is re-read at most every waiting_cache_s per process.
    max_waiting_jobs: int = 100
    waiting_cache_s: float = 2.0
    # How long a status's presigned result_url and an upload's presigned PUT stay valid.
    result_url_expiry_s: int = 3600
    upload_url_expiry_s: int = 900
    # Buckets any object of which a job may name as an s3:// input, beside the tenant's own uploads.
    input_buckets: frozenset[str] = frozenset()
    # Timeouts and attempts of the AWS calls a request makes (docs/configuration.md: how they fit the
    # 3 s answer and the Lambda's limit).
    aws_deadlines: Deadlines = REQUEST_PATH

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiConfig":
        return cls(
            max_content_length=settings.integer("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH, minimum=1024),
            instance_state_ttl_s=settings.number(
                "GPU_STATE_CACHE_S", DEFAULT_INSTANCE_STATE_TTL_S, minimum=0.0, maximum=300.0
            ),
            task_retention_s=settings.integer("TASK_RETENTION_S", 30 * 24 * 3600, minimum=3600),
            key_cache_s=settings.number("API_KEY_CACHE_S", 5.0, minimum=0.0, maximum=MAX_KEY_CACHE_S),
            rate_limit=settings.number("API_RATE_LIMIT", 10.0, minimum=0.01),
            rate_burst_s=settings.number("API_RATE_BURST_S", 2.0, minimum=0.0, maximum=3600.0),
            max_waiting_jobs=settings.integer("API_MAX_WAITING_JOBS", 100, minimum=1),
            waiting_cache_s=settings.number("API_WAITING_CACHE_S", 2.0, minimum=0.0, maximum=60.0),
            result_url_expiry_s=settings.integer("RESULT_URL_EXPIRY_S", 3600, minimum=60, maximum=MAX_PRESIGN_S),
            upload_url_expiry_s=settings.integer("UPLOAD_URL_EXPIRY_S", 900, minimum=60, maximum=MAX_PRESIGN_S),
            input_buckets=input_buckets(settings),
            aws_deadlines=request_deadlines(settings),
        )


def input_buckets(settings: Settings) -> frozenset[str]:
    """INPUT_BUCKETS: comma-separated bucket names (Terraform sets it from the GPU's input_bucket_names)."""
    names = frozenset(n.strip() for n in (settings.get("INPUT_BUCKETS") or "").split(",") if n.strip())
    bad = sorted(n for n in names if not is_bucket_name(n))
    if bad:
        raise ConfigError(f"INPUT_BUCKETS: {bad[0][:70]!r} is not an S3 bucket name")
    return names


def request_deadlines(settings: Settings) -> Deadlines:
    """API_AWS_CONNECT_TIMEOUT_S, API_AWS_READ_TIMEOUT_S, API_AWS_MAX_ATTEMPTS; refused when a request that
    timed out every call could outlive API_LAMBDA_TIMEOUT_S (the Lambda's limit, 15 s by default)."""
    deadlines = Deadlines(
        connect_s=settings.number("API_AWS_CONNECT_TIMEOUT_S", REQUEST_PATH.connect_s, minimum=0.1, maximum=10.0),
        read_s=settings.number("API_AWS_READ_TIMEOUT_S", REQUEST_PATH.read_s, minimum=0.1, maximum=10.0),
        max_attempts=settings.integer("API_AWS_MAX_ATTEMPTS", REQUEST_PATH.max_attempts, minimum=1, maximum=5),
    )
    limit = settings.number("API_LAMBDA_TIMEOUT_S", LAMBDA_TIMEOUT_S, minimum=1.0, maximum=900.0)
    worst = SEQUENTIAL_CALLS * deadlines.worst_call_s()
    if worst >= limit:
        raise ConfigError(f"API AWS deadlines allow a request {worst:g} s ({SEQUENTIAL_CALLS} calls of up to "
                          f"{deadlines.worst_call_s():g} s), not below API_LAMBDA_TIMEOUT_S={limit:g}: shorten "
                          "API_AWS_READ_TIMEOUT_S or API_AWS_MAX_ATTEMPTS")
    return deadlines
