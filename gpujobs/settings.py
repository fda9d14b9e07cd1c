"""The settings of a service: its environment map from the Terraform outputs, overlaid by the environment.

Terraform is the only place resources are declared, and it outputs one environment map per consumer
(`api_environment`, `worker_environment`, `power_environment`, `distributor_environment`,
`webhook_environment`); a Lambda's environment is exactly that map. A process started elsewhere
(gunicorn, the worker, the local tools) names a `terraform output -json` file in GPUJOBS_OUTPUTS_FILE
and reads its service's map from it;
real environment variables win over the map. Every setting is named by its environment variable, so
a value means the same wherever it comes from. Nothing is read at import time.

The resource names are properties here; a service's own config (its knobs, with defaults) reads the
rest through `integer`, `number`, `flag` and `get`, which refuse nonsense naming the variable.

Two settings serve the multi-region mode, where several GPU pools share one task table in the home
region: DYNAMODB_REGION is that table's region (a pool's services run in their own region, but every
conditional write must reach the one strongly consistent table), and GPU_POOL names the pool a
service belongs to, so task rows and the power logic can tell the pools' work apart.
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpujobs.errors import ConfigError

OUTPUTS_FILE_VAR = "GPUJOBS_OUTPUTS_FILE"
SERVICES = ("api", "worker", "power", "distributor", "webhook")
DEFAULT_METRICS_NAMESPACE = "GpuOrchestrator"

# A pool name goes into DynamoDB keys and filter values and into log lines: keep it plain.
POOL_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
_REGION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_QUEUE_URL = re.compile(r"^https?://[^\s/]+/\S+$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Name -> value of every setting a service can see; `origin` says where the map came from."""

    values: Mapping[str, str] = field(default_factory=dict)
    origin: str = "the environment"

    def __post_init__(self) -> None:
        pool = self.get("GPU_POOL")
        if pool is not None and not POOL_PATTERN.fullmatch(pool):
            raise ConfigError(f"GPU_POOL={pool!r} must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")

    # -- resource names ----------------------------------------------------------------------

    @property
    def aws_region(self) -> str | None:
        return self.get("AWS_REGION") or self.get("AWS_DEFAULT_REGION")

    @property
    def queue_url(self) -> str | None:
        """SQS_QUEUE_URL: the API's submit queue (the master queue with the distributor), else the pool's."""
        return self.get("SQS_QUEUE_URL")

    @property
    def dlq_url(self) -> str | None:
        """SQS_DLQ_URL: the pool's dead-letter queue, which the power run drains."""
        return self.get("SQS_DLQ_URL")

    @property
    def master_dlq_url(self) -> str | None:
        """MASTER_DLQ_URL: the distributor's dead-letter queue."""
        return self.get("MASTER_DLQ_URL")

    @property
    def master_queue_url(self) -> str | None:
        """MASTER_QUEUE_URL: the distributor's master queue, whose stranded pending tasks the home pool's power
        run ends."""
        return self.get("MASTER_QUEUE_URL")

    @property
    def table_name(self) -> str | None:
        return self.get("DYNAMODB_TABLE")

    @property
    def table_region(self) -> str | None:
        """DYNAMODB_REGION: the task table's region; None means the service's own."""
        return self.get("DYNAMODB_REGION")

    @property
    def results_bucket(self) -> str | None:
        return self.get("RESULTS_BUCKET")

    @property
    def gpu_instance_id(self) -> str | None:
        return self.get("GPU_INSTANCE_ID")

    @property
    def fleet_group(self) -> str | None:
        """GPU_FLEET_GROUP: the pool's Auto Scaling group when the pool is a fleet; None for one instance."""
        return self.get("GPU_FLEET_GROUP")

    @property
    def pool(self) -> str | None:
        """GPU_POOL: this service's pool in the multi-region mode; None in the single-pool system."""
        return self.get("GPU_POOL")

    @property
    def metrics_namespace(self) -> str:
        """POWERTOOLS_METRICS_NAMESPACE: the one namespace of every service's metrics."""
        return self.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE

    @property
    def idempotency_table(self) -> str | None:
        """IDEMPOTENCY_TABLE: the distributor's record of what it forwarded."""
        return self.get("IDEMPOTENCY_TABLE")

    @property
    def region_queues(self) -> dict[str, str]:
        """REGION_QUEUES: the distributor's JSON object of region (pool) name -> regional queue URL."""
        raw = self.get("REGION_QUEUES")
        if raw is None:
            raise self._missing(["REGION_QUEUES"])
        value = _queue_map("REGION_QUEUES", raw)
        if not value:
            raise ConfigError('REGION_QUEUES must be a non-empty JSON object like {"us-east-1": "https://sqs..."}')
        return value

    @property
    def peer_queues(self) -> dict[str, str]:
        """PEER_QUEUES: the other pools' queues (pool name -> queue URL), which the home pool's power run
        reads with its own and the master queue before it ends a pending task for want of a message."""
        raw = self.get("PEER_QUEUES")
        return {} if raw is None else _queue_map("PEER_QUEUES", raw)

    # -- reading ------------------------------------------------------------------------------

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value, or `default` when the setting is absent or empty."""
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def require(self, *names: str) -> "Settings":
        """Raise ConfigError naming every missing setting, so a service fails at start, not later."""
        missing = [n for n in names if not self.get(n)]
        if missing:
            raise self._missing(missing)
        return self

    def _missing(self, names: list[str]) -> ConfigError:
        where = "the environment" if self.origin == "the environment" else f"{self.origin} or the environment"
        return ConfigError(f"missing setting: {', '.join(names)} (in {where})")

    def with_values(self, **values: str | None) -> "Settings":
        """A copy with these settings replaced (None leaves a setting as it is)."""
        given = {k: v for k, v in values.items() if v is not None}
        return Settings({**self.values, **given}, self.origin)

    def flag(self, name: str, default: bool) -> bool:
        raw = self.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")

    def integer(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        return self._number(name, default, int, "an integer", minimum, maximum)

    def number(self, name: str, default: float, *, minimum: float | None = None,
               maximum: float | None = None) -> float:
        return self._number(name, default, float, "a number", minimum, maximum)

    def _number(self, name: str, default: Any, kind: type, described: str, minimum: Any, maximum: Any) -> Any:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not {described}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name}={value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name}={value} is above the maximum {maximum}")
        return value


def queue_url(name: str, value: str) -> str:
    """`value` if it looks like a queue URL (http(s)://host/account/name), else ConfigError naming `name`."""
    if not _QUEUE_URL.match(value):
        raise ConfigError(f"{name}={value!r} is not a queue URL (http(s)://host/account/name)")
    return value


def read_outputs_file(path: str | Path) -> dict[str, Any]:
    """Read a `terraform output -json` file into name -> value."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{OUTPUTS_FILE_VAR}: file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{OUTPUTS_FILE_VAR}: {path} is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{OUTPUTS_FILE_VAR}: {path} must hold a JSON object of outputs")
    values: dict[str, Any] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or "value" not in entry:
            raise ConfigError(f"{OUTPUTS_FILE_VAR}: output {name!r} in {path} has no 'value'")
        values[name] = entry["value"]
    return values


def service_environment(outputs: Mapping[str, Any], service: str, path: str | Path) -> dict[str, str]:
    """The `<service>_environment` map of the outputs; ConfigError naming it if missing or malformed."""
    name = f"{service}_environment"
    value = outputs.get(name)
    if value is None:
        raise ConfigError(f"{OUTPUTS_FILE_VAR}: {path} has no output {name!r} (is this service deployed there?)")
    if not isinstance(value, dict):
        raise ConfigError(f"{OUTPUTS_FILE_VAR}: output {name!r} in {path} must be a map, got {value!r:.100}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise ConfigError(f"{OUTPUTS_FILE_VAR}: {name}[{key!r}] in {path} must be a string, got {item!r:.100}")
    return dict(value)


def load_settings(service: str | None, environ: Mapping[str, str] | None = None) -> Settings:
    """`service`'s map from the outputs file named by GPUJOBS_OUTPUTS_FILE (if any), overlaid by the
    environment. With `service` None (a local tool's own knobs), the environment alone."""
    if service is not None and service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {SERVICES}")
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    origin = "the environment"
    path = env.get(OUTPUTS_FILE_VAR)
    if service is not None and path:
        values = service_environment(read_outputs_file(path), service, path)
        origin = f"{service}_environment of {path}"
    # An empty variable does not hide the map's value (`get` treats empty as absent either way).
    values.update({k: v for k, v in env.items() if v != "" or k not in values})
    return Settings(values, origin)


def _queue_map(name: str, raw: str) -> dict[str, str]:
    """A JSON object of region (pool) name -> queue URL, each checked."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError(f'{name} must be a JSON object like {{"us-east-1": "https://sqs..."}}')
    for region, url in value.items():
        if not _REGION_NAME.match(region):
            raise ConfigError(f"{name}: {region!r} is not a region name (letters, digits, '.', '_', '-')")
        if not isinstance(url, str):
            raise ConfigError(f"{name}[{region!r}] must be a queue URL string")
        queue_url(f"{name}[{region!r}]", url)
    return dict(value)
