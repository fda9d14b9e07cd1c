"""The handler with each event file under tests/events/, against in-process moto, clock injected."""

import json
import time

import pytest

from services.shutdown_lambda.handler import build_handler
from services.shutdown_lambda.power_events import parse_trigger
from tests.doubles.lambda_context import LambdaContext
from tests.unit.power.conftest import PowerWorld
from tests.unit.power.power_testkit import load_event

IDLE_FOR = 2 * 3600


def state(world: PowerWorld) -> str:
    return world.state()


def invoke(world: PowerWorld, event_file: str) -> dict:
    handler = build_handler(clock=lambda: world.launch_time + IDLE_FOR, sleep=lambda _s: None)
    return handler(load_event(event_file), LambdaContext())


def stopped_response(world: PowerWorld, trigger: str, detail: str, **changes: object) -> dict[str, object]:
    """The handler's whole answer for an idle running instance it stops, with `changes`."""
    return {"trigger": trigger, "detail": detail, "instance_id": world.instance_id, "instance_state": "running",
            "action": "stop", "acted": "stopped", "reason": "idle past the window", "idle_s": IDLE_FOR,
            "dry_run": False, **changes}


@pytest.mark.parametrize(("event_file", "trigger", "detail"), [
    ("alarm_via_sns.json", "alarm-sns", "QueueEmptyFor30Min OK->ALARM"),
    ("alarm_direct.json", "alarm", "QueueEmptyFor30Min OK->ALARM"),
    ("schedule.json", "schedule", "arn:aws:events:us-east-1:123456789012:rule/gpu-power-recheck"),
])
def test_every_trigger_stops_an_idle_instance(world: PowerWorld, event_file: str, trigger: str, detail: str) -> None:
    assert invoke(world, event_file) == stopped_response(world, trigger, detail)
    assert state(world) == "stopped"


def test_direct_evaluate_with_waiting_work_leaves_it_running(world: PowerWorld) -> None:
    world.queue_job()
    assert invoke(world, "direct_evaluate.json") == stopped_response(
        world, "direct", "evaluate", action="none", acted="nothing", reason="work waiting", idle_s=None)
    assert state(world) == "running"


def test_a_cancelled_pending_jobs_message_wakes_no_gpu(world: PowerWorld) -> None:
    world.moto.ec2.stop_instances(InstanceIds=[world.instance_id])
    world.queue_job("job-cancelled")
    world.store.cancel_pending("job-cancelled", int(time.time()), "cancelled by the client")
    response = invoke(world, "direct_evaluate.json")
    assert (response["action"], response["acted"]) == ("none", "nothing")
    assert state(world) == "stopped"

    world.queue_job("job-live")  # the same queue with a job a message can run: it starts
    assert invoke(world, "direct_evaluate.json")["acted"] == "started"


def test_direct_dry_run_decides_but_does_not_stop(world: PowerWorld) -> None:
    assert invoke(world, "direct_dry_run.json") == stopped_response(world, "direct", "dry-run", acted="dry-run",
                                                                     dry_run=True)
    assert state(world) == "running"


def test_dry_run_from_environment(world: PowerWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    assert invoke(world, "schedule.json")["acted"] == "dry-run"
    assert state(world) == "running"


@pytest.mark.parametrize(("event_file", "reason"), [
    ("unknown_s3_put.json", "unrecognised event shape"),
    ("direct_bad_action.json", "direct invocation rejected: Input should be 'evaluate' or 'dry-run'"),
])
def test_unknown_events_are_ignored(world: PowerWorld, event_file: str, reason: str) -> None:
    assert invoke(world, event_file) == {"trigger": "unknown", "acted": "ignored", "reason": reason}
    assert state(world) == "running"


def test_ok_notification_is_only_a_trigger() -> None:
    event = load_event("alarm_via_sns.json")
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        '"NewStateValue": "ALARM"', '"NewStateValue": "OK"')
    trigger = parse_trigger(event)
    assert (trigger.kind, trigger.detail) == ("alarm-sns", "QueueEmptyFor30Min OK->OK")


def test_non_object_event_is_unknown() -> None:
    assert parse_trigger(["not", "an", "event"]).kind == "unknown"


def test_emits_emf_metrics_in_the_one_namespace(world: PowerWorld, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Team/Gpu")
    invoke(world, "schedule.json")
    out = capsys.readouterr().out
    emf = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert len(emf) == 1, out
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Team/Gpu"
    assert (emf[0]["GpuStops"], emf[0]["GpuStarts"], emf[0]["IdleMinutes"]) == ([1.0], [0.0], [120.0])


def test_tag_is_configurable(world: PowerWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPU_TAG_VALUE", "GPU-Other")
    response = invoke(world, "schedule.json")
    assert response["acted"] == "nothing"
    assert response["reason"] == "instance not tagged Purpose=GPU-Other: never touched"
    assert state(world) == "running"


def test_without_a_namespace_the_default_one_is_used(world: PowerWorld, capsys: pytest.CaptureFixture[str]) -> None:
    invoke(world, "unknown_s3_put.json")
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GpuOrchestrator"
