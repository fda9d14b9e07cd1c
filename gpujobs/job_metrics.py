"""Job counts (JobsSubmitted, JobsCompleted, JobsFailed) as CloudWatch embedded-metric-format lines.

One JSON line on stdout per event, the format Powertools' Metrics writes. In Lambda CloudWatch Logs
turns it into a metric with no API call; on the GPU instance the CloudWatch agent does the same for
the log it ships. Nothing here calls AWS, so counting can never fail or slow a job. The namespace is
the one every service has (Settings.metrics_namespace); the dashboard finds the metrics by name in it.
"""

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from gpujobs.settings import Settings

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


@dataclass(frozen=True)
class JobCounter:
    """Counts for one service in one namespace; `stream` defaults to stdout at the time of writing."""

    service: str
    namespace: str
    stream: TextIO | None = field(default=None, compare=False)

    @classmethod
    def of(cls, service: str, settings: Settings) -> "JobCounter":
        return cls(service, settings.metrics_namespace)

    def count(self, name: str, **properties: str) -> None:
        """Write one count of `name` now; whole lines only, even from several threads."""
        line = json.dumps(emf_record(name, self.service, self.namespace, int(time.time() * 1000), **properties))
        out = self.stream or sys.stdout
        with _lock:
            out.write(line + "\n")
            out.flush()
