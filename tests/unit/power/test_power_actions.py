"""The decide-and-act cycle with scripted facts: re-check before the stop, restart after it."""

import logging
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gpujobs.errors import ConfigError
from gpujobs.power_policy import PowerConfig, PowerFacts
from gpujobs.settings import Settings
from services.shutdown_lambda.power_actions import PowerController
from services.shutdown_lambda.power_config import PowerRunConfig

NOW = 1_800_000_000
IDLE = PowerFacts(now=NOW, instance_id="i-1", instance_state="running", tags={"Purpose": "GPU-ComfyUI"},
                  launch_time=NOW - 7200)


class RecordingEc2:
    def __init__(self, start_error: str | None = None) -> None:
        self.calls: list[str] = []
        self.start_error = start_error

    def stop_instances(self, InstanceIds: list[str]) -> None:
        self.calls.append("stop")

    def start_instances(self, InstanceIds: list[str]) -> None:
        self.calls.append("start")
        if self.start_error:
            raise ClientError({"Error": {"Code": self.start_error, "Message": "no"}}, "StartInstances")


def controller(facts: list[PowerFacts], ec2: RecordingEc2, **kwargs: Any) -> PowerController:
    script = iter(facts)
    return PowerController(read_facts=lambda: next(script), ec2=ec2, config=PowerConfig(),
                           logger=logging.getLogger("power-test"), restart_wait_s=6, restart_poll_s=2, **kwargs)


def test_stop_after_a_clean_recheck() -> None:
    ec2 = RecordingEc2()
    outcome = controller([IDLE, IDLE, replace(IDLE, instance_state="stopping")], ec2).run("schedule")
    assert (outcome.acted, ec2.calls) == ("stopped", ["stop"])


def test_recheck_sees_a_new_submit_and_cancels() -> None:
    ec2 = RecordingEc2()
    outcome = controller([IDLE, replace(IDLE, queue_visible=1)], ec2).run("alarm-sns")
    assert (outcome.acted, outcome.decision.reason, ec2.calls) == ("stop-cancelled", "work waiting", [])


def test_work_after_the_stop_waits_for_stopped_then_starts() -> None:
    ec2 = RecordingEc2()
    stopping_with_work = replace(IDLE, instance_state="stopping", queue_visible=1)
    slept: list[float] = []
    facts = [IDLE, IDLE, stopping_with_work, stopping_with_work, replace(stopping_with_work, instance_state="stopped")]
    outcome = controller(facts, ec2, sleep=slept.append).run("schedule")
    assert (outcome.acted, ec2.calls, slept) == ("stopped-then-started", ["stop", "start"], [2])


def test_restart_is_deferred_to_the_next_run_when_still_stopping() -> None:
    ec2 = RecordingEc2()
    stopping_with_work = replace(IDLE, instance_state="stopping", queue_visible=1)
    outcome = controller([IDLE, IDLE, *[stopping_with_work] * 4], ec2).run("schedule")
    assert (outcome.acted, ec2.calls) == ("stopped-restart-deferred", ["stop"])


def test_dry_run_never_calls_ec2() -> None:
    ec2 = RecordingEc2()
    assert controller([IDLE], ec2, dry_run=True).run("direct").acted == "dry-run"
    assert ec2.calls == []


def test_start_rejected_by_a_state_change_is_reported() -> None:
    ec2 = RecordingEc2(start_error="IncorrectInstanceState")
    outcome = controller([replace(IDLE, instance_state="stopped", queue_visible=2)], ec2).run("schedule")
    assert (outcome.acted, ec2.calls) == ("start-rejected", ["start"])


def test_other_ec2_errors_propagate() -> None:
    ec2 = RecordingEc2(start_error="UnauthorizedOperation")
    with pytest.raises(ClientError):
        controller([replace(IDLE, instance_state="stopped", queue_visible=2)], ec2).run("schedule")


NAMES = {"GPU_INSTANCE_ID": "i-1", "SQS_QUEUE_URL": "http://q", "DYNAMODB_TABLE": "t"}


def power_config(**values: str) -> PowerRunConfig:
    return PowerRunConfig.from_settings(Settings({**NAMES, **values}))


def test_config_defaults_and_overrides() -> None:
    config = power_config()
    assert (config.policy.idle_window_s, config.policy.job_timeout_s, config.dry_run) == (1800, 1800, False)
    assert PowerRunConfig.from_settings(Settings(NAMES), idle_minutes_default=2).policy.idle_window_s == 120
    config = power_config(IDLE_MINUTES="45", DRY_RUN="yes")
    assert (config.policy.idle_window_s, config.dry_run) == (2700, True)


@pytest.mark.parametrize(("name", "value"), [("IDLE_MINUTES", "soon"), ("IDLE_MINUTES", "0"),
                                             ("DRY_RUN", "maybe"), ("GPU_TAG_KEY", " ")])
def test_nonsense_settings_fail_at_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        power_config(**{name: value})


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_missing_resource_fails_at_start(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        PowerRunConfig.from_settings(Settings({k: v for k, v in NAMES.items() if k != name}))
