"""Which events a row's change makes, what a delivery says, and which receivers a submit may name."""

import json
from dataclasses import replace

import pytest

from gpujobs.task_model import Task, TaskStatus
from gpujobs.url_guard import Unresolved, UnsafeUrl, check_webhook_url
from gpujobs.webhook_events import events_for, job_data

PENDING = Task.new("job-1", "/api/v1/camera-angle/jobs", {"prompt": "x"}, 1000, tenant="acme",
                   webhook="https://hooks.example.com/in", webhook_events=("start", "completed"))
PROCESSING = replace(PENDING, status=TaskStatus.PROCESSING, attempts=1, updated_at=1010, started_at=1010)
COMPLETED = replace(PROCESSING, status=TaskStatus.COMPLETED, updated_at=1050, finished_at=1050,
                    result_s3_uri="s3://results/job-1.png", progress=1.0)


def _types(old: Task | None, new: Task) -> list[str]:
    return [e.type for e in events_for(old, new)]


def test_each_change_of_state_makes_its_event_once() -> None:
    assert _types(None, PENDING) == []
    assert _types(PENDING, PROCESSING) == ["job.started"]
    assert _types(PROCESSING, replace(PROCESSING, progress=0.5)) == []  # a heartbeat
    assert _types(PROCESSING, replace(PROCESSING, worker_id="other", attempts=2)) == []  # a lapsed lease re-taken
    assert _types(PROCESSING, COMPLETED) == ["job.completed"]
    assert _types(COMPLETED, COMPLETED) == []
    cancelled = replace(PENDING, status=TaskStatus.CANCELLED)
    assert _types(PENDING, cancelled) == ["job.completed"]
    refused = replace(PENDING, status=TaskStatus.FAILED)
    assert _types(None, refused) == ["job.completed"]  # a row written failed (a message refused at once)


def test_the_filter_keeps_only_the_events_asked_for() -> None:
    only_end = replace(PENDING, webhook_events=("completed",))
    assert _types(only_end, replace(only_end, status=TaskStatus.PROCESSING)) == []
    assert _types(replace(only_end, status=TaskStatus.PROCESSING), replace(only_end, status=TaskStatus.FAILED)) == [
        "job.completed"]
    no_hook = replace(PENDING, webhook=None, webhook_events=None)
    assert _types(no_hook, replace(no_hook, status=TaskStatus.PROCESSING)) == []


def test_a_redelivered_record_makes_the_same_id_and_body() -> None:
    [first] = events_for(PROCESSING, COMPLETED)
    [again] = events_for(PROCESSING, COMPLETED)
    assert first.webhook_id == again.webhook_id == "job_job-1_completed"
    assert first.body() == again.body()
    body = json.loads(first.body())
    assert body == {"type": "job.completed", "timestamp": "1970-01-01T00:17:30Z", "data": job_data(COMPLETED)}
    assert body["data"]["workflow"] == "camera-angle" and body["data"]["status"] == "completed"


def test_rows_carry_the_webhook_and_rows_without_stay_as_they_were() -> None:
    assert Task.from_item(PENDING.to_item()).webhook_events == ("start", "completed")
    plain = Task.new("job-2", "/api/v1/camera-angle/jobs", {}, 1000)
    assert "webhook" not in plain.to_item() and Task.from_item(plain.to_item()).webhook is None


def _resolver(answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str) -> list[str]:
        return answers[host]
    return resolve


@pytest.mark.parametrize(("url", "allow_loopback", "refusal"), [
    ("https://hooks.example.com/in", False, None),
    ("http://hooks.example.com/in", False, "https"),
    ("http://hooks.example.com/in", True, "loopback"),
    ("https://inside.example.com/in", False, "non-public"),
    ("https://[::1]:9000/in", False, "non-public"),
    ("http://127.0.0.1:9000/in", False, "https"),
    ("http://127.0.0.1:9000/in", True, None),
    ("https://localhost:9000/in", True, None),
    ("https://user:pw@hooks.example.com/in", False, "credentials"),
    ("ftp://hooks.example.com/in", True, "https"),
    ("https://169.254.169.254/latest", True, "non-public"),
])
def test_webhook_addresses(url: str, allow_loopback: bool, refusal: str | None) -> None:
    resolve = _resolver({"hooks.example.com": ["93.184.215.14"], "inside.example.com": ["10.0.0.5"],
                         "localhost": ["127.0.0.1", "::1"]})
    if refusal is None:
        assert check_webhook_url(url, allow_loopback, resolve)
    else:
        with pytest.raises(UnsafeUrl, match=refusal):
            check_webhook_url(url, allow_loopback, resolve)


def test_a_name_that_resolves_to_nothing_may_resolve_later() -> None:
    with pytest.raises(Unresolved):
        check_webhook_url("https://gone.example.com/", False, _resolver({"gone.example.com": []}))
