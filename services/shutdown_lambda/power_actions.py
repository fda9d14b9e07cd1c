"""Decide from live facts and act on the instance, safely against a submit racing the stop.

Stopping: decide, read the facts again and decide again just before StopInstances (a submit may
have landed in between), stop, then read once more: if work arrived meanwhile, wait (bounded) for
the instance to reach `stopped` and start it again. If it is still `stopping` when the wait ends,
the next scheduled run sees `stopped` with work waiting and starts it.

Every call of `decide()` is logged as one structured line with all its inputs, and each run adds
its EMF metrics (GpuStops, GpuStarts, StopsCancelled, IdleMinutes) to the given Metrics object.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from gpujobs.power_policy import Action, Decision, PowerConfig, PowerFacts, decide
from services.shutdown_lambda.capacity_start import CapacityStarter


@dataclass(frozen=True)
class Outcome:
    """What one run decided and did; `acted` is one of the ACTED values below."""

    trigger: str
    decision: Decision
    facts: PowerFacts
    acted: str
    dry_run: bool

    def to_response(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "instance_id": self.facts.instance_id,
            "instance_state": self.facts.instance_state,
            "action": self.decision.action.value,
            "acted": self.acted,
            "reason": self.decision.reason,
            "idle_s": self.decision.idle_s,
            "dry_run": self.dry_run,
        }


# acted: nothing | dry-run | stopped | stop-cancelled | stopped-then-started | stopped-restart-deferred
#        | started | start-rejected | start-no-capacity | start-backing-off (capacity_start.py)


@dataclass
class PowerController:
    """Runs one decide-and-act cycle; `read_facts` reads PowerFacts live, `ec2` acts."""

    read_facts: Callable[[], PowerFacts]
    ec2: Any
    config: PowerConfig
    logger: logging.Logger | Any
    metrics: Any = None
    dry_run: bool = False
    sleep: Callable[[float], None] = lambda _s: None
    restart_wait_s: float = 40.0
    restart_poll_s: float = 2.0
    # Seams for tests: run between the decision and the re-check, and right after StopInstances.
    before_stop: Callable[[], None] | None = None
    after_stop: Callable[[], None] | None = None
    # Starts through the pool's capacity state (fallback types, backoff); None: a plain StartInstances.
    starter: CapacityStarter | None = None

    def run(self, trigger: str) -> Outcome:
        facts, decision = self._decide(trigger, "initial")
        if decision.action is Action.NONE:
            return self._finish(trigger, decision, facts, "nothing")
        if self.dry_run:
            return self._finish(trigger, decision, facts, "dry-run")
        if decision.action is Action.START:
            return self._finish(trigger, decision, facts, self._start(facts.instance_id))
        return self._stop(trigger)

    def _stop(self, trigger: str) -> Outcome:
        if self.before_stop:
            self.before_stop()
        facts, decision = self._decide(trigger, "recheck")
        if decision.action is not Action.STOP:
            return self._finish(trigger, decision, facts, "stop-cancelled")
        self.ec2.stop_instances(InstanceIds=[facts.instance_id])
        if self.after_stop:
            self.after_stop()
        _, after = self._decide(trigger, "after-stop")
        if not (after.work_waiting or after.work_running):
            return self._finish(trigger, decision, facts, "stopped")
        restarted = self._start_when_stopped(facts.instance_id)
        acted = "stopped-then-started" if restarted else "stopped-restart-deferred"
        return self._finish(trigger, decision, facts, acted)

    def _start_when_stopped(self, instance_id: str) -> bool:
        attempts = max(1, int(self.restart_wait_s / self.restart_poll_s))
        for attempt in range(attempts):
            facts = self.read_facts()
            if facts.instance_state == "stopped":
                return self._start(instance_id) == "started"
            if facts.instance_state in ("pending", "running"):
                return True  # someone (the API) already started it
            if attempt + 1 < attempts:
                self.sleep(self.restart_poll_s)
        self.logger.warning("instance still stopping; the next scheduled run starts it",
                            extra={"instance_id": instance_id})
        return False

    def _start(self, instance_id: str) -> str:
        if self.starter is not None:
            return self.starter.start(instance_id)
        try:
            self.ec2.start_instances(InstanceIds=[instance_id])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "IncorrectInstanceState":
                raise
            self.logger.warning("start rejected: instance changed state", extra={"instance_id": instance_id})
            return "start-rejected"
        return "started"

    def _decide(self, trigger: str, phase: str) -> tuple[PowerFacts, Decision]:
        facts = self.read_facts()
        decision = decide(facts, self.config)
        self.logger.info("power decision", extra={
            "trigger": trigger,
            "phase": phase,
            "action": decision.action.value,
            "reason": decision.reason,
            "idle_s": decision.idle_s,
            "work_waiting": decision.work_waiting,
            "work_running": decision.work_running,
            "overdue_jobs": decision.overdue_jobs,
            "dry_run": self.dry_run,
            "facts": _plain(facts),
            "config": asdict(self.config),
        })
        return facts, decision

    def _finish(self, trigger: str, decision: Decision, facts: PowerFacts, acted: str) -> Outcome:
        if self.metrics is not None:
            stopped = acted.startswith("stopped")
            self.metrics.add_metric(name="GpuStops", unit=MetricUnit.Count, value=1 if stopped else 0)
            self.metrics.add_metric(name="GpuStarts", unit=MetricUnit.Count,
                                    value=1 if acted in ("started", "stopped-then-started") else 0)
            self.metrics.add_metric(name="StopsCancelled", unit=MetricUnit.Count,
                                    value=1 if acted == "stop-cancelled" else 0)
            if decision.idle_s is not None:
                self.metrics.add_metric(name="IdleMinutes", unit=MetricUnit.Count, value=decision.idle_s / 60)
        self.logger.info("power run done", extra={"trigger": trigger, "acted": acted,
                                                  "action": decision.action.value, "reason": decision.reason,
                                                  "instance_id": facts.instance_id})
        return Outcome(trigger, decision, facts, acted, self.dry_run)


def _plain(facts: PowerFacts) -> dict[str, Any]:
    data = asdict(facts)
    data["tags"] = dict(facts.tags)
    return data
