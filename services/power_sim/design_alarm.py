"""The design's `QueueEmptyFor30Min` alarm (the alarm-only shutdown of the first, hand-made
deployment), modelled as CloudWatch runs it.

Alarm: `AWS/SQS ApproximateNumberOfMessagesVisible`, statistic Average, period 300 s, 6 evaluation
periods, `<= 0`, treat missing data as `missing` (the default), action: SNS -> a Lambda that stops
the instance if it is `running`. (The alarm terraform/modules/power declares uses Maximum and treats
missing data as breaching, and it only asks the power Lambda to look.)

What the model adds from how AWS behaves:
- SQS samples the visible count at intervals (`sample_s`); a message that is visible only between
  two samples (a job waiting out a 2-minute boot) is never seen.
- A period's datapoint is the average of its samples and becomes visible to the alarm
  `metric_delay_s` after the period ends.
- A queue with no API call for `inactive_after_s` (6 h) is inactive and publishes no datapoints.
- Every minute the alarm looks at its last 6 matured periods: no datapoint at all ->
  INSUFFICIENT_DATA; any datapoint > 0 -> OK; 6 datapoints all <= 0 -> ALARM; otherwise (some
  missing) it keeps its state. Actions run only when the state changes to ALARM: while it stays in
  ALARM nothing fires again, whatever the GPU does.
"""

from dataclasses import dataclass, field

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT = "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class AlarmSpec:
    period_s: int = 300
    evaluation_periods: int = 6
    threshold: float = 0.0
    sample_s: int = 300
    metric_delay_s: int = 600
    inactive_after_s: int = 6 * 3600
    evaluate_every_s: int = 60


@dataclass
class AlarmModel:
    spec: AlarmSpec
    state: str = ALARM
    # per period index: (sum of samples, number of samples)
    periods: dict[int, tuple[float, int]] = field(default_factory=dict)
    last_queue_call_s: int = -4 * 3600
    fired_at: list[int] = field(default_factory=list)
    transitions: list[tuple[int, str]] = field(default_factory=list)  # (time, state), from the initial one

    def __post_init__(self) -> None:
        # Before the trace starts the queue was active and empty, so those periods hold zeros.
        first = max(self.last_queue_call_s, -self.spec.inactive_after_s) // self.spec.period_s
        for index in range(first, 0):
            self.periods[index] = (0.0, 1)
        self.transitions.append((0, self.state))

    def queue_called(self, t: int) -> None:
        """Any SQS API call (send, receive, delete) keeps the queue's metrics active."""
        self.last_queue_call_s = t

    def sample(self, t: int, visible: int) -> None:
        if t % self.spec.sample_s != 0 or t - self.last_queue_call_s > self.spec.inactive_after_s:
            return
        index = t // self.spec.period_s
        total, count = self.periods.get(index, (0.0, 0))
        self.periods[index] = (total + visible, count + 1)

    def evaluate(self, t: int) -> bool:
        """Evaluate at `t` (every minute); True if the state changed to ALARM (the action fires)."""
        if t % self.spec.evaluate_every_s != 0:
            return False
        newest = (t - self.spec.metric_delay_s) // self.spec.period_s - 1
        window = range(newest - self.spec.evaluation_periods + 1, newest + 1)
        values = [self.periods[k][0] / self.periods[k][1] for k in window if k in self.periods]
        if not values:
            new_state = INSUFFICIENT
        elif any(v > self.spec.threshold for v in values):
            new_state = OK
        elif len(values) == self.spec.evaluation_periods:
            new_state = ALARM
        else:
            new_state = self.state
        if new_state == self.state:
            return False
        self.state = new_state
        self.transitions.append((t, new_state))
        if new_state == ALARM:
            self.fired_at.append(t)
            return True
        return False
