"""desired_capacity(): table tests over the fleet rules (backlog, instances, protection, idle time, limits)."""

from dataclasses import replace

import pytest

from gpujobs.power_policy import (
    FleetConfig,
    FleetInstance,
    PowerConfig,
    PowerFacts,
    ProcessingTask,
    desired_capacity,
)

NOW = 1_800_000_000
WINDOW = 30 * 60
CONFIG = PowerConfig(idle_window_s=WINDOW, job_timeout_s=20 * 60)
FLEET = FleetConfig(max_size=4, jobs_per_instance=1)
NOTHING = PowerFacts(now=NOW, instance_id="", instance_state=None)


def busy(n: int) -> tuple[FleetInstance, ...]:
    return tuple(FleetInstance(f"i-b{k}", "running", protected=True, idle_since=NOW - 10) for k in range(n))


def idle(n: int, for_s: int) -> tuple[FleetInstance, ...]:
    return tuple(FleetInstance(f"i-i{k}", "running", idle_since=NOW - for_s) for k in range(n))


def jobs(n: int, started_ago: int = 60) -> tuple[ProcessingTask, ...]:
    return tuple(ProcessingTask(f"t-{k}", started_at=NOW - started_ago, updated_at=NOW - 5) for k in range(n))


CASES = [
    # name, fact changes, instances, fleet, expected desired
    ("nothing and no instances", {}, (), FLEET, 0),
    ("one waiting job wakes one instance", {"queue_visible": 1}, (), FLEET, 1),
    ("a burst scales out at once to the backlog", {"queue_visible": 3}, (), FLEET, 3),
    ("the backlog counts running jobs too", {"queue_visible": 2, "queue_in_flight": 2, "processing": jobs(2)},
     busy(2), FLEET, 4),
    ("never above the maximum", {"queue_visible": 9}, busy(1), FLEET, 4),
    ("jobs per instance divides the backlog, rounded up", {"queue_visible": 5}, (), replace(FLEET, jobs_per_instance=2),
     3),
    ("delayed messages are waiting work", {"queue_delayed": 2}, (), FLEET, 2),
    ("fresh pending tasks count when their messages are not yet visible",
     {"pending_count": 2, "newest_pending_created_at": NOW - 30}, (), FLEET, 2),
    ("orphan pending tasks older than the window do not",
     {"pending_count": 2, "newest_pending_created_at": NOW - 2 * WINDOW}, (), FLEET, 0),
    ("starting instances count as in service", {"queue_visible": 2},
     (FleetInstance("i-p", "pending", idle_since=NOW - 5),), FLEET, 2),
    ("stopped or warm instances are not in service", {"queue_visible": 1},
     (FleetInstance("i-s", "stopped"), FleetInstance("i-w", "Warmed:Stopped")), FLEET, 1),
    ("idle instances below the window are kept", {}, idle(3, WINDOW - 1), FLEET, 3),
    ("idle for the window: to zero", {}, idle(3, WINDOW), FLEET, 0),
    ("only the expired ones go", {}, idle(2, WINDOW) + idle(1, 60), FLEET, 1),
    ("backlog shrinks: no scale in before the window", {"queue_in_flight": 1, "processing": jobs(1)},
     busy(1) + idle(2, 120), FLEET, 3),
    ("backlog shrinks: idle ones go after the window", {"queue_in_flight": 1, "processing": jobs(1)},
     busy(1) + idle(2, WINDOW + 5), FLEET, 1),
    ("never below the protected (busy) instances", {}, busy(3), FLEET, 3),
    ("protected instances hold even with no backlog and idle peers", {}, busy(2) + idle(2, 2 * WINDOW), FLEET, 2),
    ("protected instances above a lowered maximum stay", {}, busy(3), replace(FLEET, max_size=1), 3),
    ("a fresh instance without activity is idle since its launch", {},
     (FleetInstance("i-new", "pending", idle_since=NOW - 20),), FLEET, 1),
    ("no activity ever recorded: removable", {}, (FleetInstance("i-x", "running"),), FLEET, 0),
    ("rule B: overdue jobs are not backlog", {"queue_in_flight": 2, "processing": jobs(2, started_ago=3 * 3600)},
     idle(2, WINDOW), FLEET, 0),
    ("rule B: an overdue job does not hide a live one", {"queue_in_flight": 2,
                                                         "processing": jobs(1, 3 * 3600) + jobs(1)},
     idle(2, 60), FLEET, 2),
    ("maximum 0 disables the pool", {"queue_visible": 3}, (), replace(FLEET, max_size=0), 0),
    ("maximum 1: one instance for any backlog", {"queue_visible": 7}, (), replace(FLEET, max_size=1), 1),
]


@pytest.mark.parametrize(("name", "changes", "instances", "fleet", "expected"), CASES, ids=[c[0] for c in CASES])
def test_desired_capacity_table(name, changes, instances, fleet, expected) -> None:
    assert desired_capacity(replace(NOTHING, **changes), instances, CONFIG, fleet).desired == expected


def test_scale_in_reports_the_longest_idle_time() -> None:
    decision = desired_capacity(NOTHING, idle(1, WINDOW + 300) + idle(1, WINDOW + 10), CONFIG, FLEET)
    assert (decision.desired, decision.change, decision.idle_s, decision.reason) == (
        0, -2, WINDOW + 300, "idle past the window")


def test_scale_out_names_the_backlog() -> None:
    decision = desired_capacity(replace(NOTHING, queue_visible=2, queue_in_flight=1, processing=jobs(1)), busy(1),
                                CONFIG, FLEET)
    assert (decision.desired, decision.backlog, decision.reason) == (3, 3, "backlog 3 wants 3 instance(s)")


@pytest.mark.parametrize("kwargs", [{"max_size": -1}, {"jobs_per_instance": 0}])
def test_fleet_config_rejects_nonsense(kwargs) -> None:
    with pytest.raises(ValueError, match="max_size must be"):
        FleetConfig(**kwargs)
