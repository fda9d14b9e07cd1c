"""Job counts (JobsSubmitted, JobsCompleted, JobsFailed) as CloudWatch embedded-metric-format lines.

One JSON line on stdout per event, the format Powertools' Metrics writes. In Lambda (the API)
CloudWatch Logs turns it into a metric with no API call; on the GPU instance the CloudWatch agent
does the same for the log it ships. Nothing here calls AWS, so counting can never fail or slow a job.
The namespace is the one Terraform gives every service (POWERTOOLS_METRICS_NAMESPACE); the dashboard
finds the metrics by name in it.
"""

import json
import os
import sys
import threading
import time
from typing import TextIO

DEFAULT_NAMESPACE = "GpuOrchestrator"
JOBS_SUBMITTED = "JobsSubmitted"
JOBS_COMPLETED = "JobsCompleted"
JOBS_FAILED = "JobsFailed"

_lock = threading.Lock()


def emf_record(name: str, service: str, namespace: str, now_ms: int, **properties: str) -> dict[str, object]:
    """One count of `name` with the dimension `service`; `properties` ride along, searchable in logs."""
    return {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {"Namespace": namespace, "Dimensions": [["service"]], "Metrics": [{"Name": name, "Unit": "Count"}]}
            ],
        },
        "service": service,
        name: 1,
        **properties,
    }


def count(name: str, service: str, stream: TextIO | None = None, **properties: str) -> None:
    """Write one count of `name` now; whole lines only, even from several worker threads."""
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    line = json.dumps(emf_record(name, service, namespace, int(time.time() * 1000), **properties))
    out = stream or sys.stdout
    with _lock:
        out.write(line + "\n")
        out.flush()
