"""A job's progress counts every node, even those ComfyUI ran before the submit began watching it."""

import threading
from typing import Any
from unittest import mock

from services.unified_api.jobs import JobService


def service() -> JobService:
    return JobService({}, mock.Mock(), mock.Mock(), mock.Mock(), "client")


def test_events_before_the_watcher_are_replayed_when_the_job_is_watched():
    jobs = service()
    for node in ("1", "2"):  # ComfyUI started the prompt before post_prompt's answer came back
        jobs.on_event("executing", {"node": node, "prompt_id": "p"})
    with mock.patch.object(threading.Thread, "start"):  # no watcher thread: only the bookkeeping
        job = jobs._watch("p", {"workflow": "w"}, 4, "pending")
    assert job.status == "processing" and job.progress == 0.25  # node 1 done, node 2 running
    jobs.on_event("executing", {"node": "3", "prompt_id": "p"})
    assert job.progress == 0.5


def test_early_events_are_bounded():
    jobs = service()
    events: list[tuple[str, dict[str, Any]]] = [("executing", {"node": "1", "prompt_id": f"p{n}"}) for n in range(100)]
    for kind, data in events:
        jobs.on_event(kind, data)
    assert len(jobs._early) == 64 and "p99" in jobs._early and "p0" not in jobs._early
