"""Time that moves only when the code under test waits: for the worker's decisions without real sleeps."""

import threading
from dataclasses import dataclass, field


@dataclass
class FakeClock:
    """`time()` (epoch seconds), `monotonic()`, and `wait(seconds)`, which moves both forward at once and
    returns whether `abandon` was set (as threading.Event.wait does)."""

    now: float = 1_700_000_000.0
    abandon: threading.Event = field(default_factory=threading.Event)
    waited: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waited.append(seconds)
        self.now += seconds
        return self.abandon.is_set()

    def advance(self, seconds: float) -> None:
        self.now += seconds
