"""Job counts are CloudWatch embedded-metric-format lines that CloudWatch Logs can turn into metrics."""

import io
import json

import pytest

from gpujobs import job_metrics


def emf_lines(text: str) -> list[dict]:
    return [record for line in text.splitlines() if line.startswith("{")
            if "_aws" in (record := json.loads(line))]


def test_record_declares_its_metric_as_the_emf_specification_requires(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Team/Gpu")
    out = io.StringIO()
    job_metrics.count(job_metrics.JOBS_COMPLETED, "worker", out, job_id="job-1")
    [record] = emf_lines(out.getvalue())
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive == {"Namespace": "Team/Gpu", "Dimensions": [["service"]],
                         "Metrics": [{"Name": "JobsCompleted", "Unit": "Count"}]}
    assert isinstance(record["_aws"]["Timestamp"], int)
    # Every dimension and metric the directive names must be a top-level member of the record.
    assert (record["service"], record["JobsCompleted"], record["job_id"]) == ("worker", 1, "job-1")


def test_namespace_defaults_to_terraforms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    out = io.StringIO()
    job_metrics.count(job_metrics.JOBS_SUBMITTED, "api", out)
    assert emf_lines(out.getvalue())[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GpuOrchestrator"
