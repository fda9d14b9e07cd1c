"""decide(): table tests over the rules (pure, no AWS)."""

from dataclasses import replace

import pytest

from gpujobs.power_policy import (
    Action,
    PowerConfig,
    PowerFacts,
    ProcessingTask,
    decide,
    last_activity,
)

NOW = 1_800_000_000
WINDOW = 30 * 60
CONFIG = PowerConfig(idle_window_s=WINDOW, job_timeout_s=20 * 60)
TAGGED = {"Purpose": "GPU-ComfyUI", "Name": "gpu"}

# A running, tagged instance that has been idle for exactly the window: the baseline STOP.
IDLE = PowerFacts(now=NOW, instance_id="i-1", instance_state="running", tags=TAGGED,
                  launch_time=NOW - 5 * 3600, last_activity_at=NOW - WINDOW)


def job(started_ago: int) -> ProcessingTask:
    return ProcessingTask("t-1", started_at=NOW - started_ago, updated_at=NOW - 5)


CASES = [
    ("idle exactly the window", {}, Action.STOP),
    ("idle one second short", {"last_activity_at": NOW - WINDOW + 1}, Action.NONE),
    ("visible message", {"queue_visible": 1}, Action.NONE),
    ("delayed message", {"queue_delayed": 2}, Action.NONE),
    ("message in flight", {"queue_in_flight": 1}, Action.NONE),
    ("fresh pending task", {"pending_count": 1, "newest_pending_created_at": NOW - 60}, Action.NONE),
    ("pending task with unknown age", {"pending_count": 1}, Action.NONE),
    ("orphan pending task older than the window", {"pending_count": 1, "newest_pending_created_at": NOW - 2 * WINDOW},
     Action.STOP),
    ("job processing within its limit", {"processing": (job(60),)}, Action.NONE),
    ("rule B: job past its limit, deadline long ago", {"processing": (job(3 * 3600),), "queue_in_flight": 1},
     Action.STOP),
    ("rule B: job just past its limit, idle rule starts at the deadline",
     {"processing": (job(20 * 60 + 10),), "queue_in_flight": 1}, Action.NONE),
    ("rule B does not hide a second in-flight message",
     {"processing": (job(3 * 3600),), "queue_in_flight": 2}, Action.NONE),
    ("overdue and live job together", {"processing": (job(3 * 3600), job(30))}, Action.NONE),
    ("recent finish seen in the table", {"last_finished_at": NOW - 100}, Action.NONE),
    ("fresh boot is not idle", {"launch_time": NOW - 120, "last_activity_at": NOW - 10 * 3600}, Action.NONE),
    ("no activity ever and no launch time", {"last_activity_at": None, "launch_time": None}, Action.STOP),
    ("untagged running idle", {"tags": {"Name": "gpu"}}, Action.NONE),
    ("wrong tag value", {"tags": {"Purpose": "something-else"}}, Action.NONE),
    ("stopping", {"instance_state": "stopping"}, Action.NONE),
    ("stopping with work", {"instance_state": "stopping", "queue_visible": 3}, Action.NONE),
    ("pending", {"instance_state": "pending", "queue_visible": 1}, Action.NONE),
    ("terminated", {"instance_state": "terminated"}, Action.NONE),
    ("missing instance", {"instance_state": None}, Action.NONE),
    ("stopped, no work", {"instance_state": "stopped"}, Action.NONE),
    ("stopped, visible work", {"instance_state": "stopped", "queue_visible": 1}, Action.START),
    ("stopped, fresh pending task", {"instance_state": "stopped", "pending_count": 1,
                                     "newest_pending_created_at": NOW - 5}, Action.START),
    ("stopped, job left in flight", {"instance_state": "stopped", "queue_in_flight": 1}, Action.START),
    ("stopped, only an orphan pending task", {"instance_state": "stopped", "pending_count": 1,
                                              "newest_pending_created_at": NOW - 2 * WINDOW}, Action.NONE),
    ("stopped untagged with work", {"instance_state": "stopped", "tags": {}, "queue_visible": 5}, Action.NONE),
    ("stopped, only a cancelled job's message", {"instance_state": "stopped", "queue_visible": 1, "open_tasks": 0},
     Action.NONE),
    ("stopped, a stale pending task's message", {"instance_state": "stopped", "queue_visible": 2, "open_tasks": 1,
                                                 "pending_count": 1, "newest_pending_created_at": NOW - 2 * WINDOW},
     Action.START),
    ("idle with only a cancelled job's message", {"queue_visible": 1, "open_tasks": 0}, Action.STOP),
]


@pytest.mark.parametrize(("name", "changes", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decide_table(name: str, changes: dict, expected: Action) -> None:
    assert decide(replace(IDLE, **changes), CONFIG).action is expected


def test_stop_reports_idle_time_and_reason() -> None:
    decision = decide(replace(IDLE, last_activity_at=NOW - 3600), CONFIG)
    assert (decision.action, decision.idle_s, decision.reason) == (Action.STOP, 3600, "idle past the window")


def test_rule_b_reason_names_overdue_jobs() -> None:
    decision = decide(replace(IDLE, processing=(job(3 * 3600),)), CONFIG)
    assert decision.action is Action.STOP
    assert decision.overdue_jobs == 1
    assert "past their time limit" in decision.reason


def test_busy_flags_reported_even_when_left_alone() -> None:
    decision = decide(replace(IDLE, instance_state="stopping", queue_visible=1), CONFIG)
    assert (decision.work_waiting, decision.work_running) == (True, False)


def test_last_activity_is_the_newest_fact() -> None:
    facts = replace(IDLE, last_activity_at=NOW - 900, newest_pending_created_at=NOW - 800, last_finished_at=NOW - 700,
                    launch_time=NOW - 9000)
    assert last_activity(facts, CONFIG) == NOW - 700


def test_overdue_job_counts_as_activity_at_its_deadline() -> None:
    facts = replace(IDLE, last_activity_at=None, launch_time=None, processing=(job(3600),))
    assert last_activity(facts, CONFIG) == NOW - 3600 + 20 * 60


def test_idle_window_is_configurable() -> None:
    facts = replace(IDLE, last_activity_at=NOW - 150)
    assert decide(facts, CONFIG).action is Action.NONE
    assert decide(facts, replace(CONFIG, idle_window_s=120)).action is Action.STOP
