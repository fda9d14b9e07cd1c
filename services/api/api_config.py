"""The API's own knobs (limits, caches, optional keys), parsed strictly from its Settings.

Resource names (queue, table, instance) stay in the Settings; these are behaviour settings that have
safe defaults, so a bare environment runs the API.
"""

from dataclasses import dataclass, field

from gpujobs.aws_clients import REQUEST_PATH, Deadlines
from gpujobs.errors import ConfigError
from gpujobs.settings import Settings

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
DEFAULT_INSTANCE_STATE_TTL_S = 5.0
# AWS calls a request makes one after another at most: a submit writes the task, sends the message, then
# either wakes the instance (DescribeInstances, StartInstances) or, the send failed, fails the row and,
# only if the table answered that with an error, deletes it.
SEQUENTIAL_CALLS = 4
# The API Lambda's own limit (terraform: var.api.timeout, default 15 s). A request that times out every
# call in turn must still end before it, so no submit is cut between the task write and the enqueue.
LAMBDA_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class ApiConfig:
    """Behaviour settings of the API; tests build one directly."""

    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    instance_state_ttl_s: float = DEFAULT_INSTANCE_STATE_TTL_S
    # Empty means no authentication (the default: the API sits behind API Gateway or a private network).
    api_keys: frozenset[str] = field(default_factory=frozenset)
    task_retention_s: int = 30 * 24 * 3600
    # Timeouts and attempts of the AWS calls a request makes (docs/configuration.md: how they fit the
    # 3 s answer and the Lambda's limit).
    aws_deadlines: Deadlines = REQUEST_PATH

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiConfig":
        keys = settings.get("API_KEYS", "") or ""
        return cls(
            max_content_length=settings.integer("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH, minimum=1024),
            instance_state_ttl_s=settings.number(
                "GPU_STATE_CACHE_S", DEFAULT_INSTANCE_STATE_TTL_S, minimum=0.0, maximum=300.0
            ),
            api_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            task_retention_s=settings.integer("TASK_RETENTION_S", 30 * 24 * 3600, minimum=3600),
            aws_deadlines=request_deadlines(settings),
        )


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
