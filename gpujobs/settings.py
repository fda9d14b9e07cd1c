"""Resource names for the services, read from Terraform outputs and the environment.

Terraform is the only place resources are declared; services learn their names either from a JSON
file in the shape `terraform output -json` prints (named by GPUJOBS_OUTPUTS_FILE) or from plain
environment variables (the design's SQS_QUEUE_URL, DYNAMODB_TABLE, GPU_INSTANCE_ID, AWS_REGION),
which win when both are given. Nothing is read at import time.

Two settings serve the multi-region mode (SPEC section 6), where several GPU pools share one task
table in the home region: `table_region` (DYNAMODB_REGION) is that table's region, because a pool's
services run in their own region but every conditional write must reach the one strongly
consistent table; `pool` (GPU_POOL) names the pool a service belongs to, so task rows and the
power logic can tell the pools' work apart.
"""

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gpujobs.errors import ConfigError

OUTPUTS_FILE_VAR = "GPUJOBS_OUTPUTS_FILE"


@dataclass(frozen=True)
class Source:
    """Where one setting comes from: its environment variable and its Terraform output."""

    env: str
    output: str


SOURCES: dict[str, Source] = {
    "aws_region": Source("AWS_REGION", "aws_region"),
    "queue_url": Source("SQS_QUEUE_URL", "task_queue_url"),
    "dlq_url": Source("SQS_DLQ_URL", "task_dlq_url"),
    "table_name": Source("DYNAMODB_TABLE", "task_table_name"),
    "gpu_instance_id": Source("GPU_INSTANCE_ID", "gpu_instance_id"),
    "results_bucket": Source("RESULTS_BUCKET", "results_bucket_name"),
    "table_region": Source("DYNAMODB_REGION", "task_table_region"),
    "pool": Source("GPU_POOL", "gpu_pool"),
}

# A pool name goes into DynamoDB keys and filter values and into log lines: keep it plain.
POOL_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class Settings:
    """The resource names a service may need; each service asks for the ones it uses."""

    aws_region: str | None = None
    queue_url: str | None = None
    dlq_url: str | None = None
    table_name: str | None = None
    gpu_instance_id: str | None = None
    results_bucket: str | None = None
    # Region of the task table (and its last-activity rows); None: the service's own region.
    table_region: str | None = None
    # Name of this service's GPU pool in the multi-region mode; None: the single-pool system.
    pool: str | None = None

    def __post_init__(self) -> None:
        if self.pool is not None and not POOL_PATTERN.fullmatch(self.pool):
            raise ConfigError(
                f"{SOURCES['pool'].env}={self.pool!r} (or output {SOURCES['pool'].output!r}) must be 1-64 "
                "characters of A-Z, a-z, 0-9, '.', '_' or '-'"
            )

    def require(self, *names: str) -> "Settings":
        """Raise ConfigError naming every missing setting, so a service fails at start, not later."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            described = ", ".join(
                f"{SOURCES[n].env} (or output {SOURCES[n].output!r} in ${OUTPUTS_FILE_VAR})"
                for n in missing
            )
            raise ConfigError(f"missing setting: {described}")
        return self


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


def load_settings(
    environ: Mapping[str, str] | None = None, require: Iterable[str] = ()
) -> Settings:
    """Build Settings from the outputs file (if named) overlaid by environment variables."""
    env = os.environ if environ is None else environ
    outputs: dict[str, Any] = {}
    if env.get(OUTPUTS_FILE_VAR):
        outputs = read_outputs_file(env[OUTPUTS_FILE_VAR])
    values: dict[str, str | None] = {}
    for f in fields(Settings):
        source = SOURCES[f.name]
        value = env.get(source.env) or outputs.get(source.output)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"output {source.output!r} must be a string, got {value!r}")
        values[f.name] = value or None
    if values["aws_region"] is None:
        values["aws_region"] = env.get("AWS_DEFAULT_REGION") or None
    return Settings(**values).require(*require)
