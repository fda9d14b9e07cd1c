"""The watcher that runs one emulated GPU host per instance of a fleet's group: a fake group and fake
processes, so every step of joining, leaving, slot reuse and a stuck host is checked without processes."""

import signal

import pytest
from botocore.exceptions import ClientError

from gpujobs.settings import Settings
from local.fleet_hosts import FleetHosts, group_reader, instance_environment


class FakeProcess:
    next_pid = 1000

    def __init__(self) -> None:
        FakeProcess.next_pid += 1
        self.pid = FakeProcess.next_pid
        self.signals: list[int] = []
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)


class World:
    """The group's members (None: unreadable), the hosts started and a clock."""

    def __init__(self) -> None:
        self.members: list[str] | None = []
        self.started: list[tuple[int, str, FakeProcess]] = []
        self.now = 0.0

    def start(self, slot: int, instance_id: str) -> FakeProcess:
        process = FakeProcess()
        self.started.append((slot, instance_id, process))
        return process

    def watcher(self, slots: int = 3) -> FleetHosts:
        return FleetHosts(lambda: self.members, self.start, slots, stop_timeout_s=45.0, clock=lambda: self.now)


def test_an_instance_joining_gets_a_host_in_the_lowest_free_slot_once():
    world = World()
    fleet = world.watcher()
    world.members = ["i-b", "i-a"]
    changes = fleet.tick()
    assert [(slot, instance) for slot, instance, _ in world.started] == [(0, "i-b"), (1, "i-a")]
    assert len(changes) == 2 and "i-b" in changes[0]
    assert fleet.tick() == [] and len(world.started) == 2  # no second host for a member


def test_a_leaving_instance_gets_sigterm_and_its_slot_is_free_only_once_the_host_exited():
    world = World()
    fleet = world.watcher()
    world.members = ["i-a", "i-b"]
    fleet.tick()
    first = world.started[0][2]
    world.members = ["i-b", "i-c"]
    fleet.tick()
    assert first.signals == [signal.SIGTERM]
    # Slot 0 belongs to i-a's host until it exits, so i-c takes slot 2.
    assert [(slot, instance) for slot, instance, _ in world.started] == [(0, "i-a"), (1, "i-b"), (2, "i-c")]
    fleet.tick()
    assert first.signals == [signal.SIGTERM]  # one SIGTERM, not one per tick
    first.code = 0
    changes = fleet.tick()
    assert any("i-a" in line and "slot 0 free" in line for line in changes)
    world.members = ["i-b", "i-c", "i-d"]
    fleet.tick()
    assert world.started[-1][:2] == (0, "i-d")


def test_no_slot_left_starts_nothing_until_one_frees():
    world = World()
    fleet = world.watcher(slots=1)
    world.members = ["i-a", "i-b"]
    changes = fleet.tick()
    assert [instance for _, instance, _ in world.started] == ["i-a"]
    assert any("i-b has no host" in line for line in changes)
    assert fleet.tick() == []  # said once
    world.members = ["i-b"]
    fleet.tick()
    world.started[0][2].code = 0
    fleet.tick()
    assert [instance for _, instance, _ in world.started] == ["i-a", "i-b"]


def test_an_unreadable_group_keeps_every_host():
    world = World()
    fleet = world.watcher()
    world.members = ["i-a"]
    fleet.tick()
    world.members = None
    assert fleet.tick() == []
    assert world.started[0][2].signals == [] and list(fleet.hosts) == ["i-a"]


def test_a_host_that_ignores_sigterm_is_killed_after_the_bound():
    world = World()
    fleet = world.watcher()
    world.members = ["i-a"]
    fleet.tick()
    world.members = []
    fleet.tick()
    process = world.started[0][2]
    world.now = 45.0
    fleet.tick()
    assert process.signals == [signal.SIGTERM]
    world.now = 46.0
    fleet.tick()
    assert process.signals == [signal.SIGTERM, signal.SIGKILL]


def test_a_host_dying_while_its_instance_serves_is_reported_and_one_stopping_is_not():
    world = World()
    fleet = world.watcher()
    world.members = ["i-a", "i-b"]
    fleet.tick()
    world.started[0][2].code = 2
    assert fleet.failed() == ["gpu host of i-a (exit 2)"]
    world.members = ["i-a"]
    fleet.tick()
    world.started[1][2].code = 0
    assert fleet.failed() == ["gpu host of i-a (exit 2)"]
    fleet.tick()
    assert [p.pid for p in fleet.processes()] == [world.started[0][2].pid]


def test_each_slot_has_its_own_ports_and_the_instance_id_is_the_worker_id():
    settings = Settings({})
    envs = [instance_environment(n, f"i-{n}", settings) for n in range(3)]
    assert envs[0] == {"GPU_INSTANCE_ID": "i-0", "WORKER_ID": "i-0"}
    assert [e.get("LOCAL_UNIFIED_API_PORT") for e in envs] == [None, "8001", "8002"]
    assert [e.get("LOCAL_COMFYUI_PORT") for e in envs] == [None, "8189", "8190"]
    assert envs[2]["LOCAL_COMFYUI_DIR"] == ".run/comfyui-2"


class FakeAutoScaling:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def describe_auto_scaling_groups(self, AutoScalingGroupNames: list[str]) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(("answer", "expected"), [
    ({"AutoScalingGroups": [{"Instances": [
        {"InstanceId": "i-2", "LifecycleState": "InService"}, {"InstanceId": "i-1", "LifecycleState": "Pending"},
        {"InstanceId": "i-3", "LifecycleState": "Terminating"}, {"InstanceId": "i-4", "LifecycleState": "Standby"},
        {"InstanceId": "i-5", "LifecycleState": "Terminating:Wait"}]}]}, ["i-1", "i-2"]),
    ({"AutoScalingGroups": []}, []),
    (ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "DescribeAutoScalingGroups"), None),
])
def test_the_group_reader_keeps_pending_and_in_service_instances(answer, expected):
    assert group_reader(FakeAutoScaling(answer), "pool")() == expected
