"""What invoked the power Lambda, parsed with typed event classes.

Accepted: the alarm's path (CloudWatch alarm -> SNS topic -> Lambda: `SNSEvent`, the alarm JSON in
`record.sns.message`), an alarm invoking the Lambda directly (`CloudWatchAlarmEvent`), the periodic
re-check (`EventBridgeEvent`, detail-type "Scheduled Event") and a direct invocation
(`{"action": "evaluate" | "dry-run"}`). Whatever the alarm says is only a reason to look: the
decision is always made from live facts, so an alarm stuck in ALARM or an OK notification does no harm.
"""

import json
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools.utilities.data_classes import CloudWatchAlarmEvent, EventBridgeEvent, SNSEvent
from pydantic import BaseModel, ConfigDict, ValidationError


class DirectInvocation(BaseModel):
    """A person or a script invoking the function: `evaluate` acts, `dry-run` only decides."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["evaluate", "dry-run"] = "evaluate"


@dataclass(frozen=True)
class Trigger:
    kind: Literal["alarm-sns", "alarm", "schedule", "direct", "unknown"]
    detail: str
    dry_run: bool = False

    @property
    def known(self) -> bool:
        return self.kind != "unknown"


def _alarm_from_sns(event: dict[str, Any]) -> Trigger:
    names = []
    for record in SNSEvent(event).records:
        try:
            alarm = json.loads(record.sns.message)
        except ValueError:
            alarm = None
        if isinstance(alarm, dict) and "AlarmName" in alarm:
            names.append(f"{alarm['AlarmName']} {alarm.get('OldStateValue', '?')}->{alarm.get('NewStateValue', '?')}")
        else:
            names.append(f"message on {record.sns.topic_arn}")
    return Trigger("alarm-sns", "; ".join(names))


def parse_trigger(event: Any) -> Trigger:
    if not isinstance(event, dict):
        return Trigger("unknown", f"event is a {type(event).__name__}, not an object")
    records = event.get("Records")
    if isinstance(records, list) and records and all(
        isinstance(r, dict) and r.get("EventSource") == "aws:sns" for r in records
    ):
        return _alarm_from_sns(event)
    if event.get("source") == "aws.cloudwatch" and isinstance(event.get("alarmData"), dict):
        alarm = CloudWatchAlarmEvent(event)
        data = alarm.alarm_data
        return Trigger("alarm", f"{data.alarm_name} {data.previous_state.value}->{data.state.value}")
    if "detail-type" in event and "source" in event:
        scheduled = EventBridgeEvent(event)
        if scheduled.detail_type == "Scheduled Event":
            return Trigger("schedule", ",".join(scheduled.resources) or scheduled.source)
        return Trigger("unknown", f"EventBridge event {scheduled.detail_type!r} from {scheduled.source}")
    if "action" in event:
        try:
            direct = DirectInvocation.model_validate(event)
        except ValidationError as exc:
            return Trigger("unknown", f"direct invocation rejected: {exc.errors()[0]['msg']}")
        return Trigger("direct", direct.action, dry_run=direct.action == "dry-run")
    return Trigger("unknown", "unrecognised event shape")
