"""Job counts are CloudWatch embedded-metric-format lines that CloudWatch Logs can turn into metrics."""

import io
import json

from gpujobs.job_metrics import JOBS_COMPLETED, JOBS_SUBMITTED, JobCounter
from gpujobs.settings import Settings


def emf_lines(text: str) -> list[dict]:
    return [record for line in text.splitlines() if line.startswith("{")
            if "_aws" in (record := json.loads(line))]


def test_record_declares_its_metric_as_the_emf_specification_requires() -> None:
    out = io.StringIO()
    JobCounter("worker", "Team/Gpu", out).count(JOBS_COMPLETED, job_id="job-1")
    [record] = emf_lines(out.getvalue())
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive == {"Namespace": "Team/Gpu", "Dimensions": [["service"]],
                         "Metrics": [{"Name": "JobsCompleted", "Unit": "Count"}]}
    assert isinstance(record["_aws"]["Timestamp"], int)
    # Every dimension and metric the directive names must be a top-level member of the record.
    assert (record["service"], record["JobsCompleted"], record["job_id"]) == ("worker", 1, "job-1")


def test_namespace_is_the_settings_one(capsys) -> None:
    JobCounter.of("api", Settings({})).count(JOBS_SUBMITTED)
    JobCounter.of("api", Settings({"POWERTOOLS_METRICS_NAMESPACE": "Team/Gpu"})).count(JOBS_SUBMITTED)
    namespaces = [r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in emf_lines(capsys.readouterr().out)]
    assert namespaces == ["GpuOrchestrator", "Team/Gpu"]
