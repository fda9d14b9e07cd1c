"""When AWS has no GPU to start: which instance types a start tries, and how long it then waits.

A pure function of the pool's capacity state, like `power_policy.decide()`: the power run asks it
before it starts a stopped instance and records what happened, so the simulator and the tests see
the same decisions as the Lambda.

Rules:
- A start tries the preferred type first, then each fallback type in order, in one pass: a stopped
  instance's type is changed (ModifyInstanceAttribute) before StartInstances when it differs. Every
  pass begins with the preferred type again, so an instance that ran on a fallback type returns to
  the preferred one at a later start.
- A pass in which every type met InsufficientInstanceCapacity is a shortfall; the next pass waits
  base * 2^(shortfalls - 1) seconds after it, at most max_backoff_s.
- A successful start ends the shortfall (the state is reset).
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class CapacityConfig:
    """The preferred instance type first, then the fallbacks; the backoff between shortfalls."""

    instance_types: tuple[str, ...]
    base_backoff_s: int = 60
    max_backoff_s: int = 900

    def __post_init__(self) -> None:
        if not self.instance_types:
            raise ValueError("instance_types must name at least the preferred type")
        if len(set(self.instance_types)) != len(self.instance_types):
            raise ValueError(f"instance_types repeats a type: {self.instance_types}")


@dataclass(frozen=True)
class CapacityState:
    """A pool's record of failed starts, kept between power runs (epoch seconds)."""

    shortfalls: int = 0
    last_shortfall_at: int | None = None
    types_tried: tuple[str, ...] = ()

    @property
    def short(self) -> bool:
        return self.shortfalls > 0


@dataclass(frozen=True)
class StartPlan:
    """What a start does now: try these types in order, or wait until `retry_at`."""

    types: tuple[str, ...]
    retry_at: int | None = None
    reason: str = ""

    @property
    def waits(self) -> bool:
        return not self.types


DEFAULT_BASE_BACKOFF_S = 60
DEFAULT_MAX_BACKOFF_S = 900


def backoff_s(shortfalls: int, base_s: int = DEFAULT_BASE_BACKOFF_S, max_s: int = DEFAULT_MAX_BACKOFF_S) -> int:
    """Seconds to wait after the `shortfalls`-th failed pass in a row (0 before any)."""
    if shortfalls <= 0:
        return 0
    return min(max_s, base_s * 2 ** min(shortfalls - 1, 30))


def next_try_at(state: CapacityState, base_s: int = DEFAULT_BASE_BACKOFF_S,
                max_s: int = DEFAULT_MAX_BACKOFF_S) -> int | None:
    """When the next start may be tried after a shortfall (epoch seconds); None without one."""
    if not state.short or state.last_shortfall_at is None:
        return None
    return state.last_shortfall_at + backoff_s(state.shortfalls, base_s, max_s)


def plan_start(state: CapacityState, now: int, config: CapacityConfig) -> StartPlan:
    """The types to try now, preferred first; none (a wait) while the backoff after a shortfall runs."""
    retry_at = next_try_at(state, config.base_backoff_s, config.max_backoff_s)
    if retry_at is not None and now < retry_at:
        return StartPlan((), retry_at, f"no GPU capacity {state.shortfalls} time(s) in a row; "
                                       f"next try in {retry_at - now} s")
    return StartPlan(config.instance_types, None, "start: preferred type first"
                     + (", then the fallbacks" if len(config.instance_types) > 1 else ""))


def after_shortfall(state: CapacityState, tried: tuple[str, ...], now: int) -> CapacityState:
    """The state after a pass in which every type in `tried` had no capacity."""
    return replace(state, shortfalls=state.shortfalls + 1, last_shortfall_at=now, types_tried=tried)


def after_start() -> CapacityState:
    """The state after a successful start: no shortfall."""
    return CapacityState()
